package brokerage

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
)

// Offer statuses.
const (
	OfferPending   = "pending"
	OfferAccepted  = "accepted"
	OfferDeclined  = "declined"
	OfferExpired   = "expired"
	OfferWithdrawn = "withdrawn"
)

// Offer expiry bounds: the broker chooses within them.
const (
	DefaultOfferExpiry = 24 * time.Hour
	MinOfferExpiry     = time.Hour
	MaxOfferExpiry     = 7 * 24 * time.Hour
)

// Offer is a direct award offered to one location: the top-ranked eligible
// one of the cascade's current stage. It lapses at ExpiresAt.
type Offer struct {
	ID            int64       `json:"id"`
	RequirementID int64       `json:"requirement_id"`
	ProviderID    int64       `json:"provider_id"`
	ProviderName  string      `json:"provider_name"`
	LocationID    int64       `json:"location_id"`
	LocationName  string      `json:"location_name"`
	Stage         Stage       `json:"stage"`
	Rank          int         `json:"rank"`
	LotID         int64       `json:"lot_id,omitempty"`
	AgreementID   int64       `json:"agreement_id,omitempty"`
	LotTitle      string      `json:"lot_title,omitempty"`
	Price         money.Money `json:"price_pence"`
	WeeklyCost    money.Money `json:"weekly_cost_pence"`
	// OffContractReason says why a stage 3 offer was needed (only when no contracted provider can).
	OffContractReason string      `json:"off_contract_reason,omitempty"`
	Status            string      `json:"status"`
	OfferedAt         time.Time   `json:"offered_at"`
	ExpiresAt         time.Time   `json:"expires_at"`
	RespondedAt       *time.Time  `json:"responded_at,omitempty"`
	Reason            string      `json:"reason,omitempty"`
	PlacementID       int64       `json:"placement_id,omitempty"`
	Requirement       *Anonymised `json:"requirement,omitempty"`
}

// Lapsed reports whether a pending offer's time is up at now.
func (o *Offer) Lapsed(now time.Time) bool {
	return o.Status == OfferPending && !now.Before(o.ExpiresAt)
}

// CheckRespond refuses a response to an offer that is no longer open.
func (o *Offer) CheckRespond(now time.Time) error {
	if o.Status != OfferPending {
		return caremarket.Errorf(caremarket.ECONFLICT, "This offer was %s: it can no longer be answered", o.Status)
	}
	if o.Lapsed(now) {
		return caremarket.Errorf(caremarket.ECONFLICT, "This offer expired at %s: the requirement has moved on", o.ExpiresAt.UTC().Format("15:04 on 2 January 2006 (UTC)"))
	}
	return nil
}

// CheckDecline checks a decline's reason: a provider says why it cannot
// take the care, which tells commissioners about the market (5.4, 4).
func CheckDecline(reason string) error {
	f := map[string]string{}
	caremarket.CheckText(f, "reason", "reason for declining", strings.TrimSpace(reason), true, MaxReasonLen)
	return caremarket.Invalid(f)
}

// OfferRequest is the broker's instruction to make the next offer.
type OfferRequest struct {
	// LocationID offers to a particular eligible location of the current
	// stage; 0 means the top-ranked one.
	LocationID int64         `json:"location_id"`
	ExpiresIn  time.Duration `json:"-"`
	// WeeklyCost is the agreed weekly cost when there is no contracted price
	// (always so off contract); 0 takes it from the contracted price.
	WeeklyCost        money.Money `json:"weekly_cost_pence"`
	OffContractReason string      `json:"off_contract_reason"`
	// Held are places promised to other lines of a batch allocation being
	// sent: the cascade counts them as taken (Input.Held), and the home care
	// hours they hold (Input.HeldMinutes).
	Held        map[int64]int `json:"-"`
	HeldMinutes map[int64]int `json:"-"`
	// SkipReason says why eligible locations ranked above LocationID are
	// passed over (CheckChoice).
	SkipReason string `json:"skip_reason"`
	// Resend offers again to LocationID, which declined, let the offer
	// lapse or had it withdrawn.
	Resend bool `json:"-"`
}

// Validate checks an offer request for the cascade's current stage.
func (q *OfferRequest) Validate(stage Stage, contractedCost money.Money) error {
	q.OffContractReason = strings.TrimSpace(q.OffContractReason)
	f := map[string]string{}
	if q.ExpiresIn == 0 {
		q.ExpiresIn = DefaultOfferExpiry
	}
	if q.ExpiresIn < MinOfferExpiry || q.ExpiresIn > MaxOfferExpiry {
		f["expires_in_hours"] = "The offer must stay open between 1 hour and 7 days"
	}
	pricing.CheckWeeklyCost(f, "weekly_cost_pence", "The weekly cost", q.WeeklyCost)
	if stage == StageOffContract {
		caremarket.CheckText(f, "off_contract_reason", "reason for going off contract", q.OffContractReason, true, MaxReasonLen)
		if q.WeeklyCost == 0 {
			f["weekly_cost_pence"] = "Enter the weekly cost agreed with the off-contract provider"
		}
	} else if q.WeeklyCost == 0 && contractedCost == 0 {
		f["weekly_cost_pence"] = "There is no contracted price for this location: enter the weekly cost agreed"
	}
	return caremarket.Invalid(f)
}

// Competition statuses.
const (
	CompetitionOpen      = "open"
	CompetitionAwarded   = "awarded"
	CompetitionCancelled = "cancelled"
)

// Competition is a mini-competition: every eligible location of a stage is
// invited to bid by the deadline; then bids are scored by the lot's price
// and quality weights and the broker awards.
type Competition struct {
	ID            int64     `json:"id"`
	RequirementID int64     `json:"requirement_id"`
	Stage         Stage     `json:"stage"`
	LotID         int64     `json:"lot_id,omitempty"`
	AgreementID   int64     `json:"agreement_id,omitempty"`
	LotTitle      string    `json:"lot_title,omitempty"`
	Deadline      time.Time `json:"deadline"`
	// PriceWeight is the per cent of the score given to price; quality has
	// the rest.
	PriceWeight int         `json:"price_weight"`
	Status      string      `json:"status"`
	Invited     []Invite    `json:"invited"`
	Bids        []Bid       `json:"bids"`
	CreatedBy   string      `json:"created_by"`
	CreatedAt   time.Time   `json:"created_at"`
	Requirement *Anonymised `json:"requirement,omitempty"`
}

// Closed reports whether bidding has ended at now.
func (c *Competition) Closed(now time.Time) bool { return !now.Before(c.Deadline) }

// Invite is a location asked to bid, with its lot quality score.
type Invite struct {
	LocationID   int64  `json:"location_id"`
	LocationName string `json:"location_name"`
	ProviderID   int64  `json:"provider_id"`
	ProviderName string `json:"provider_name"`
	Quality      int    `json:"quality"`
}

// Bid is a provider's answer to a mini-competition.
type Bid struct {
	ID            int64         `json:"id"`
	CompetitionID int64         `json:"competition_id"`
	RequirementID int64         `json:"requirement_id"`
	ProviderID    int64         `json:"provider_id"`
	ProviderName  string        `json:"provider_name"`
	LocationID    int64         `json:"location_id"`
	LocationName  string        `json:"location_name"`
	Basis         pricing.Basis `json:"basis"`
	// Price is a weekly price (a bed) or an hourly rate (hourly care).
	Price       money.Money `json:"price_pence"`
	WeeklyCost  money.Money `json:"weekly_cost_pence"`
	StartDate   time.Time   `json:"start_date"`
	Notes       string      `json:"notes"`
	SubmittedAt time.Time   `json:"submitted_at"`
	// Scores, in hundredths of a per cent, once the deadline has passed.
	PriceScore   int `json:"price_score"`
	QualityScore int `json:"quality_score"`
	Score        int `json:"score"`
	Rank         int `json:"rank"`
}

// CheckBid refuses a bid after the deadline or from a location not invited,
// and checks its contents.
func (c *Competition) CheckBid(b *Bid, now time.Time) error {
	if c.Status != CompetitionOpen {
		return caremarket.Errorf(caremarket.ECONFLICT, "This mini-competition is %s: it takes no more bids", c.Status)
	}
	if c.Closed(now) {
		return caremarket.Errorf(caremarket.ECONFLICT, "Bids closed at %s: this bid was not accepted", c.Deadline.UTC().Format("15:04 on 2 January 2006 (UTC)"))
	}
	if !slices.ContainsFunc(c.Invited, func(i Invite) bool { return i.LocationID == b.LocationID }) {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Mini-competition not found")
	}
	b.Notes = strings.TrimSpace(b.Notes)
	f := map[string]string{}
	if b.Price <= 0 {
		f["price_pence"] = "Enter your price in pence, more than 0"
	} else if b.Basis == pricing.PerHour {
		pricing.CheckAmount(f, "price_pence", "An hourly rate", b.Price, 0, pricing.MaxHourlyRate)
	} else {
		pricing.CheckWeeklyCost(f, "price_pence", "A weekly price", b.Price)
	}
	if b.StartDate.IsZero() {
		f["start_date"] = "Enter the date you could start"
	}
	caremarket.CheckText(f, "notes", "notes", b.Notes, false, MaxTextLen)
	return caremarket.Invalid(f)
}

// CheckAward refuses to award before the deadline (bids may still come)
// or a bid that is not the competition's.
func (c *Competition) CheckAward(bidID int64, now time.Time) error {
	if c.Status != CompetitionOpen {
		return caremarket.Errorf(caremarket.ECONFLICT, "This mini-competition is %s", c.Status)
	}
	if !c.Closed(now) {
		return caremarket.Errorf(caremarket.ECONFLICT, "Bids are open until %s: award after the deadline", c.Deadline.UTC().Format("15:04 on 2 January 2006 (UTC)"))
	}
	if !slices.ContainsFunc(c.Bids, func(b Bid) bool { return b.ID == bidID }) {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Bid not found")
	}
	return nil
}

// LotPriceWeight is the price share of a lot's mini-competition score. The
// lots of the agreements in the product set an order of keys rather than
// weights, so the weight follows the first key: price first gives 60/40,
// quality first 40/60, anything else 50/50. The broker may set another
// weight when starting the competition.
func LotPriceWeight(l *Lot) int {
	if l == nil || len(l.Ranking) == 0 {
		return 60
	}
	switch l.Ranking[0] {
	case procurement.RankPrice:
		return 60
	case procurement.RankQuality:
		return 40
	}
	return 50
}

// ScoreBids scores bids: price is scored as lowest weekly cost / this bid's
// weekly cost, quality is the location's lot quality score (0-10000); each
// is weighted and the total is in hundredths of a per cent. The result is
// ranked best first (ties: lower cost, then the earlier bid).
func ScoreBids(bids []Bid, priceWeight int, quality map[int64]int) []Bid {
	out := slices.Clone(bids)
	var lowest money.Money
	for _, b := range out {
		if b.WeeklyCost > 0 && (lowest == 0 || b.WeeklyCost < lowest) {
			lowest = b.WeeklyCost
		}
	}
	for i := range out {
		b := &out[i]
		if b.WeeklyCost > 0 {
			b.PriceScore = int(int64(lowest) * 100 * int64(priceWeight) / int64(b.WeeklyCost))
		}
		b.QualityScore = quality[b.LocationID] * (100 - priceWeight) / 100
		b.Score = b.PriceScore + b.QualityScore
	}
	slices.SortStableFunc(out, func(a, b Bid) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.WeeklyCost, b.WeeklyCost), a.SubmittedAt.Compare(b.SubmittedAt), cmp.Compare(a.ID, b.ID))
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// Placement statuses.
const (
	PlacementActive     = "active"
	PlacementEnded      = "ended"
	PlacementHandedBack = "handed_back"
	PlacementMoved      = "moved" // off contract, moved to a contracted provider
)

// DefaultReviewAfter is when an off-contract placement is first reviewed:
// it is temporary pending a contracted placement (it ends when a contracted placement is made).
const DefaultReviewAfter = 28 * 24 * time.Hour

// DefaultHandBackNotice is the notice a provider gives to hand a placement
// back when the call-off terms say nothing else.
const DefaultHandBackNotice = 28

// Placement is the care bought: who provides it, where, at what weekly
// cost to the council, from when, and under which lot (or off contract).
type Placement struct {
	ID            int64              `json:"id"`
	RequirementID int64              `json:"requirement_id"`
	ProviderID    int64              `json:"provider_id"`
	ProviderName  string             `json:"provider_name"`
	LocationID    int64              `json:"location_id"`
	LocationName  string             `json:"location_name"`
	ServiceType   market.ServiceType `json:"service_type"`
	AreaID        int64              `json:"area_id"`
	AreaName      string             `json:"area_name"`
	Outcode       string             `json:"outcode"`
	// WeeklyCost is what the council pays; TopUp is what a third party pays
	// on top for a dearer home the person chose (Care and Support and
	// Aftercare (Choice of Accommodation) Regulations 2014), kept apart.
	WeeklyCost  money.Money `json:"weekly_cost_pence"`
	TopUp       money.Money `json:"top_up_pence"`
	TopUpPayer  string      `json:"top_up_payer,omitempty"`
	StartDate   time.Time   `json:"start_date"`
	EndDate     *time.Time  `json:"end_date,omitempty"`
	AgreementID int64       `json:"agreement_id,omitempty"`
	LotID       int64       `json:"lot_id,omitempty"`
	LotTitle    string      `json:"lot_title,omitempty"`
	Stage       Stage       `json:"stage"`
	OffContract bool        `json:"off_contract"`
	// OffContractReason and ReviewDate: an off-contract placement is
	// temporary and under review until it is moved to contract.
	OffContractReason string        `json:"off_contract_reason,omitempty"`
	ReviewDate        *time.Time    `json:"review_date,omitempty"`
	Status            string        `json:"status"`
	EndReason         string        `json:"end_reason,omitempty"`
	NoticeGivenOn     *time.Time    `json:"notice_given_on,omitempty"`
	MovedTo           int64         `json:"moved_to_placement_id,omitempty"`
	Moving            bool          `json:"moving"`
	CreatedAt         time.Time     `json:"created_at"`
	Prices            []PriceChange `json:"prices"`
}

// AgeDays is how many days the placement has run at now.
func (p *Placement) AgeDays(now time.Time) int {
	d := int(now.Sub(p.StartDate).Hours() / 24)
	return max(d, 0)
}

// ReviewOverdue reports whether an off-contract placement's review date has passed.
func (p *Placement) ReviewOverdue(now time.Time) bool {
	return p.OffContract && p.Status == PlacementActive && p.ReviewDate != nil && now.After(*p.ReviewDate)
}

// PriceChange is a change to a placement's weekly cost from a date (an uplift).
type PriceChange struct {
	WeeklyCost    money.Money `json:"weekly_cost_pence"`
	EffectiveFrom time.Time   `json:"effective_from"`
	Reason        string      `json:"reason"`
	By            string      `json:"by"`
	At            time.Time   `json:"at"`
}

// Validate checks a price change against the placement.
func (c *PriceChange) Validate(p *Placement) error {
	c.Reason = strings.TrimSpace(c.Reason)
	f := map[string]string{}
	if c.WeeklyCost <= 0 {
		f["weekly_cost_pence"] = "Enter the new weekly cost in pence, more than 0"
	} else {
		pricing.CheckWeeklyCost(f, "weekly_cost_pence", "The weekly cost", c.WeeklyCost)
	}
	if c.EffectiveFrom.IsZero() || c.EffectiveFrom.Before(p.StartDate) {
		f["effective_from"] = "The change must take effect on or after the placement started"
	}
	caremarket.CheckText(f, "reason", "reason for the change", c.Reason, true, MaxReasonLen)
	return caremarket.Invalid(f)
}

// CheckEnd checks ending a placement on a day, with a reason.
func (p *Placement) CheckEnd(end time.Time, reason string) error {
	if p.Status != PlacementActive {
		return caremarket.Errorf(caremarket.ECONFLICT, "This placement has already ended")
	}
	f := map[string]string{}
	if end.IsZero() || end.Before(p.StartDate) {
		f["end_date"] = "The end date must be on or after the start date"
	}
	caremarket.CheckText(f, "reason", "reason the placement ends", strings.TrimSpace(reason), true, MaxReasonLen)
	return caremarket.Invalid(f)
}

// TopUpCheck checks a top-up: a payer must be named for any amount.
func TopUpCheck(amount money.Money, payer string) error {
	f := map[string]string{}
	pricing.CheckAmount(f, "top_up_pence", "A top-up", amount, 0, pricing.MaxWeeklyCost)
	if amount > 0 {
		caremarket.CheckText(f, "top_up_payer", "name of who pays the top-up", strings.TrimSpace(payer), true, MaxNameLen)
	}
	return caremarket.Invalid(f)
}

// ReportRow is one group of the off-contract market-intelligence report.
type ReportRow struct {
	Month        string             `json:"month"` // 2026-03: when the placements started
	AreaName     string             `json:"area_name"`
	ServiceType  market.ServiceType `json:"service_type"`
	ProviderName string             `json:"provider_name"`
	Placements   int                `json:"placements"`
	Active       int                `json:"active"`
	WeeklyCost   money.Money        `json:"weekly_cost_pence"`
}

// Total sums a dimension of the report.
type Total struct {
	Key        string      `json:"key"`
	Placements int         `json:"placements"`
	Active     int         `json:"active"`
	WeeklyCost money.Money `json:"weekly_cost_pence"`
}

// Report is off-contract use for commissioners ("All use
// of non contracted provision should be discussed with commissioning to
// inform market intelligence").
type Report struct {
	Rows          []ReportRow `json:"rows"`
	ByArea        []Total     `json:"by_area"`
	ByServiceType []Total     `json:"by_service_type"`
	ByProvider    []Total     `json:"by_provider"`
	ByMonth       []Total     `json:"by_month"`
	Providers     int         `json:"providers"`
}

// BuildReport groups off-contract placements by month started, area,
// service type and provider. WeeklyCost sums current weekly costs.
func BuildReport(ps []Placement) Report {
	type key struct {
		month, area, provider string
		st                    market.ServiceType
	}
	rows := map[key]*ReportRow{}
	var keys []key
	tot := func(m map[string]*Total, k string, p *Placement) {
		t, ok := m[k]
		if !ok {
			t = &Total{Key: k}
			m[k] = t
		}
		t.Placements++
		if p.Status == PlacementActive {
			t.Active++
			t.WeeklyCost += p.WeeklyCost
		}
	}
	byArea, byST, byProv, byMonth := map[string]*Total{}, map[string]*Total{}, map[string]*Total{}, map[string]*Total{}
	for i := range ps {
		p := &ps[i]
		if !p.OffContract {
			continue
		}
		k := key{p.StartDate.Format("2006-01"), p.AreaName, p.ProviderName, p.ServiceType}
		r, ok := rows[k]
		if !ok {
			r = &ReportRow{Month: k.month, AreaName: k.area, ServiceType: k.st, ProviderName: k.provider}
			rows[k] = r
			keys = append(keys, k)
		}
		r.Placements++
		if p.Status == PlacementActive {
			r.Active++
			r.WeeklyCost += p.WeeklyCost
		}
		tot(byArea, p.AreaName, p)
		tot(byST, string(p.ServiceType), p)
		tot(byProv, p.ProviderName, p)
		tot(byMonth, k.month, p)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(b.month, a.month), cmp.Compare(a.area, b.area), cmp.Compare(a.st, b.st), cmp.Compare(a.provider, b.provider))
	})
	rep := Report{Rows: []ReportRow{}}
	for _, k := range keys {
		rep.Rows = append(rep.Rows, *rows[k])
	}
	flat := func(m map[string]*Total, byKey bool) []Total {
		out := []Total{}
		for _, t := range m {
			out = append(out, *t)
		}
		slices.SortFunc(out, func(a, b Total) int {
			if byKey {
				return cmp.Compare(b.Key, a.Key)
			}
			return cmp.Or(cmp.Compare(b.Placements, a.Placements), cmp.Compare(a.Key, b.Key))
		})
		return out
	}
	rep.ByArea, rep.ByServiceType, rep.ByProvider, rep.ByMonth = flat(byArea, false), flat(byST, false), flat(byProv, false), flat(byMonth, true)
	rep.Providers = len(byProv)
	return rep
}

package brokerage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// The broker's daily work around the cascade: choosing who is offered the
// care (and saying why when a higher-ranked home is passed over), urgent
// requirements, withdrawing, extending and re-sending offers, and notes on
// a requirement that only the council sees.

// Offer expiry for an urgent requirement (a hospital discharge): the home
// has less time to answer, so the next one is asked sooner.
const (
	UrgentOfferExpiry    = 2 * time.Hour
	MaxUrgentOfferExpiry = 4 * time.Hour
)

// Urgency marks a requirement that cannot wait: a hospital discharge, or a
// carer breakdown, with the time the care is needed by.
type Urgency struct {
	RequirementID int64      `json:"requirement_id"`
	Urgent        bool       `json:"urgent"`
	NeededBy      *time.Time `json:"needed_by,omitempty"`
	Reason        string     `json:"reason"`
}

// Validate checks an urgency before it is set: an urgent requirement says
// why; "needed by" is optional but must not be in the past.
func (u *Urgency) Validate(now time.Time) error {
	u.Reason = strings.TrimSpace(u.Reason)
	f := map[string]string{}
	if u.Urgent {
		caremarket.CheckText(f, "urgent_reason", "reason it is urgent", u.Reason, true, MaxReasonLen)
		if u.NeededBy != nil && u.NeededBy.Before(now.Add(-time.Minute)) {
			f["needed_by"] = "The time the care is needed by must be in the future"
		}
	} else {
		u.NeededBy, u.Reason = nil, ""
	}
	return caremarket.Invalid(f)
}

// OfferExpiry is how long an offer stays open: what the broker asked for,
// or the default; an urgent requirement's offers default to 2 hours and
// may stay open at most 4.
func OfferExpiry(requested time.Duration, urgent bool) (time.Duration, error) {
	if !urgent {
		return requested, nil
	}
	if requested == 0 {
		return UrgentOfferExpiry, nil
	}
	if requested > MaxUrgentOfferExpiry {
		return 0, caremarket.Invalid(map[string]string{"expires_in_hours": "This requirement is urgent: its offer stays open at most 4 hours"})
	}
	return requested, nil
}

// Skipped is a location ranked above the one the broker chose.
type Skipped struct {
	LocationID   int64
	LocationName string
	ProviderID   int64
	Rank         int
}

// CheckChoice is the rule for choosing who is offered the care: the
// objective ranking decides (PA 2023 s.45(4)), so passing over an
// eligible location ranked higher at the current stage needs a reason,
// which is logged and reported to commissioning. It returns the locations
// passed over.
func CheckChoice(res *Result, chosen *Ranked, reason string) ([]Skipped, error) {
	if res == nil || chosen == nil {
		return nil, nil
	}
	var skipped []Skipped
	if st := res.Stage(res.Current); st != nil {
		for _, c := range st.Eligible {
			if c.Rank < chosen.Rank && c.LocationID != chosen.LocationID {
				skipped = append(skipped, Skipped{LocationID: c.LocationID, LocationName: c.LocationName, ProviderID: c.ProviderID, Rank: c.Rank})
			}
		}
	}
	if len(skipped) == 0 {
		return nil, nil
	}
	f := map[string]string{}
	caremarket.CheckText(f, "skip_reason", "reason for passing over higher-ranked homes", strings.TrimSpace(reason), true, MaxReasonLen)
	if len(f) > 0 {
		f["skip_reason"] = fmt.Sprintf("Say why %s is offered before %d higher-ranked %s", chosen.LocationName, len(skipped), plural(len(skipped), "location", "locations"))
	}
	return skipped, caremarket.Invalid(f)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// CheckWithdraw checks a broker's withdrawal of a pending offer.
func (o *Offer) CheckWithdraw(reason string) error {
	if o.Status != OfferPending {
		return caremarket.Errorf(caremarket.ECONFLICT, "This offer was %s: only an offer waiting for an answer can be withdrawn", o.Status)
	}
	f := map[string]string{}
	caremarket.CheckText(f, "withdraw_reason", "reason for withdrawing", strings.TrimSpace(reason), true, MaxReasonLen)
	return caremarket.Invalid(f)
}

// Extended is the new expiry of a pending offer given more time: at most
// 7 days after it was made (4 hours for an urgent requirement).
func (o *Offer) Extended(now time.Time, by time.Duration, urgent bool) (time.Time, error) {
	if err := o.CheckRespond(now); err != nil {
		return time.Time{}, err
	}
	limit, what := MaxOfferExpiry, "7 days"
	if urgent {
		limit, what = MaxUrgentOfferExpiry, "4 hours"
	}
	if by < MinOfferExpiry {
		return time.Time{}, caremarket.Invalid(map[string]string{"extend_hours": "Give the offer at least 1 more hour"})
	}
	next := o.ExpiresAt.Add(by)
	if next.Sub(o.OfferedAt) > limit {
		return time.Time{}, caremarket.Invalid(map[string]string{"extend_hours": "An offer stays open at most " + what + " from when it was made"})
	}
	return next, nil
}

// CanResend reports whether an answered or lapsed offer may be made again
// to the same location (while the requirement is still being sourced).
func (o *Offer) CanResend() bool {
	return o.Status == OfferDeclined || o.Status == OfferExpired || o.Status == OfferWithdrawn
}

// Note is a broker's note on a requirement: council staff only, never a
// provider.
type Note struct {
	ID            int64     `json:"id"`
	RequirementID int64     `json:"requirement_id"`
	Body          string    `json:"body"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
}

// CheckNote checks a note's text.
func CheckNote(body string) error {
	f := map[string]string{}
	caremarket.CheckText(f, "body", "note", strings.TrimSpace(body), true, MaxTextLen)
	return caremarket.Invalid(f)
}

// SkipReport is one location passed over in favour of a lower-ranked one:
// what commissioning is told.
type SkipReport struct {
	At            time.Time          `json:"at"`
	RequirementID int64              `json:"requirement_id"`
	CaseReference string             `json:"case_reference"`
	ServiceType   market.ServiceType `json:"service_type"`
	AreaName      string             `json:"area_name"`
	LocationID    int64              `json:"location_id"`
	LocationName  string             `json:"location_name"`
	ProviderName  string             `json:"provider_name"`
	Detail        string             `json:"detail"`
	By            string             `json:"by"`
}

// RequirementQuery searches the broker's board.
type RequirementQuery struct {
	Status        string // open, placed, cancelled; "" any
	AreaID        int64
	ServiceType   market.ServiceType
	Urgent        bool   // only urgent ones
	CaseReference string // the start of the case reference
	Page, PerPage int
}

// RequirementPage is one page of a search.
type RequirementPage struct {
	Requirements []Requirement `json:"items"`
	Urgency      []Urgency     `json:"urgency"`
	Total        int           `json:"total"`
	Page         int           `json:"page"`
	PerPage      int           `json:"per_page"`
}

// Normalise bounds a query's paging and trims its text.
func (q *RequirementQuery) Normalise() error {
	q.CaseReference = strings.TrimSpace(q.CaseReference)
	f := map[string]string{}
	if q.Status != "" && q.Status != StatusOpen && q.Status != StatusPlaced && q.Status != StatusCancelled {
		f["status"] = "Choose open, placed or cancelled"
	}
	if q.ServiceType != "" && !q.ServiceType.Valid() {
		f["service_type"] = "Choose a service type from the list"
	}
	if len(q.CaseReference) > MaxRefLen {
		f["case_reference"] = "A case reference is 40 characters or fewer"
	}
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PerPage <= 0 || q.PerPage > 100 {
		q.PerPage = 25
	}
	return caremarket.Invalid(f)
}

// OfferTitle names an offer as a heading and a link should: "Offer of a
// nursing place at Larch Hall", "Offer of homecare from Acme Care".
func OfferTitle(st market.ServiceType, locationName string) string {
	service := strings.ToLower(st.Label())
	if st.IsBedBased() {
		return "Offer of a " + service + " place at " + locationName
	}
	return "Offer of " + service + " from " + locationName
}

// Workflow is what storage provides for the broker's daily work. As with
// Store, every method takes the actor from ctx: brokers act; council staff
// read; a provider sees only its own offers' urgency, never notes.
type Workflow interface {
	SearchRequirements(ctx context.Context, q RequirementQuery) (*RequirementPage, error)
	SetUrgency(ctx context.Context, u *Urgency) error
	Urgencies(ctx context.Context, requirementIDs []int64) (map[int64]Urgency, error)
	WithdrawOffer(ctx context.Context, id int64, reason string) (*Offer, error)
	ExtendOffer(ctx context.Context, id int64, by time.Duration) (*Offer, error)
	ResendOffer(ctx context.Context, id int64, q OfferRequest) (*Offer, error)
	AddNote(ctx context.Context, requirementID int64, body string) (*Note, error)
	Notes(ctx context.Context, requirementID int64) ([]Note, error)
	SkipReports(ctx context.Context, limit int) ([]SkipReport, error)
}

package quality

import (
	"cmp"
	"slices"
	"time"

	"github.com/caremarket/caremarket/market"
)

// What performance is worked out from: the platform's own records, one
// entry per offer, competition invitation, placement, vacancy figure and
// week of home care delivered.

// OfferRec counts offers made to a provider's location that ended alike:
// N offers (0 counts as 1) with this status and decline reason.
type OfferRec struct {
	ProviderID int64
	LocationID int64
	Status     string // pending, accepted, declined, expired, withdrawn
	Reason     string // the decline reason
	N          int
}

// ResponseRec is one offer the provider accepted or declined, and how long
// it took, in whole minutes (storage works it out from the two times).
type ResponseRec struct {
	ProviderID int64
	LocationID int64
	Minutes    int
}

// PricedRec sums the accepted offers of a provider's location that had
// both a contracted price and a guide price on the day: how many, and the
// two totals in pence.
type PricedRec struct {
	ProviderID int64
	LocationID int64
	Offers     int
	Price      int64
	Guide      int64
}

// InviteRec is an invitation to a mini-competition and whether a bid came.
type InviteRec struct {
	ProviderID int64
	LocationID int64
	Bid        bool
}

// PlacementRec is a placement made with a provider, with the days from its
// start to the notice of a hand-back and to its end (-1: none).
type PlacementRec struct {
	ProviderID  int64
	LocationID  int64
	Status      string // active, ended, handed_back, moved
	OffContract bool
	NoticeDay   int
	EndDay      int
}

// VacancyRec is a location's vacancy figure and how old it is.
type VacancyRec struct {
	ProviderID int64
	LocationID int64
	AgeMinutes int
}

// DeliveryRec is a placement's home care over the weeks an electronic call
// monitoring export covered: minutes commissioned and delivered.
type DeliveryRec struct {
	ProviderID   int64
	LocationID   int64
	Commissioned int
	Delivered    int
}

// PerfInput is every record of a period (the caller picks the period and
// the provider, location or lot).
type PerfInput struct {
	Offers     []OfferRec
	Responses  []ResponseRec
	Priced     []PricedRec
	Invites    []InviteRec
	Placements []PlacementRec
	Vacancies  []VacancyRec
	Deliveries []DeliveryRec
}

// ReasonCount is a decline reason and how often it was given.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// Figures are a provider's (or location's, or lot's) performance.
type Figures struct {
	Offers                int           `json:"offers"`
	Responded             int           `json:"responded"`
	MedianResponseMinutes int           `json:"median_response_minutes"`
	P90ResponseMinutes    int           `json:"p90_response_minutes"`
	Accepted              int           `json:"accepted"`
	Declined              int           `json:"declined"`
	Expired               int           `json:"expired"`
	AcceptanceRateBP      int           `json:"acceptance_rate_bp"`
	DeclineReasons        []ReasonCount `json:"decline_reasons"`
	Invitations           int           `json:"invitations"`
	Bids                  int           `json:"bids"`
	BidRateBP             int           `json:"bid_rate_bp"`
	Placements            int           `json:"placements"`
	HandBacks28d          int           `json:"hand_backs_28d"`
	EndedEarly            int           `json:"ended_early"`
	OffContract           int           `json:"off_contract"`
	OffContractShareBP    int           `json:"off_contract_share_bp"`
	PricedOffers          int           `json:"priced_offers"`
	PriceVsGuideBP        int           `json:"price_vs_guide_bp"`
	VacancyFigures        int           `json:"vacancy_figures"`
	StaleVacancies        int           `json:"stale_vacancies"`
	MedianVacancyAgeHours int           `json:"median_vacancy_age_hours"`
	CommissionedMinutes   int           `json:"commissioned_minutes"`
	DeliveredMinutes      int           `json:"delivered_minutes"`
	DeliveredBP           int           `json:"delivered_bp"`
}

// The rules of the figures.
const (
	// HandBackDays: a placement handed back (notice given) within 28 days
	// of its start.
	HandBackDays = 28
	// EarlyEndDays: a placement ended (other than handed back or moved to
	// contract) within 12 weeks of its start ended early.
	EarlyEndDays = 84
)

// bp is part/whole in basis points (1% = 100), rounded half up; 0 when
// whole is 0.
func bp(part, whole int64) int {
	if whole == 0 {
		return 0
	}
	neg := part < 0
	if neg {
		part = -part
	}
	v := int((part*20000 + whole) / (2 * whole))
	if neg {
		return -v
	}
	return v
}

// nearestRank is the p-th percentile (p in per cent) of sorted by the
// nearest-rank method: the value at rank ceil(p/100 x n). The median is the
// 50th percentile, so of an even count it is the lower middle value.
//
//	[5 10 20 40]: median rank ceil(2.0)=2 -> 10; 90th rank ceil(3.6)=4 -> 40
//	[7]: median and 90th are both 7
func nearestRank(sorted []int, p int) int {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

// Compute works out the figures of one set of records.
func Compute(in *PerfInput) Figures {
	var f Figures
	var minutes []int
	reasons := map[string]int{}
	for i := range in.Offers {
		o := &in.Offers[i]
		if o.Status == "withdrawn" || o.Status == "pending" {
			continue
		}
		n := max(o.N, 1)
		f.Offers += n
		switch o.Status {
		case "accepted":
			f.Accepted += n
		case "declined":
			f.Declined += n
			r := o.Reason
			if r == "" {
				r = "No reason given"
			}
			reasons[r] += n
		case "expired":
			f.Expired += n
		}
	}
	for _, r := range in.Responses {
		f.Responded++
		minutes = append(minutes, max(r.Minutes, 0))
	}
	slices.Sort(minutes)
	f.MedianResponseMinutes, f.P90ResponseMinutes = nearestRank(minutes, 50), nearestRank(minutes, 90)
	f.AcceptanceRateBP = bp(int64(f.Accepted), int64(f.Offers))
	var price, guide int64
	for _, p := range in.Priced {
		f.PricedOffers += p.Offers
		price += p.Price
		guide += p.Guide
	}
	f.PriceVsGuideBP = bp(price-guide, guide)
	f.DeclineReasons = []ReasonCount{}
	for r, n := range reasons {
		f.DeclineReasons = append(f.DeclineReasons, ReasonCount{r, n})
	}
	slices.SortFunc(f.DeclineReasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	for _, iv := range in.Invites {
		f.Invitations++
		if iv.Bid {
			f.Bids++
		}
	}
	f.BidRateBP = bp(int64(f.Bids), int64(f.Invitations))
	for i := range in.Placements {
		p := &in.Placements[i]
		f.Placements++
		if p.OffContract {
			f.OffContract++
		}
		switch {
		case p.Status == "handed_back" && p.NoticeDay >= 0 && p.NoticeDay <= HandBackDays:
			f.HandBacks28d++
		case p.Status == "ended" && p.EndDay >= 0 && p.EndDay < EarlyEndDays:
			f.EndedEarly++
		}
	}
	f.OffContractShareBP = bp(int64(f.OffContract), int64(f.Placements))
	var ages []int
	stale := int(market.StaleAfter / time.Minute)
	for _, v := range in.Vacancies {
		f.VacancyFigures++
		if v.AgeMinutes > stale {
			f.StaleVacancies++
		}
		ages = append(ages, max(v.AgeMinutes/60, 0))
	}
	slices.Sort(ages)
	f.MedianVacancyAgeHours = nearestRank(ages, 50)
	for _, d := range in.Deliveries {
		f.CommissionedMinutes += d.Commissioned
		f.DeliveredMinutes += d.Delivered
	}
	f.DeliveredBP = bp(int64(f.DeliveredMinutes), int64(f.CommissionedMinutes))
	return f
}

// Split groups the records by key (the provider, or the location), so each
// group's figures are Compute of its part.
func Split(in *PerfInput, key func(provider, location int64) int64) map[int64]*PerfInput {
	out := map[int64]*PerfInput{}
	get := func(p, l int64) *PerfInput {
		k := key(p, l)
		g := out[k]
		if g == nil {
			g = &PerfInput{}
			out[k] = g
		}
		return g
	}
	for _, o := range in.Offers {
		g := get(o.ProviderID, o.LocationID)
		g.Offers = append(g.Offers, o)
	}
	for _, r := range in.Responses {
		g := get(r.ProviderID, r.LocationID)
		g.Responses = append(g.Responses, r)
	}
	for _, p := range in.Priced {
		g := get(p.ProviderID, p.LocationID)
		g.Priced = append(g.Priced, p)
	}
	for _, v := range in.Invites {
		g := get(v.ProviderID, v.LocationID)
		g.Invites = append(g.Invites, v)
	}
	for _, p := range in.Placements {
		g := get(p.ProviderID, p.LocationID)
		g.Placements = append(g.Placements, p)
	}
	for _, v := range in.Vacancies {
		g := get(v.ProviderID, v.LocationID)
		g.Vacancies = append(g.Vacancies, v)
	}
	for _, d := range in.Deliveries {
		g := get(d.ProviderID, d.LocationID)
		g.Deliveries = append(g.Deliveries, d)
	}
	return out
}

// ByProvider and ByLocation are Split's keys.
func ByProvider(p, _ int64) int64 { return p }
func ByLocation(_, l int64) int64 { return l }

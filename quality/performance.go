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

// Totals are a set of records added up: what the figures are worked out
// from. Compute adds up records; storage's daily summary adds up days.
type Totals struct {
	Accepted, Declined, Expired int
	// Reasons counts declines by reason ("" is no reason given).
	Reasons map[string]int
	// Minutes is each accepted or declined offer's answer time, in any order.
	Minutes                 []int
	PricedOffers            int
	Price, Guide            int64
	Invitations, Bids       int
	Placements, OffContract int
	HandBacks28d            int
	EndedEarly              int
	// VacancyAges are the vacancy figures' ages in minutes, in any order.
	VacancyAges             []int
	Commissioned, Delivered int
}

// Compute works out the figures of one set of records.
func Compute(in *PerfInput) Figures {
	t := Totals{Reasons: map[string]int{}}
	for i := range in.Offers {
		o := &in.Offers[i]
		n := max(o.N, 1)
		switch o.Status {
		case "accepted":
			t.Accepted += n
		case "declined":
			t.Declined += n
			t.Reasons[o.Reason] += n
		case "expired":
			t.Expired += n
		}
	}
	for _, r := range in.Responses {
		t.Minutes = append(t.Minutes, r.Minutes)
	}
	for _, p := range in.Priced {
		t.PricedOffers += p.Offers
		t.Price += p.Price
		t.Guide += p.Guide
	}
	for _, iv := range in.Invites {
		t.Invitations++
		if iv.Bid {
			t.Bids++
		}
	}
	for i := range in.Placements {
		p := &in.Placements[i]
		t.Placements++
		if p.OffContract {
			t.OffContract++
		}
		switch {
		case HandedBackEarly(p.Status, p.NoticeDay):
			t.HandBacks28d++
		case EndedEarly(p.Status, p.EndDay):
			t.EndedEarly++
		}
	}
	for _, v := range in.Vacancies {
		t.VacancyAges = append(t.VacancyAges, v.AgeMinutes)
	}
	for _, d := range in.Deliveries {
		t.Commissioned += d.Commissioned
		t.Delivered += d.Delivered
	}
	return t.Figures()
}

// HandedBackEarly: a placement handed back with notice given within
// HandBackDays of its start (noticeDay -1: no notice).
func HandedBackEarly(status string, noticeDay int) bool {
	return status == "handed_back" && noticeDay >= 0 && noticeDay <= HandBackDays
}

// EndedEarly: a placement ended (not handed back or moved to contract)
// less than EarlyEndDays after its start (endDay -1: no end).
func EndedEarly(status string, endDay int) bool {
	return status == "ended" && endDay >= 0 && endDay < EarlyEndDays
}

// Figures works out the figures of the totals. It sorts Minutes and
// VacancyAges in place.
func (t *Totals) Figures() Figures {
	var f Figures
	f.Accepted, f.Declined, f.Expired = t.Accepted, t.Declined, t.Expired
	f.Offers = t.Accepted + t.Declined + t.Expired
	f.Responded = len(t.Minutes)
	for i, m := range t.Minutes {
		t.Minutes[i] = max(m, 0)
	}
	slices.Sort(t.Minutes)
	f.MedianResponseMinutes, f.P90ResponseMinutes = nearestRank(t.Minutes, 50), nearestRank(t.Minutes, 90)
	f.AcceptanceRateBP = bp(int64(f.Accepted), int64(f.Offers))
	f.PricedOffers = t.PricedOffers
	f.PriceVsGuideBP = bp(t.Price-t.Guide, t.Guide)
	f.DeclineReasons = make([]ReasonCount, 0, len(t.Reasons))
	for r, n := range t.Reasons {
		if r == "" {
			r = "No reason given"
		}
		if i := slices.IndexFunc(f.DeclineReasons, func(c ReasonCount) bool { return c.Reason == r }); i >= 0 {
			f.DeclineReasons[i].Count += n
			continue
		}
		f.DeclineReasons = append(f.DeclineReasons, ReasonCount{r, n})
	}
	slices.SortFunc(f.DeclineReasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	f.Invitations, f.Bids = t.Invitations, t.Bids
	f.BidRateBP = bp(int64(f.Bids), int64(f.Invitations))
	f.Placements, f.OffContract, f.HandBacks28d, f.EndedEarly = t.Placements, t.OffContract, t.HandBacks28d, t.EndedEarly
	f.OffContractShareBP = bp(int64(f.OffContract), int64(f.Placements))
	stale := int(market.StaleAfter / time.Minute)
	ages := make([]int, 0, len(t.VacancyAges))
	for _, a := range t.VacancyAges {
		f.VacancyFigures++
		if a > stale {
			f.StaleVacancies++
		}
		ages = append(ages, max(a/60, 0))
	}
	slices.Sort(ages)
	f.MedianVacancyAgeHours = nearestRank(ages, 50)
	f.CommissionedMinutes, f.DeliveredMinutes = t.Commissioned, t.Delivered
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
	into(in.Offers, func(o OfferRec) *[]OfferRec { return &get(o.ProviderID, o.LocationID).Offers })
	into(in.Responses, func(r ResponseRec) *[]ResponseRec { return &get(r.ProviderID, r.LocationID).Responses })
	into(in.Priced, func(p PricedRec) *[]PricedRec { return &get(p.ProviderID, p.LocationID).Priced })
	into(in.Invites, func(v InviteRec) *[]InviteRec { return &get(v.ProviderID, v.LocationID).Invites })
	into(in.Placements, func(p PlacementRec) *[]PlacementRec { return &get(p.ProviderID, p.LocationID).Placements })
	into(in.Vacancies, func(v VacancyRec) *[]VacancyRec { return &get(v.ProviderID, v.LocationID).Vacancies })
	into(in.Deliveries, func(d DeliveryRec) *[]DeliveryRec { return &get(d.ProviderID, d.LocationID).Deliveries })
	return out
}

// into appends each record to the list that pick chooses for it.
func into[T any](recs []T, pick func(T) *[]T) {
	for _, r := range recs {
		list := pick(r)
		*list = append(*list, r)
	}
}

// ByProvider and ByLocation are Split's keys.
func ByProvider(p, _ int64) int64 { return p }
func ByLocation(_, l int64) int64 { return l }

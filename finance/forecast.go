package finance

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/pricing"
)

// The forecast: for each budget line, this year and the next N, four
// parts. Live placements continue until their expected end (learned from
// the council's ended placements); new placements arrive at the rate of
// the last twelve months, grown by a demand-growth rate; prices move by
// the uplift assumptions (the National Living Wage for the staff share of
// cost, inflation for the rest); and in a DPS-style market new placements
// are priced at the market's median, drifting at the rate measured from
// its price rounds. A forecast is an estimate: it is worked in floating
// point and each figure is rounded to the penny once, at the end.

// NewPricing says how new placements are priced.
type NewPricing string

const (
	// AtMarketMedian: the market's median price for new placements,
	// drifting at the measured rate (the status quo under a DPS).
	AtMarketMedian NewPricing = "market_median"
	// AtGuidePrice: the council's guide price plus uplifts only (an Open
	// Framework whose call-off terms hold providers to the guide).
	AtGuidePrice NewPricing = "guide_price"
)

// Assumptions is a named, saved set of forecast assumptions.
type Assumptions struct {
	ID             int64      `json:"id"`
	Name           string     `json:"name"`
	Author         string     `json:"author"`
	CreatedAt      time.Time  `json:"created_at"`
	Years          int        `json:"years"`            // next N years after this one
	DemandGrowthBP int64      `json:"demand_growth_bp"` // new placements a year, growth per year
	InflationBP    int64      `json:"inflation_bp"`     // non-staff costs, and pay beyond the NLW table
	StaffShareBP   int64      `json:"staff_share_bp"`   // share of a price that is pay, moving with the NLW
	NewPricing     NewPricing `json:"new_pricing"`
	// DriftBP is the market's price drift a year for new placements;
	// -1 uses the rate measured from the price rounds.
	DriftBP int64 `json:"drift_bp"`
	// GuideBP is the guide price as a share of today's market median
	// for new placements (10000 = the same); 0 uses the guide prices.
	GuideBP int64 `json:"guide_bp"`
}

// DefaultAssumptions: 4 years ahead, 2% demand growth, 3% inflation, pay
// 60% of a price, new placements at the market median and measured drift.
func DefaultAssumptions() Assumptions {
	return Assumptions{Name: "Council defaults", Years: 4, DemandGrowthBP: 200, InflationBP: 300, StaffShareBP: 6000,
		NewPricing: AtMarketMedian, DriftBP: -1}
}

// Validate checks the assumptions are within sense.
func (a *Assumptions) Validate() error {
	a.Name = strings.TrimSpace(a.Name)
	f := map[string]string{}
	caremarket.CheckText(f, "name", "name of the assumptions", a.Name, true, MaxNameLen)
	if a.Years < 0 || a.Years > 10 {
		f["years"] = "Forecast from 0 to 10 years ahead"
	}
	pct := func(key, label string, v, lo, hi int64) {
		if v < lo || v > hi {
			f[key] = fmt.Sprintf("%s must be between %s and %s", label, pricing.BP(lo), pricing.BP(hi))
		}
	}
	pct("demand_growth", "Demand growth", a.DemandGrowthBP, -5000, 5000)
	pct("inflation", "Inflation", a.InflationBP, -2000, 5000)
	pct("staff_share", "Staff share", a.StaffShareBP, 0, 10000)
	if a.DriftBP != -1 {
		pct("drift", "Price drift", a.DriftBP, -5000, 5000)
	}
	pct("guide", "Guide price against the median", a.GuideBP, 0, 20000)
	if a.NewPricing != AtMarketMedian && a.NewPricing != AtGuidePrice {
		f["new_pricing"] = "Choose how new placements are priced"
	}
	return caremarket.Invalid(f)
}

// Stay is the expected length of stay of a service type, learned from
// the council's placements: Count ended placements, and the mean stay.
type Stay struct {
	Count int
	Mean  float64
}

// StayWindowYears is how far back stays are learned from.
const StayWindowYears = 3

// LearnStay learns the mean length of stay (days) from a window of the
// council's history: the placements that ended in it (ended) and every
// day a placement was live in it, ended or not (exposure). A placement
// still live has not ended yet, and one that started before the window
// stayed days before it, so ended placements' lengths alone would favour
// short stays; for stays taken as exponential the mean is the days lived
// in the window over the number that ended in it.
func LearnStay(ended int, exposure int64) Stay {
	s := Stay{Count: ended}
	if ended > 0 {
		s.Mean = float64(exposure) / float64(ended)
	}
	return s
}

// DefaultStayDays is used where the council has no ended placements of a
// service type to learn from (two years).
const DefaultStayDays = 730

// MeanDays is the mean length of stay, or the default without data.
func (s Stay) MeanDays() float64 {
	if s.Count == 0 {
		return DefaultStayDays
	}
	return s.Mean
}

// Remaining is the expected further stay of a placement already age days
// long. Stays are taken as exponential, which has no memory: a placement
// still live is expected to stay the mean again, whatever its age.
func (s Stay) Remaining(age int64) float64 { return s.MeanDays() }

// RoundMedian is a price round's median approved price and its date.
type RoundMedian struct {
	From   time.Time
	Median Money
}

// Drift measures the market's price drift a year from its price rounds:
// the compound yearly growth of the median from the first round to the
// last. Fewer than two rounds, or rounds less than six months apart,
// measure nothing (0).
func Drift(rounds []RoundMedian) int64 {
	if len(rounds) < 2 {
		return 0
	}
	rs := append([]RoundMedian(nil), rounds...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].From.Before(rs[j].From) })
	a, b := rs[0], rs[len(rs)-1]
	yrs := b.From.Sub(a.From).Hours() / 24 / 365.25
	if yrs < 0.5 || a.Median <= 0 {
		return 0
	}
	return int64(math.Round((math.Pow(float64(b.Median)/float64(a.Median), 1/yrs) - 1) * 10000))
}

// Uplift is the price movement from one financial year to the next: the
// staff share moves with the National Living Wage (its rise that April,
// from the NLW table, or inflation beyond the table), the rest with
// inflation. In basis points.
func Uplift(a Assumptions, y Year) int64 {
	infl := float64(a.InflationBP) / 10000
	nlw := infl
	if cur, ok := pricing.NLWOn(y.Start()); ok && YearOf(cur.EffectiveFrom) == y {
		if prev, ok := pricing.NLWOn(y.Start().AddDate(-1, 0, 0)); ok && prev.Hourly > 0 && cur.EffectiveFrom.After(prev.EffectiveFrom) {
			nlw = float64(cur.Hourly)/float64(prev.Hourly) - 1
		}
	}
	share := float64(a.StaffShareBP) / 10000
	return int64(math.Round((share*nlw + (1-share)*infl) * 10000))
}

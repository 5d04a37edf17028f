package pricing

import (
	"cmp"
	"math/big"
	"slices"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Uplift kinds (DOMAIN.md "Uplift": a yearly change for the National Living
// Wage or inflation).
const (
	UpliftPercent = "percent" // every price rises by Percent
	UpliftNLW     = "nlw"     // the pay share of every price rises with the NLW
)

// WeeksPerYear turns weekly amounts into whole-year ones. Councils state a
// whole-year cost as 52 weekly payments (the committee's whole-year figures reproduce
// with 52, see testdata/README.md).
const WeeksPerYear = 52

// UpliftRule is how an uplift changes a price.
type UpliftRule struct {
	Kind string `json:"kind"`
	// Percent is the rise for a percent uplift.
	Percent BP `json:"percent_bp,omitempty"`
	// StaffShare is the share of a price that is pay, for an NLW uplift: only
	// that share rises, by the NLW's own rise from NLWFrom to NLWTo.
	StaffShare BP          `json:"staff_share_bp,omitempty"`
	NLWFrom    money.Money `json:"nlw_from_pence,omitempty"`
	NLWTo      money.Money `json:"nlw_to_pence,omitempty"`
}

// NLWRule is the NLW uplift for prices from day: the rise from the rate in
// force the day before to the rate in force on day, on staffShare of prices.
func NLWRule(day time.Time, staffShare BP) (UpliftRule, error) {
	to, ok1 := NLWOn(day)
	from, ok2 := NLWOn(dateOf(day).AddDate(0, 0, -1))
	if !ok1 || !ok2 {
		return UpliftRule{}, caremarket.Errorf(caremarket.EINVALID, "There is no National Living Wage change to follow on %s", day.Format("2 January 2006"))
	}
	return UpliftRule{Kind: UpliftNLW, StaffShare: staffShare, NLWFrom: from.Hourly, NLWTo: to.Hourly}, nil
}

// Validate checks a rule.
func (u UpliftRule) Validate() error {
	f := map[string]string{}
	switch u.Kind {
	case UpliftPercent:
		if u.Percent < -5000 || u.Percent > 5000 {
			f["percent"] = "The uplift must be between -50% and 50%"
		}
	case UpliftNLW:
		if u.StaffShare <= 0 || u.StaffShare > 10000 {
			f["staff_share"] = "The share of the price that is pay must be more than 0% and at most 100%"
		}
		if u.NLWFrom <= 0 || u.NLWTo <= 0 {
			f["effective_from"] = "Choose a date on which the National Living Wage changed (1 April)"
		}
	default:
		f["kind"] = "Choose a percentage uplift or one that follows the National Living Wage"
	}
	return caremarket.Invalid(f)
}

// Rate is the exact fractional rise the rule gives every price.
func (u UpliftRule) Rate() *big.Rat {
	if u.Kind == UpliftNLW {
		if u.NLWFrom <= 0 {
			return new(big.Rat)
		}
		rise := big.NewRat(int64(u.NLWTo-u.NLWFrom), int64(u.NLWFrom))
		return rise.Mul(rise, u.StaffShare.Rat())
	}
	return u.Percent.Rat()
}

// RateBP is Rate to the nearest basis point, for display.
func (u UpliftRule) RateBP() BP {
	r := u.Rate()
	return BP(money.RoundRat(r.Mul(r, big.NewRat(10000, 1))))
}

// Apply returns the uplifted price: price x (1 + rate), rounded to the penny
// once. Preview and the applying transaction both call it, so a preview is
// the effect applying will have.
func (u UpliftRule) Apply(price money.Money) money.Money {
	r := new(big.Rat).Add(big.NewRat(1, 1), u.Rate())
	return money.RoundRat(r.Mul(r, price.Rat()))
}

// Kinds of UpliftItem.
const (
	UpliftGuide      = "guide"
	UpliftContracted = "contracted"
	// UpliftPlacement is a live placement's weekly cost to the council (a
	// third-party top-up is not the council's cost and is not uplifted).
	UpliftPlacement = "placement"
)

// UpliftItem is one price an uplift changes.
type UpliftItem struct {
	Kind        string             `json:"kind"` // guide, contracted, placement
	ID          int64              `json:"id"`
	Label       string             `json:"label"`
	ServiceType market.ServiceType `json:"service_type"`
	Basis       Basis              `json:"basis"`
	Price       money.Money        `json:"price_pence"`
	// UnitsPerWeek is how many of the price are bought a week (beds, or
	// hours for an hourly price), for the whole-year cost. 1 when unknown.
	UnitsPerWeek Dec `json:"units_per_week"`
}

// UpliftEffect is what an uplift does to one item.
type UpliftEffect struct {
	UpliftItem
	New    money.Money `json:"new_price_pence"`
	Change money.Money `json:"change_pence"`
	// AnnualChange is Change x units a week x 52, rounded once.
	AnnualChange money.Money `json:"annual_change_pence"`
}

// PlacementUplift is an uplift's effect on the live placements of one
// service type: their weekly cost to the council before and after, and the
// whole-year change (the weekly change x 52).
type PlacementUplift struct {
	ServiceType  market.ServiceType `json:"service_type"`
	Placements   int                `json:"placements"`
	WeeklyBefore money.Money        `json:"weekly_before_pence"`
	WeeklyAfter  money.Money        `json:"weekly_after_pence"`
	WeeklyChange money.Money        `json:"weekly_change_pence"`
	AnnualChange money.Money        `json:"annual_change_pence"`
}

// UpliftPreview is the effect of an uplift on a set of prices.
type UpliftPreview struct {
	Rule              UpliftRule     `json:"rule"`
	RateBP            BP             `json:"rate_bp"`
	Items             []UpliftEffect `json:"items"`
	TotalAnnualChange money.Money    `json:"total_annual_change_pence"`
	// Placements is the effect on live placements by service type, and
	// PlacementsAnnualChange its whole-year total: the uplift's cost to the
	// council for the care it already buys.
	Placements             []PlacementUplift `json:"placements"`
	PlacementsAnnualChange money.Money       `json:"placements_annual_change_pence"`
}

// Preview works out the uplift's effect on items; applying the uplift writes
// exactly Items[i].New for each. It is CheckedPreview for items known to be
// within bounds: an error leaves the preview as far as it got.
func (u UpliftRule) Preview(items []UpliftItem) UpliftPreview {
	p, _ := u.CheckedPreview(items)
	return p
}

// CheckedPreview is Preview with every amount checked: a price beyond the
// bound for its basis (a weekly cost over £100,000, an hourly rate over
// £1,000, or negative), however it got into the database, is refused
// naming the item, and no total can wrap round to a negative figure.
func (u UpliftRule) CheckedPreview(items []UpliftItem) (UpliftPreview, error) {
	p := UpliftPreview{Rule: u, RateBP: u.RateBP(), Items: make([]UpliftEffect, 0, len(items)), Placements: []PlacementUplift{}}
	groups := map[market.ServiceType]*PlacementUplift{}
	var total, placementsTotal Sum
	sums := map[market.ServiceType]*[4]Sum{}
	for _, it := range items {
		if it.UnitsPerWeek == 0 {
			it.UnitsPerWeek = D(1)
		}
		if max := MaxFor(it.Basis); it.Price < 0 || it.Price > max || it.UnitsPerWeek < 0 || it.UnitsPerWeek > D(maxUnitsPerWeek) {
			return p, caremarket.Errorf(caremarket.EINVALID, "The uplift cannot be worked out: %s %d (%s) has a price of %s %s, outside £0.00 to %s; correct it first",
				it.Kind, it.ID, it.Label, it.Price, it.Basis.Label(), max)
		}
		n := u.Apply(it.Price)
		annual, ok := RoundRatChecked(mul(mul(money.Money(n-it.Price).Rat(), it.UnitsPerWeek.Rat()), big.NewRat(WeeksPerYear, 1)))
		if !ok {
			return p, errOverflow("The whole-year change")
		}
		p.Items = append(p.Items, UpliftEffect{UpliftItem: it, New: n, Change: n - it.Price, AnnualChange: annual})
		total.Add(annual)
		if it.Kind == UpliftPlacement {
			g := groups[it.ServiceType]
			if g == nil {
				g = &PlacementUplift{ServiceType: it.ServiceType}
				groups[it.ServiceType] = g
				sums[it.ServiceType] = &[4]Sum{}
			}
			g.Placements++
			s := sums[it.ServiceType]
			s[0].Add(it.Price)
			s[1].Add(n)
			s[2].Add(n - it.Price)
			s[3].Add(annual)
			placementsTotal.Add(annual)
		}
	}
	var err error
	for st, g := range groups {
		s := sums[st]
		for i, dst := range []*money.Money{&g.WeeklyBefore, &g.WeeklyAfter, &g.WeeklyChange, &g.AnnualChange} {
			if *dst, err = s[i].Total("The placements' total"); err != nil {
				return p, err
			}
		}
		p.Placements = append(p.Placements, *g)
	}
	if p.TotalAnnualChange, err = total.Total("The whole-year change"); err != nil {
		return p, err
	}
	if p.PlacementsAnnualChange, err = placementsTotal.Total("The placements' whole-year change"); err != nil {
		return p, err
	}
	slices.SortFunc(p.Placements, func(a, b PlacementUplift) int { return cmp.Compare(a.ServiceType, b.ServiceType) })
	return p, nil
}

// maxUnitsPerWeek bounds how many of a price are bought a week: hours in a
// week, for the most intensive hourly package (four carers round the clock).
const maxUnitsPerWeek = 24 * 7 * 4

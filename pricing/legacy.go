package pricing

import (
	"cmp"
	"slices"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Legacy migration impact (homes on old terms moving to the cost model): placements bought on old terms
// move onto the contract at the current guide price. Some go down, some go
// up; the net whole-year change is the cost of stabilising prices.

// LegacyPlacement is one placement on legacy terms.
type LegacyPlacement struct {
	Line        int                `json:"line,omitempty"`
	Home        string             `json:"home"`
	Reference   string             `json:"reference"`
	ServiceType market.ServiceType `json:"service_type"`
	Band        string             `json:"band"`
	Current     money.Money        `json:"current_weekly_pence"`
	Guide       money.Money        `json:"guide_weekly_pence"`
}

// HomeImpact sums one home's placements.
type HomeImpact struct {
	Home       string      `json:"home"`
	Placements int         `json:"placements"`
	Current    money.Money `json:"current_weekly_pence"`
	New        money.Money `json:"new_weekly_pence"`
	Change     money.Money `json:"change_weekly_pence"`
}

// LegacyImpact is the effect of moving every placement to its guide price.
type LegacyImpact struct {
	Placements int `json:"placements"`
	Homes      int `json:"homes"`
	Up         int `json:"up"`
	Down       int `json:"down"`
	Unchanged  int `json:"unchanged"`
	// Shares of placements going down / up, by number and by current cost.
	DownShare     BP `json:"down_share_bp"`
	UpShare       BP `json:"up_share_bp"`
	DownCostShare BP `json:"down_cost_share_bp"`
	UpCostShare   BP `json:"up_cost_share_bp"`

	CurrentWeekly  money.Money `json:"current_weekly_pence"`
	NewWeekly      money.Money `json:"new_weekly_pence"`
	ChangeWeekly   money.Money `json:"change_weekly_pence"`
	IncreaseWeekly money.Money `json:"increase_weekly_pence"` // sum of rises
	DecreaseWeekly money.Money `json:"decrease_weekly_pence"` // sum of falls (negative)
	LargestRise    money.Money `json:"largest_rise_pence"`
	LargestFall    money.Money `json:"largest_fall_pence"` // negative

	// Whole-year figures are weekly x 52 (WeeksPerYear), exact in pence.
	CurrentYear money.Money `json:"current_year_pence"`
	NewYear     money.Money `json:"new_year_pence"`
	ChangeYear  money.Money `json:"change_year_pence"`

	ByHome []HomeImpact `json:"by_home"`
}

// Impact works out the effect of moving placements to their guide prices.
func Impact(ps []LegacyPlacement) LegacyImpact {
	var r LegacyImpact
	homes := map[string]int{}
	var downCost, upCost money.Money
	for _, p := range ps {
		d := p.Guide - p.Current
		r.Placements++
		r.CurrentWeekly += p.Current
		r.NewWeekly += p.Guide
		switch {
		case d > 0:
			r.Up++
			r.IncreaseWeekly += d
			upCost += p.Current
			r.LargestRise = max(r.LargestRise, d)
		case d < 0:
			r.Down++
			r.DecreaseWeekly += d
			downCost += p.Current
			r.LargestFall = min(r.LargestFall, d)
		default:
			r.Unchanged++
		}
		i, ok := homes[p.Home]
		if !ok {
			i = len(r.ByHome)
			homes[p.Home] = i
			r.ByHome = append(r.ByHome, HomeImpact{Home: p.Home})
		}
		h := &r.ByHome[i]
		h.Placements++
		h.Current += p.Current
		h.New += p.Guide
		h.Change += d
	}
	r.Homes = len(r.ByHome)
	r.ChangeWeekly = r.NewWeekly - r.CurrentWeekly
	r.CurrentYear, r.NewYear, r.ChangeYear = r.CurrentWeekly*WeeksPerYear, r.NewWeekly*WeeksPerYear, r.ChangeWeekly*WeeksPerYear
	if r.Placements > 0 {
		r.DownShare = BP(roundDiv(int64(r.Down)*10000, int64(r.Placements)))
		r.UpShare = BP(roundDiv(int64(r.Up)*10000, int64(r.Placements)))
	}
	if r.CurrentWeekly > 0 {
		r.DownCostShare = BP(roundDiv(int64(downCost)*10000, int64(r.CurrentWeekly)))
		r.UpCostShare = BP(roundDiv(int64(upCost)*10000, int64(r.CurrentWeekly)))
	}
	slices.SortStableFunc(r.ByHome, func(a, b HomeImpact) int { return cmp.Compare(b.Change, a.Change) })
	return r
}

package finance

import (
	"math"
	"testing"
	"time"

	"github.com/caremarket/caremarket/market"
)

func TestStay(t *testing.T) {
	// Three ended in the window, 1,200 days lived in it by every
	// placement: 400 days.
	s := LearnStay(3, 1200)
	if s.Count != 3 || s.MeanDays() != 400 || s.Remaining(1000) != 400 {
		t.Errorf("stay = %+v", s)
	}
	if (Stay{}).MeanDays() != DefaultStayDays {
		t.Error("no data: default")
	}
}

func TestDrift(t *testing.T) {
	// The median went from £1,000 to £1,210 in two years: 10% a year.
	got := Drift([]RoundMedian{{d("2024-04-01"), 100000}, {d("2025-04-01"), 110000}, {d("2026-04-01"), 121000}})
	if got < 999 || got > 1001 {
		t.Errorf("drift = %d", got)
	}
	if Drift([]RoundMedian{{d("2024-04-01"), 100000}}) != 0 {
		t.Error("one round measures nothing")
	}
}

func TestUplift(t *testing.T) {
	a := Assumptions{InflationBP: 300, StaffShareBP: 0}
	if got := Uplift(a, 2030); got != 300 {
		t.Errorf("no pay share: %d", got)
	}
	// Beyond the NLW table pay moves with inflation too.
	a.StaffShareBP = 6000
	if got := Uplift(a, 2031); got != 300 {
		t.Errorf("beyond the table: %d", got)
	}
}

func TestForecast(t *testing.T) {
	today := d("2026-12-05")
	a := Assumptions{Name: "flat", Years: 1, NewPricing: AtMarketMedian}
	end := d("2027-01-31")
	in := LineInput{
		Name: "Older people nursing",
		Live: []Placement{
			// Ends 31 January: 6 December to 31 January is 57 days at £700:
			// 70,000 x 57 / 7 = 570,000p.
			{ID: 1, ServiceType: market.Nursing, Start: d("2025-01-01"), End: &end, Prices: []Price{{70000, d("2025-01-01")}}},
		},
		ToDate:  1000000,
		Budgets: map[Year]Money{2026: 1500000, 2027: 0},
	}
	f := Forecast(in, a, today, 0)
	y := f.Years[0]
	if y.Continuing != 570000 || y.New != 0 || y.Forecast != 1570000 || y.Variance != 70000 {
		t.Errorf("this year = %+v", y)
	}
	if f.Years[1].Forecast != 0 {
		t.Errorf("next year = %+v", f.Years[1])
	}
	// New placements: 12 a year at £700, each staying the default two
	// years; the first cohort starts 15 December.
	in.Live, in.Starts, in.NewWeekly = nil, 12, 70000
	f = Forecast(in, a, today, 0)
	// Next year: 12 cohorts of 1 (15 December ... 15 November) all live
	// through parts of 2027/28; the December and January ones all year.
	if f.Years[1].New <= 0 || f.Years[1].NewStarts != 12 {
		t.Errorf("new next year = %+v", f.Years[1])
	}
	// The framework prices new placements at a guide 10% below the median.
	b := a
	b.NewPricing, b.GuideBP = AtGuidePrice, 9000
	fb := Forecast(in, b, today, 0)
	ratio := float64(fb.Years[1].New) / float64(f.Years[1].New)
	if math.Abs(ratio-0.9) > 0.001 {
		t.Errorf("guide/median = %v", ratio)
	}
	ys, _, _ := Compare([]LineInput{in}, a, b, today, 0)
	if len(ys) != 2 || ys[1].Difference <= 0 {
		t.Errorf("compare = %+v", ys)
	}
	_ = time.UTC
}

package pricing

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Band check with a guide of £751.17 and ±10%: the allowed deviation is
// 7511.7p, rounded once to 7512p, so the band is 67605p to 82629p inclusive.
func TestCheckBand(t *testing.T) {
	tests := []struct {
		name      string
		price     money.Money
		guide     money.Money
		tol       BP
		within    bool
		deviation BP
	}{
		{"at guide", 75117, 75117, 1000, true, 0},
		{"at low edge", 67605, 75117, 1000, true, -1000},
		{"a penny below", 67604, 75117, 1000, false, -1000},
		{"at high edge", 82629, 75117, 1000, true, 1000},
		{"a penny above", 82630, 75117, 1000, false, 1000},
		{"far above", 100000, 75117, 1000, false, 3313}, // 24883/75117: 75117 x 0.33 = 24788.61, +94.39/75117 = 0.33126 -> 3313
		{"zero tolerance", 75118, 75117, 0, false, 0},
		{"no guide", 50000, 0, 1000, false, 0},
		{"5% band", 78873, 75117, 500, true, 500}, // allowed 3755.85 -> 3756
	}
	for _, tt := range tests {
		c := CheckBand(tt.price, tt.guide, tt.tol)
		if c.Within != tt.within || c.Deviation != tt.deviation {
			t.Errorf("%s: CheckBand(%d, %d, %d) = %+v, want within=%v deviation=%d", tt.name, tt.price, tt.guide, tt.tol, c, tt.within, tt.deviation)
		}
	}
	if c := CheckBand(0, 75117, 1000); c.Low != 67605 || c.High != 82629 {
		t.Errorf("band = %s to %s", c.Low, c.High)
	}
}

// Uplifts, by hand:
//
//	3.5% on 75117: 75117 x 1.035 = 77746.095 -> 77746.
//	NLW rule for 1 April 2026 (1221 -> 1271), pay 70% of the price:
//	  rate = 0.7 x 50 / 1221 = 35 / 1221; 75117 x 35 / 1221 = 2629095 / 1221
//	  = 2153.2309... -> 75117 + 2153.2309 = 77270.2309 -> 77270.
//	A -2% uplift on 2631: 2578.38 -> 2578.
func TestUplift(t *testing.T) {
	nlw, err := NLWRule(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), 7000)
	if err != nil {
		t.Fatal(err)
	}
	if nlw.NLWFrom != 1221 || nlw.NLWTo != 1271 {
		t.Fatalf("NLW rule = %+v", nlw)
	}
	tests := []struct {
		name  string
		rule  UpliftRule
		price money.Money
		want  money.Money
	}{
		{"percent", UpliftRule{Kind: UpliftPercent, Percent: 350}, 75117, 77746},
		{"nlw", nlw, 75117, 77270},
		{"cut", UpliftRule{Kind: UpliftPercent, Percent: -200}, 2631, 2578},
		{"zero", UpliftRule{Kind: UpliftPercent}, 2631, 2631},
	}
	for _, tt := range tests {
		if err := tt.rule.Validate(); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if got := tt.rule.Apply(tt.price); got != tt.want {
			t.Errorf("%s: Apply(%d) = %d, want %d", tt.name, tt.price, got, tt.want)
		}
	}
	if nlw.RateBP() != 287 { // 35/1221 = 2.8665% -> 287 bp
		t.Errorf("NLW rate = %d bp", nlw.RateBP())
	}
	if _, err := NLWRule(time.Date(2016, 4, 1, 0, 0, 0, 0, time.UTC), 7000); err == nil {
		t.Error("NLW rule before 2016 accepted")
	}
	if (UpliftRule{Kind: "magic"}).Validate() == nil {
		t.Error("unknown kind accepted")
	}
}

// The preview is the applied effect: preview a set of prices, apply the rule
// to each as the applying transaction does, and compare; and the annual
// cost, by hand: 3.5% on 75117 is +2629 a week, x 52 = 136708 per bed;
// on 2631 an hour it is 2723.085 -> +92 an hour, x 20 hours x 52 = 95680.
func TestUpliftPreviewIsApplied(t *testing.T) {
	rule := UpliftRule{Kind: UpliftPercent, Percent: 350}
	items := []UpliftItem{
		{Kind: "guide", ID: 1, Basis: PerBedWeek, Price: 75117},
		{Kind: "contracted", ID: 2, Basis: PerHour, Price: 2631, UnitsPerWeek: D(20)},
	}
	p := rule.Preview(items)
	for i, it := range items {
		applied := rule.Apply(it.Price)
		if p.Items[i].New != applied || p.Items[i].Change != applied-it.Price {
			t.Errorf("item %d: preview %+v, applied %d", i, p.Items[i], applied)
		}
	}
	if p.Items[0].AnnualChange != 136708 || p.Items[1].AnnualChange != 95680 || p.TotalAnnualChange != 232388 {
		t.Errorf("annual changes = %d, %d, total %d", p.Items[0].AnnualChange, p.Items[1].AnnualChange, p.TotalAnnualChange)
	}
}

// The variation fixture, by hand. Eight weekly prices (pounds):
//
//	500 520 540 560 600 640 700 1000, guide 600, tolerance 10%.
//
// Quartiles by linear interpolation, position (n-1)k/4 = 7k/4 (0-based):
//
//	Q1 at 1.75: 520 + 0.75 x 20 = 535
//	median at 3.5: 560 + 0.5 x 40 = 580
//	Q3 at 5.25: 640 + 0.25 x 60 = 655
//	IQR = 120; 1.5 x IQR = 180; fences 355 and 835 -> 1000 is an outlier.
//	mean = 5060 / 8 = 632.50
//	deviations from the mean: -132.5 -112.5 -92.5 -72.5 -32.5 7.5 67.5 367.5
//	squares: 17556.25 12656.25 8556.25 5256.25 1056.25 56.25 4556.25
//	         135056.25; sum 184750; / 8 = 23093.75 (population variance)
//	std dev = √23093.75 = 151.966... (152² = 23104, 151.96² = 23091.84,
//	  so 151.96 + 1.91 / 303.92 = 151.9663) -> £151.97
//	CV = 151.9663 / 632.5 = 0.240263 -> 2403 bp (24.03%)
//	median - guide = -20.00 = -3.33% (-333 bp)
//	band 540 to 660: below 500, 520 (2); above 700, 1000 (2).
func TestDescribe(t *testing.T) {
	prices := []money.Money{100000, 50000, 70000, 52000, 64000, 54000, 60000, 56000} // unsorted on purpose
	got := Describe(prices, 60000, 1000)
	want := Stats{Count: 8, Min: 50000, Q1: 53500, Median: 58000, Q3: 65500, Max: 100000, Mean: 63250, StdDev: 15197, CV: 2403,
		LowFence: 35500, HighFence: 83500, Outliers: []money.Money{100000}, Guide: 60000, MedianVsGuide: -2000, MedianVsGuideP: -333,
		AboveBand: 2, BelowBand: 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Describe =\n %+v\nwant\n %+v", got, want)
	}
	if prices[0] != 100000 {
		t.Error("Describe sorted its input")
	}
	// Odd count, no interpolation: 9 prices, positions 2, 4, 6.
	odd := Describe([]money.Money{600, 650, 700, 700, 720, 750, 800, 900, 1500}, 0, 1000)
	if odd.Q1 != 700 || odd.Median != 720 || odd.Q3 != 800 || odd.LowFence != 550 || odd.HighFence != 950 || !slices.Equal(odd.Outliers, []money.Money{1500}) {
		t.Errorf("odd fixture = %+v", odd)
	}
	// One price and none.
	if one := Describe([]money.Money{123}, 0, 0); one.Median != 123 || one.StdDev != 0 || one.CV != 0 || len(one.Outliers) != 0 {
		t.Errorf("one price = %+v", one)
	}
	if none := Describe(nil, 0, 0); none.Count != 0 {
		t.Errorf("no prices = %+v", none)
	}
}

func TestVariationGroupsAndTrend(t *testing.T) {
	obs := []Observation{
		{ServiceType: market.Nursing, AreaID: 2, AreaName: "Thanet", Setting: market.Urban, RoundID: 1, RoundName: "Spring", Price: 90000},
		{ServiceType: market.Residential, AreaID: 1, AreaName: "Dover", Setting: market.Rural, RoundID: 1, RoundName: "Spring", Price: 70000},
		{ServiceType: market.Residential, AreaID: 2, AreaName: "Thanet", Setting: market.Urban, RoundID: 2, RoundName: "Autumn", Price: 72000},
		{ServiceType: market.Residential, AreaID: 1, AreaName: "Dover", Setting: market.Rural, RoundID: 2, RoundName: "Autumn", Price: 74000},
	}
	guide := func(st market.ServiceType, band string, s market.Setting) money.Money {
		if st == market.Residential && s == market.Rural {
			return 72807
		}
		return 0
	}
	gs := Variation(obs, guide, 1000)
	if len(gs) != 3 || gs[0].AreaName != "Dover" || gs[0].ServiceType != market.Residential || gs[0].Count != 2 || gs[0].Median != 72000 ||
		gs[0].Guide != 72807 || gs[1].AreaName != "Thanet" || gs[2].ServiceType != market.Nursing {
		t.Errorf("groups = %+v", gs)
	}
	tr := Trend(obs, 0, 1000)
	if len(tr) != 2 || tr[0].RoundName != "Spring" || tr[0].Count != 2 || tr[1].Median != 73000 {
		t.Errorf("trend = %+v", tr)
	}
}

// 40% of placement costs went down and 60% up, from the fixture documented in testdata/README.md.
func TestLegacyImpactSeed001(t *testing.T) {
	f, err := os.Open("testdata/legacy_seed001.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, errs := ParseLegacyCSV(f)
	if len(errs) > 0 {
		t.Fatalf("fixture has errors: %v", errs)
	}
	r := Impact(ps)
	checks := []struct {
		name      string
		got, want any
	}{
		{"homes", r.Homes, 16},
		{"placements", r.Placements, 60},
		{"down", r.Down, 24},
		{"up", r.Up, 36},
		{"down share", r.DownShare, BP(4000)},
		{"up share", r.UpShare, BP(6000)},
		{"down cost share", r.DownCostShare, BP(4000)},
		{"up cost share", r.UpCostShare, BP(6000)},
		{"current weekly", r.CurrentWeekly, money.Money(13605525)},
		{"new weekly", r.NewWeekly, money.Money(13843817)},
		{"change weekly", r.ChangeWeekly, money.Money(238292)},
		{"rises", r.IncreaseWeekly, money.Money(275370)},
		{"falls", r.DecreaseWeekly, money.Money(-37078)},
		{"whole-year cost", r.NewYear, money.Money(719878484)},
		{"whole-year cost as the seed states it", r.NewYear.WholePounds(), "£7,198,785"},
		{"stabilisation as the seed states it", r.ChangeYear.WholePounds(), "£123,912"},
		{"current whole-year", r.CurrentYear, money.Money(707487300)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// BenchmarkVariation describes 300,000 prices (about a whole country's care
// home and home care locations' prices twice over) grouped by service type
// and area. Recorded in BENCHMARKS.md.
func BenchmarkVariation(b *testing.B) {
	const n = 300_000
	r := rand.New(rand.NewPCG(1, 2))
	obs := make([]Observation, n)
	for i := range obs {
		st := market.ServiceTypes[r.IntN(len(market.ServiceTypes))]
		area := int64(r.IntN(150)) // ~ a council's districts across England
		obs[i] = Observation{ServiceType: st, AreaID: area, AreaName: fmt.Sprintf("Area %03d", area), Setting: market.Urban,
			Price: money.Money(50000 + r.IntN(150000))}
	}
	guide := func(market.ServiceType, string, market.Setting) money.Money { return 100000 }
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		gs := Variation(obs, guide, 1000)
		if len(gs) == 0 {
			b.Fatal("no groups")
		}
	}
}

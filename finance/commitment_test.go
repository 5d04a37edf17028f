package finance

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket/market"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dp(s string) *time.Time { t := d(s); return &t }

func TestYear(t *testing.T) {
	for _, c := range []struct {
		day  string
		want Year
		s    string
	}{
		{"2026-12-05", 2026, "2026/27"},
		{"2027-03-31", 2026, "2026/27"},
		{"2027-04-01", 2027, "2027/28"},
		{"2009-01-01", 2008, "2008/09"},
	} {
		y := YearOf(d(c.day))
		if y != c.want || y.String() != c.s {
			t.Errorf("YearOf(%s) = %d %s, want %d %s", c.day, y, y, c.want, c.s)
		}
	}
	if f, l := Year(2026).Month(10); f != d("2027-02-01") || l != d("2027-02-28") {
		t.Errorf("February 2027 = %s to %s", f, l)
	}
}

// The commitment arithmetic, worked by hand. A part week counts by days at
// weekly ÷ 7 a day; the sum of weekly x days over a period is divided by 7
// and rounded half-up once.
func TestCommitment(t *testing.T) {
	y := Year(2026) // 1 April 2026 to 31 March 2027: 365 days
	cases := []struct {
		name      string
		p         Placement
		from, to  string
		want      Money
		wantTopUp Money
	}{
		{
			// Open-ended from before the year: every day of the year, 365
			// days at £700 a week = 70,000 x 365 / 7 = 3,650,000p = £36,500.
			name: "open-ended whole year",
			p:    Placement{Start: d("2025-01-10"), Prices: []Price{{70000, d("2025-01-10")}}},
			from: "2026-04-01", to: "2027-03-31", want: 3650000,
		},
		{
			// A part week: 10 days (1-10 April) at £1,000.01 a week =
			// 100,001 x 10 / 7 = 142,858.57p, rounded once to 142,859p.
			name: "part week by days",
			p:    Placement{Start: d("2026-04-01"), End: dp("2026-04-10"), Prices: []Price{{100001, d("2026-04-01")}}},
			from: "2026-04-01", to: "2027-03-31", want: 142859,
		},
		{
			// A price change mid-year: £700 from 1 April to 30 September
			// (183 days), £735 from 1 October to 31 March (182 days):
			// (70,000 x 183 + 73,500 x 182) / 7 = (12,810,000 + 13,377,000) / 7
			// = 26,187,000 / 7 = 3,741,000p.
			name: "price change mid-year",
			p:    Placement{Start: d("2024-06-01"), Prices: []Price{{70000, d("2024-06-01")}, {73500, d("2026-10-01")}}},
			from: "2026-04-01", to: "2027-03-31", want: 3741000,
		},
		{
			// Ending mid-month: 1 May to 15 June 2026 is 31 + 15 = 46 days at
			// £850 a week: 85,000 x 46 / 7 = 558,571.43 -> 558,571p.
			name: "ending mid-month",
			p:    Placement{Start: d("2026-05-01"), End: dp("2026-06-15"), Prices: []Price{{85000, d("2026-05-01")}}},
			from: "2026-04-01", to: "2027-03-31", want: 558571,
		},
		{
			// Hourly care: 12.5 hours a week (750 minutes) at £28.50 an hour
			// = 2,850 x 750 / 60 = 35,625p a week; 1 to 28 February 2027 is
			// 28 days, exactly 4 weeks: 142,500p.
			name: "hourly care",
			p:    Placement{ServiceType: market.Homecare, Start: d("2026-09-01"), Prices: []Price{{HourlyWeekly(2850, 750), d("2026-09-01")}}},
			from: "2027-02-01", to: "2027-02-28", want: 142500,
		},
		{
			// A top-up is the third party's: the council's cost is the weekly
			// cost alone, 7 days at £900 = £900; the £70 a week top-up is
			// shown apart, 7 days = £70.
			name: "top-up excluded",
			p:    Placement{Start: d("2026-04-01"), Prices: []Price{{90000, d("2026-04-01")}}, TopUp: 7000},
			from: "2026-04-01", to: "2026-04-07", want: 90000, wantTopUp: 7000,
		},
		{
			// Crossing 31 March: started 1 March 2027, open-ended; in 2026/27
			// it commits 31 days (1-31 March) at £700: 70,000 x 31 / 7 =
			// 310,000p; 2027/28 is counted in that year.
			name: "crossing 31 March",
			p:    Placement{Start: d("2027-03-01"), Prices: []Price{{70000, d("2027-03-01")}}},
			from: "2026-04-01", to: "2027-03-31", want: 310000,
		},
		{
			name: "before it starts",
			p:    Placement{Start: d("2027-05-01"), Prices: []Price{{70000, d("2027-05-01")}}},
			from: "2026-04-01", to: "2027-03-31", want: 0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.p.Cost(d(c.from), d(c.to))
			if got != c.want {
				t.Errorf("cost = %d, want %d (working %+v)", got, c.want, c.p.Working(d(c.from), d(c.to)))
			}
			if top := c.p.TopUpCost(d(c.from), d(c.to)); top != c.wantTopUp {
				t.Errorf("top-up = %d, want %d", top, c.wantTopUp)
			}
		})
	}
	// Crossing 31 March into 2027/28: 1 April 2027 to 31 March 2028 is 366
	// days (2028 is a leap year): 70,000 x 366 / 7 = 3,660,000p.
	p := Placement{Start: d("2027-03-01"), Prices: []Price{{70000, d("2027-03-01")}}}
	if got := p.Cost(Year(2027).Start(), Year(2027).End()); got != 3660000 {
		t.Errorf("2027/28 = %d", got)
	}
	_ = y
}

func TestMonthsAndRollup(t *testing.T) {
	y := Year(2026)
	ps := []Placement{
		// £700 a week all year, line 1: April (30 days) = 300,000p.
		{ID: 1, ServiceType: market.Nursing, ProviderID: 7, Start: d("2025-01-01"), Prices: []Price{{70000, d("2025-01-01")}}},
		// Ends 15 June: April 300,000 (30 days at £700), May 310,000, June 150,000.
		{ID: 2, ServiceType: market.Nursing, ProviderID: 8, Start: d("2025-01-01"), End: dp("2026-06-15"), Prices: []Price{{70000, d("2025-01-01")}}},
		// Home care on line 2, from 1 March 2027: 31 days at £350 = 155,000p.
		{ID: 3, ServiceType: market.Homecare, ProviderID: 7, Start: d("2027-03-01"), Prices: []Price{{35000, d("2027-03-01")}}},
		// Ended last year: not in this year at all.
		{ID: 4, ServiceType: market.Nursing, ProviderID: 7, Start: d("2024-01-01"), End: dp("2025-03-31"), Prices: []Price{{70000, d("2024-01-01")}}},
	}
	m := ps[1].Months(y)
	if m[0] != 300000 || m[1] != 310000 || m[2] != 150000 || m[3] != 0 {
		t.Errorf("months = %v", m)
	}
	lineOf := map[string]int64{"nursing": 1, "homecare": 2}
	gs := Rollup(ps, y, KeyFunc(ByBudgetLine, lineOf))
	if len(gs) != 2 {
		t.Fatalf("groups = %+v", gs)
	}
	// Line 1: 3,650,000 (whole year) + 760,000 = 4,410,000p over 2 placements.
	if gs[0].Key != 1 || gs[0].Total != 4410000 || gs[0].Placements != 2 {
		t.Errorf("line 1 = %+v", gs[0])
	}
	if gs[1].Key != 2 || gs[1].Total != 155000 || gs[1].Months[11] != 155000 {
		t.Errorf("line 2 = %+v", gs[1])
	}
	byProv := Rollup(ps, y, KeyFunc(ByProvider, nil))
	if byProv[0].Key != 7 || byProv[0].Total != 3650000+155000 || byProv[1].Key != 8 {
		t.Errorf("by provider = %+v", byProv)
	}
	if st := Rollup(ps, y, KeyFunc(ByServiceType, nil)); ServiceAt(st[0].Key) != market.Nursing {
		t.Errorf("by service type = %+v", st)
	}
	// Committed to 5 December 2026: placement 1, 249 days (1 April - 5
	// December) = 70,000 x 249 / 7 = 2,490,000; placement 2, 760,000.
	if got := CommittedToDate(ps, y, d("2026-12-05")); got != 2490000+760000 {
		t.Errorf("to date = %d", got)
	}
}

func TestWeeklyOn(t *testing.T) {
	p := Placement{Start: d("2026-01-01"), End: dp("2026-12-31"), Prices: []Price{{73500, d("2026-04-01")}, {70000, d("2026-01-01")}}}
	for _, c := range []struct {
		day  string
		want Money
	}{{"2025-12-31", 0}, {"2026-01-01", 70000}, {"2026-03-31", 70000}, {"2026-04-01", 73500}, {"2027-01-01", 0}} {
		if got := p.WeeklyOn(d(c.day)); got != c.want {
			t.Errorf("%s: %d, want %d", c.day, got, c.want)
		}
	}
}

func TestStatus(t *testing.T) {
	tol := DefaultTolerances
	for _, c := range []struct {
		budget, variance Money
		want             RAG
	}{{100000, -5, Green}, {100000, 1000, Green}, {100000, 1001, Amber}, {100000, 5000, Amber}, {100000, 5001, Red}, {0, 1, Red}, {0, 0, Green}} {
		if got := tol.Status(c.budget, c.variance); got != c.want {
			t.Errorf("Status(%d, %d) = %s, want %s", c.budget, c.variance, got, c.want)
		}
	}
}

func TestBudgetLineValidate(t *testing.T) {
	others := []BudgetLine{{ID: 1, Name: "Older people nursing", ServiceTypes: []market.ServiceType{market.Nursing, market.NursingHigh}}}
	b := BudgetLine{Name: "Nursing again", ServiceTypes: []market.ServiceType{market.Nursing}}
	if err := b.Validate(others); err == nil {
		t.Error("a service type on two lines was allowed")
	}
	b = BudgetLine{Name: "Home care", ServiceTypes: []market.ServiceType{market.Homecare}}
	if err := b.Validate(others); err != nil {
		t.Error(err)
	}
	b = BudgetLine{ID: 1, Name: "Older people nursing", ServiceTypes: []market.ServiceType{market.Nursing}}
	if err := b.Validate(others); err != nil {
		t.Errorf("editing a line itself: %v", err)
	}
}

// TestMonthsMatchCost: the one-pass month split gives each month exactly
// what the cost of that month alone is, for placements of every shape.
func TestMonthsMatchCost(t *testing.T) {
	y := Year(2026)
	for i := 0; i < 500; i++ {
		start := d("2025-01-01").AddDate(0, 0, i*3%800)
		p := Placement{Start: start, TopUp: Money(i * 7), Prices: []Price{{Money(50000 + i*13), start}, {Money(60000 + i), start.AddDate(0, 0, 40+i%200)}}}
		if i%3 == 0 {
			e := start.AddDate(0, 0, 20+i*5%500)
			p.End = &e
		}
		m, top := p.MonthsAndTopUp(y)
		for j := range m {
			a, b := y.Month(j)
			if m[j] != p.Cost(a, b) {
				t.Fatalf("placement %d month %d: %d, want %d", i, j, m[j], p.Cost(a, b))
			}
		}
		if top != p.TopUpCost(y.Start(), y.End()) {
			t.Fatalf("placement %d top-up %d", i, top)
		}
	}
}

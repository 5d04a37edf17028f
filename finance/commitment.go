// Package finance is what council finance needs from the market: what the
// placements commit the council to in each financial year (1 April to 31
// March), what was paid (actuals from the payments system), budgets by
// budget line, the forecast outturn and its variance against budget, the
// status-quo-versus-framework scenario and the value used of each
// agreement. The rules are plain functions over plain inputs, tested as
// tables without a database; storage and HTTP sit at the edges.
package finance

import (
	"sort"
	"strconv"
	"time"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Money is integer pence.
type Money = money.Money

// Year is a financial year named by the calendar year it starts in: 2026 is
// 1 April 2026 to 31 March 2027 ("2026/27").
type Year int

// YearOf is the financial year a day falls in.
func YearOf(t time.Time) Year {
	if t.Month() < time.April {
		return Year(t.Year() - 1)
	}
	return Year(t.Year())
}

// Start is 1 April of the year; End is the following 31 March.
func (y Year) Start() time.Time { return time.Date(int(y), time.April, 1, 0, 0, 0, 0, time.UTC) }
func (y Year) End() time.Time   { return time.Date(int(y)+1, time.March, 31, 0, 0, 0, 0, time.UTC) }

// String is how finance writes the year: "2026/27".
func (y Year) String() string {
	next := (int(y) + 1) % 100
	s := strconv.Itoa(next)
	if next < 10 {
		s = "0" + s
	}
	return strconv.Itoa(int(y)) + "/" + s
}

// Month is the i-th month of the year (0 = April ... 11 = March): its first
// and last day.
func (y Year) Month(i int) (first, last time.Time) {
	first = y.Start().AddDate(0, i, 0)
	return first, first.AddDate(0, 1, -1)
}

// MonthLabel is "April 2026".
func (y Year) MonthLabel(i int) string {
	f, _ := y.Month(i)
	return f.Format("January 2006")
}

// Day truncates a time to its calendar day in UTC.
func Day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

// days counts the days from a to b, both included (0 when b is before a).
func days(a, b time.Time) int64 {
	if b.Before(a) {
		return 0
	}
	return int64(b.Sub(a).Hours()/24+0.5) + 1
}

// Price is a weekly cost in force from a day (the placement's price history).
type Price struct {
	Weekly Money     `json:"weekly_cost_pence"`
	From   time.Time `json:"effective_from"`
}

// Placement is what finance needs of a placement: who, what, where, under
// which agreement, its days and its price history. End is the last day of
// care (nil while open-ended). Weekly costs are the council's; TopUp is a
// third party's weekly top-up, shown apart and never council cost.
type Placement struct {
	ID           int64              `json:"id"`
	CaseRef      string             `json:"case_reference,omitempty"`
	ServiceType  market.ServiceType `json:"service_type"`
	ProviderID   int64              `json:"provider_id"`
	ProviderName string             `json:"provider_name,omitempty"`
	AgreementID  int64              `json:"agreement_id,omitempty"`
	LotID        int64              `json:"lot_id,omitempty"`
	AreaID       int64              `json:"area_id"`
	Start        time.Time          `json:"start_date"`
	End          *time.Time         `json:"end_date,omitempty"`
	Prices       []Price            `json:"prices"`
	TopUp        Money              `json:"top_up_pence"`
}

// HourlyWeekly is hourly care's weekly cost: hours a week x the hourly
// price, worked in minutes and rounded half-up to the penny once.
func HourlyWeekly(hourly Money, minutesPerWeek int) Money {
	return Money((int64(hourly)*int64(minutesPerWeek) + 30) / 60)
}

// Segment is one line of the working: the days from From to To (both
// included) at a weekly cost.
type Segment struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Days   int64     `json:"days"`
	Weekly Money     `json:"weekly_cost_pence"`
}

// Working lists the days of the placement between from and to at each
// weekly cost, in order: a price change applies from its effective date,
// and the placement counts from its start to its end or, while
// open-ended, to `to`.
func (p *Placement) Working(from, to time.Time) []Segment {
	if p.Start.After(from) {
		from = p.Start
	}
	if p.End != nil && p.End.Before(to) {
		to = *p.End
	}
	if to.Before(from) || len(p.Prices) == 0 {
		return nil
	}
	prices := sortedPrices(p.Prices)
	var out []Segment
	for i, pr := range prices {
		a := pr.From
		if i == 0 && a.After(p.Start) {
			a = p.Start // the first price is the placement's from its start
		}
		if a.Before(from) {
			a = from
		}
		b := to
		if i+1 < len(prices) {
			if nb := prices[i+1].From.AddDate(0, 0, -1); nb.Before(b) {
				b = nb
			}
		}
		if n := days(a, b); n > 0 {
			out = append(out, Segment{From: a, To: b, Days: n, Weekly: pr.Weekly})
		}
	}
	return out
}

// CostOf is the cost of segments: the sum of weekly cost x days, divided
// by 7 and rounded half-up to the penny once (a part week counts by days,
// weekly ÷ 7 a day).
func CostOf(segs []Segment) Money {
	var num int64
	for _, s := range segs {
		num += int64(s.Weekly) * s.Days
	}
	return divRound(num, 7)
}

// divRound divides rounding half away from zero.
func divRound(n, d int64) Money {
	if n < 0 {
		return -Money((-n*2 + d) / (2 * d))
	}
	return Money((n*2 + d) / (2 * d))
}

// Cost is the council's cost of the placement from `from` to `to`, both
// included.
func (p *Placement) Cost(from, to time.Time) Money { return CostOf(p.Working(from, to)) }

// TopUpCost is the third party's top-up over the same days: shown apart,
// never counted as the council's.
func (p *Placement) TopUpCost(from, to time.Time) Money {
	var n int64
	for _, s := range p.Working(from, to) {
		n += s.Days
	}
	return divRound(int64(p.TopUp)*n, 7)
}

// sortedPrices returns prices in date order, copying only when they are
// not already (storage reads them in order).
func sortedPrices(ps []Price) []Price {
	for i := 1; i < len(ps); i++ {
		if ps[i].From.Before(ps[i-1].From) {
			out := append([]Price(nil), ps...)
			sort.SliceStable(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
			return out
		}
	}
	return ps
}

// Months is the council's cost in each month of the year (April first),
// each month rounded once. The year's commitment is their sum.
func (p *Placement) Months(y Year) [12]Money {
	m, _ := p.MonthsAndTopUp(y)
	return m
}

// MonthsAndTopUp is Months and the year's top-up (apart, never council
// cost) from one pass over the year's working: each segment's days are
// shared among the months they fall in.
func (p *Placement) MonthsAndTopUp(y Year) ([12]Money, Money) {
	var num [12]int64
	var topDays int64
	for _, s := range p.Working(y.Start(), y.End()) {
		topDays += s.Days
		for a := s.From; !a.After(s.To); {
			i := (int(a.Month()) + 8) % 12 // April = 0
			_, last := y.Month(i)
			b := last
			if s.To.Before(b) {
				b = s.To
			}
			num[i] += int64(s.Weekly) * days(a, b)
			a = b.AddDate(0, 0, 1)
		}
	}
	var out [12]Money
	for i, n := range num {
		out[i] = divRound(n, 7)
	}
	return out, divRound(int64(p.TopUp)*topDays, 7)
}

// WeeklyOn is the weekly cost in force on a day (0 outside the placement):
// the latest price effective on or before it, or the first price on the
// placement's first days.
func (p *Placement) WeeklyOn(day time.Time) Money {
	if !p.LiveOn(day) || len(p.Prices) == 0 {
		return 0
	}
	prices := sortedPrices(p.Prices)
	w := prices[0].Weekly
	for _, pr := range prices[1:] {
		if !pr.From.After(day) {
			w = pr.Weekly
		}
	}
	return w
}

// LiveOn reports whether the placement is providing care on a day.
func (p *Placement) LiveOn(day time.Time) bool {
	return !day.Before(p.Start) && (p.End == nil || !day.After(*p.End))
}

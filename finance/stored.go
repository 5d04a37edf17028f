package finance

import "time"

// What storage keeps of each placement so that the summary and the
// forecast read totals, not placements: its commitment in each financial
// year by month (YearMonths), and what it adds to the council's running
// totals by day (DayStep). Both come from the same arithmetic as Months and
// WeeklyOn, so a stored figure is the one the placement would give if
// worked out again.

// YearMonths is a placement's commitment in one financial year: the
// council's cost in each month (April first, each rounded once, as Months)
// and the third party's top-up over the year, apart.
type YearMonths struct {
	Year   Year
	Months [12]Money
	TopUp  Money
}

// Total is the year's commitment: the sum of its months.
func (y YearMonths) Total() Money {
	var t Money
	for _, m := range y.Months {
		t += m
	}
	return t
}

// StoredYears is the placement's commitment in every financial year it has
// a day in, from its start's year to its end's or, while it is open-ended
// (which commits "to year end" of whichever year is asked), to through.
// A year with a day of the placement is listed even when it costs nothing
// (no price yet): Rollup counts the placement in it.
func (p *Placement) StoredYears(through Year) []YearMonths {
	last := through
	if p.End != nil {
		last = YearOf(*p.End)
	}
	var out []YearMonths
	for y := YearOf(p.Start); y <= last; y++ {
		if p.Start.After(y.End()) || (p.End != nil && p.End.Before(y.Start())) {
			continue
		}
		m, top := p.MonthsAndTopUp(y)
		out = append(out, YearMonths{Year: y, Months: m, TopUp: top})
	}
	return out
}

// DayStep is what a placement adds to the council's running totals from a
// day on: placements live (one from its start, none the day after its end),
// placements that ended (ended or handed back, counted on their last day),
// placements starting, and the council's weekly cost in force (from its
// start, changing with each price change, off the day after its end). The
// total on a day is the sum of the steps up to it.
type DayStep struct {
	Day    time.Time
	Live   int
	Ended  int
	Starts int
	Weekly Money
}

// Steps lists the placement's steps in day order. ended says whether it
// ended by the broker or the provider (not by a move to contract, which is
// not the end of the person's care).
func (p *Placement) Steps(ended bool) []DayStep {
	out := []DayStep{{Day: p.Start, Starts: 1}}
	if p.End == nil || !p.End.Before(p.Start) {
		prev := p.WeeklyOn(p.Start)
		out[0].Live, out[0].Weekly = 1, prev
		for _, pr := range sortedPrices(p.Prices) {
			if !pr.From.After(p.Start) || (p.End != nil && pr.From.After(*p.End)) {
				continue
			}
			if w := p.WeeklyOn(pr.From); w != prev {
				out = append(out, DayStep{Day: pr.From, Weekly: w - prev})
				prev = w
			}
		}
		if p.End != nil {
			out = append(out, DayStep{Day: p.End.AddDate(0, 0, 1), Live: -1, Weekly: -prev})
		}
	}
	if ended && p.End != nil {
		out = append(out, DayStep{Day: *p.End, Ended: 1})
	}
	return out
}

// DaysCost is the cost of a running weekly total summed over days (weekly
// cost x days), rounded half-up to the penny once: weekly ÷ 7 a day.
func DaysCost(weeklyDays int64) Money { return divRound(weeklyDays, 7) }

// OpenLive is a service type's open-ended placements live tomorrow: how
// many, and the sum of their weekly costs that day.
type OpenLive struct {
	Count  int
	Weekly Money
}

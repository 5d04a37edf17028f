package finance

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// LineInput is what the forecast of one budget line is made from.
type LineInput struct {
	BudgetLineID int64
	Name         string
	// Live are the placements live today or starting later, each with its
	// own dates; Open holds, by service type, the open-ended placements
	// already started (live tomorrow) as totals, which continue alike from
	// tomorrow at their weekly cost that day, so storage need not read each
	// one. A placement is in one or the other.
	Live []Placement
	Open map[string]OpenLive
	// Stays are learned per service type from the council's ended placements.
	Stays map[string]Stay
	// Starts is how many placements started in the twelve months to
	// today, and NewWeekly their median weekly cost.
	Starts    int
	NewWeekly Money
	// GuideWeekly is the guide price new placements would cost under a
	// framework holding providers to it (0: not known).
	GuideWeekly Money
	// ToDate is the council's cost of the line from 1 April to today.
	ToDate  Money
	Budgets map[Year]Money
}

// YearForecast is one year of a line's forecast, in its parts.
type YearForecast struct {
	Year       Year    `json:"year"`
	Label      string  `json:"label"`
	ToDate     Money   `json:"to_date_pence"`
	Continuing Money   `json:"continuing_pence"`
	New        Money   `json:"new_pence"`
	Forecast   Money   `json:"forecast_pence"`
	Budget     Money   `json:"budget_pence"`
	Variance   Money   `json:"variance_pence"`
	UpliftBP   int64   `json:"uplift_bp"`
	NewStarts  float64 `json:"new_placements"`
	NewWeekly  Money   `json:"new_weekly_pence"`
}

// LineForecast is a budget line's forecast with its working.
type LineForecast struct {
	BudgetLineID int64          `json:"budget_line_id"`
	Name         string         `json:"name"`
	Years        []YearForecast `json:"years"`
	LivePlaced   int            `json:"live_placements"`
	StayDays     float64        `json:"expected_stay_days"`
	StayBasis    int            `json:"stay_learned_from"`
	DriftBP      int64          `json:"drift_bp"`
	Working      []string       `json:"working"`
}

// Forecast projects a line for this year (the one today is in) and the
// next a.Years. driftBP is the measured price drift, used when the
// assumptions ask for it (a.DriftBP = -1).
func Forecast(in LineInput, a Assumptions, today time.Time, measuredDriftBP int64) LineForecast {
	today = Day(today)
	drift := a.DriftBP
	if drift == -1 {
		drift = measuredDriftBP
	}
	pr := newProjection(a, YearOf(today))
	lineStay := weightedStay(in.Stays)
	// 1. Live placements continue to their end, or to today plus the
	// expected further stay of a placement of their age.
	live := pr.continuing(in, today, lineStay)
	// 2. New placements: the last twelve months' starts, growing by the
	// demand rate, one cohort a month, each staying the line's mean stay,
	// priced at the market median drifting or at the guide plus uplifts.
	guide := guideWeekly(in, a)
	pr.newPlacements(in, a, today, lineStay.MeanDays(), guide, drift)
	out := LineForecast{BudgetLineID: in.BudgetLineID, Name: in.Name, LivePlaced: live, StayDays: lineStay.MeanDays(),
		StayBasis: lineStay.Count, DriftBP: drift}
	out.Years = pr.years(in)
	out.Working = forecastWorking(in, a, today, lineStay, live, guide, drift, measuredDriftBP)
	return out
}

// projection gathers a line's forecast, year by year, from this year (0)
// to the horizon.
type projection struct {
	cur     Year
	n       int
	horizon time.Time
	// factor[k] is the price level of year cur+k against this year's.
	factor []float64
	uplift []int64
	// What the years add up: continuing and new costs, new starts and
	// their weekly costs (summed, to average).
	cont, newc, starts, newWeekly []float64
}

func newProjection(a Assumptions, cur Year) *projection {
	n := a.Years + 1
	pr := &projection{cur: cur, n: n, horizon: (cur + Year(a.Years)).End(),
		factor: make([]float64, n), uplift: make([]int64, n),
		cont: make([]float64, n), newc: make([]float64, n), starts: make([]float64, n), newWeekly: make([]float64, n)}
	pr.factor[0] = 1
	for k := 1; k < n; k++ {
		pr.uplift[k] = Uplift(a, cur+Year(k))
		pr.factor[k] = pr.factor[k-1] * (1 + float64(pr.uplift[k])/10000)
	}
	return pr
}

func (pr *projection) yearOfDay(t time.Time) int { return int(YearOf(t) - pr.cur) }

// spread adds weekly x the days of [from, to] to each year they fall
// in, at the price level of each year over the level at `base`.
func (pr *projection) spread(out []float64, weekly float64, from, to time.Time, base int) {
	if to.After(pr.horizon) {
		to = pr.horizon
	}
	for k := max(pr.yearOfDay(from), 0); k < pr.n && k <= pr.yearOfDay(to); k++ {
		y := pr.cur + Year(k)
		ys, ye := y.Start(), y.End()
		if from.After(ys) {
			ys = from
		}
		if to.Before(ye) {
			ye = to
		}
		out[k] += weekly * pr.factor[k] / pr.factor[base] * float64(days(ys, ye)) / 7
	}
}

// decay adds a placement (or a cohort) that stays an uncertain time
// with mean `mean` days from `from`: the expected cost of each year is
// weekly/7 x the expected days in it, mean x (e^(-a/mean) - e^(-b/mean))
// for the year's days a to b counted from `from` (an exponential stay,
// so a group of placements leaves gradually, not all on one day).
func (pr *projection) decay(out []float64, weekly float64, from time.Time, mean float64, base int) {
	mean = math.Max(mean, 1)
	for k := max(pr.yearOfDay(from), 0); k < pr.n; k++ {
		y := pr.cur + Year(k)
		a := math.Max(y.Start().Sub(from).Hours()/24, 0)
		b := y.End().Sub(from).Hours()/24 + 1
		if b <= 0 {
			continue
		}
		out[k] += weekly * pr.factor[k] / pr.factor[base] * mean * (math.Exp(-a/mean) - math.Exp(-b/mean)) / 7
	}
}

// weightedStay is the line's stay, for new placements and service types
// without one of their own: the service types' stays weighted by their
// counts.
func weightedStay(stays map[string]Stay) Stay {
	var lineStay Stay
	for _, s := range stays {
		lineStay.Mean += s.Mean * float64(s.Count)
		lineStay.Count += s.Count
	}
	if lineStay.Count > 0 {
		lineStay.Mean /= float64(lineStay.Count)
	}
	return lineStay
}

// continuing adds the placements live from tomorrow, each to its end date
// or for its expected further stay, and says how many there are.
func (pr *projection) continuing(in LineInput, today time.Time, lineStay Stay) int {
	tomorrow := today.AddDate(0, 0, 1)
	live := 0
	for i := range in.Live {
		p := &in.Live[i]
		from := tomorrow
		if p.Start.After(from) {
			from = p.Start
		}
		if p.End != nil {
			if p.End.Before(from) {
				continue
			}
			live++
			pr.spread(pr.cont, float64(p.WeeklyOn(from)), from, *p.End, 0)
			continue
		}
		st, ok := in.Stays[string(p.ServiceType)]
		if !ok {
			st = lineStay
		}
		age := int64(0)
		if today.After(p.Start) {
			age = int64(today.Sub(p.Start).Hours() / 24)
		}
		live++
		pr.decay(pr.cont, float64(p.WeeklyOn(from)), from, st.Remaining(age), 0)
	}
	for _, k := range slices.Sorted(maps.Keys(in.Open)) {
		o := in.Open[k]
		st, ok := in.Stays[k]
		if !ok {
			st = lineStay
		}
		live += o.Count
		pr.decay(pr.cont, float64(o.Weekly), tomorrow, st.Remaining(0), 0)
	}
	return live
}

// guideWeekly is the weekly price of a new placement at the guide: the
// assumptions' share of the median when they set one, else the line's
// guide price, else the median.
func guideWeekly(in LineInput, a Assumptions) float64 {
	guide := float64(in.GuideWeekly)
	if a.GuideBP > 0 {
		guide = float64(in.NewWeekly) * float64(a.GuideBP) / 10000
	}
	if guide == 0 {
		guide = float64(in.NewWeekly)
	}
	return guide
}

// newPlacements adds a cohort of new placements on the 15th of each month
// after today to the horizon.
func (pr *projection) newPlacements(in LineInput, a Assumptions, today time.Time, stayDays, guide float64, drift int64) {
	first := time.Date(today.Year(), today.Month(), 15, 0, 0, 0, 0, time.UTC)
	if !first.After(today) {
		first = first.AddDate(0, 1, 0)
	}
	for start := first; !start.After(pr.horizon); start = start.AddDate(0, 1, 0) {
		t := start.Sub(today).Hours() / 24 / 365.25
		count := float64(in.Starts) / 12 * math.Pow(1+float64(a.DemandGrowthBP)/10000, t)
		k := pr.yearOfDay(start)
		var weekly float64
		if a.NewPricing == AtGuidePrice {
			weekly = guide * pr.factor[k]
		} else {
			weekly = float64(in.NewWeekly) * math.Pow(1+float64(drift)/10000, t)
		}
		pr.starts[k] += count
		pr.newWeekly[k] += count * weekly
		pr.decay(pr.newc, count*weekly, start, stayDays, k)
	}
}

// years rounds the projection into the line's years, this year's with
// its cost to date.
func (pr *projection) years(in LineInput) []YearForecast {
	var out []YearForecast
	for k := 0; k < pr.n; k++ {
		y := pr.cur + Year(k)
		yf := YearForecast{Year: y, Label: y.String(), Continuing: Money(math.Round(pr.cont[k])), New: Money(math.Round(pr.newc[k])),
			Budget: in.Budgets[y], UpliftBP: pr.uplift[k], NewStarts: math.Round(pr.starts[k]*10) / 10}
		if pr.starts[k] > 0 {
			yf.NewWeekly = Money(math.Round(pr.newWeekly[k] / pr.starts[k]))
		}
		if k == 0 {
			yf.ToDate = in.ToDate
		}
		yf.Forecast = yf.ToDate + yf.Continuing + yf.New
		yf.Variance = yf.Forecast - yf.Budget
		out = append(out, yf)
	}
	return out
}

// forecastWorking says in words how the forecast was made.
func forecastWorking(in LineInput, a Assumptions, today time.Time, lineStay Stay, live int, guide float64, drift, measuredDriftBP int64) []string {
	working := []string{
		fmt.Sprintf("%d placements live on %s continue; those without an end date are expected to stay, on average, the mean stay of their service type again, leaving gradually (learned from the last three years: %d placements ended, over every day placements were live; mean stay %.0f days).",
			live, today.Format("2 January 2006"), lineStay.Count, lineStay.MeanDays()),
		fmt.Sprintf("New placements: %d started in the last twelve months at a median %s a week; growing %s a year.", in.Starts, in.NewWeekly, fmtBP(a.DemandGrowthBP)),
	}
	if a.NewPricing == AtGuidePrice {
		working = append(working, fmt.Sprintf("New placements are priced at the guide price, %s a week, plus uplifts only.", Money(math.Round(guide))))
	} else {
		how := "measured from the council's price rounds"
		if a.DriftBP != -1 {
			how = "set by these assumptions; the price rounds measure " + fmtBP(measuredDriftBP)
		}
		working = append(working, fmt.Sprintf("New placements are priced at the market median, drifting %s a year (%s).", fmtBP(drift), how))
	}
	return append(working, fmt.Sprintf("Uplifts each April: pay (%s of a price) moves with the National Living Wage table, the rest with inflation at %s.",
		fmtBP(a.StaffShareBP), fmtBP(a.InflationBP)))
}

func fmtBP(bp int64) string {
	neg := ""
	if bp < 0 {
		neg, bp = "-", -bp
	}
	if bp%100 == 0 {
		return fmt.Sprintf("%s%d%%", neg, bp/100)
	}
	return fmt.Sprintf("%s%d.%02d%%", neg, bp/100, bp%100)
}

// Total adds line forecasts year by year into one.
func Total(name string, fs []LineForecast) LineForecast {
	out := LineForecast{Name: name}
	for _, f := range fs {
		out.LivePlaced += f.LivePlaced
		for k, y := range f.Years {
			if k >= len(out.Years) {
				out.Years = append(out.Years, YearForecast{Year: y.Year, Label: y.Label, UpliftBP: y.UpliftBP})
			}
			t := &out.Years[k]
			t.ToDate += y.ToDate
			t.Continuing += y.Continuing
			t.New += y.New
			t.Forecast += y.Forecast
			t.Budget += y.Budget
			t.Variance += y.Variance
			t.NewStarts += y.NewStarts
		}
	}
	return out
}

// ScenarioSide is one assumption set's result in a year.
type ScenarioSide struct {
	Forecast Money `json:"forecast_pence"`
	Variance Money `json:"variance_pence"`
}

// ScenarioYear compares the two sides in one year.
type ScenarioYear struct {
	Year       Year         `json:"year"`
	Label      string       `json:"label"`
	Budget     Money        `json:"budget_pence"`
	A          ScenarioSide `json:"a"`
	B          ScenarioSide `json:"b"`
	Difference Money        `json:"difference_pence"`
}

// Compare runs both assumption sets over the same lines and years.
func Compare(ins []LineInput, a, b Assumptions, today time.Time, measuredDriftBP int64) (years []ScenarioYear, fa, fb LineForecast) {
	b.Years = a.Years
	var la, lb []LineForecast
	for _, in := range ins {
		la = append(la, Forecast(in, a, today, measuredDriftBP))
		lb = append(lb, Forecast(in, b, today, measuredDriftBP))
	}
	fa, fb = Total(a.Name, la), Total(b.Name, lb)
	for k := range fa.Years {
		ya, yb := fa.Years[k], fb.Years[k]
		years = append(years, ScenarioYear{Year: ya.Year, Label: ya.Label, Budget: ya.Budget,
			A: ScenarioSide{ya.Forecast, ya.Variance}, B: ScenarioSide{yb.Forecast, yb.Variance}, Difference: ya.Forecast - yb.Forecast})
	}
	return years, fa, fb
}

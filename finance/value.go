package finance

import "time"

// ContractValue sets an agreement's advertised value beside what has been
// committed and paid under it: per financial year and to date, the value
// used up, and the headroom left, including options not yet taken.
type ContractValue struct {
	AgreementID   int64       `json:"agreement_id"`
	Reference     string      `json:"reference"`
	Title         string      `json:"title"`
	Start         time.Time   `json:"start"`
	End           time.Time   `json:"end"`
	AnnualValue   Money       `json:"annual_value_pence"`
	LifetimeValue Money       `json:"lifetime_value_pence"`
	Committed     Money       `json:"committed_pence"`
	Actual        Money       `json:"actual_pence"`
	Used          Money       `json:"used_pence"`
	UsedBP        int64       `json:"used_bp"`
	Headroom      Money       `json:"headroom_pence"`
	UnusedOptions Money       `json:"unused_options_pence"`
	Years         []YearSpend `json:"years"`
	Scale         int         `json:"scale"`
}

// YearSpend is one financial year of an agreement: advertised (the annual
// value for the part of the year it ran), committed and actual.
type YearSpend struct {
	Year       Year   `json:"year"`
	Label      string `json:"label"`
	Advertised Money  `json:"advertised_pence"`
	Committed  Money  `json:"committed_pence"`
	Actual     Money  `json:"actual_pence"`
	Gap        Money  `json:"gap_pence"`
}

// Value works out the value used and headroom. Used is the larger of the
// commitment to today and the actuals (payments can lag the care, and
// care can be paid in advance); headroom is the lifetime value less what is
// used, and the options not yet taken (lifetimeWithOptions - lifetime) are
// shown as part of it. Years run from the agreement's first to today's.
func Value(cv ContractValue, ps []Placement, actualByYear map[Year]Money, today time.Time, lifetimeWithOptions Money) ContractValue {
	today = Day(today)
	first, last := YearOf(cv.Start), YearOf(today)
	if e := YearOf(cv.End); e < last {
		last = e
	}
	for y := first; y <= last; y++ {
		ys := YearSpend{Year: y, Label: y.String(), Actual: actualByYear[y]}
		to := y.End()
		if to.After(today) {
			to = today
		}
		for i := range ps {
			ys.Committed += ps[i].Cost(y.Start(), to)
		}
		// Advertised: the annual value pro rata to the days the agreement
		// ran in the year.
		a, b := y.Start(), y.End()
		if cv.Start.After(a) {
			a = cv.Start
		}
		if cv.End.Before(b) {
			b = cv.End
		}
		ys.Advertised = divRound(int64(cv.AnnualValue)*days(a, b), days(y.Start(), y.End()))
		ys.Gap = ys.Advertised - max(ys.Committed, ys.Actual)
		cv.Committed += ys.Committed
		cv.Actual += ys.Actual
		cv.Years = append(cv.Years, ys)
	}
	cv.Used = max(cv.Committed, cv.Actual)
	if lifetimeWithOptions > cv.LifetimeValue {
		cv.UnusedOptions = lifetimeWithOptions - cv.LifetimeValue
	}
	cv.Headroom = cv.LifetimeValue + cv.UnusedOptions - cv.Used
	if cv.LifetimeValue > 0 {
		cv.UsedBP = int64(cv.Used) * 10000 / int64(cv.LifetimeValue)
	}
	return cv
}

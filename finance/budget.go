package finance

import (
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// BudgetLine is how finance groups spend ("Older people nursing"). Each
// service type maps to one budget line at most.
type BudgetLine struct {
	ID           int64                `json:"id"`
	Name         string               `json:"name"`
	Code         string               `json:"code"`
	ServiceTypes []market.ServiceType `json:"service_types"`
}

// MaxNameLen bounds a budget line's name.
const MaxNameLen = 120

// Validate checks a budget line against the council's others: a name, and
// no service type already on another line.
func (b *BudgetLine) Validate(others []BudgetLine) error {
	b.Name, b.Code = strings.TrimSpace(b.Name), strings.TrimSpace(b.Code)
	f := map[string]string{}
	caremarket.CheckText(f, "name", "name of the budget line", b.Name, true, MaxNameLen)
	caremarket.CheckText(f, "code", "ledger code", b.Code, false, 40)
	seen := map[market.ServiceType]bool{}
	for _, st := range b.ServiceTypes {
		if !st.Valid() {
			f["service_types"] = "Choose service types from the list"
		} else if seen[st] {
			f["service_types"] = "A service type is listed twice"
		}
		seen[st] = true
	}
	for _, o := range others {
		if o.ID == b.ID {
			continue
		}
		if strings.EqualFold(o.Name, b.Name) {
			f["name"] = "Another budget line is already called " + o.Name
		}
		for _, st := range o.ServiceTypes {
			if seen[st] {
				f["service_types"] = st.Label() + " is already on the budget line " + o.Name + ": each service type maps to one budget line"
			}
		}
	}
	return caremarket.Invalid(f)
}

// LineOf maps each service type to its budget line's id.
func LineOf(lines []BudgetLine) map[string]int64 {
	m := map[string]int64{}
	for _, l := range lines {
		for _, st := range l.ServiceTypes {
			m[string(st)] = l.ID
		}
	}
	return m
}

// Budget is a budget line's budget for one financial year.
type Budget struct {
	BudgetLineID int64  `json:"budget_line_id"`
	Year         Year   `json:"year"`
	Amount       Money  `json:"amount_pence"`
	SetBy        string `json:"set_by,omitempty"`
}

// MaxBudget bounds one line's budget (£10bn): a guard against extra digits.
const MaxBudget = Money(1_000_000_000_000)

// Validate checks a budget's year and amount.
func (b *Budget) Validate() error {
	f := map[string]string{}
	if b.BudgetLineID <= 0 {
		f["budget_line_id"] = "Choose a budget line"
	}
	if b.Year < 2000 || b.Year > 2100 {
		f["year"] = "Enter the financial year it starts in, like 2026 for 2026/27"
	}
	if b.Amount < 0 || b.Amount > MaxBudget {
		f["amount"] = "Enter a budget from £0 to £10,000,000,000"
	}
	return caremarket.Invalid(f)
}

// Tolerances are the council's thresholds for red, amber and green: a
// forecast over budget by more than Amber (basis points of the budget) is
// amber, by more than Red is red.
type Tolerances struct {
	AmberBP int64 `json:"amber_bp"`
	RedBP   int64 `json:"red_bp"`
}

// DefaultTolerances: amber beyond 1% over budget, red beyond 5%.
var DefaultTolerances = Tolerances{AmberBP: 100, RedBP: 500}

// Validate checks amber is below red and both are sensible.
func (t Tolerances) Validate() error {
	f := map[string]string{}
	if t.AmberBP < 0 || t.AmberBP > 10000 {
		f["amber"] = "Amber must be between 0% and 100%"
	}
	if t.RedBP < 0 || t.RedBP > 10000 {
		f["red"] = "Red must be between 0% and 100%"
	} else if t.RedBP < t.AmberBP {
		f["red"] = "Red must be at or above amber"
	}
	return caremarket.Invalid(f)
}

// RAG is red, amber or green.
type RAG string

const (
	Green RAG = "green"
	Amber RAG = "amber"
	Red   RAG = "red"
)

// Label names the status for people.
func (r RAG) Label() string {
	return map[RAG]string{Green: "On budget", Amber: "At risk", Red: "Over budget"}[r]
}

// Status judges a variance (forecast - budget) against the tolerances. An
// underspend is green; a forecast with no budget at all is red.
func (t Tolerances) Status(budget, variance Money) RAG {
	if variance <= 0 {
		return Green
	}
	if budget <= 0 {
		return Red
	}
	v, b := int64(variance)*10000, int64(budget)
	switch {
	case v > b*t.RedBP:
		return Red
	case v > b*t.AmberBP:
		return Amber
	}
	return Green
}

// SummaryItem is one budget line's year: budget, committed (what its
// placements commit the council to this year), actual (paid to date),
// forecast outturn and variance (forecast - budget) with its status.
type SummaryItem struct {
	BudgetLineID int64  `json:"budget_line_id"`
	Name         string `json:"name"`
	Budget       Money  `json:"budget_pence"`
	Committed    Money  `json:"committed_pence"`
	Actual       Money  `json:"actual_pence"`
	Forecast     Money  `json:"forecast_pence"`
	Variance     Money  `json:"variance_pence"`
	Status       RAG    `json:"status"`
	TopUp        Money  `json:"top_up_pence"`
	Placements   int    `json:"placements"`
}

// Summary is the council's year by budget line, with its totals and the
// monthly spend against budget for the chart.
type Summary struct {
	Year       Year          `json:"year"`
	Label      string        `json:"label"`
	Items      []SummaryItem `json:"items"`
	Total      SummaryItem   `json:"total"`
	Months     [12]Money     `json:"committed_by_month_pence"`
	Actuals    [12]Money     `json:"actual_by_month_pence"`
	Tolerances Tolerances    `json:"tolerances"`
}

// Finish sets each item's variance and status and adds up the totals.
func (s *Summary) Finish() {
	s.Label = s.Year.String()
	s.Total = SummaryItem{Name: "Total"}
	for i := range s.Items {
		it := &s.Items[i]
		it.Variance = it.Forecast - it.Budget
		it.Status = s.Tolerances.Status(it.Budget, it.Variance)
		s.Total.Budget += it.Budget
		s.Total.Committed += it.Committed
		s.Total.Actual += it.Actual
		s.Total.Forecast += it.Forecast
		s.Total.TopUp += it.TopUp
		s.Total.Placements += it.Placements
	}
	s.Total.Variance = s.Total.Forecast - s.Total.Budget
	s.Total.Status = s.Tolerances.Status(s.Total.Budget, s.Total.Variance)
}

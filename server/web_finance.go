package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// The finance pages. Finance and commissioners see the year's commitment
// against budget, the forecast and scenarios (commissioners read only);
// finance and admins set budgets and import actuals; admins keep budget
// lines; a broker sees the commitment of a placement; a provider sees only
// its own payments. Every figure links to the placements behind it and
// every table downloads as CSV or XLSX.

func (h *financeHandlers) registerPages() {
	s := h.s
	s.route("GET /finance", s.page(h.homePage))
	s.route("GET /finance/placements", s.page(h.drillPage))
	s.route("GET /finance/placements/{id}", s.page(h.placementPage))
	s.route("GET /finance/commitments", s.page(h.rollupPage))
	s.route("GET /finance/budgets", s.page(h.budgetsPage))
	s.route("POST /finance/budget-lines", s.page(h.budgetLinePost))
	s.route("POST /finance/budgets", s.page(h.budgetsPost))
	s.route("POST /finance/budgets/upload", s.page(h.budgetsUpload))
	s.route("POST /finance/settings", s.page(h.settingsPost))
	s.route("GET /finance/actuals", s.page(h.actualsPage))
	s.route("POST /finance/actuals", s.page(h.actualsPost))
	s.route("GET /finance/forecast", s.page(h.forecastPage))
	s.route("POST /finance/assumptions", s.page(h.assumptionsPost))
	s.route("GET /finance/scenarios", s.page(h.scenariosPage))
	s.route("POST /finance/scenarios", s.page(h.scenarioPost))
	s.route("GET /finance/scenarios/{id}", s.page(h.scenarioPage))
	s.route("GET /finance/agreements", s.page(h.agreementsPage))
	s.route("GET /finance/agreements/{id}", s.page(h.spendPage))
}

func canWriteFinanceWeb(r *http.Request) bool {
	return caremarket.ActorFrom(r.Context()).Is(caremarket.RoleAdmin, caremarket.RoleFinance)
}

func isAdminWeb(r *http.Request) bool {
	return caremarket.ActorFrom(r.Context()).Is(caremarket.RoleAdmin)
}

// yearOptions offers the years around today's.
func (h *financeHandlers) yearOptions() []option {
	cur := finance.YearOf(h.s.Now())
	var out []option
	for y := cur - 3; y <= cur+4; y++ {
		out = append(out, option{Value: strconv.Itoa(int(y)), Label: y.String()})
	}
	return out
}

// pageYear reads ?year= for a page; a bad year is the current one with a
// message.
func (h *financeHandlers) pageYear(r *http.Request) (finance.Year, error) {
	q := newQuery(r)
	y := h.year(q)
	return y, q.err()
}

// --- Home: this year's commitment against budget

func (h *financeHandlers) homePage(w http.ResponseWriter, r *http.Request) error {
	y, err := h.pageYear(r)
	if err != nil {
		return err
	}
	sum, err := h.st.FinanceSummary(r.Context(), y)
	if err != nil {
		return err
	}
	if f := exportFormat(r); f != "" {
		return writeTable(w, summaryTable(sum), f)
	}
	settings, err := h.st.FinanceSettings(r.Context())
	if err != nil {
		return err
	}
	monthlyBudget := finance.Money(int64(sum.Total.Budget) / 12)
	chart := newBarChart(monthLabels(y), []barSeries{{Name: "Committed", Colour: "#1d70b8", Values: sum.Months[:]}, {Name: "Paid", Colour: "#00703c", Values: sum.Actuals[:]}},
		&monthlyBudget, "Budget a month", describeMonths(y, sum.Months, sum.Actuals, monthlyBudget))
	type monthRow struct {
		Label                string
		Month                int
		Committed, Paid, Gap finance.Money
	}
	var months []monthRow
	for i := range sum.Months {
		months = append(months, monthRow{Label: y.MonthLabel(i), Month: i + 1, Committed: sum.Months[i], Paid: sum.Actuals[i], Gap: sum.Months[i] - monthlyBudget})
	}
	h.s.render(w, r, http.StatusOK, "finance_home", "Finance "+y.String(), map[string]any{"Summary": sum, "Year": y, "Years": h.yearOptions(),
		"Chart": chart, "Months": months, "MonthlyBudget": monthlyBudget, "Settings": settings, "CanWrite": canWriteFinanceWeb(r), "Admin": isAdminWeb(r),
		"Current": y == finance.YearOf(h.s.Now()), "YearQ": strconv.Itoa(int(y)),
		"Amber": pricing.BP(settings.AmberBP).String(), "Red": pricing.BP(settings.RedBP).String()}, nil)
	return nil
}

func summaryTable(s *finance.Summary) xtable {
	t := xtable{Name: "Finance summary " + s.Label, Header: []string{"Budget line", "Budget", "Committed", "Paid to date", "Forecast outturn", "Variance", "Status", "Top-ups (not council cost)", "Placements"}}
	for _, it := range append(append([]finance.SummaryItem(nil), s.Items...), s.Total) {
		t.Rows = append(t.Rows, []xcell{xt(it.Name), xm(it.Budget), xm(it.Committed), xm(it.Actual), xm(it.Forecast), xm(it.Variance), xt(it.Status.Label()), xm(it.TopUp), xi(int64(it.Placements))})
	}
	return t
}

// --- Drill-down: the placements behind a figure

func (h *financeHandlers) drillPage(w http.ResponseWriter, r *http.Request) error {
	f, err := h.drillFilter(r)
	if err != nil {
		return err
	}
	format := exportFormat(r)
	if format != "" {
		f.Page = -1 // the export holds every placement, not one page
	}
	d, err := h.st.DrillDown(r.Context(), f)
	if err != nil {
		return err
	}
	what := h.drillTitle(r, f)
	if format != "" {
		return writeTable(w, drillTable(what, d), format)
	}
	q := r.URL.Query()
	q.Del("page")
	pg := paginate("/finance/placements", q, market.Page{Number: max(f.Page, 1), PerPage: 50}, d.Count)
	h.s.render(w, r, http.StatusOK, "finance_placements", "Placements behind "+what, map[string]any{"Drill": d, "What": what, "Pages": pg,
		"Export": q.Encode(), "Year": f.Year}, nil)
	return nil
}

func (h *financeHandlers) drillTitle(r *http.Request, f finance.DrillFilter) string {
	parts := []string{f.Year.String()}
	if f.Month > 0 {
		parts = []string{f.Year.MonthLabel(f.Month - 1)}
	}
	if f.BudgetLineID > 0 {
		if ls, err := h.st.ListBudgetLines(r.Context()); err == nil {
			for _, l := range ls {
				if l.ID == f.BudgetLineID {
					parts = append(parts, l.Name)
				}
			}
		}
	} else if f.BudgetLineID == -1 {
		parts = append(parts, "no budget line")
	}
	if f.ProviderID > 0 {
		parts = append(parts, fmt.Sprintf("provider %d", f.ProviderID))
	}
	if f.AgreementID > 0 {
		parts = append(parts, fmt.Sprintf("agreement %d", f.AgreementID))
	}
	return strings.Join(parts, ", ")
}

func drillTable(what string, d *finance.Drill) xtable {
	t := xtable{Name: "Placements " + what, Header: []string{"Placement", "Case reference", "Provider", "Service type", "Start", "End", "Weekly cost now", "Days in period", "Cost in period", "Top-up in period (not council cost)"}}
	for _, row := range d.Rows {
		var days int64
		for _, s := range row.Working {
			days += s.Days
		}
		weekly := finance.Money(0)
		if n := len(row.Prices); n > 0 {
			weekly = row.Prices[n-1].Weekly
		}
		t.Rows = append(t.Rows, []xcell{xi(row.ID), xt(row.CaseRef), xt(row.ProviderName), xt(row.ServiceType.Label()), xd(row.Start), xdp(row.End),
			xm(weekly), xi(days), xm(row.Cost), xm(row.TopUpIn)})
	}
	return t
}

// placementPage is one placement's commitment this year with the working:
// what a broker sees of the placement being made.
func (h *financeHandlers) placementPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	y, err := h.pageYear(r)
	if err != nil {
		return err
	}
	pc, err := h.st.PlacementCommitment(r.Context(), id, y)
	if err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "finance_placement", fmt.Sprintf("Placement %d: commitment in %s", id, y), map[string]any{"P": pc, "Year": y}, nil)
	return nil
}

// --- Roll-ups

func (h *financeHandlers) rollupPage(w http.ResponseWriter, r *http.Request) error {
	y, d, items, err := h.rollup(r)
	if err != nil {
		return err
	}
	if f := exportFormat(r); f != "" {
		t := xtable{Name: "Commitment by " + strings.ToLower(d.Label()) + " " + y.String(), Header: append(append([]string{d.Label()}, monthLabels(y)...), "Year", "Top-ups (not council cost)", "Placements")}
		for _, it := range items {
			row := []xcell{xt(it.Name)}
			for _, m := range it.Months {
				row = append(row, xm(m))
			}
			t.Rows = append(t.Rows, append(row, xm(it.Total), xm(it.TopUp), xi(int64(it.Placements))))
		}
		return writeTable(w, t, f)
	}
	dims := optionsOf(finance.Dimensions, func(x finance.Dimension) option { return option{Value: string(x), Label: x.Label()} })
	var total finance.Money
	for _, it := range items {
		total += it.Total
	}
	h.s.render(w, r, http.StatusOK, "finance_commitments", "Commitment by "+strings.ToLower(d.Label()), map[string]any{"Items": items, "Year": y,
		"By": d, "Dims": dims, "Years": h.yearOptions(), "Months": monthLabels(y), "Total": total, "Export": url.Values{"year": {strconv.Itoa(int(y))}, "by": {string(d)}}.Encode()}, nil)
	return nil
}

// --- Budgets

func (h *financeHandlers) budgetsView(r *http.Request, y finance.Year) (map[string]any, error) {
	lines, err := h.st.ListBudgetLines(r.Context())
	if err != nil {
		return nil, err
	}
	bs, err := h.st.ListBudgets(r.Context(), y)
	if err != nil {
		return nil, err
	}
	settings, err := h.st.FinanceSettings(r.Context())
	if err != nil {
		return nil, err
	}
	amounts := map[int64]finance.Money{}
	for _, b := range bs {
		amounts[b.BudgetLineID] = b.Amount
	}
	type lineRow struct {
		finance.BudgetLine
		Budget  finance.Money
		HasBudg bool
		Field   string
	}
	var rows []lineRow
	for _, l := range lines {
		a, ok := amounts[l.ID]
		rows = append(rows, lineRow{BudgetLine: l, Budget: a, HasBudg: ok, Field: fmt.Sprintf("budget-%d", l.ID)})
	}
	return map[string]any{"Lines": rows, "Year": y, "Years": h.yearOptions(), "CanWrite": canWriteFinanceWeb(r), "Admin": isAdminWeb(r),
		"Settings": settings, "Services": serviceTypeOptions(), "AmberPct": bpValue(settings.AmberBP), "RedPct": bpValue(settings.RedBP)}, nil
}

func (h *financeHandlers) budgetsPage(w http.ResponseWriter, r *http.Request) error {
	y, err := h.pageYear(r)
	if err != nil {
		return err
	}
	v, err := h.budgetsView(r, y)
	if err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "finance_budgets", "Budgets "+y.String(), v, nil)
	return nil
}

func (h *financeHandlers) budgetsFail(w http.ResponseWriter, r *http.Request, y finance.Year, err error) error {
	if !hasFormErrors(err) {
		return err
	}
	v, verr := h.budgetsView(r, y)
	if verr != nil {
		return verr
	}
	h.s.render(w, r, statusOf(err), "finance_budgets", "Budgets "+y.String(), v, err)
	return nil
}

func (h *financeHandlers) budgetLinePost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	f := readFields(r.PostForm)
	b := &finance.BudgetLine{ID: f.id("id", ""), Name: r.PostForm.Get("name"), Code: r.PostForm.Get("code"), ServiceTypes: f.serviceTypes("service_types")}
	y := finance.YearOf(h.s.Now())
	if err := h.st.SaveBudgetLine(r.Context(), b); err != nil {
		return h.budgetsFail(w, r, y, err)
	}
	redirectWithFlash(w, r, "/finance/budgets", "Budget line "+b.Name+" saved")
	return nil
}

func (h *financeHandlers) budgetsPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	y, err := finance.ParseYear(r.PostForm.Get("year"))
	if err != nil {
		return err
	}
	lines, err := h.st.ListBudgetLines(r.Context())
	if err != nil {
		return err
	}
	var bs []finance.Budget
	fields := map[string]string{}
	for _, l := range lines {
		name := fmt.Sprintf("budget-%d", l.ID)
		raw := strings.TrimSpace(r.PostForm.Get(name))
		if raw == "" {
			continue
		}
		m, err := money.Parse(raw)
		if err != nil || m < 0 {
			fields[name] = "Enter the budget for " + l.Name + " in pounds, like 22200000"
			continue
		}
		bs = append(bs, finance.Budget{BudgetLineID: l.ID, Year: y, Amount: m})
	}
	if err := caremarket.Invalid(fields); err != nil {
		return h.budgetsFail(w, r, y, err)
	}
	if err := h.st.SetBudgets(r.Context(), bs); err != nil {
		return h.budgetsFail(w, r, y, err)
	}
	redirectWithFlash(w, r, "/finance/budgets?year="+strconv.Itoa(int(y)), fmt.Sprintf("Budgets for %s saved", y))
	return nil
}

func (h *financeHandlers) budgetsUpload(w http.ResponseWriter, r *http.Request) error {
	y := finance.YearOf(h.s.Now())
	file, _, err := r.FormFile("file")
	if err != nil {
		return h.budgetsFail(w, r, y, caremarket.Invalid(map[string]string{"file": "Choose a CSV file with the columns budget line, year and amount"}))
	}
	defer file.Close()
	lines, err := h.st.ListBudgetLines(r.Context())
	if err != nil {
		return err
	}
	body, err := readUpload(file, MaxBodyBytes)
	if err != nil {
		return h.budgetsFail(w, r, y, err)
	}
	bs, bad, err := finance.ReadBudgets(bytes.NewReader(body), lines)
	if err == nil && len(bad) > 0 {
		var reasons []string
		for _, b := range bad {
			reasons = append(reasons, b.Error())
		}
		err = caremarket.Invalid(map[string]string{"file": "Nothing was saved: " + strings.Join(reasons, "; ")})
	} else if err != nil {
		err = caremarket.Invalid(map[string]string{"file": caremarket.ErrorMessage(err)})
	}
	if err == nil {
		err = h.st.SetBudgets(r.Context(), bs)
	}
	if err != nil {
		return h.budgetsFail(w, r, y, err)
	}
	redirectWithFlash(w, r, "/finance/budgets", fmt.Sprintf("%d budgets saved from the file", len(bs)))
	return nil
}

func (h *financeHandlers) settingsPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	cur, err := h.st.FinanceSettings(r.Context())
	if err != nil {
		return err
	}
	s := *cur
	fields := map[string]string{}
	pct := func(name string) int64 {
		v, err := pricing.ParseBP(r.PostForm.Get(name))
		if err != nil {
			fields[name] = "Enter a percentage, like 1.5"
		}
		return int64(v)
	}
	s.AmberBP, s.RedBP = pct("amber"), pct("red")
	if err := caremarket.Invalid(fields); err == nil {
		err = h.st.SetFinanceSettings(r.Context(), s)
		if err != nil {
			return h.budgetsFail(w, r, finance.YearOf(h.s.Now()), err)
		}
	} else {
		return h.budgetsFail(w, r, finance.YearOf(h.s.Now()), err)
	}
	redirectWithFlash(w, r, "/finance/budgets", "Tolerances saved")
	return nil
}

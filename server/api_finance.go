package server

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
)

// Finance over HTTP: the year's summary by budget line, roll-ups and
// drill-downs with their working, budget lines and budgets (JSON or CSV),
// actuals imported from the payments system (CSV), forecasts, assumption
// sets, scenarios and agreement spend. The store decides who may do what.

type financeHandlers struct {
	s  *Server
	st finance.Store
}

func (s *Server) registerFinance() {
	h := &financeHandlers{s: s, st: s.Store}
	s.route("GET /api/v1/finance/summary", s.api(h.apiSummary))
	s.route("GET /api/v1/finance/commitments", s.api(h.apiRollup))
	s.route("GET /api/v1/finance/placements", s.api(h.apiDrill))
	s.route("GET /api/v1/finance/settings", s.api(h.apiSettings))
	s.route("PUT /api/v1/finance/settings", s.api(h.apiSetSettings))
	s.route("GET /api/v1/placements/{id}/commitment", s.api(h.apiPlacementCommitment))
	s.route("GET /api/v1/budget-lines", s.api(h.apiBudgetLines))
	s.route("POST /api/v1/budget-lines", s.api(h.apiCreateBudgetLine))
	s.route("PUT /api/v1/budget-lines/{id}", s.api(h.apiUpdateBudgetLine))
	s.route("GET /api/v1/budgets", s.api(h.apiBudgets))
	s.route("POST /api/v1/budgets", s.api(h.apiSetBudgets))
	s.route("GET /api/v1/actuals", s.api(h.apiActuals))
	s.route("POST /api/v1/actuals", s.api(h.apiImportActuals))
	s.route("GET /api/v1/actual-imports", s.api(h.apiImports))
	s.route("PUT /api/v1/providers/{id}/supplier-reference", s.api(h.apiSupplierRef))
	s.route("GET /api/v1/forecasts", s.api(h.apiForecasts))
	s.route("GET /api/v1/assumptions", s.api(h.apiAssumptions))
	s.route("POST /api/v1/assumptions", s.api(h.apiSaveAssumptions))
	s.route("GET /api/v1/scenarios", s.api(h.apiScenarios))
	s.route("POST /api/v1/scenarios", s.api(h.apiSaveScenario))
	s.route("GET /api/v1/scenarios/{id}", s.api(h.apiScenario))
	s.route("GET /api/v1/agreements/{id}/spend", s.api(h.apiSpend))
	h.registerPages()
}

// year reads ?year= (2026 or 2026/27); the default is the year today is in.
func (h *financeHandlers) year(q *query) finance.Year {
	raw := strings.TrimSpace(q.v.Get("year"))
	if raw == "" {
		return finance.YearOf(h.s.Now())
	}
	y, err := finance.ParseYear(raw)
	if err != nil {
		q.fields["year"] = caremarket.ErrorMessage(err)
	}
	return y
}

func (h *financeHandlers) apiSummary(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	y := h.year(q)
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(h.st.FinanceSummary(r.Context(), y))
}

// rollupItem is one group of a roll-up with its name.
type rollupItem struct {
	finance.Group
	Name string `json:"name"`
}

func (h *financeHandlers) rollup(r *http.Request) (finance.Year, finance.Dimension, []rollupItem, error) {
	q := newQuery(r)
	y := h.year(q)
	d := finance.Dimension(q.str("by", 40))
	if d == "" {
		d = finance.ByBudgetLine
	}
	if err := q.err(); err != nil {
		return 0, "", nil, err
	}
	gs, names, err := h.st.CommitmentRollup(r.Context(), y, d)
	if err != nil {
		return 0, "", nil, err
	}
	out := make([]rollupItem, 0, len(gs))
	for _, g := range gs {
		out = append(out, rollupItem{Group: g, Name: names[g.Key]})
	}
	return y, d, out, nil
}

func (h *financeHandlers) apiRollup(w http.ResponseWriter, r *http.Request) error {
	_, _, items, err := h.rollup(r)
	return reply(w, http.StatusOK)(listOf(items), err)
}

func (h *financeHandlers) drillFilter(r *http.Request) (finance.DrillFilter, error) {
	q := newQuery(r)
	f := finance.DrillFilter{Year: h.year(q), Month: int(q.int("month")), BudgetLineID: q.int("budget_line_id"), ProviderID: q.int("provider_id"),
		AgreementID: q.int("agreement_id"), Page: int(q.int("page"))}
	if raw := q.v.Get("budget_line_id"); raw == "none" {
		delete(q.fields, "budget_line_id")
		f.BudgetLineID = -1
	}
	return f, q.err()
}

func (h *financeHandlers) apiDrill(w http.ResponseWriter, r *http.Request) error {
	f, err := h.drillFilter(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(h.st.DrillDown(r.Context(), f))
}

func (h *financeHandlers) apiSettings(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(h.st.FinanceSettings(r.Context()))
}

func (h *financeHandlers) apiSetSettings(w http.ResponseWriter, r *http.Request) error {
	var in finance.Settings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Scale == 0 {
		in.Scale = 1
	}
	if err := h.st.SetFinanceSettings(r.Context(), in); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(h.st.FinanceSettings(r.Context()))
}

func (h *financeHandlers) apiPlacementCommitment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := newQuery(r)
	y := h.year(q)
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(h.st.PlacementCommitment(r.Context(), id, y))
}

func (h *financeHandlers) apiBudgetLines(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(h.st.ListBudgetLines(r.Context())))
}

type budgetLineInput struct {
	Name         string   `json:"name"`
	Code         string   `json:"code"`
	ServiceTypes []string `json:"service_types"`
}

func (in budgetLineInput) line(id int64) *finance.BudgetLine {
	b := &finance.BudgetLine{ID: id, Name: in.Name, Code: in.Code}
	for _, st := range in.ServiceTypes {
		b.ServiceTypes = append(b.ServiceTypes, market.ServiceType(st))
	}
	return b
}

func (h *financeHandlers) apiCreateBudgetLine(w http.ResponseWriter, r *http.Request) error {
	var in budgetLineInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	b := in.line(0)
	return reply(w, http.StatusCreated)(b, h.st.SaveBudgetLine(r.Context(), b))
}

func (h *financeHandlers) apiUpdateBudgetLine(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[budgetLineInput](w, r)
	if err != nil {
		return err
	}
	b := in.line(id)
	return reply(w, http.StatusOK)(b, h.st.SaveBudgetLine(r.Context(), b))
}

func (h *financeHandlers) apiBudgets(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	var y finance.Year
	if q.v.Get("year") != "" {
		y = h.year(q)
	}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(h.st.ListBudgets(r.Context(), y)))
}

// budgetsInput is a JSON list of budgets to set.
type budgetsInput struct {
	Items []struct {
		BudgetLineID int64  `json:"budget_line_id"`
		Year         string `json:"year"`
		Amount       int64  `json:"amount_pence"`
	} `json:"items"`
}

// apiSetBudgets sets budgets from JSON ({"items": [...]}) or a CSV file
// (Content-Type: text/csv; columns budget line, year, amount in pounds):
// all of them or, when any line is bad, none.
func (h *financeHandlers) apiSetBudgets(w http.ResponseWriter, r *http.Request) error {
	var bs []finance.Budget
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "text/csv" {
		lines, err := h.st.ListBudgetLines(r.Context())
		if err != nil {
			return err
		}
		body, err := readCSVBody(w, r, MaxBodyBytes)
		if err != nil {
			return err
		}
		var bad []finance.LineError
		bs, bad, err = finance.ReadBudgets(bytes.NewReader(body), lines)
		if err != nil || len(bad) > 0 {
			return lineErrorsErr(err, bad)
		}
	} else {
		var in budgetsInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		for i, it := range in.Items {
			y, err := finance.ParseYear(it.Year)
			if err != nil {
				return caremarket.Invalid(map[string]string{"items[" + strconv.Itoa(i) + "].year": caremarket.ErrorMessage(err)})
			}
			bs = append(bs, finance.Budget{BudgetLineID: it.BudgetLineID, Year: y, Amount: finance.Money(it.Amount)})
		}
	}
	if err := h.st.SetBudgets(r.Context(), bs); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listOf(bs), nil)
}

func (h *financeHandlers) actualFilter(r *http.Request) (finance.ActualFilter, error) {
	q := newQuery(r)
	f := finance.ActualFilter{PlacementID: q.int("placement_id"), ProviderID: q.int("provider_id"), Flagged: q.flag("flagged"), Page: int(q.int("page"))}
	if q.v.Get("year") != "" {
		f.Year = h.year(q)
	}
	return f, q.err()
}

func (h *financeHandlers) apiActuals(w http.ResponseWriter, r *http.Request) error {
	f, err := h.actualFilter(r)
	if err != nil {
		return err
	}
	ps, total, err := h.st.ListActuals(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[finance.Payment]{Items: ps, Total: total, Page: max(f.Page, 1), PerPage: 50})
	return nil
}

// apiImportActuals imports a remittance file sent as the body
// (Content-Type: text/csv); ?source= labels it.
func (h *financeHandlers) apiImportActuals(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		return caremarket.Errorf(caremarket.EINVALID, "Send the payments file as CSV (Content-Type: text/csv)")
	}
	q := newQuery(r)
	name := q.str("source", 200)
	if err := q.err(); err != nil {
		return err
	}
	if name == "" {
		name = "api upload"
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, MaxImportBytes)
	return reply(w, http.StatusOK)(h.st.ImportActuals(r.Context(), name, "api", body))
}

func (h *financeHandlers) apiImports(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(h.st.ListImports(r.Context())))
}

// supplierRefInput is a provider's reference in the council's payments system.
type supplierRefInput struct {
	Reference string `json:"reference"`
}

// scenarioInput pairs two assumption sets over the budget lines chosen.
type scenarioInput struct {
	Name          string  `json:"name"`
	AID           int64   `json:"a_id"`
	BID           int64   `json:"b_id"`
	BudgetLineIDs []int64 `json:"budget_line_ids"`
}

func (h *financeHandlers) apiSupplierRef(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[supplierRefInput](w, r)
	if err != nil {
		return err
	}
	if err := h.st.SetSupplierReference(r.Context(), id, in.Reference); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(map[string]any{"provider_id": id, "reference": strings.TrimSpace(in.Reference)}, nil)
}

// forecastAnswer is the forecast with the assumptions it came from.
type forecastAnswer struct {
	Assumptions *finance.Assumptions   `json:"assumptions"`
	Items       []finance.LineForecast `json:"items"`
}

// forecasts reads the forecast under the assumptions the query's
// assumptions_id names.
func (h *financeHandlers) forecasts(r *http.Request) ([]finance.LineForecast, *finance.Assumptions, error) {
	q := newQuery(r)
	id := q.int("assumptions_id")
	if err := q.err(); err != nil {
		return nil, nil, err
	}
	return h.st.Forecasts(r.Context(), id)
}

func (h *financeHandlers) apiForecasts(w http.ResponseWriter, r *http.Request) error {
	fs, a, err := h.forecasts(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, forecastAnswer{Assumptions: a, Items: fs})
	return nil
}

func (h *financeHandlers) apiAssumptions(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(h.st.ListAssumptions(r.Context())))
}

// assumptionsInput is what a caller sets on an assumption set.
type assumptionsInput struct {
	Name           string `json:"name"`
	Years          *int   `json:"years"`
	DemandGrowthBP int64  `json:"demand_growth_bp"`
	InflationBP    int64  `json:"inflation_bp"`
	StaffShareBP   int64  `json:"staff_share_bp"`
	NewPricing     string `json:"new_pricing"`
	DriftBP        *int64 `json:"drift_bp"`
	GuideBP        int64  `json:"guide_bp"`
}

func (h *financeHandlers) apiSaveAssumptions(w http.ResponseWriter, r *http.Request) error {
	var in assumptionsInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a := finance.Assumptions{Name: in.Name, Years: 4, DemandGrowthBP: in.DemandGrowthBP, InflationBP: in.InflationBP, StaffShareBP: in.StaffShareBP,
		NewPricing: finance.NewPricing(in.NewPricing), DriftBP: -1, GuideBP: in.GuideBP}
	if in.Years != nil {
		a.Years = *in.Years
	}
	if in.DriftBP != nil {
		a.DriftBP = *in.DriftBP
	}
	if a.NewPricing == "" {
		a.NewPricing = finance.AtMarketMedian
	}
	return reply(w, http.StatusCreated)(&a, h.st.SaveAssumptions(r.Context(), &a))
}

func (h *financeHandlers) apiScenarios(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(h.st.ListScenarios(r.Context())))
}

func (h *financeHandlers) apiSaveScenario(w http.ResponseWriter, r *http.Request) error {
	var in scenarioInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sc := &finance.Scenario{Name: strings.TrimSpace(in.Name), AID: in.AID, BID: in.BID, BudgetLineIDs: in.BudgetLineIDs}
	return reply(w, http.StatusCreated)(sc, h.st.SaveScenario(r.Context(), sc))
}

func (h *financeHandlers) apiScenario(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, h.st.ScenarioResult))
}

func (h *financeHandlers) apiSpend(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, h.st.AgreementSpend))
}

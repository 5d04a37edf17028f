package server

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
)

// --- Actuals

func (h *financeHandlers) actualsView(r *http.Request, rep *finance.ImportReport) (map[string]any, error) {
	f, err := h.actualFilter(r)
	if err != nil {
		return nil, err
	}
	ps, total, err := h.st.ListActuals(r.Context(), f)
	if err != nil {
		return nil, err
	}
	staff := caremarket.ActorFrom(r.Context()).IsStaff()
	var imports []finance.Import
	if staff {
		if imports, err = h.st.ListImports(r.Context()); err != nil {
			return nil, err
		}
	}
	q := r.URL.Query()
	q.Del("page")
	q.Del("format")
	notImported, more := notImportedShown(rep)
	return map[string]any{"Payments": ps, "Total": total, "Imports": imports, "Report": rep, "Staff": staff, "CanWrite": canWriteFinanceWeb(r),
		"Flagged": f.Flagged, "Pages": paginate("/finance/actuals", q, market.Page{Number: max(f.Page, 1), PerPage: 50}, total), "Export": q.Encode(),
		"NotImported": notImported, "NotImportedMore": more}, nil
}

// maxNotImportedShown is how many of an import's lines not imported the
// page lists: a file of garbage has one for every line, and listing the
// 260,000 of a 1 MB file made a 100 MB page (the summary counts them all).
const maxNotImportedShown = 100

// notImportedShown is the first lines of rep that could not be read or
// matched, and how many more there are.
func notImportedShown(rep *finance.ImportReport) ([]finance.LineError, int) {
	if rep == nil {
		return nil, 0
	}
	all := append(append([]finance.LineError(nil), rep.Rejected...), rep.Unmatched...)
	if len(all) <= maxNotImportedShown {
		return all, 0
	}
	return all[:maxNotImportedShown], len(all) - maxNotImportedShown
}

func (h *financeHandlers) actualsPage(w http.ResponseWriter, r *http.Request) error {
	if f := exportFormat(r); f != "" {
		flt, err := h.actualFilter(r)
		if err != nil {
			return err
		}
		t := xtable{Name: "Payments", Header: []string{"Placement", "Provider", "Service type", "Period from", "Period to", "Amount", "Committed for the period", "Overpaid", "Paid twice", "Payment date"}}
		for page := 1; ; page++ {
			flt.Page = page
			ps, total, err := h.st.ListActuals(r.Context(), flt)
			if err != nil {
				return err
			}
			for _, p := range ps {
				twice := "No"
				if p.PaidTwice {
					twice = "Yes"
				}
				t.Rows = append(t.Rows, []xcell{xi(p.PlacementID), xt(p.ProviderName), xt(p.ServiceType.Label()), xd(p.From), xd(p.To),
					xm(p.Amount), xm(p.Committed), xm(p.Overpaid), xt(twice), xd(p.PaidOn)})
			}
			if len(ps) == 0 || page*50 >= total || page >= 200 {
				break
			}
		}
		return writeTable(w, t, f)
	}
	v, err := h.actualsView(r, nil)
	if err != nil {
		return err
	}
	title := "Payments"
	if !v["Staff"].(bool) {
		title = "Our payments"
	}
	h.s.render(w, r, http.StatusOK, "finance_actuals", title, v, nil)
	return nil
}

// actualsPost imports an uploaded remittance file and shows the report.
func (h *financeHandlers) actualsPost(w http.ResponseWriter, r *http.Request) error {
	if !canWriteFinanceWeb(r) {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "Only finance imports payments")
	}
	file, hdr, err := r.FormFile("file")
	var rep *finance.ImportReport
	if err != nil {
		err = caremarket.Invalid(map[string]string{"file": "Choose the payments file (CSV) to import"})
	} else {
		defer file.Close()
		rep, err = h.st.ImportActuals(r.Context(), hdr.Filename, "upload", io.LimitReader(file, MaxImportBytes))
		if err != nil && hasFormErrors(err) {
			err = caremarket.Invalid(map[string]string{"file": caremarket.ErrorMessage(err)})
		}
	}
	if err != nil && !hasFormErrors(err) {
		return err
	}
	v, verr := h.actualsView(r, rep)
	if verr != nil {
		return verr
	}
	status := http.StatusOK
	if err != nil {
		status = statusOf(err)
	}
	h.s.render(w, r, status, "finance_actuals", "Payments", v, err)
	return nil
}

// --- Forecast and assumptions

func (h *financeHandlers) forecastPage(w http.ResponseWriter, r *http.Request) error {
	fs, a, err := h.forecasts(r)
	if err != nil {
		return err
	}
	if f := exportFormat(r); f != "" {
		return writeTable(w, forecastTable(fs), f)
	}
	sets, err := h.st.ListAssumptions(r.Context())
	if err != nil {
		return err
	}
	h.forecastRender(w, r, http.StatusOK, fs, a, sets, assumptionValues(a), nil)
	return nil
}

func (h *financeHandlers) forecastRender(w http.ResponseWriter, r *http.Request, status int, fs []finance.LineForecast, a *finance.Assumptions, sets []finance.Assumptions, form url.Values, err error) {
	opts := optionsOf(sets, func(s finance.Assumptions) option {
		return option{Value: strconv.FormatInt(s.ID, 10), Label: fmt.Sprintf("%s (%s, %s)", s.Name, s.Author, s.CreatedAt.Format("2 January 2006"))}
	})
	total := finance.Total("All budget lines", fs)
	h.s.render(w, r, status, "finance_forecast", "Forecast", map[string]any{"Lines": fs, "Total": total, "A": a, "Sets": opts, "CanWrite": canWriteFinanceWeb(r),
		"Form": form, "Export": url.Values{"assumptions_id": {strconv.FormatInt(a.ID, 10)}}.Encode(),
		"Pricing": []option{{Value: string(finance.AtMarketMedian), Label: "At the market's median, drifting (a DPS)"}, {Value: string(finance.AtGuidePrice), Label: "At the guide price plus uplifts (a framework)"}}}, err)
}

func forecastTable(fs []finance.LineForecast) xtable {
	t := xtable{Name: "Forecast", Header: []string{"Budget line", "Year", "Paid and committed to date", "Live placements continuing", "New placements", "Forecast", "Budget", "Variance", "Uplift", "New placements a year"}}
	for _, f := range fs {
		for _, y := range f.Years {
			t.Rows = append(t.Rows, []xcell{xt(f.Name), xt(y.Label), xm(y.ToDate), xm(y.Continuing), xm(y.New), xm(y.Forecast), xm(y.Budget), xm(y.Variance), xbp(y.UpliftBP), xf(y.NewStarts)})
		}
	}
	return t
}

func bpValue(bp int64) string { return strings.TrimSuffix(pricing.BP(bp).String(), "%") }

func assumptionValues(a *finance.Assumptions) url.Values {
	v := url.Values{"name": {""}, "years": {strconv.Itoa(a.Years)}, "demand_growth": {bpValue(a.DemandGrowthBP)}, "inflation": {bpValue(a.InflationBP)},
		"staff_share": {bpValue(a.StaffShareBP)}, "new_pricing": {string(a.NewPricing)}, "guide": {bpValue(a.GuideBP)}, "drift": {""}}
	if a.DriftBP != -1 {
		v.Set("drift", bpValue(a.DriftBP))
	}
	return v
}

func (h *financeHandlers) assumptionsPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	v := r.PostForm
	fields := map[string]string{}
	pct := func(name, label string, optional bool) int64 {
		raw := strings.TrimSpace(v.Get(name))
		if raw == "" && optional {
			return -1
		}
		b, err := pricing.ParseBP(raw)
		if err != nil {
			fields[name] = label + " must be a percentage, like 2.5"
		}
		return int64(b)
	}
	a := finance.Assumptions{Name: v.Get("name"), DemandGrowthBP: pct("demand_growth", "Demand growth", false), InflationBP: pct("inflation", "Inflation", false),
		StaffShareBP: pct("staff_share", "Staff share", false), NewPricing: finance.NewPricing(v.Get("new_pricing")), DriftBP: pct("drift", "Price drift", true)}
	if g := pct("guide", "Guide price against the median", true); g > 0 {
		a.GuideBP = g
	}
	years, err := strconv.Atoi(strings.TrimSpace(v.Get("years")))
	if err != nil {
		fields["years"] = "Enter how many years ahead, like 4"
	}
	a.Years = years
	err = caremarket.Invalid(fields)
	if err == nil {
		err = h.st.SaveAssumptions(r.Context(), &a)
	}
	if err != nil {
		if !hasFormErrors(err) {
			return err
		}
		fs, cur, ferr := h.st.Forecasts(r.Context(), 0)
		if ferr != nil {
			return ferr
		}
		sets, serr := h.st.ListAssumptions(r.Context())
		if serr != nil {
			return serr
		}
		h.forecastRender(w, r, statusOf(err), fs, cur, sets, v, err)
		return nil
	}
	redirectWithFlash(w, r, "/finance/forecast?assumptions_id="+strconv.FormatInt(a.ID, 10), "Assumptions "+a.Name+" saved")
	return nil
}

// --- Scenarios

func (h *financeHandlers) scenariosPage(w http.ResponseWriter, r *http.Request) error {
	return h.scenariosRender(w, r, http.StatusOK, nil)
}

func (h *financeHandlers) scenariosRender(w http.ResponseWriter, r *http.Request, status int, err error) error {
	scs, lerr := h.st.ListScenarios(r.Context())
	if lerr != nil {
		return lerr
	}
	sets, lerr := h.st.ListAssumptions(r.Context())
	if lerr != nil {
		return lerr
	}
	opts := optionsOf(sets, func(s finance.Assumptions) option {
		return option{Value: strconv.FormatInt(s.ID, 10), Label: s.Name + " (" + s.Author + ")"}
	})
	h.s.render(w, r, status, "finance_scenarios", "Scenarios", map[string]any{"Scenarios": scs, "Sets": opts, "CanWrite": canWriteFinanceWeb(r)}, err)
	return nil
}

func (h *financeHandlers) scenarioPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	f := readFields(r.PostForm)
	sc := &finance.Scenario{Name: strings.TrimSpace(r.PostForm.Get("name")), AID: f.id("a_id", "Choose the first assumption set"), BID: f.id("b_id", "Choose the second assumption set")}
	err := f.err()
	if err == nil {
		err = h.st.SaveScenario(r.Context(), sc)
	}
	if err != nil {
		if !hasFormErrors(err) {
			return err
		}
		return h.scenariosRender(w, r, statusOf(err), err)
	}
	redirectWithFlash(w, r, "/finance/scenarios/"+strconv.FormatInt(sc.ID, 10), "Scenario "+sc.Name+" saved")
	return nil
}

func (h *financeHandlers) scenarioPage(w http.ResponseWriter, r *http.Request) error {
	res, err := loadPath(r, pathID, h.st.ScenarioResult)
	if err != nil {
		return err
	}
	if f := exportFormat(r); f != "" {
		t := xtable{Name: "Scenario " + res.Name, Header: []string{"Year", "Budget", res.A.Name + " forecast", res.A.Name + " variance", res.B.Name + " forecast", res.B.Name + " variance", "Difference"}}
		for _, y := range res.Years {
			t.Rows = append(t.Rows, []xcell{xt(y.Label), xm(y.Budget), xm(y.A.Forecast), xm(y.A.Variance), xm(y.B.Forecast), xm(y.B.Variance), xm(y.Difference)})
		}
		return writeTable(w, t, f)
	}
	var labels []string
	var va, vb []finance.Money
	var parts []string
	for _, y := range res.Years {
		labels = append(labels, y.Label)
		va, vb = append(va, y.A.Variance), append(vb, y.B.Variance)
		parts = append(parts, fmt.Sprintf("%s: %s %s, %s %s", y.Label, res.A.Name, y.A.Variance, res.B.Name, y.B.Variance))
	}
	chart := newBarChart(labels, []barSeries{{Name: res.A.Name, Colour: "#d4351c", Values: va}, {Name: res.B.Name, Colour: "#1d70b8", Values: vb}}, nil, "",
		"Variance against budget by year: "+strings.Join(parts, "; "))
	type scaled struct {
		Label                  string
		Budget, VarA, VarB, Df finance.Money
	}
	var full []scaled
	if res.Scale > 1 {
		k := finance.Money(res.Scale)
		for _, y := range res.Years {
			full = append(full, scaled{y.Label, y.Budget * k, y.A.Variance * k, y.B.Variance * k, y.Difference * k})
		}
	}
	h.s.render(w, r, http.StatusOK, "finance_scenario", "Scenario: "+res.Name, map[string]any{"R": res, "Chart": chart, "Full": full}, nil)
	return nil
}

// --- Agreement spend

func (h *financeHandlers) agreementsPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin, caremarket.RoleCommissioner, caremarket.RoleFinance); err != nil {
		return err
	}
	as, err := h.s.Store.ListAgreements(r.Context())
	if err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "finance_agreements", "Contract value", map[string]any{"Agreements": as}, nil)
	return nil
}

func (h *financeHandlers) spendPage(w http.ResponseWriter, r *http.Request) error {
	cv, err := loadPath(r, pathID, h.st.AgreementSpend)
	if err != nil {
		return err
	}
	if f := exportFormat(r); f != "" {
		t := xtable{Name: "Spend " + cv.Reference, Header: []string{"Year", "Advertised", "Committed", "Paid", "Advertised less spent"}}
		for _, y := range cv.Years {
			t.Rows = append(t.Rows, []xcell{xt(y.Label), xm(y.Advertised), xm(y.Committed), xm(y.Actual), xm(y.Gap)})
		}
		return writeTable(w, t, f)
	}
	h.s.render(w, r, http.StatusOK, "finance_spend", cv.Reference+": value used", map[string]any{"V": cv, "UsedPct": pricing.BP(cv.UsedBP).String()}, nil)
	return nil
}

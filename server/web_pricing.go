package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// The pricing pages, by role: everyone sees guide prices; a
// provider user submits prices in the rounds it is invited to (form or CSV)
// and sees its own; commissioners keep cost models, open rounds, decide,
// and apply uplifts; council staff see price variation. Every page works
// without JavaScript: the working of a price is a GOV.UK details element
// and charts are server-rendered SVG with a table as their text alternative.

func (h *pricingHandlers) registerPages() {
	s := h.s
	s.route("GET /pricing", s.page(h.homePage))
	s.route("GET /pricing/cost-models", s.page(h.costModelsPage))
	s.route("GET /pricing/cost-models/new", s.page(h.newCostModelPage))
	s.route("POST /pricing/cost-models/new", s.page(h.newCostModelPost))
	s.route("GET /pricing/cost-models/{id}", s.page(h.costModelPage))
	s.route("POST /pricing/cost-models/{id}/adopt", s.page(h.adoptPost))
	s.route("GET /pricing/rounds", s.page(h.roundsPage))
	s.route("POST /pricing/rounds", s.page(h.openRoundPost))
	s.route("GET /pricing/rounds/{id}", s.page(h.roundPage))
	s.route("POST /pricing/rounds/{id}/prices", s.page(h.pricePost))
	s.route("POST /pricing/rounds/{id}/upload", s.page(h.uploadPost))
	s.route("POST /pricing/rounds/{id}/close", s.page(h.closeRoundPost))
	s.route("POST /pricing/submissions/{id}/decision", s.page(h.decisionPost))
	s.route("GET /pricing/uplifts", s.page(h.upliftsPage))
	s.route("POST /pricing/uplifts", s.page(h.upliftPost))
	s.route("GET /pricing/variation", s.page(h.variationPage))
	s.registerPricingBulk(h)
	s.route("GET /pricing/legacy-impact", s.page(h.legacyPage))
	s.route("POST /pricing/legacy-impact", s.page(h.legacyPost))
	s.route("POST /pricing/legacy-impact/brokerage", s.page(h.legacyBrokeragePost))
}

// postForm makes sure a posted form is parsed: a session's CSRF check
// parses it, but a request with an API token skips that check.
func postForm(w http.ResponseWriter, r *http.Request) {
	if r.PostForm == nil && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		r.ParseForm()
	}
}

func canSetPricesWeb(r *http.Request) bool {
	return caremarket.ActorFrom(r.Context()).Is(caremarket.RoleAdmin, caremarket.RoleCommissioner)
}

func isStaff(r *http.Request) bool { return caremarket.ActorFrom(r.Context()).IsStaff() }

// guideGroup is the guide prices of one service type, for a table.
type guideGroup struct {
	ServiceType market.ServiceType
	Prices      []pricing.GuidePrice
}

func groupGuides(gs []pricing.GuidePrice) []guideGroup {
	var out []guideGroup
	for _, g := range gs {
		if len(out) == 0 || out[len(out)-1].ServiceType != g.ServiceType {
			out = append(out, guideGroup{ServiceType: g.ServiceType})
		}
		out[len(out)-1].Prices = append(out[len(out)-1].Prices, g)
	}
	return out
}

func (h *pricingHandlers) homePage(w http.ResponseWriter, r *http.Request) error {
	gs, err := h.st.GuidePrices(r.Context(), pricing.GuideFilter{})
	if err != nil {
		return err
	}
	rounds, err := h.st.ListPriceRounds(r.Context())
	if err != nil {
		return err
	}
	nlw, _ := pricing.NLWOn(h.s.Now())
	h.s.render(w, r, http.StatusOK, "pricing_home", "Pricing", map[string]any{"Groups": groupGuides(gs), "Rounds": rounds,
		"Staff": isStaff(r), "CanSet": canSetPricesWeb(r), "NLW": nlw, "NLWRates": pricing.NLWRates}, nil)
	return nil
}

// --- Cost models

func (h *pricingHandlers) costModelsPage(w http.ResponseWriter, r *http.Request) error {
	ms, err := h.st.ListCostModels(r.Context(), "")
	if err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "pricing_cost_models", "Cost models", map[string]any{"Models": ms, "CanSet": canSetPricesWeb(r)}, nil)
	return nil
}

// defaultModelForm starts a new model from typical figures a commissioner
// then changes: the NLW in force, the worked example's on-costs.
func defaultModelForm(now time.Time) url.Values {
	v := url.Values{"service_type": {"residential"}, "pay_premium": {"0.50"}, "employer_ni": {"10"}, "pension": {"3"}, "holiday": {"12.07"},
		"training": {"2"}, "sickness": {"1.5"}, "overheads": {"10"}, "return": {"5"}, "bands": {"standard, Standard, 24.5\nhigh, High, 31.5"},
		"urban_non_staff_week": {"250.00"}, "rural_non_staff_week": {"230.00"}, "urban_non_staff_hour": {"1.00"}, "rural_non_staff_hour": {"1.00"},
		"urban_travel": {"15"}, "rural_travel": {"20"}, "urban_miles": {"3"}, "rural_miles": {"6"}, "mileage_rate": {"0.45"},
		"sleep_in_hours": {"9"}, "accommodation": {"A, Shared house of 3, 30, 3\nB, Shared house of 5, 60, 5"},
		"client_need": {"C1, Lower needs, 5, 0\nC2, Higher needs, 15, 7"}}
	next := time.Date(now.Year()+1, 4, 1, 0, 0, 0, 0, time.UTC)
	if now.Month() < 4 {
		next = time.Date(now.Year(), 4, 1, 0, 0, 0, 0, time.UTC)
	}
	dateValues(v, "effective_from", &next)
	return v
}

// modelFromForm reads the cost model form; every bad field gets a message.
func modelFromForm(v url.Values) (*pricing.CostModel, error) {
	f := readFields(v)
	m := &pricing.CostModel{Name: f.text("name", "name", 200), ServiceType: f.serviceType("service_type")}
	if d := f.date("effective_from", "Effective date"); d != nil {
		m.EffectiveFrom = *d
	} else if _, ok := f.errs["effective_from"]; !ok {
		f.fail("effective_from", "Enter the date the guide prices take effect")
	}
	pounds := func(name, label string, optional bool) money.Money {
		raw := strings.TrimSpace(v.Get(name))
		if raw == "" && optional {
			return 0
		}
		p, err := money.Parse(raw)
		if err != nil || p < 0 {
			f.fail(name, label+" must be an amount in pounds, like 1.50")
		}
		return p
	}
	rate := func(name, label string) pricing.BP {
		b, err := pricing.ParseBP(v.Get(name))
		if err != nil {
			f.fail(name, label+" must be a percentage with up to two decimal places, like 12.07")
		}
		return b
	}
	dec := func(name, label string) pricing.Dec {
		d, err := pricing.ParseDec(v.Get(name))
		if err != nil || d < 0 {
			f.fail(name, label+" must be a number, like 24.5")
		}
		return d
	}
	m.NLW = pounds("nlw", "National Living Wage", true)
	m.PayPremium = pounds("pay_premium", "Pay premium", false)
	m.OnCosts = pricing.OnCosts{EmployerNI: rate("employer_ni", "Employer National Insurance"), Pension: rate("pension", "Pension"),
		Holiday: rate("holiday", "Holiday pay"), Training: rate("training", "Training"), Sickness: rate("sickness", "Sickness")}
	m.Overheads, m.Return = rate("overheads", "Overheads"), rate("return", "Return on operations")
	m.MileageRate = pounds("mileage_rate", "Mileage rate", false)
	for _, s := range []struct {
		p  string
		to *pricing.SettingCosts
	}{{"urban", &m.Urban}, {"rural", &m.Rural}} {
		s.to.NonStaffPerWeek = pounds(s.p+"_non_staff_week", "Non-staff costs a week", false)
		s.to.NonStaffPerHour = pounds(s.p+"_non_staff_hour", "Non-staff costs an hour", false)
		s.to.TravelMinutesPerHour = dec(s.p+"_travel", "Travel minutes")
		s.to.MilesPerHour = dec(s.p+"_miles", "Miles")
	}
	// Bands: one a line, "code, label, hours a week".
	for i, line := range lines(v.Get("bands")) {
		parts := splitTrim(line, 3)
		hours, err := pricing.ParseDec(parts[2])
		if err != nil {
			f.fail("bands", fmt.Sprintf("Band line %d must be: code, label, care hours a week", i+1))
			continue
		}
		m.Bands = append(m.Bands, pricing.NeedBand{Code: parts[0], Label: parts[1], CareHoursPerWeek: hours})
	}
	if m.ServiceType == market.SupportedLiving {
		sl := &pricing.SupportedLivingBands{SleepInHoursPerNight: dec("sleep_in_hours", "Sleep-in hours")}
		for i, line := range lines(v.Get("accommodation")) {
			p := splitTrim(line, 4)
			hours, err1 := pricing.ParseDec(p[2])
			tenants, err2 := strconv.Atoi(p[3])
			if err1 != nil || err2 != nil {
				f.fail("accommodation", fmt.Sprintf("Accommodation line %d must be: code, label, shared hours a week, tenants", i+1))
				continue
			}
			sl.Accommodation = append(sl.Accommodation, pricing.AccommodationBand{Code: p[0], Label: p[1], SharedHoursPerWeek: hours, Tenants: tenants})
		}
		for i, line := range lines(v.Get("client_need")) {
			p := splitTrim(line, 4)
			hours, err1 := pricing.ParseDec(p[2])
			nights, err2 := strconv.Atoi(p[3])
			if err1 != nil || err2 != nil {
				f.fail("client_need", fmt.Sprintf("Client-need line %d must be: code, label, individual hours a week, sleep-in nights a week", i+1))
				continue
			}
			sl.ClientNeed = append(sl.ClientNeed, pricing.ClientNeedBand{Code: p[0], Label: p[1], IndividualHoursPerWeek: hours, SleepInNightsPerWeek: nights})
		}
		m.SupportedLiving = sl
	}
	if len(f.errs) == 0 {
		f.check(m.Validate())
	}
	return m, f.err()
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// splitTrim splits a comma-separated line into exactly n trimmed parts.
func splitTrim(line string, n int) []string {
	parts := strings.SplitN(line, ",", n)
	for len(parts) < n {
		parts = append(parts, "")
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func (h *pricingHandlers) renderModelForm(w http.ResponseWriter, r *http.Request, status int, form url.Values, preview map[string]any, err error) {
	h.s.render(w, r, status, "pricing_cost_model_form", "New cost model", map[string]any{"Form": form, "ServiceTypeOptions": serviceTypeOptions(),
		"Preview": preview}, err)
}

func (h *pricingHandlers) newCostModelPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin, caremarket.RoleCommissioner); err != nil {
		return err
	}
	h.renderModelForm(w, r, http.StatusOK, defaultModelForm(h.s.Now()), nil, nil)
	return nil
}

// newCostModelPost previews (shows the guide prices the inputs give beside
// those in force, saving nothing) or saves a draft.
func (h *pricingHandlers) newCostModelPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin, caremarket.RoleCommissioner); err != nil {
		return err
	}
	m, err := modelFromForm(r.PostForm)
	if err != nil {
		h.renderModelForm(w, r, http.StatusBadRequest, r.PostForm, nil, err)
		return nil
	}
	if r.PostFormValue("action") != "save" {
		current, err := h.st.GuidePrices(r.Context(), pricing.GuideFilter{ServiceType: m.ServiceType, On: m.EffectiveFrom})
		if err != nil {
			return err
		}
		h.renderModelForm(w, r, http.StatusOK, r.PostForm, map[string]any{"Prices": withCurrent(m.GuidePrices(), current)}, nil)
		return nil
	}
	if err := h.st.CreateCostModel(r.Context(), m); hasFormErrors(err) {
		h.renderModelForm(w, r, statusOf(err), r.PostForm, nil, err)
		return nil
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/pricing/cost-models/"+strconv.FormatInt(m.ID, 10), m.Name+" has been saved as a draft")
	return nil
}

// priceRow is a guide price beside the one in force for the same key.
type priceRow struct {
	pricing.GuidePrice
	Current money.Money
	Change  money.Money
}

func withCurrent(gs, current []pricing.GuidePrice) []priceRow {
	cur := map[pricing.PriceKey]money.Money{}
	for _, c := range current {
		cur[c.Key()] = c.Price
	}
	out := make([]priceRow, len(gs))
	for i, g := range gs {
		out[i] = priceRow{GuidePrice: g, Current: cur[g.Key()]}
		if out[i].Current > 0 {
			out[i].Change = g.Price - out[i].Current
		}
	}
	return out
}

func (h *pricingHandlers) costModelPage(w http.ResponseWriter, r *http.Request) error {
	m, err := loadPath(r, pathID, h.st.CostModel)
	if err != nil {
		return err
	}
	current, err := h.st.GuidePrices(r.Context(), pricing.GuideFilter{ServiceType: m.ServiceType, On: m.EffectiveFrom})
	if err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "pricing_cost_model", m.Name, map[string]any{"Model": m, "Prices": withCurrent(m.GuidePrices(), current),
		"CanSet": canSetPricesWeb(r), "NLW": m.HourlyNLW()}, nil)
	return nil
}

func (h *pricingHandlers) adoptPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	gs, err := h.st.AdoptCostModel(r.Context(), id)
	if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/pricing/cost-models/"+strconv.FormatInt(id, 10), fmt.Sprintf("Adopted: %d guide prices take effect", len(gs)))
	return nil
}

// --- Rounds

func (h *pricingHandlers) roundsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderRounds(w, r, http.StatusOK, nil, nil)
}

func (h *pricingHandlers) renderRounds(w http.ResponseWriter, r *http.Request, status int, form url.Values, ferr error) error {
	rounds, err := h.st.ListPriceRounds(r.Context())
	if err != nil {
		return err
	}
	data := map[string]any{"Rounds": rounds, "CanSet": canSetPricesWeb(r)}
	if canSetPricesWeb(r) {
		if form == nil {
			form = url.Values{"tolerance": {"10"}}
		}
		data["InviteOptions"], data["ServiceTypeOptions"] = inviteOptions(), serviceTypeOptions()
		as, err := h.agreementOptions(r)
		if err != nil {
			return err
		}
		data["AgreementOptions"] = as
	}
	if form == nil {
		form = url.Values{}
	}
	data["Form"] = form
	h.s.render(w, r, status, "pricing_rounds", "Price rounds", data, ferr)
	return nil
}

// agreementOptions are the council's agreements for the round form:
// reference — title.
func (h *pricingHandlers) agreementOptions(r *http.Request) ([]option, error) {
	out := []option{}
	p := h.s.Store
	as, err := p.ListAgreements(r.Context())
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		out = append(out, option{Value: idValue(a.ID), Label: a.Reference + " — " + a.Title})
	}
	return out, nil
}

func (h *pricingHandlers) openRoundPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	f := readFields(r.PostForm)
	rd := &pricing.Round{Name: f.text("name", "name", 200), AgreementID: f.id("agreement_id", "Choose an agreement from the list")}
	f.dateInto(&rd.OpensOn, "opens_on", "Opening date")
	f.dateInto(&rd.ClosesOn, "closes_on", "Closing date")
	f.dateInto(&rd.EffectiveFrom, "effective_from", "Effective date")
	if tol, err := pricing.ParseBP(r.PostFormValue("tolerance")); err != nil {
		f.fail("tolerance", "Guide band must be a percentage, like 10")
	} else {
		rd.Tolerance = tol
	}
	for _, v := range r.PostForm["provider_ids"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			rd.ProviderIDs = append(rd.ProviderIDs, n)
		}
	}
	if err := h.inviteByServiceType(r, f, rd); err != nil {
		return err
	}
	err := f.err()
	if err == nil {
		err = h.st.OpenPriceRound(r.Context(), rd)
	}
	if hasFormErrors(err) {
		return h.renderRounds(w, r, statusOf(err), r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/pricing/rounds/"+strconv.FormatInt(rd.ID, 10), rd.Name+" is open")
	return nil
}

func (h *pricingHandlers) roundPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderRound(w, r, http.StatusOK, nil, nil, nil)
}

// renderRound shows a round: for its provider, the price form, the upload
// and its own prices; for commissioners every submission with a decision.
func (h *pricingHandlers) renderRound(w http.ResponseWriter, r *http.Request, status int, form url.Values, lineErrs []pricing.LineError, ferr error) error {
	rd, err := loadPath(r, pathID, h.st.PriceRound)
	if err != nil {
		return err
	}
	// Staff may list one status: a busy round has hundreds of prices.
	show := r.URL.Query().Get("status")
	switch show {
	case pricing.SubmissionSubmitted, pricing.SubmissionApproved, pricing.SubmissionRejected:
	default:
		show = ""
	}
	subs, err := h.st.ListSubmissions(r.Context(), pricing.SubmissionFilter{RoundID: rd.ID, Status: show})
	if err != nil {
		return err
	}
	a := caremarket.ActorFrom(r.Context())
	subs, pages, inBand := pageOfSubmissions(r, rd.ID, subs)
	data := map[string]any{"Round": rd, "Submissions": subs, "CanSet": canSetPricesWeb(r), "IsProvider": a.Role == caremarket.RoleProvider,
		"LineErrors": lineErrs, "ServiceTypeOptions": serviceTypeOptions(), "Status": show, "Pages": pages, "InBand": inBand,
		"Query": r.URL.Query()}
	if a.Role == caremarket.RoleProvider {
		locs, _, err := h.s.Store.ListLocations(r.Context(), market.LocationFilter{Page: market.Page{PerPage: market.MaxPerPage}})
		if err != nil {
			return err
		}
		data["LocationOptions"] = optionsOf(locs, func(l market.Location) option {
			return option{Value: strconv.FormatInt(l.ID, 10), Label: l.Name + " (" + l.CQCLocationID + ")"}
		})
	}
	if form == nil {
		form = url.Values{"band": {pricing.StandardBand}}
	}
	data["Form"] = form
	h.s.render(w, r, status, "pricing_round", rd.Name, data, ferr)
	return nil
}

func (h *pricingHandlers) pricePost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	row := pricing.SubmissionRow{LocationID: f.id("location_id", "Choose a location"), ServiceType: f.serviceType("service_type"),
		Reason: f.text("reason", "reason", pricing.MaxReasonLen)}
	if b, ok := pricing.ParseBand(r.PostFormValue("band")); ok {
		row.Band = b
	} else {
		f.fail("band", "Band must be a band code, like standard")
	}
	if p, perr := money.Parse(r.PostFormValue("price")); perr != nil || p <= 0 {
		f.fail("price", "Enter the price in pounds, like 812.50")
	} else {
		row.Price = p
	}
	if row.ServiceType == "" {
		f.fail("service_type", "Choose a service type")
	}
	err = f.err()
	if err == nil {
		_, _, err = h.st.SubmitPrices(r.Context(), id, []pricing.SubmissionRow{row}, "form")
	}
	if hasFormErrors(err) {
		return h.renderRound(w, r, statusOf(err), r.PostForm, nil, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/pricing/rounds/"+strconv.FormatInt(id, 10), "Your price of "+row.Price.String()+" has been submitted")
	return nil
}

// uploadPost takes a CSV of prices; a file with any wrong line saves
// nothing, and the page lists every wrong line with its number.
func (h *pricingHandlers) uploadPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	file, _, ferr := r.FormFile("file")
	if ferr != nil {
		return h.renderRound(w, r, http.StatusBadRequest, nil, nil, caremarket.Invalid(map[string]string{"file": "Choose a CSV file of prices"}))
	}
	defer file.Close()
	body, err := readUpload(file, MaxUploadBytes)
	if err != nil {
		return h.renderRound(w, r, http.StatusBadRequest, nil, nil, err)
	}
	rows, lineErrs := pricing.ParseSubmissionCSV(bytes.NewReader(body))
	if len(lineErrs) == 0 {
		_, lineErrs, err = h.st.SubmitPrices(r.Context(), id, rows, "csv")
	}
	if len(lineErrs) > 0 {
		return h.renderRound(w, r, http.StatusBadRequest, nil, lineErrs,
			caremarket.Invalid(map[string]string{"file": fmt.Sprintf("%d lines of the file cannot be used; nothing was saved. Correct them and upload the file again", len(lineErrs))}))
	}
	if hasFormErrors(err) {
		return h.renderRound(w, r, statusOf(err), nil, nil, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/pricing/rounds/"+strconv.FormatInt(id, 10), fmt.Sprintf("%d prices have been submitted", len(rows)))
	return nil
}

func (h *pricingHandlers) closeRoundPost(w http.ResponseWriter, r *http.Request) error {
	id, err := actOnPath(r, h.st.ClosePriceRound)
	if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/pricing/rounds/"+strconv.FormatInt(id, 10), "The round is closed to new prices")
	return nil
}

func (h *pricingHandlers) decisionPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	decision := r.PostFormValue("decision")
	s, err := h.st.Submission(r.Context(), id)
	if err != nil {
		return err
	}
	back := "/pricing/rounds/" + strconv.FormatInt(s.RoundID, 10)
	if decision != "approve" && decision != "reject" {
		err = caremarket.Invalid(map[string]string{"decision-" + strconv.FormatInt(id, 10): "Choose approve or reject"})
	} else {
		_, err = h.st.DecideSubmission(r.Context(), id, decision == "approve", r.PostFormValue("reason"))
	}
	if hasFormErrors(err) {
		// Name the submission in the message: the round page lists many.
		msg := caremarket.ErrorMessage(err)
		r.SetPathValue("id", strconv.FormatInt(s.RoundID, 10))
		return h.renderRound(w, r, statusOf(err), nil, nil, caremarket.Invalid(map[string]string{
			"reason-" + strconv.FormatInt(id, 10): s.LocationName + ", " + s.ServiceType.Label() + ": " + msg}))
	} else if err != nil {
		return err
	}
	done := map[string]string{"approve": "approved", "reject": "rejected"}[decision]
	redirectWithFlash(w, r, back, s.LocationName+", "+s.ServiceType.Label()+": price of "+s.Price.String()+" "+done)
	return nil
}

// --- Uplifts

func (h *pricingHandlers) upliftsPage(w http.ResponseWriter, r *http.Request) error {
	next := time.Date(h.s.Now().Year()+1, 4, 1, 0, 0, 0, 0, time.UTC)
	v := url.Values{"kind": {pricing.UpliftNLW}, "staff_share": {"70"}, "percent": {"3"}, "apply_guide": {"yes"}, "apply_contracted": {"yes"},
		"apply_placements": {"yes"}}
	dateValues(v, "effective_from", &next)
	return h.renderUplifts(w, r, http.StatusOK, v, nil, nil)
}

func (h *pricingHandlers) renderUplifts(w http.ResponseWriter, r *http.Request, status int, form url.Values, preview *pricing.UpliftPreview, ferr error) error {
	us, err := h.st.ListUplifts(r.Context())
	if err != nil {
		return err
	}
	h.s.render(w, r, status, "pricing_uplifts", "Uplifts", map[string]any{"Uplifts": us, "Form": form, "Preview": preview,
		"CanSet": canSetPricesWeb(r), "CanPreview": caremarket.ActorFrom(r.Context()).Is(caremarket.RoleAdmin, caremarket.RoleCommissioner, caremarket.RoleFinance)}, ferr)
	return nil
}

func upliftFromForm(v url.Values) (*pricing.Uplift, error) {
	f := readFields(v)
	u := &pricing.Uplift{Name: f.text("name", "name", 200), Guide: v.Get("apply_guide") != "", Contracted: v.Get("apply_contracted") != "",
		Placements: v.Get("apply_placements") != "", Rule: pricing.UpliftRule{Kind: v.Get("kind")}}
	f.dateInto(&u.EffectiveFrom, "effective_from", "Effective date")
	if u.Rule.Kind == pricing.UpliftPercent {
		if b, err := pricing.ParseBP(v.Get("percent")); err != nil {
			f.fail("percent", "Enter the uplift as a percentage, like 3.5")
		} else {
			u.Rule.Percent = b
		}
	} else if b, err := pricing.ParseBP(v.Get("staff_share")); err != nil {
		f.fail("staff_share", "Enter the share of the price that is pay, like 70")
	} else {
		u.Rule.StaffShare = b
	}
	if len(f.errs) == 0 {
		f.check(u.Validate())
	}
	return u, f.err()
}

// upliftPost previews an uplift, or applies it when the person confirms
// the preview they have seen.
func (h *pricingHandlers) upliftPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	u, err := upliftFromForm(r.PostForm)
	if err == nil {
		var p *pricing.UpliftPreview
		if r.PostFormValue("action") == "apply" {
			if p, err = h.st.ApplyUplift(r.Context(), u); err == nil {
				redirectWithFlash(w, r, "/pricing/uplifts", fmt.Sprintf("%s applied to %d prices: %s a year", u.Name, len(p.Items), p.TotalAnnualChange))
				return nil
			}
		} else if p, err = h.st.PreviewUplift(r.Context(), u); err == nil {
			return h.renderUplifts(w, r, http.StatusOK, r.PostForm, p, nil)
		}
	}
	if hasFormErrors(err) {
		return h.renderUplifts(w, r, statusOf(err), r.PostForm, nil, err)
	}
	return err
}

// --- Variation

func (h *pricingHandlers) variationPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.CouncilStaff...); err != nil {
		return err
	}
	switch r.URL.Query().Get("format") {
	case "csv", "xlsx":
		rep, err := h.variation(r)
		if err != nil {
			return err
		}
		if r.URL.Query().Get("format") == "csv" {
			writeVariationCSV(w, rep)
		} else {
			writeVariationXLSX(w, rep)
		}
		return nil
	}
	rep, err := h.variation(r)
	var fields map[string]string
	if hasFormErrors(err) {
		fields = caremarket.ErrorFields(err)
		rep = &variationReport{}
	} else if err != nil {
		return err
	}
	rounds, rerr := h.st.ListPriceRounds(r.Context())
	if rerr != nil {
		return rerr
	}
	roundOpts := optionsOf(rounds, func(rd pricing.Round) option { return option{Value: strconv.FormatInt(rd.ID, 10), Label: rd.Name} })
	exportQuery := url.Values{}
	for _, k := range []string{"service_type", "round_id", "area_id", "on"} {
		if v := r.URL.Query().Get(k); v != "" {
			exportQuery.Set(k, v)
		}
	}
	h.s.render(w, r, http.StatusOK, "pricing_variation", "Price variation", map[string]any{"Report": rep, "Query": r.URL.Query(),
		"ServiceTypeOptions": serviceTypeOptions(), "RoundOptions": roundOpts, "Charts": boxCharts(rep.Groups), "Trend": trendChart(rep.Trend),
		"Export": exportQuery.Encode()}, caremarket.Invalid(fields))
	return nil
}

// --- Legacy migration impact

func (h *pricingHandlers) legacyPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.CouncilStaff...); err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "pricing_legacy", "Legacy placements: migration impact", map[string]any{}, nil)
	return nil
}

// legacyBrokeragePost works out the impact for the council's live
// placements from the brokerage data, besides the CSV upload.
func (h *pricingHandlers) legacyBrokeragePost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	ps, missing, err := h.st.LegacyFromPlacements(r.Context())
	if err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "pricing_legacy", "Legacy placements: migration impact", map[string]any{"Impact": pricing.Impact(ps),
		"FromPlacements": true, "Missing": missing}, nil)
	return nil
}

func (h *pricingHandlers) legacyPost(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.CouncilStaff...); err != nil {
		return err
	}
	file, _, ferr := r.FormFile("file")
	if ferr != nil {
		h.s.render(w, r, http.StatusBadRequest, "pricing_legacy", "Legacy placements: migration impact", map[string]any{},
			caremarket.Invalid(map[string]string{"file": "Choose a CSV file of legacy placements"}))
		return nil
	}
	defer file.Close()
	body, err := readUpload(file, MaxUploadBytes)
	if err != nil {
		h.s.render(w, r, http.StatusBadRequest, "pricing_legacy", "Legacy placements: migration impact", map[string]any{}, err)
		return nil
	}
	ps, lineErrs := pricing.ParseLegacyCSV(bytes.NewReader(body))
	if len(lineErrs) > 0 {
		h.s.render(w, r, http.StatusBadRequest, "pricing_legacy", "Legacy placements: migration impact", map[string]any{"LineErrors": lineErrs},
			caremarket.Invalid(map[string]string{"file": fmt.Sprintf("%d lines of the file cannot be used", len(lineErrs))}))
		return nil
	}
	gs, err := h.st.GuidePrices(r.Context(), pricing.GuideFilter{})
	if err != nil {
		return err
	}
	byKey := map[pricing.PriceKey]money.Money{}
	for _, g := range gs {
		byKey[g.Key()] = g.Price
	}
	for i := range ps {
		if ps[i].Guide == 0 {
			ps[i].Guide = byKey[pricing.PriceKey{ServiceType: ps[i].ServiceType, Band: ps[i].Band, Setting: market.Urban}]
		}
	}
	h.s.render(w, r, http.StatusOK, "pricing_legacy", "Legacy placements: migration impact", map[string]any{"Impact": pricing.Impact(ps)}, nil)
	return nil
}

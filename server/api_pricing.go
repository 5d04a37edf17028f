package server

import (
	"bytes"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// Pricing over HTTP: cost models, guide prices, price rounds and
// submissions, uplifts, price variation and legacy migration impact. The
// store decides who may do what; these handlers translate.

// pricingHandlers serves pricing from a store that provides it.
type pricingHandlers struct {
	s  *Server
	st pricing.Store
}

// registerPricing adds the pricing API and pages when the store provides
// pricing (storage.DB does).
func (s *Server) registerPricing() {
	st := s.Store
	h := &pricingHandlers{s: s, st: st}
	s.route("GET /api/v1/nlw-rates", s.api(h.apiNLW))
	s.route("GET /api/v1/cost-models", s.api(h.apiListCostModels))
	s.route("POST /api/v1/cost-models", s.api(h.apiCreateCostModel))
	s.route("POST /api/v1/cost-models/preview", s.api(h.apiPreviewCostModel))
	s.route("GET /api/v1/cost-models/{id}", s.api(h.apiGetCostModel))
	s.route("PUT /api/v1/cost-models/{id}", s.api(h.apiUpdateCostModel))
	s.route("POST /api/v1/cost-models/{id}/adopt", s.api(h.apiAdoptCostModel))
	s.route("GET /api/v1/guide-prices", s.api(h.apiGuidePrices))
	s.route("GET /api/v1/price-rounds", s.api(h.apiListRounds))
	s.route("POST /api/v1/price-rounds", s.api(h.apiOpenRound))
	s.route("GET /api/v1/price-rounds/{id}", s.api(h.apiGetRound))
	s.route("POST /api/v1/price-rounds/{id}/close", s.api(h.apiCloseRound))
	s.route("POST /api/v1/price-rounds/{id}/submissions", s.api(h.apiSubmit))
	s.route("GET /api/v1/price-submissions", s.api(h.apiListSubmissions))
	s.route("GET /api/v1/price-submissions/{id}", s.api(h.apiGetSubmission))
	s.route("POST /api/v1/price-submissions/{id}/decision", s.api(h.apiDecide))
	s.route("GET /api/v1/contracted-prices", s.api(h.apiContracted))
	s.route("GET /api/v1/uplifts", s.api(h.apiListUplifts))
	s.route("POST /api/v1/uplifts", s.api(h.apiApplyUplift))
	s.route("POST /api/v1/uplifts/preview", s.api(h.apiPreviewUplift))
	s.route("GET /api/v1/price-variation", s.api(h.apiVariation))
	s.route("POST /api/v1/legacy-impact", s.api(h.apiLegacyImpact))
	h.registerPages()
}

// day reads an optional date query parameter ("2026-04-06").
func (q *query) day(name string) time.Time {
	raw := strings.TrimSpace(q.v.Get(name))
	if raw == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		q.fields[name] = name + " must be a date like 2026-04-06"
	}
	return t
}

func (q *query) flag(name string) bool {
	v := strings.TrimSpace(q.v.Get(name))
	return v == "true" || v == "1" || v == "yes"
}

// lineErrorsErr turns line errors into the API's one error shape: a field
// per line ("line 3"), so a client can show each next to its row.
func lineErrorsErr(err error, lines []pricing.LineError) error {
	if len(lines) == 0 {
		return err
	}
	f := map[string]string{}
	for _, l := range lines {
		f["line "+strconv.Itoa(l.Line)] = l.Reason
	}
	msg := caremarket.ErrorMessage(err)
	if err == nil {
		msg = strconv.Itoa(len(lines)) + " lines cannot be used; nothing was saved"
	}
	return &caremarket.Error{Code: caremarket.EINVALID, Message: msg, Fields: f}
}

func (h *pricingHandlers) apiNLW(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, listOf(pricing.NLWRates))
	return nil
}

// --- Cost models

// costModelInput is what a caller may set on a cost model.
type costModelInput struct {
	Name            string                        `json:"name"`
	ServiceType     market.ServiceType            `json:"service_type"`
	EffectiveFrom   *dateOnly                     `json:"effective_from"`
	NLW             money.Money                   `json:"nlw_pence"`
	PayPremium      money.Money                   `json:"pay_premium_pence"`
	OnCosts         pricing.OnCosts               `json:"on_costs"`
	Bands           []pricing.NeedBand            `json:"bands"`
	Urban           pricing.SettingCosts          `json:"urban"`
	Rural           pricing.SettingCosts          `json:"rural"`
	MileageRate     money.Money                   `json:"mileage_rate_pence"`
	Overheads       pricing.BP                    `json:"overheads_bp"`
	Return          pricing.BP                    `json:"return_bp"`
	SupportedLiving *pricing.SupportedLivingBands `json:"supported_living"`
}

func (in costModelInput) model(id int64) *pricing.CostModel {
	m := &pricing.CostModel{ID: id, Name: in.Name, ServiceType: in.ServiceType, NLW: in.NLW, PayPremium: in.PayPremium, OnCosts: in.OnCosts,
		Bands: in.Bands, Urban: in.Urban, Rural: in.Rural, MileageRate: in.MileageRate, Overheads: in.Overheads, Return: in.Return,
		SupportedLiving: in.SupportedLiving}
	if in.EffectiveFrom != nil {
		m.EffectiveFrom = in.EffectiveFrom.Time
	}
	if m.Bands == nil {
		m.Bands = []pricing.NeedBand{}
	}
	return m
}

// costModelView is a cost model with the guide prices it gives.
type costModelView struct {
	Model       *pricing.CostModel   `json:"model"`
	GuidePrices []pricing.GuidePrice `json:"guide_prices"`
}

func (h *pricingHandlers) apiListCostModels(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	st := q.serviceType("service_type")
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(h.st.ListCostModels(r.Context(), st)))
}

func (h *pricingHandlers) apiCreateCostModel(w http.ResponseWriter, r *http.Request) error {
	var in costModelInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m := in.model(0)
	if err := h.st.CreateCostModel(r.Context(), m); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, costModelView{Model: m, GuidePrices: m.GuidePrices()})
	return nil
}

// apiPreviewCostModel works out the guide prices a model would give, and
// the prices in force now for comparison, without saving anything.
func (h *pricingHandlers) apiPreviewCostModel(w http.ResponseWriter, r *http.Request) error {
	a := caremarket.ActorFrom(r.Context())
	if err := a.Require(caremarket.CouncilStaff...); err != nil {
		return err
	}
	var in costModelInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m := in.model(0)
	if err := m.Validate(); err != nil {
		return err
	}
	current, err := h.st.GuidePrices(r.Context(), pricing.GuideFilter{ServiceType: m.ServiceType, On: m.EffectiveFrom})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m, "guide_prices": m.GuidePrices(), "current_guide_prices": current})
	return nil
}

func (h *pricingHandlers) apiGetCostModel(w http.ResponseWriter, r *http.Request) error {
	m, err := loadPath(r, pathID, h.st.CostModel)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, costModelView{Model: m, GuidePrices: m.GuidePrices()})
	return nil
}

func (h *pricingHandlers) apiUpdateCostModel(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[costModelInput](w, r)
	if err != nil {
		return err
	}
	m := in.model(id)
	if err := h.st.UpdateCostModel(r.Context(), m); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, costModelView{Model: m, GuidePrices: m.GuidePrices()})
	return nil
}

func (h *pricingHandlers) apiAdoptCostModel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(h.st.AdoptCostModel(r.Context(), id)))
}

func (h *pricingHandlers) apiGuidePrices(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := pricing.GuideFilter{ServiceType: q.serviceType("service_type"), On: q.day("on"), History: q.flag("history")}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(h.st.GuidePrices(r.Context(), f)))
}

// --- Rounds and submissions

type roundInput struct {
	AgreementID   int64      `json:"agreement_id"`
	Name          string     `json:"name"`
	OpensOn       *dateOnly  `json:"opens_on"`
	ClosesOn      *dateOnly  `json:"closes_on"`
	EffectiveFrom *dateOnly  `json:"effective_from"`
	Tolerance     pricing.BP `json:"tolerance_bp"`
	ProviderIDs   []int64    `json:"provider_ids"`
}

func dateOf(d *dateOnly) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

func (h *pricingHandlers) apiListRounds(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(h.st.ListPriceRounds(r.Context())))
}

func (h *pricingHandlers) apiOpenRound(w http.ResponseWriter, r *http.Request) error {
	var in roundInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rd := &pricing.Round{AgreementID: in.AgreementID, Name: in.Name, OpensOn: dateOf(in.OpensOn), ClosesOn: dateOf(in.ClosesOn),
		EffectiveFrom: dateOf(in.EffectiveFrom), Tolerance: in.Tolerance, ProviderIDs: in.ProviderIDs}
	if err := h.st.OpenPriceRound(r.Context(), rd); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rd)
	return nil
}

func (h *pricingHandlers) apiGetRound(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, h.st.PriceRound))
}

func (h *pricingHandlers) apiCloseRound(w http.ResponseWriter, r *http.Request) error {
	id, err := actOnPath(r, h.st.ClosePriceRound)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(h.st.PriceRound(r.Context(), id))
}

// MaxUploadBytes bounds a CSV upload (5,000 lines of prices is well under).
const MaxUploadBytes = 4 << 20

// pricesInput is a provider's prices for a round, as JSON.
type pricesInput struct {
	Prices []struct {
		LocationID    int64              `json:"location_id"`
		CQCLocationID string             `json:"cqc_location_id"`
		ServiceType   market.ServiceType `json:"service_type"`
		Band          string             `json:"band"`
		Price         money.Money        `json:"price_pence"`
		Reason        string             `json:"reason"`
	} `json:"prices"`
}

// apiSubmit takes prices as JSON ({"prices": [...]}) or as a CSV file
// (Content-Type: text/csv, the same columns as the web upload).
func (h *pricingHandlers) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var rows []pricing.SubmissionRow
	source := "api"
	if strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		body, err := readCSVBody(w, r, MaxUploadBytes)
		if err != nil {
			return err
		}
		var lineErrs []pricing.LineError
		if rows, lineErrs = pricing.ParseSubmissionCSV(bytes.NewReader(body)); len(lineErrs) > 0 {
			return lineErrorsErr(nil, lineErrs)
		}
		source = "csv"
	} else {
		var in pricesInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		if len(in.Prices) > pricing.MaxCSVRows {
			return caremarket.Errorf(caremarket.EINVALID, "Send at most %d prices at once", pricing.MaxCSVRows)
		}
		for i, p := range in.Prices {
			rows = append(rows, pricing.SubmissionRow{Line: i + 1, LocationID: p.LocationID, CQCLocationID: p.CQCLocationID,
				ServiceType: p.ServiceType, Band: p.Band, Price: p.Price, Reason: p.Reason})
		}
	}
	subs, lineErrs, err := h.st.SubmitPrices(r.Context(), id, rows, source)
	if err != nil {
		return lineErrorsErr(err, lineErrs)
	}
	writeJSON(w, http.StatusCreated, listOf(subs))
	return nil
}

func (h *pricingHandlers) apiListSubmissions(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := pricing.SubmissionFilter{RoundID: q.int("round_id"), ProviderID: q.int("provider_id"), LocationID: q.int("location_id"), Status: q.str("status", 20)}
	switch f.Status {
	case "", pricing.SubmissionSubmitted, pricing.SubmissionApproved, pricing.SubmissionRejected, pricing.SubmissionSuperseded:
	default:
		q.fields["status"] = "status must be submitted, approved, rejected or superseded"
	}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(h.st.ListSubmissions(r.Context(), f)))
}

func (h *pricingHandlers) apiGetSubmission(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, h.st.Submission))
}

// decisionInput approves or rejects a price submission.
type decisionInput struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

func (h *pricingHandlers) apiDecide(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[decisionInput](w, r)
	if err != nil {
		return err
	}
	if in.Decision != "approve" && in.Decision != "reject" {
		return caremarket.Invalid(map[string]string{"decision": "decision must be approve or reject"})
	}
	return reply(w, http.StatusOK)(h.st.DecideSubmission(r.Context(), id, in.Decision == "approve", in.Reason))
}

func (h *pricingHandlers) apiContracted(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := pricing.ContractedFilter{ProviderID: q.int("provider_id"), LocationID: q.int("location_id"), ServiceType: q.serviceType("service_type"),
		On: q.day("on"), History: q.flag("history")}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(h.st.ContractedPrices(r.Context(), f)))
}

// --- Uplifts

type upliftInput struct {
	Name          string     `json:"name"`
	Kind          string     `json:"kind"`
	PercentBP     pricing.BP `json:"percent_bp"`
	StaffShareBP  pricing.BP `json:"staff_share_bp"`
	EffectiveFrom *dateOnly  `json:"effective_from"`
	Guide         bool       `json:"apply_to_guide_prices"`
	Contracted    bool       `json:"apply_to_contracted_prices"`
	Placements    bool       `json:"apply_to_placements"`
}

func (in upliftInput) uplift() *pricing.Uplift {
	return &pricing.Uplift{Name: in.Name, EffectiveFrom: dateOf(in.EffectiveFrom), Guide: in.Guide, Contracted: in.Contracted,
		Placements: in.Placements, Rule: pricing.UpliftRule{Kind: in.Kind, Percent: in.PercentBP, StaffShare: in.StaffShareBP}}
}

func (h *pricingHandlers) apiListUplifts(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(h.st.ListUplifts(r.Context())))
}

func (h *pricingHandlers) apiPreviewUplift(w http.ResponseWriter, r *http.Request) error {
	var in upliftInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(h.st.PreviewUplift(r.Context(), in.uplift()))
}

func (h *pricingHandlers) apiApplyUplift(w http.ResponseWriter, r *http.Request) error {
	var in upliftInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u := in.uplift()
	p, err := h.st.ApplyUplift(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"uplift": u, "effect": p})
	return nil
}

// --- Variation

// variationReport is the variation statistics of one set of prices.
type variationReport struct {
	Source      string               `json:"source"` // contracted or round
	RoundID     int64                `json:"round_id,omitempty"`
	On          string               `json:"on"`
	Tolerance   pricing.BP           `json:"tolerance_bp"`
	Groups      []pricing.GroupStats `json:"groups"`
	Trend       []pricing.TrendPoint `json:"trend"`
	ServiceType market.ServiceType   `json:"service_type,omitempty"`
}

// variation works out the report the API, the exports and the page share.
func (h *pricingHandlers) variation(r *http.Request) (*variationReport, error) {
	q := newQuery(r)
	f := pricing.ObservationFilter{ServiceType: q.serviceType("service_type"), AreaID: q.int("area_id"), RoundID: q.int("round_id"), On: q.day("on")}
	if err := q.err(); err != nil {
		return nil, err
	}
	rep := &variationReport{Source: "contracted", Tolerance: pricing.DefaultTolerance, ServiceType: f.ServiceType, Trend: []pricing.TrendPoint{}}
	on := f.On
	if f.RoundID != 0 {
		rd, err := h.st.PriceRound(r.Context(), f.RoundID)
		if err != nil {
			return nil, err
		}
		rep.Source, rep.RoundID, rep.Tolerance, on = "round", rd.ID, rd.Tolerance, rd.EffectiveFrom
	}
	if on.IsZero() {
		on = h.s.Now().UTC()
	}
	rep.On = on.Format(time.DateOnly)
	obs, err := h.st.PriceObservations(r.Context(), f)
	if err != nil {
		return nil, err
	}
	guides, err := h.st.GuidePrices(r.Context(), pricing.GuideFilter{On: on})
	if err != nil {
		return nil, err
	}
	byKey := map[pricing.PriceKey]money.Money{}
	for _, g := range guides {
		byKey[g.Key()] = g.Price
	}
	guide := func(st market.ServiceType, band string, s market.Setting) money.Money {
		return byKey[pricing.PriceKey{ServiceType: st, Band: band, Setting: s}]
	}
	rep.Groups = pricing.Variation(obs, guide, rep.Tolerance)
	if rep.Groups == nil {
		rep.Groups = []pricing.GroupStats{}
	}
	if f.ServiceType != "" {
		// The trend over every round's submissions for this service type,
		// against the urban standard-band guide price in force now.
		all, err := h.st.PriceObservations(r.Context(), pricing.ObservationFilter{ServiceType: f.ServiceType, AreaID: f.AreaID, AllRounds: true})
		if err != nil {
			return nil, err
		}
		rep.Trend = pricing.Trend(all, guide(f.ServiceType, pricing.StandardBand, market.Urban), rep.Tolerance)
		if rep.Trend == nil {
			rep.Trend = []pricing.TrendPoint{}
		}
	}
	return rep, nil
}

// apiVariation answers JSON, or with ?format=csv / xlsx the same groups as
// a spreadsheet download.
func (h *pricingHandlers) apiVariation(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" && format != "xlsx" {
		return caremarket.Invalid(map[string]string{"format": "format must be json, csv or xlsx"})
	}
	rep, err := h.variation(r)
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		writeVariationCSV(w, rep)
	case "xlsx":
		writeVariationXLSX(w, rep)
	default:
		writeJSON(w, http.StatusOK, rep)
	}
	return nil
}

func writeVariationCSV(w http.ResponseWriter, rep *variationReport) {
	download(w, csvType, "price-variation-"+rep.On+".csv")
	writeCellsCSV(w, pricing.VariationTable(rep.Groups))
}

func writeVariationXLSX(w http.ResponseWriter, rep *variationReport) {
	var buf bytes.Buffer
	pricing.WriteXLSX(&buf, "Price variation "+rep.On, pricing.VariationTable(rep.Groups))
	download(w, xlsxType, "price-variation-"+rep.On+".xlsx")
	w.Write(buf.Bytes())
}

// --- Legacy migration impact

// apiLegacyImpact reads legacy placements as CSV (home, reference,
// service_type, band, current_weekly, guide_weekly) and answers their
// migration impact; a placement with no guide_weekly takes the guide price
// in force today for its service type and band in the setting named by
// ?setting (urban unless rural).
func (h *pricingHandlers) apiLegacyImpact(w http.ResponseWriter, r *http.Request) error {
	a := caremarket.ActorFrom(r.Context())
	if err := a.Require(caremarket.CouncilStaff...); err != nil {
		return err
	}
	q := newQuery(r)
	setting := market.Setting(q.str("setting", 10))
	if setting == "" {
		setting = market.Urban
	} else if setting != market.Urban && setting != market.Rural {
		q.fields["setting"] = "setting must be urban or rural"
	}
	if err := q.err(); err != nil {
		return err
	}
	body, err := readCSVBody(w, r, MaxUploadBytes)
	if err != nil {
		return err
	}
	ps, lineErrs := pricing.ParseLegacyCSV(bytes.NewReader(body))
	if len(lineErrs) > 0 {
		return lineErrorsErr(nil, lineErrs)
	}
	guides, err := h.st.GuidePrices(r.Context(), pricing.GuideFilter{})
	if err != nil {
		return err
	}
	byKey := map[pricing.PriceKey]money.Money{}
	for _, g := range guides {
		byKey[g.Key()] = g.Price
	}
	var missing []pricing.LineError
	for i := range ps {
		if ps[i].Guide == 0 {
			if ps[i].Guide = byKey[pricing.PriceKey{ServiceType: ps[i].ServiceType, Band: ps[i].Band, Setting: setting}]; ps[i].Guide == 0 {
				missing = append(missing, pricing.LineError{Line: ps[i].Line, Reason: "there is no guide price for " + ps[i].ServiceType.Label() + " band " + ps[i].Band + ": give guide_weekly"})
			}
		}
	}
	if len(missing) > 0 {
		sort.Slice(missing, func(i, j int) bool { return missing[i].Line < missing[j].Line })
		return lineErrorsErr(nil, missing)
	}
	writeJSON(w, http.StatusOK, pricing.Impact(ps))
	return nil
}

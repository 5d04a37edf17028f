package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/procurement"
)

// The procurement forms: every action the procurement API offers, as GOV.UK
// forms that work without JavaScript. Commissioners set up agreements, lots
// and windows, assign evaluators, award, publish and record contracts;
// evaluators declare their interests, score and moderate; providers draft,
// submit and (where allowed) resubmit. Storage checks roles and the law;
// these handlers only read forms, call it, and show its messages beside the
// fields they are about.

// registerProcurementForms registers the procurement forms.
func (s *Server) registerProcurementForms() {
	s.route("GET /agreements/new", s.page(s.newAgreementPage))
	s.route("POST /agreements/new", s.postForm(s.newAgreementPost))
	s.route("GET /agreements/{id}/edit", s.page(s.editAgreementPage))
	s.route("POST /agreements/{id}/edit", s.postForm(s.editAgreementPost))
	s.route("GET /agreements/{id}/lots/new", s.page(s.newLotPage))
	s.route("POST /agreements/{id}/lots/new", s.postForm(s.newLotPost))
	s.route("GET /agreements/{id}/lots/{lot}/edit", s.page(s.editLotPage))
	s.route("POST /agreements/{id}/lots/{lot}/edit", s.postForm(s.editLotPost))
	s.route("GET /agreements/{id}/windows/new", s.page(s.newWindowPage))
	s.route("POST /agreements/{id}/windows/new", s.postForm(s.newWindowPost))

	s.route("GET /windows", s.page(s.windowsPage))
	s.route("GET /windows/{id}/evaluators", s.page(s.evaluatorsPage))
	s.route("POST /windows/{id}/evaluators", s.postForm(s.evaluatorsPost))
	s.route("GET /windows/{id}/declaration", s.page(s.declarationPage))
	s.route("POST /windows/{id}/declaration", s.postForm(s.declarationPost))
	s.route("GET /windows/{id}/apply", s.page(s.applyPage))
	s.route("POST /windows/{id}/apply", s.postForm(s.applyPost))
	s.route("GET /windows/{id}/awards", s.page(s.awardsPage))
	s.route("POST /windows/{id}/awards", s.postForm(s.awardsPost))
	s.route("POST /windows/{id}/award-notice", s.postForm(s.awardNoticePost))

	s.route("GET /applications/{id}/scoring", s.page(s.scoringPage))
	s.route("POST /applications/{id}/scores", s.postForm(s.scorePost))
	s.route("POST /applications/{id}/moderations", s.postForm(s.moderationPost))
	s.route("GET /applications/{id}/resubmit", s.page(s.resubmitPage))
	s.route("POST /applications/{id}/resubmit", s.postForm(s.resubmitPost))

	s.route("GET /contracts", s.page(s.contractsPage))
	s.route("GET /contracts/new", s.page(s.newContractPage))
	s.route("POST /contracts/new", s.postForm(s.newContractPost))
	s.route("GET /contracts/{id}", s.page(s.contractPage))
	s.route("GET /contracts/{id}/edit", s.page(s.editContractPage))
	s.route("POST /contracts/{id}/edit", s.postForm(s.editContractPost))
	s.route("POST /contracts/{id}/extensions", s.postForm(s.takeExtensionPost))
	s.route("POST /contracts/{id}/variations", s.postForm(s.variationPost))
}

// procSetUp may set up agreements, windows, awards and contracts. Storage
// enforces it; the pages use it to refuse a form early rather than after it
// has been filled in.
var procSetUp = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner}

// procTemplate is the one template holding every procurement form; View
// picks the form.
const procTemplate = "procurement_forms"

// procForm is what most procurement forms show.
type procForm struct {
	View                 string
	Heading, Caption     string
	Action, Back, Button string
	Form                 url.Values
	Choices              map[string][]option
	Rows                 []int // numbered repeating rows (reopenings, questions, options)
	BreakRows            []int
	Agreement            *procurement.Agreement
	Window               *procurement.Window
	Award                *procurement.Award
	Contract             *procurement.Contract
	Application          *procurement.Application
	Question             *procurement.Question
	Answer               *procurement.Answer
	Evaluators           []procurement.Evaluator
	Me                   *procurement.Evaluator
	Taken                map[int]procurement.Extension // extension options already taken, by row
}

func init() {
	funcs["verdictOptions"] = verdictOptions
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (s *Server) renderProc(w http.ResponseWriter, r *http.Request, status int, pf any, title string, err error) error {
	s.render(w, r, status, procTemplate, title, pf, err)
	return nil
}

// --- Reading forms

// pounds reads money typed in pounds ("£1,250,000", "12.50") as pence.
// Range checks are the domain's; negative amounts only where allowed.
func (f *formFields) pounds(name, label string, negative bool) int64 {
	raw := strings.TrimSpace(f.v.Get(name))
	if raw == "" {
		return 0
	}
	p, ok := parsePounds(raw, negative)
	if !ok {
		msg := label + " must be an amount in pounds, like 1,250,000 or 12.50"
		if negative {
			msg = label + " must be an amount in pounds, like 12,000 or -500"
		}
		f.fail(name, msg)
		return 0
	}
	return p
}

var poundsRe = regexp.MustCompile(`^(-)?£?\s*(-)?([0-9][0-9,]*)?(?:\.([0-9]{1,2}))?$`)

// parsePounds turns "£1,250.5" into 125050.
func parsePounds(s string, negative bool) (int64, bool) {
	m := poundsRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || (m[3] == "" && m[4] == "") || (m[1] != "" && m[2] != "") {
		return 0, false
	}
	neg := m[1] != "" || m[2] != ""
	if neg && !negative {
		return 0, false
	}
	whole := strings.ReplaceAll(m[3], ",", "")
	if whole == "" {
		whole = "0"
	}
	if len(whole) > 13 {
		return 0, false
	}
	frac := m[4]
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	p, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	total := w*100 + p
	if neg {
		total = -total
	}
	return total, true
}

// poundsValue writes pence for a money field: "1250000", "12.50".
func poundsValue(p int64) string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	if p%100 == 0 {
		return sign + strconv.FormatInt(p/100, 10)
	}
	return sign + strconv.FormatInt(p/100, 10) + "." + strconv.FormatInt(p%100/10, 10) + strconv.FormatInt(p%10, 10)
}

var clockRe = regexp.MustCompile(`^([0-9]{1,2})[:.]([0-9]{2})$`)

// moment reads a date input (name-day, name-month, name-year) and a time
// (name-time, 24-hour clock) as a moment in London, where councils read
// deadlines. The zero time means none was given.
func (f *formFields) moment(name, label string) time.Time {
	d := f.date(name, label)
	raw := strings.TrimSpace(f.v.Get(name + "-time"))
	if raw == "" {
		if d != nil {
			f.fail(name+"-time", label+": enter the time, like 17:00")
		}
		return time.Time{}
	}
	m := clockRe.FindStringSubmatch(raw)
	h, _ := strconv.Atoi(safeIndex(m, 1))
	mi, _ := strconv.Atoi(safeIndex(m, 2))
	if m == nil || h > 23 || mi > 59 {
		f.fail(name+"-time", label+": enter a real time on the 24-hour clock, like 09:30 or 17:00")
		return time.Time{}
	}
	if d == nil {
		return time.Time{}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, mi, 0, 0, procurement.London)
}

func safeIndex(m []string, i int) string {
	if i < len(m) {
		return m[i]
	}
	return ""
}

// momentValues fills a date and time input from a moment, in London.
func momentValues(v url.Values, name string, t time.Time) {
	if t.IsZero() {
		return
	}
	l := t.In(procurement.London)
	dateValues(v, name, &l)
	v.Set(name+"-time", l.Format("15:04"))
}

// ids reads a group of checkboxes of ids.
func (f *formFields) ids(name, msg string) []int64 {
	var out []int64
	for _, raw := range f.v[name] {
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || n <= 0 {
			f.fail(name, msg)
			continue
		}
		out = append(out, n)
	}
	return out
}

// verdict reads pass/fail radios: nil when neither was chosen.
func verdict(v string) *bool {
	switch v {
	case "yes":
		b := true
		return &b
	case "no":
		b := false
		return &b
	}
	return nil
}

func verdictValue(b *bool) string {
	if b == nil {
		return ""
	}
	if *b {
		return "yes"
	}
	return "no"
}

// remapFields renames the field keys of an application error, so a domain
// message ("questions.0.weight") lands beside the form field it is about
// ("questions.3.weight" when the first filled row is the fourth).
func remapFields(err error, rename func(string) string) error {
	var e *caremarket.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := &caremarket.Error{Code: e.Code, Message: e.Message, Fields: map[string]string{}}
	for k, m := range e.Fields {
		nk := rename(k)
		if _, dup := out.Fields[nk]; !dup {
			out.Fields[nk] = m
		}
	}
	return out
}

// rowRename maps "prefix.i.rest" (domain index i) to "prefix.rows[i].rest".
func rowRename(prefix string, rows []int) func(string) string {
	return func(k string) string {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			return k
		}
		num, tail, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(num)
		if err != nil || i < 0 || i >= len(rows) {
			return k
		}
		nk := prefix + "." + strconv.Itoa(rows[i])
		if tail != "" {
			nk += "." + tail
		}
		return nk
	}
}

func chain(fns ...func(string) string) func(string) string {
	return func(k string) string {
		for _, fn := range fns {
			k = fn(k)
		}
		return k
	}
}

func renameKeys(m map[string]string) func(string) string {
	return func(k string) string {
		if nk, ok := m[k]; ok {
			return nk
		}
		return k
	}
}

// --- Choices

func agreementTypeOptions() []option {
	hints := map[procurement.Type]string{
		procurement.DPS:             "PCR 2015 reg. 34: open to new suppliers for its whole life",
		procurement.OpenFramework:   "PA 2023 s.49: a new framework within 3 years of the first award, then every 5 years; the scheme ends within 8 years (4 with a single supplier)",
		procurement.ClosedFramework: "PA 2023 s.47: at most 4 years",
		procurement.BlockContract:   "Beds or hours bought in advance",
		procurement.Spot:            "An off-contract purchase",
	}
	var out []option
	for _, t := range procurement.Types {
		out = append(out, option{Value: string(t), Label: t.Label(), Hint: hints[t]})
	}
	return out
}

func regimeOptions() []option {
	return []option{
		{Value: string(procurement.PA2023), Label: procurement.PA2023.Label(), Hint: "Procurements started from 24 February 2025"},
		{Value: string(procurement.PCR2015), Label: procurement.PCR2015.Label(), Hint: "Procurements started before 24 February 2025"},
	}
}

func agreementFlagOptions() []option {
	return []option{
		{Value: "light_touch", Label: "Light touch: social care services (PA 2023 Schedule 1; PCR 2015 reg. 74)"},
		{Value: "voluntary_standstill", Label: "Hold a voluntary standstill of 8 working days although the law does not require one"},
		{Value: "allow_resubmission", Label: "A failed quality answer may be resubmitted once"},
		{Value: "single_supplier", Label: "Single-supplier framework (PA 2023 s.49(6): an open framework then ends within 4 years)"},
	}
}

func callOffOptions() []option {
	return []option{
		{Value: string(procurement.DirectAward), Label: procurement.DirectAward.Label(), Hint: "By the objective ranking below: needs the call-off terms and the mechanism (PA 2023 s.45(4))"},
		{Value: string(procurement.MiniCompetition), Label: procurement.MiniCompetition.Label(), Hint: "A competition among the lot's providers"},
		{Value: string(procurement.Either), Label: procurement.Either.Label()},
	}
}

func rankOptions() []option {
	return []option{
		{Value: string(procurement.RankPrice), Label: "Lowest price"},
		{Value: string(procurement.RankQuality), Label: "Highest quality score"},
		{Value: string(procurement.RankDistance), Label: "Nearest to the person"},
		{Value: string(procurement.RankRating), Label: "Best CQC rating"},
	}
}

const rankKeys = 4

func windowKindOptions(a *procurement.Agreement) []option {
	out := []option{{Value: string(procurement.Tender), Label: procurement.Tender.Label(), Hint: "The first competition: an invitation to tender, or the first framework in a scheme"}}
	switch a.Type {
	case procurement.DPS:
		out = append(out, option{Value: string(procurement.DPSOpening), Label: procurement.DPSOpening.Label(), Hint: "PCR 2015 reg. 34: admits new suppliers throughout the DPS"})
	case procurement.OpenFramework:
		out = append(out, option{Value: string(procurement.Reopening), Label: procurement.Reopening.Label(), Hint: "PA 2023 s.49: a further framework in the scheme"})
	}
	return out
}

func questionKindOptions() []option {
	return []option{
		{Value: string(procurement.Selection), Label: "Selection criterion (pass or fail)"},
		{Value: string(procurement.Quality), Label: "Quality question (scored)"},
	}
}

func lotOptions(a *procurement.Agreement, only []int64) []option {
	var out []option
	for _, l := range a.Lots {
		if only != nil && !slices.Contains(only, l.ID) {
			continue
		}
		out = append(out, option{Value: idValue(l.ID), Label: "Lot " + strconv.Itoa(l.Number) + ": " + l.Title})
	}
	return out
}

func verdictOptions() []option {
	return []option{{Value: "yes", Label: "Pass"}, {Value: "no", Label: "Fail"}}
}

// --- Agreements

const maxReopenings = 3

func agreementValues(a *procurement.Agreement) url.Values {
	v := url.Values{"reference": {a.Reference}, "title": {a.Title}, "description": {a.Description}, "type": {string(a.Type)},
		"regime": {string(a.Regime)}, "annual_value_pence": {poundsValue(a.AnnualValuePence)}, "lifetime_value_pence": {poundsValue(a.LifetimeValuePence)}}
	for flag, on := range map[string]bool{"light_touch": a.LightTouch, "voluntary_standstill": a.VoluntaryStandstill,
		"allow_resubmission": a.AllowResubmission, "single_supplier": a.SingleSupplier} {
		if on {
			v.Add("options", flag)
		}
	}
	dateValues(v, "start", &a.Start)
	dateValues(v, "end", &a.End)
	for i, r := range a.Reopenings {
		dateValues(v, "reopenings."+strconv.Itoa(i), &r)
	}
	return v
}

// agreementFromForm builds an agreement from the agreement form, with the
// law's messages (PA 2023 s.47, s.49; PCR 2015) beside the fields.
func agreementFromForm(v url.Values, id int64) (*procurement.Agreement, func(error) error, error) {
	f := readFields(v)
	flags := v["options"]
	in := agreementInput{Reference: v.Get("reference"), Title: v.Get("title"), Description: v.Get("description"),
		Type: procurement.Type(v.Get("type")), Regime: procurement.Regime(v.Get("regime")),
		LightTouch: slices.Contains(flags, "light_touch"), VoluntaryStandstill: slices.Contains(flags, "voluntary_standstill"),
		AllowResubmission: slices.Contains(flags, "allow_resubmission"), SingleSupplier: slices.Contains(flags, "single_supplier"),
		AnnualValuePence:   f.pounds("annual_value_pence", "Annual value", false),
		LifetimeValuePence: f.pounds("lifetime_value_pence", "Lifetime value", false)}
	if d := f.date("start", "Start date"); d != nil {
		in.Start.Time = *d
	}
	if d := f.date("end", "End date"); d != nil {
		in.End.Time = *d
	}
	var rows []int
	for i := range maxReopenings {
		if d := f.date("reopenings."+strconv.Itoa(i), "Reopening "+strconv.Itoa(i+1)); d != nil {
			in.Reopenings = append(in.Reopenings, dateOnly{*d})
			rows = append(rows, i)
		}
	}
	a := in.agreement(id)
	fix := func(err error) error {
		return remapFields(err, chain(rowRename("reopenings", rows),
			renameKeys(map[string]string{"single_supplier": "options", "reopenings": "reopenings.0"})))
	}
	f.check(fix(a.Validate()))
	return a, fix, f.err()
}

func agreementFormView(id int64, v url.Values) procForm {
	pf := procForm{View: "agreement", Form: v, Rows: seq(maxReopenings),
		Choices: map[string][]option{"type": agreementTypeOptions(), "regime": regimeOptions(), "options": agreementFlagOptions()}}
	if id == 0 {
		pf.Heading, pf.Action, pf.Back, pf.Button = "Set up an agreement", "/agreements/new", "/agreements", "Save agreement"
	} else {
		href := "/agreements/" + idValue(id)
		pf.Heading, pf.Action, pf.Back, pf.Button = "Change the agreement", href+"/edit", href, "Save changes"
	}
	return pf
}

func (s *Server) newAgreementPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(procSetUp...); err != nil {
		return err
	}
	v := url.Values{"regime": {string(procurement.PA2023)}, "options": {"light_touch"}}
	return s.renderProc(w, r, http.StatusOK, agreementFormView(0, v), "Set up an agreement", nil)
}

func (s *Server) newAgreementPost(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proc()
	if err != nil {
		return err
	}
	if err := caremarket.ActorFrom(r.Context()).Require(procSetUp...); err != nil {
		return err
	}
	a, fix, err := agreementFromForm(r.PostForm, 0)
	if err == nil {
		err = fix(p.CreateAgreement(r.Context(), a))
	}
	if hasFormErrors(err) {
		return s.renderProc(w, r, statusOf(err), agreementFormView(0, r.PostForm), "Set up an agreement", err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/agreements/"+idValue(a.ID), a.Reference+" has been set up: now add its lots")
	return nil
}

func (s *Server) editAgreementPage(w http.ResponseWriter, r *http.Request) error {
	_, id, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return err
	}
	pf := agreementFormView(id, agreementValues(a))
	pf.Caption = a.Reference
	return s.renderProc(w, r, http.StatusOK, pf, pf.Heading, nil)
}

func (s *Server) editAgreementPost(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r, procSetUp...)
	if err != nil {
		return err
	}
	a, fix, err := agreementFromForm(r.PostForm, id)
	if err == nil {
		err = fix(p.UpdateAgreement(r.Context(), a))
	}
	if hasFormErrors(err) {
		return s.renderProc(w, r, statusOf(err), agreementFormView(id, r.PostForm), "Change the agreement", err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/agreements/"+idValue(id), "The changes to "+a.Reference+" have been saved")
	return nil
}

// procAndID is the procurement store and the path id, after an early role
// check when roles are given.
func (s *Server) procAndID(r *http.Request, roles ...caremarket.Role) (procurement.Store, int64, error) {
	if len(roles) > 0 {
		if err := caremarket.ActorFrom(r.Context()).Require(roles...); err != nil {
			return nil, 0, err
		}
	}
	p, err := s.proc()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r)
	return p, id, err
}

// procEntity is the procurement store, the path id and what get finds by
// it (procurement.Store.Agreement, .Window, ...), after an early role check
// when roles are given.
func procEntity[T any](s *Server, r *http.Request, get func(procurement.Store, context.Context, int64) (T, error), roles ...caremarket.Role) (procurement.Store, int64, T, error) {
	var zero T
	p, id, err := s.procAndID(r, roles...)
	if err != nil {
		return nil, 0, zero, err
	}
	v, err := get(p, r.Context(), id)
	if err != nil {
		return nil, 0, zero, err
	}
	return p, id, v, nil
}

// --- Lots

var lotIndexRe = regexp.MustCompile(`^lots\.[0-9]+\.`)

// lotFromForm builds a lot from the lot form.
func lotFromForm(v url.Values) (procurement.Lot, *formFields) {
	f := readFields(v)
	in := lotInput{Number: f.whole("number", "Lot number must be a whole number, like 3"), Title: v.Get("title"),
		ServiceTypes: f.serviceTypes("service_types"), AreaIDs: f.ids("area_ids", "Choose areas from the list"),
		ProviderCap: f.whole("provider_cap", "The cap must be a whole number of providers, like 12, or 0 for no cap"),
		CallOff:     procurement.CallOff(v.Get("call_off")), CallOffTerms: v.Get("call_off_terms"), Mechanism: v.Get("mechanism")}
	for i := 1; i <= rankKeys; i++ {
		if k := v.Get("ranking-" + strconv.Itoa(i)); k != "" {
			in.Ranking = append(in.Ranking, procurement.RankBy(k))
		}
	}
	return in.lot(), f
}

func fixLotErr(err error) error {
	return remapFields(err, func(k string) string {
		k = lotIndexRe.ReplaceAllString(k, "")
		if k == "ranking" {
			return "ranking-1"
		}
		return k
	})
}

func (s *Server) renderLotForm(w http.ResponseWriter, r *http.Request, status int, a *procurement.Agreement, v url.Values, ferr error) error {
	return s.renderLotFormAs(w, r, status, a, nil, v, ferr)
}

// renderLotFormAs shows the form to add a lot, or (lot not nil) to change one.
func (s *Server) renderLotFormAs(w http.ResponseWriter, r *http.Request, status int, a *procurement.Agreement, lot *procurement.Lot, v url.Values, ferr error) error {
	areas, err := s.Store.ListAreas(r.Context())
	if err != nil {
		return err
	}
	href := "/agreements/" + idValue(a.ID)
	heading, action, button := "Add a lot", href+"/lots/new", "Add lot"
	if lot != nil {
		heading, action, button = "Change lot "+strconv.Itoa(lot.Number), href+"/lots/"+idValue(lot.ID)+"/edit", "Save changes"
	}
	pf := procForm{View: "lot", Heading: heading, Caption: a.Reference + " · " + a.Title, Action: action, Back: href,
		Button: button, Form: v, Agreement: a, Rows: seq(rankKeys),
		Choices: map[string][]option{"service_types": serviceTypeOptions(), "area_ids": areaOptions(areas), "call_off": callOffOptions(), "ranking": rankOptions()}}
	return s.renderProc(w, r, status, pf, heading, ferr)
}

// lotValues fills the lot form from a lot.
func lotValues(l *procurement.Lot) url.Values {
	v := url.Values{"number": {strconv.Itoa(l.Number)}, "title": {l.Title}, "call_off": {string(l.CallOff)},
		"call_off_terms": {l.CallOffTerms}, "mechanism": {l.Mechanism}}
	if l.ProviderCap > 0 {
		v.Set("provider_cap", strconv.Itoa(l.ProviderCap))
	}
	for _, st := range l.ServiceTypes {
		v.Add("service_types", string(st))
	}
	for _, id := range l.AreaIDs {
		v.Add("area_ids", idValue(id))
	}
	for i, k := range l.Ranking {
		v.Set("ranking-"+strconv.Itoa(i+1), string(k))
	}
	return v
}

// agreementLot is the agreement of the path and its lot {lot}. A lot of
// another agreement is not found.
func (s *Server) agreementLot(r *http.Request) (procurement.Store, *procurement.Agreement, *procurement.Lot, error) {
	p, _, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return nil, nil, nil, err
	}
	lotID, err := parseID(r.PathValue("lot"))
	for i := range a.Lots {
		if err == nil && a.Lots[i].ID == lotID {
			return p, a, &a.Lots[i], nil
		}
	}
	return nil, nil, nil, caremarket.Errorf(caremarket.ENOTFOUND, "This agreement has no such lot")
}

// lotAwardedMessage explains why a lot with awards cannot be changed.
func lotAwardedMessage(l *procurement.Lot) error {
	return caremarket.Errorf(caremarket.ECONFLICT, "Lot %d has been awarded (%d %s), so it can no longer be changed: the award was made on the lot as it stands. Add a new lot instead",
		l.Number, l.Admitted, map[bool]string{true: "award", false: "awards"}[l.Admitted == 1])
}

func (s *Server) editLotPage(w http.ResponseWriter, r *http.Request) error {
	_, a, lot, err := s.agreementLot(r)
	if err != nil {
		return err
	}
	var ferr error
	status := http.StatusOK
	if lot.Admitted > 0 {
		ferr, status = lotAwardedMessage(lot), http.StatusConflict
	}
	return s.renderLotFormAs(w, r, status, a, lot, lotValues(lot), ferr)
}

func (s *Server) editLotPost(w http.ResponseWriter, r *http.Request) error {
	p, a, lot, err := s.agreementLot(r)
	if err != nil {
		return err
	}
	l, f := lotFromForm(r.PostForm)
	l.ID = lot.ID
	f.check(fixLotErr(l.Validate(a)))
	err = f.err()
	if err == nil {
		err = fixLotErr(p.UpdateLot(r.Context(), &l))
	}
	if hasFormErrors(err) {
		return s.renderLotFormAs(w, r, statusOf(err), a, lot, r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/agreements/"+idValue(a.ID), "The changes to lot "+strconv.Itoa(l.Number)+" have been saved")
	return nil
}

func (s *Server) newLotPage(w http.ResponseWriter, r *http.Request) error {
	_, _, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return err
	}
	v := url.Values{}
	if !a.Type.IsFramework() {
		v.Set("call_off", string(procurement.DirectAward))
	}
	return s.renderLotForm(w, r, http.StatusOK, a, v, nil)
}

func (s *Server) newLotPost(w http.ResponseWriter, r *http.Request) error {
	p, id, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return err
	}
	l, f := lotFromForm(r.PostForm)
	f.check(fixLotErr(l.Validate(a)))
	err = f.err()
	if err == nil {
		err = fixLotErr(p.AddLot(r.Context(), id, &l))
	}
	if hasFormErrors(err) {
		return s.renderLotForm(w, r, statusOf(err), a, r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/agreements/"+idValue(id), "Lot "+strconv.Itoa(l.Number)+" has been added")
	return nil
}

// --- Windows

const (
	defaultQuestionRows = 4
	maxQuestionRows     = 40
)

func questionRows(v url.Values) int {
	n, err := strconv.Atoi(v.Get("rows"))
	if err != nil || n < 1 {
		return defaultQuestionRows
	}
	return min(n, maxQuestionRows)
}

// windowFromForm builds a window from the window form. Blank question rows
// are left out; rows maps each question to the row it was typed in.
func windowFromForm(v url.Values, a *procurement.Agreement, nrows int) (*procurement.Window, func(error) error, *formFields) {
	f := readFields(v)
	in := windowInput{AgreementID: a.ID, Kind: procurement.WindowKind(v.Get("kind")), Title: v.Get("title"),
		Opens: f.moment("opens", "Opens"), Deadline: f.moment("deadline", "Deadline"),
		AssessmentDays: f.whole("assessment_days", "Choose 10 or 15 working days"), Justification: v.Get("justification"),
		LotIDs: f.ids("lot_ids", "Choose lots from the list")}
	var rows []int
	for i := range nrows {
		p := "questions." + strconv.Itoa(i) + "."
		text, kind := v.Get(p+"text"), v.Get(p+"kind")
		w, m, pm := v.Get(p+"weight"), v.Get(p+"max_score"), v.Get(p+"pass_mark")
		if strings.TrimSpace(text+kind+w+m+pm) == "" {
			continue
		}
		rows = append(rows, i)
		in.Questions = append(in.Questions, questionInput{Kind: procurement.QuestionKind(kind), Text: text,
			EvidenceRequired: v.Get(p+"evidence_required") == "yes",
			Weight:           f.whole(p+"weight", "Weight must be a whole per cent, like 20"),
			MaxScore:         f.whole(p+"max_score", "Maximum score must be a whole number, like 5"),
			PassMark:         f.whole(p+"pass_mark", "Pass mark must be a whole number, like 3")})
	}
	fix := func(err error) error {
		return remapFields(err, chain(rowRename("questions", rows), renameKeys(map[string]string{"questions": "questions.0.text"})))
	}
	win := in.window()
	f.check(fix(win.Validate(a)))
	return win, fix, f
}

func (s *Server) renderWindowForm(w http.ResponseWriter, r *http.Request, status int, a *procurement.Agreement, v url.Values, ferr error) error {
	href := "/agreements/" + idValue(a.ID)
	n := questionRows(v)
	v.Set("rows", strconv.Itoa(n))
	pf := procForm{View: "window", Heading: "Open a window", Caption: a.Reference + " · " + a.Title, Action: href + "/windows/new", Back: href,
		Button: "Open window", Form: v, Agreement: a, Rows: seq(n),
		Choices: map[string][]option{"kind": windowKindOptions(a), "lot_ids": lotOptions(a, nil), "question_kind": questionKindOptions(),
			"assessment_days": {{Value: "10", Label: "10 working days", Hint: "PCR 2015 reg. 34(15)"}, {Value: "15", Label: "15 working days, where justified", Hint: "PCR 2015 reg. 34(16): give the justification"}}}}
	return s.renderProc(w, r, status, pf, "Open a window", ferr)
}

func (s *Server) newWindowPage(w http.ResponseWriter, r *http.Request) error {
	_, _, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return err
	}
	v := url.Values{}
	now := s.Now().In(procurement.London)
	momentValues(v, "opens", time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, procurement.London))
	if a.Type == procurement.DPS {
		v.Set("assessment_days", "10")
		v.Set("kind", string(procurement.DPSOpening))
	}
	for _, l := range a.Lots {
		v.Add("lot_ids", idValue(l.ID))
	}
	return s.renderWindowForm(w, r, http.StatusOK, a, v, nil)
}

func (s *Server) newWindowPost(w http.ResponseWriter, r *http.Request) error {
	p, _, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return err
	}
	v := r.PostForm
	if v.Get("action") == "add-question" {
		// The no-JavaScript "add another": the same form with one more row.
		v.Set("rows", strconv.Itoa(min(questionRows(v)+1, maxQuestionRows)))
		return s.renderWindowForm(w, r, http.StatusOK, a, v, nil)
	}
	win, fix, f := windowFromForm(v, a, questionRows(v))
	err = f.err()
	if err == nil {
		err = fix(p.CreateWindow(r.Context(), win))
	}
	if hasFormErrors(err) {
		return s.renderWindowForm(w, r, statusOf(err), a, v, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/windows/"+idValue(win.ID), win.Title+" has been set up: assign its evaluators")
	return nil
}

// windowListRow is a window with, for a provider, its own application.
type windowListRow struct {
	Window      procurement.Window
	Status      string
	Application *procurement.Application
}

type windowsView struct {
	View   string
	Back   string
	Rows   []windowListRow
	Mine   []procurement.Application
	IsProv bool
}

func (s *Server) windowsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proc()
	if err != nil {
		return err
	}
	ws, err := p.ListWindows(r.Context(), 0)
	if err != nil {
		return err
	}
	isProv := caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider
	mine := map[int64]*procurement.Application{}
	data := windowsView{View: "windows", IsProv: isProv}
	if isProv {
		apps, err := p.ListApplications(r.Context(), procurement.ApplicationFilter{})
		if err != nil {
			return err
		}
		data.Mine = apps
		for i := range apps {
			mine[apps[i].WindowID] = &apps[i]
		}
	}
	now := s.Now()
	for _, win := range ws {
		row := windowListRow{Window: win, Status: win.Status(now), Application: mine[win.ID]}
		// A provider is shown the windows it can apply to, and those it has.
		if isProv && row.Status != "open" && row.Application == nil {
			continue
		}
		data.Rows = append(data.Rows, row)
	}
	title := "Windows"
	if isProv {
		title = "Open windows and your applications"
	}
	return s.renderProc(w, r, http.StatusOK, data, title, nil)
}

// --- Evaluators and declarations

// scorerLister is the storage that lists who may score (storage.DB).
type scorerLister interface {
	Scorers(ctx context.Context) ([]access.User, error)
}

func (s *Server) renderEvaluators(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, win *procurement.Window, v url.Values, ferr error) error {
	es, err := p.Evaluators(r.Context(), win.ID)
	if err != nil {
		return err
	}
	sl := s.Store
	users, err := sl.Scorers(r.Context())
	if err != nil {
		return err
	}
	var opts []option
	for _, u := range users {
		label := u.Email
		if u.Name != "" {
			label = u.Name + " (" + u.Email + ")"
		}
		opts = append(opts, option{Value: idValue(u.ID), Label: label + ", " + u.Role.Label()})
	}
	href := "/windows/" + idValue(win.ID)
	pf := procForm{View: "evaluators", Heading: "Evaluators", Caption: win.AgreementRef + " · " + win.Title, Action: href + "/evaluators",
		Back: href, Button: "Assign", Form: v, Window: win, Evaluators: es,
		Choices: map[string][]option{"user_id": opts, "moderator": {{Value: "yes", Label: "Moderator: agrees the final marks with reasons"}}}}
	return s.renderProc(w, r, status, pf, "Evaluators", ferr)
}

func (s *Server) evaluatorsPage(w http.ResponseWriter, r *http.Request) error {
	p, _, win, err := procEntity(s, r, procurement.Store.Window, procSetUp...)
	if err != nil {
		return err
	}
	return s.renderEvaluators(w, r, http.StatusOK, p, win, url.Values{}, nil)
}

func (s *Server) evaluatorsPost(w http.ResponseWriter, r *http.Request) error {
	p, id, win, err := procEntity(s, r, procurement.Store.Window, procSetUp...)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	userID := f.id("user_id", "Choose who will score from the list")
	if userID == 0 {
		f.fail("user_id", "Choose who will score")
	}
	err = f.err()
	if err == nil {
		err = p.AssignEvaluator(r.Context(), id, userID, r.PostForm.Get("moderator") == "yes")
		if caremarket.ErrorCode(err) == caremarket.ENOTFOUND {
			err = caremarket.Invalid(map[string]string{"user_id": "Choose who will score from the list"})
		}
	}
	if hasFormErrors(err) {
		return s.renderEvaluators(w, r, statusOf(err), p, win, r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/windows/"+idValue(id)+"/evaluators", "The evaluator has been assigned")
	return nil
}

// myEvaluator is the signed-in person's assignment to a window, or nil.
func myEvaluator(es []procurement.Evaluator, userID int64) *procurement.Evaluator {
	for i := range es {
		if es[i].UserID == userID {
			return &es[i]
		}
	}
	return nil
}

func (s *Server) renderDeclaration(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, win *procurement.Window, v url.Values, ferr error) error {
	es, err := p.Evaluators(r.Context(), win.ID)
	if err != nil {
		return err
	}
	me := myEvaluator(es, caremarket.ActorFrom(r.Context()).UserID)
	if me == nil {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "You are not an evaluator of this window")
	}
	apps, err := p.ListApplications(r.Context(), procurement.ApplicationFilter{WindowID: win.ID})
	if err != nil {
		return err
	}
	var opts []option
	seen := map[int64]bool{}
	for _, a := range apps {
		if !seen[a.ProviderID] {
			seen[a.ProviderID] = true
			opts = append(opts, option{Value: idValue(a.ProviderID), Label: a.ProviderName})
		}
	}
	href := "/windows/" + idValue(win.ID)
	pf := procForm{View: "declaration", Heading: "Declare any conflict of interest", Caption: win.AgreementRef + " · " + win.Title,
		Action: href + "/declaration", Back: href, Button: "Make my declaration", Form: v, Window: win, Me: me,
		Choices: map[string][]option{"conflicted_provider_ids": opts}}
	return s.renderProc(w, r, status, pf, pf.Heading, ferr)
}

func (s *Server) declarationPage(w http.ResponseWriter, r *http.Request) error {
	p, _, win, err := procEntity(s, r, procurement.Store.Window, caremarket.CouncilStaff...)
	if err != nil {
		return err
	}
	return s.renderDeclaration(w, r, http.StatusOK, p, win, url.Values{}, nil)
}

func (s *Server) declarationPost(w http.ResponseWriter, r *http.Request) error {
	p, id, win, err := procEntity(s, r, procurement.Store.Window, caremarket.CouncilStaff...)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	conflicts := f.ids("conflicted_provider_ids", "Choose providers from the list")
	statement := f.text("statement", "Your statement", procurement.MaxTextLen)
	if len(conflicts) > 0 && statement == "" {
		f.fail("statement", "Say what your conflict of interest is")
	}
	err = f.err()
	if err == nil {
		err = remapFields(p.DeclareInterests(r.Context(), id, conflicts, statement), func(string) string { return "statement" })
	}
	if hasFormErrors(err) {
		return s.renderDeclaration(w, r, statusOf(err), p, win, r.PostForm, err)
	} else if err != nil {
		return err
	}
	msg := "Your declaration has been recorded: you declared no conflict of interest and may now score"
	if len(conflicts) > 0 {
		msg = "Your declaration has been recorded: you will not score the providers you named"
	}
	redirectWithFlash(w, r, "/windows/"+idValue(id), msg)
	return nil
}

// --- Applying (providers)

type applyView struct {
	procForm
	Lots      []option
	Questions []procurement.Question
	Status    string
}

func (s *Server) renderApply(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, win *procurement.Window, app *procurement.Application, v url.Values, ferr error) error {
	a, err := p.Agreement(r.Context(), win.AgreementID)
	if err != nil {
		return err
	}
	href := "/windows/" + idValue(win.ID)
	pf := applyView{procForm: procForm{View: "apply", Heading: "Your application", Caption: win.AgreementRef + " · " + win.Title,
		Action: href + "/apply", Back: "/windows", Form: v, Window: win, Application: app, Agreement: a},
		Lots: lotOptions(a, win.LotIDs), Questions: win.Questions, Status: win.Status(s.Now())}
	return s.renderProc(w, r, status, pf, "Your application", ferr)
}

// ownApplication is the provider's application to a window, or nil.
func ownApplication(ctx context.Context, p procurement.Store, windowID int64) (*procurement.Application, error) {
	apps, err := p.ListApplications(ctx, procurement.ApplicationFilter{WindowID: windowID})
	if err != nil || len(apps) == 0 {
		return nil, err
	}
	return p.Application(ctx, apps[0].ID)
}

func applicationValues(app *procurement.Application) url.Values {
	v := url.Values{}
	if app == nil {
		return v
	}
	for _, id := range app.LotIDs {
		v.Add("lot_ids", idValue(id))
	}
	for _, an := range app.Answers {
		if an.Attempt == 1 {
			k := "answers." + idValue(an.QuestionID)
			v.Set(k, an.Text)
			v.Set(k+".evidence", an.Evidence)
		}
	}
	return v
}

func (s *Server) applyPage(w http.ResponseWriter, r *http.Request) error {
	p, id, win, err := procEntity(s, r, procurement.Store.Window, caremarket.RoleProvider)
	if err != nil {
		return err
	}
	app, err := ownApplication(r.Context(), p, id)
	if err != nil {
		return err
	}
	if app != nil && app.Status != procurement.Draft {
		http.Redirect(w, r, "/applications/"+idValue(app.ID), http.StatusSeeOther)
		return nil
	}
	return s.renderApply(w, r, http.StatusOK, p, win, app, applicationValues(app), nil)
}

func (s *Server) applyPost(w http.ResponseWriter, r *http.Request) error {
	p, id, win, err := procEntity(s, r, procurement.Store.Window, caremarket.RoleProvider)
	if err != nil {
		return err
	}
	v := r.PostForm
	f := readFields(v)
	in := applicationInput{WindowID: id, LotIDs: f.ids("lot_ids", "Choose lots from the list")}
	for _, q := range win.Questions {
		k := "answers." + idValue(q.ID)
		in.Answers = append(in.Answers, procurement.Answer{QuestionID: q.ID, Text: v.Get(k), Evidence: v.Get(k + ".evidence")})
	}
	app := in.application(0)
	err = f.err()
	if err == nil {
		err = p.SaveApplication(r.Context(), app)
	}
	submit := v.Get("action") == "submit"
	if err == nil && submit {
		_, err = p.SubmitApplication(r.Context(), app.ID)
	}
	if hasFormErrors(err) {
		var saved *procurement.Application
		if app.ID != 0 {
			saved = app
		}
		return s.renderApply(w, r, statusOf(err), p, win, saved, v, err)
	} else if err != nil {
		return err
	}
	msg := "Your draft has been saved. Submit it before the deadline: " + localTime(win.Deadline, "15:04 on 2 January 2006", true)
	if submit {
		msg = "Your application has been submitted"
	}
	redirectWithFlash(w, r, "/applications/"+idValue(app.ID), msg)
	return nil
}

// resubmittable reports whether the page should offer a provider the one
// resubmission of a quality answer: the agreement allows it, the
// application is submitted, and the answer has not been resubmitted. Whether
// the answer failed is the council's to decide (storage checks it).
func resubmittable(a *procurement.Agreement, app *procurement.Application, q *procurement.Question) bool {
	if !a.AllowResubmission || app.Status != procurement.Submitted || q.Kind != procurement.Quality {
		return false
	}
	an := app.Answer(q.ID)
	return an != nil && an.Attempt == 1
}

func (s *Server) renderResubmit(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, app *procurement.Application, qid int64, v url.Values, ferr error) error {
	win, err := p.Window(r.Context(), app.WindowID)
	if err != nil {
		return err
	}
	q := win.Question(qid)
	if q == nil {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Question not found")
	}
	href := "/applications/" + idValue(app.ID)
	v.Set("question_id", idValue(qid))
	pf := procForm{View: "resubmit", Heading: "Resubmit your answer to question " + strconv.Itoa(q.Number), Caption: win.AgreementRef + " · " + win.Title,
		Action: href + "/resubmit", Back: href, Button: "Resubmit answer", Form: v, Window: win, Application: app, Question: q, Answer: app.Answer(qid)}
	return s.renderProc(w, r, status, pf, pf.Heading, ferr)
}

func (s *Server) resubmitPage(w http.ResponseWriter, r *http.Request) error {
	p, _, app, err := procEntity(s, r, procurement.Store.Application, caremarket.RoleProvider)
	if err != nil {
		return err
	}
	f := readFields(r.URL.Query())
	qid := f.id("question_id", "Choose a question")
	if err := f.err(); err != nil || qid == 0 {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Question not found")
	}
	return s.renderResubmit(w, r, http.StatusOK, p, app, qid, url.Values{}, nil)
}

func (s *Server) resubmitPost(w http.ResponseWriter, r *http.Request) error {
	p, id, app, err := procEntity(s, r, procurement.Store.Application, caremarket.RoleProvider)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	qid := f.id("question_id", "Choose a question")
	if qid == 0 {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Question not found")
	}
	err = p.ResubmitAnswer(r.Context(), id, qid, r.PostForm.Get("text"), r.PostForm.Get("evidence"))
	if hasFormErrors(err) {
		return s.renderResubmit(w, r, statusOf(err), p, app, qid, r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/applications/"+idValue(id), "Your new answer has been resubmitted: the council will assess it")
	return nil
}

// --- Scoring and moderation

// answerRow is one answer (attempt) of an application, with the marks the
// signed-in person may see and the forms they may use.
type answerRow struct {
	Question      procurement.Question
	Answer        procurement.Answer
	Key           string // "questionID-attempt": the prefix of its fields
	Mine          *procurement.Score
	Others        []procurement.Score
	Submitted     int // evaluators' submitted scores the person can see
	Moderation    *procurement.Moderation
	CanScore      bool
	CanModerate   bool
	Resubmittable bool
}

type scoringView struct {
	View        string
	Back        string
	Application *procurement.Application
	Window      *procurement.Window
	Agreement   *procurement.Agreement
	Me          *procurement.Evaluator
	Moderator   bool
	Rows        []answerRow
	Form        url.Values
}

func answerKey(qid int64, attempt int) string { return idValue(qid) + "-" + strconv.Itoa(attempt) }

func (s *Server) renderScoring(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, id int64, posted url.Values, ferr error) error {
	ctx := r.Context()
	actor := caremarket.ActorFrom(ctx)
	if err := actor.Require(caremarket.RoleEvaluator, caremarket.RoleCommissioner, caremarket.RoleAdmin); err != nil {
		return err
	}
	app, err := p.Application(ctx, id)
	if err != nil {
		return err
	}
	win, err := p.Window(ctx, app.WindowID)
	if err != nil {
		return err
	}
	a, err := p.Agreement(ctx, win.AgreementID)
	if err != nil {
		return err
	}
	es, err := p.Evaluators(ctx, win.ID)
	if err != nil {
		return err
	}
	sheet, err := p.ScoreSheet(ctx, id)
	if err != nil {
		return err
	}
	me := myEvaluator(es, actor.UserID)
	moderator := actor.Is(procSetUp...) || (me != nil && me.Moderator)
	conflicted := me != nil && slices.Contains(me.Conflicts, app.ProviderID)
	// Marks are final once the award notice is out; only the window's
	// moderator or a commissioner agrees them (not an admin).
	open := marksOpen(ctx, p, win.ID)
	mayModerate := open && procurement.CheckModerator(actor.Role, me != nil && me.Moderator) == nil
	data := scoringView{View: "scoring", Back: "/applications/" + idValue(id), Application: app, Window: win, Agreement: a, Me: me, Moderator: moderator, Form: url.Values{}}
	for _, q := range win.Questions {
		for _, an := range app.Answers {
			if an.QuestionID != q.ID {
				continue
			}
			row := answerRow{Question: q, Answer: an, Key: answerKey(q.ID, an.Attempt)}
			for i := range sheet.Scores {
				sc := &sheet.Scores[i]
				if sc.QuestionID != q.ID || sc.Attempt != an.Attempt {
					continue
				}
				if sc.EvaluatorID == actor.UserID {
					row.Mine = sc
				} else {
					row.Others = append(row.Others, *sc)
				}
				if sc.SubmittedAt != nil {
					row.Submitted++
				}
			}
			for i := range sheet.Moderations {
				m := &sheet.Moderations[i]
				if m.QuestionID == q.ID && m.Attempt == an.Attempt {
					row.Moderation = m
				}
			}
			row.CanScore = open && me != nil && me.DeclaredAt != nil && !conflicted && (row.Mine == nil || row.Mine.SubmittedAt == nil)
			row.CanModerate = mayModerate && row.Submitted > 0
			row.Resubmittable = a.AllowResubmission && q.Kind == procurement.Quality && an.Attempt == 1 && row.Moderation != nil &&
				row.Moderation.Points < q.PassMark && app.Answer(q.ID).Attempt == 1
			if row.Mine != nil {
				data.Form.Set("s-"+row.Key+"-pass", verdictValue(row.Mine.Pass))
				data.Form.Set("s-"+row.Key+"-points", strconv.Itoa(row.Mine.Points))
				data.Form.Set("s-"+row.Key+"-comment", row.Mine.Comment)
			}
			if row.Moderation != nil {
				data.Form.Set("m-"+row.Key+"-pass", verdictValue(row.Moderation.Pass))
				data.Form.Set("m-"+row.Key+"-points", strconv.Itoa(row.Moderation.Points))
				data.Form.Set("m-"+row.Key+"-reason", row.Moderation.Reason)
			}
			data.Rows = append(data.Rows, row)
		}
	}
	for k, vs := range posted {
		data.Form[k] = vs
	}
	return s.renderProc(w, r, status, data, "Score the application from "+app.ProviderName, ferr)
}

func (s *Server) scoringPage(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r)
	if err != nil {
		return err
	}
	return s.renderScoring(w, r, http.StatusOK, p, id, nil, nil)
}

// markFields reads the question and attempt a score or moderation form is
// about, and the prefix of its fields.
func markFields(f *formFields) (qid int64, attempt int, key string) {
	qid = f.id("question_id", "Choose a question")
	attempt = f.whole("attempt", "Attempt is 1, or 2 for a resubmitted answer")
	if attempt == 0 {
		attempt = 1
	}
	return qid, attempt, answerKey(qid, attempt)
}

func prefixed(prefix string) func(string) string {
	return func(k string) string { return prefix + k }
}

// mark is what a score and a moderation form share: the answer (question
// and attempt) the mark is for, and the prefix of its fields.
type mark struct {
	ApplicationID, QuestionID int64
	Attempt                   int
	Pass                      *bool
	Points                    int
	pre                       string
}

// markPost reads a score ("s") or moderation ("m") form and runs save,
// which answers the confirmation, showing the scoring page again on a
// problem.
func (s *Server) markPost(w http.ResponseWriter, r *http.Request, kind string, save func(p procurement.Store, m mark) (string, error)) error {
	p, id, err := s.procAndID(r)
	if err != nil {
		return err
	}
	v := r.PostForm
	f := readFields(v)
	qid, attempt, key := markFields(f)
	if qid == 0 {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Question not found")
	}
	pre := kind + "-" + key + "-"
	m := mark{ApplicationID: id, QuestionID: qid, Attempt: attempt, Pass: verdict(v.Get(pre + "pass")),
		Points: f.whole(pre+"points", "Score must be a whole number"), pre: pre}
	var msg string
	err = f.err()
	if err == nil {
		msg, err = save(p, m)
	}
	err = remapFields(err, prefixed(pre))
	if hasFormErrors(err) {
		return s.renderScoring(w, r, statusOf(err), p, id, v, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/applications/"+idValue(id)+"/scoring#answer-"+key, msg)
	return nil
}

func (s *Server) scorePost(w http.ResponseWriter, r *http.Request) error {
	return s.markPost(w, r, "s", func(p procurement.Store, m mark) (string, error) {
		in := scoreInput{ApplicationID: m.ApplicationID, QuestionID: m.QuestionID, Attempt: m.Attempt, Pass: m.Pass, Points: m.Points,
			Comment: r.PostForm.Get(m.pre + "comment"), Submit: r.PostForm.Get("action") == "submit"}
		msg := "Your draft score has been saved"
		if in.Submit {
			msg = "Your score has been submitted: you can now see the other evaluators' submitted scores for this answer"
		}
		return msg, p.SaveScore(r.Context(), in.score(s.Now()))
	})
}

func (s *Server) moderationPost(w http.ResponseWriter, r *http.Request) error {
	return s.markPost(w, r, "m", func(p procurement.Store, m mark) (string, error) {
		in := moderationInput{ApplicationID: m.ApplicationID, QuestionID: m.QuestionID, Attempt: m.Attempt, Pass: m.Pass, Points: m.Points,
			Reason: r.PostForm.Get(m.pre + "reason")}
		return "The agreed mark has been recorded", p.Moderate(r.Context(), in.moderation())
	})
}

// --- Awards

type lotAwards struct {
	Lot        procurement.Lot
	Field      string
	Candidates []option
	Awards     []procurement.Award
}

type awardsView struct {
	View      string
	Back      string
	Window    *procurement.Window
	Agreement *procurement.Agreement
	Results   *procurement.WindowResults
	Lots      []lotAwards
	Awards    []procurement.Award
	Pending   int
	Published *procurement.Standstill
	Form      url.Values
	// OpenUntil is the deadline, while the window still takes
	// applications: no award or notice until it has passed.
	OpenUntil string
}

func lotField(id int64) string { return "lot-" + idValue(id) }

func (s *Server) renderAwards(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, id int64, v url.Values, ferr error) error {
	ctx := r.Context()
	win, err := p.Window(ctx, id)
	if err != nil {
		return err
	}
	a, err := p.Agreement(ctx, win.AgreementID)
	if err != nil {
		return err
	}
	res, err := p.WindowResults(ctx, id)
	if err != nil {
		return err
	}
	aws, err := p.ListAwards(ctx, procurement.AwardFilter{WindowID: id})
	if err != nil {
		return err
	}
	data := awardsView{View: "awards", Back: "/windows/" + idValue(id), Window: win, Agreement: a, Results: res, Awards: aws, Form: v}
	if procurement.CheckAwardTime(win, s.Now()) != nil {
		data.OpenUntil = localTime(win.Deadline, "15:04 on 2 January 2006", false)
	}
	for i := range aws {
		if aws[i].NoticeAt == nil {
			data.Pending++
		} else if aws[i].Standstill != nil {
			data.Published = aws[i].Standstill
		}
	}
	for _, l := range a.Lots {
		if !slices.Contains(win.LotIDs, l.ID) {
			continue
		}
		la := lotAwards{Lot: l, Field: lotField(l.ID)}
		placed := map[int64]bool{}
		for _, aw := range aws {
			if aw.LotID == l.ID {
				la.Awards = append(la.Awards, aw)
				placed[aw.ApplicationID] = true
			}
		}
		for _, res := range res.Results {
			if res.Passed() && slices.Contains(res.LotIDs, l.ID) && !placed[res.ApplicationID] {
				la.Candidates = append(la.Candidates, option{Value: idValue(res.ApplicationID),
					Label: res.ProviderName + ": ranked " + strconv.Itoa(res.Rank) + ", quality score " + percent(res.Score)})
			}
		}
		data.Lots = append(data.Lots, la)
	}
	return s.renderProc(w, r, status, data, "Award decisions", ferr)
}

func percent(hundredths int) string {
	return strconv.Itoa(hundredths/100) + "." + strconv.Itoa(hundredths%100/10) + strconv.Itoa(hundredths%10) + "%"
}

func (s *Server) awardsPage(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r, procSetUp...)
	if err != nil {
		return err
	}
	return s.renderAwards(w, r, http.StatusOK, p, id, url.Values{}, nil)
}

func (s *Server) awardsPost(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r, procSetUp...)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	lotID := f.id("lot_id", "Choose a lot")
	field := lotField(lotID)
	apps := f.ids(field, "Choose providers from the list")
	if lotID == 0 {
		return caremarket.Errorf(caremarket.ENOTFOUND, "The lot is not open in this window")
	}
	if len(apps) == 0 {
		f.fail(field, "Choose the providers to admit to the lot")
	}
	err = f.err()
	if err == nil {
		_, err = p.AwardLot(r.Context(), id, lotID, apps)
	}
	if hasFormErrors(err) {
		return s.renderAwards(w, r, statusOf(err), p, id, r.PostForm, err)
	} else if err != nil {
		return err
	}
	n := strconv.Itoa(len(apps))
	redirectWithFlash(w, r, "/windows/"+idValue(id)+"/awards", n+" "+plural(len(apps), "provider", "providers")+" awarded a place; publish the notice when every lot is decided")
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (s *Server) awardNoticePost(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r, procSetUp...)
	if err != nil {
		return err
	}
	aws, err := p.PublishAwards(r.Context(), id)
	if hasFormErrors(err) {
		return s.renderAwards(w, r, statusOf(err), p, id, url.Values{}, err)
	} else if err != nil {
		return err
	}
	msg := "The assessment summaries and the contract award notice have been published"
	if len(aws) > 0 && aws[0].Standstill != nil {
		ss := aws[0].Standstill
		if ss.Applies {
			msg += ". Standstill (" + ss.Rule + ") ends at midnight on " + localTime(ss.Ends, "2 January 2006", false) +
				": contracts may be entered from " + localTime(ss.EarliestContract, "2 January 2006", false)
		} else {
			msg += ". " + ss.Rule
		}
	}
	redirectWithFlash(w, r, "/windows/"+idValue(id)+"/awards", msg)
	return nil
}

// --- Contracts

const contractOptionRows = 3

type contractsView struct {
	View      string
	Back      string
	Contracts []procurement.Contract
	CanSetUp  bool
	Now       time.Time
}

func (s *Server) contractsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.proc()
	if err != nil {
		return err
	}
	cs, err := p.ListContracts(r.Context(), procurement.ContractFilter{})
	if err != nil {
		return err
	}
	return s.renderProc(w, r, http.StatusOK, contractsView{View: "contracts", Contracts: cs, CanSetUp: caremarket.ActorFrom(r.Context()).Is(procSetUp...), Now: s.Now()}, "Contracts", nil)
}

func contractValues(c *procurement.Contract) url.Values {
	v := url.Values{"reference": {c.Reference}, "title": {c.Title}, "provider_id": {idValue(c.ProviderID)},
		"annual_value_pence": {poundsValue(c.AnnualValuePence)}, "lifetime_value_pence": {poundsValue(c.LifetimeValuePence)},
		"value_so_far_pence": {poundsValue(c.ValueSoFarPence)}}
	dateValues(v, "start", &c.Start)
	dateValues(v, "initial_end", &c.InitialEnd)
	for i, e := range c.Extensions {
		v.Set("extensions."+strconv.Itoa(i), strconv.Itoa(e.Months))
	}
	for i, b := range c.BreakClauses {
		k := "break_clauses." + strconv.Itoa(i)
		dateValues(v, k+".from", &b.From)
		v.Set(k+".notice_months", strconv.Itoa(b.NoticeMonths))
		v.Set(k, b.Description)
	}
	return v
}

// contractFromForm builds a contract from the contract form. before is the
// saved contract when changing one: options already taken, variations and
// the award stay as they are.
func contractFromForm(v url.Values, id int64, before *procurement.Contract) (*procurement.Contract, func(error) error, error) {
	f := readFields(v)
	in := contractInput{AgreementID: f.id("agreement_id", "Choose an agreement"), AwardID: f.id("award_id", "Choose an award"),
		ProviderID: f.id("provider_id", "Choose the provider from the list"), Reference: v.Get("reference"), Title: v.Get("title"),
		AnnualValuePence:   f.pounds("annual_value_pence", "Annual value", false),
		LifetimeValuePence: f.pounds("lifetime_value_pence", "Lifetime value", false),
		ValueSoFarPence:    f.pounds("value_so_far_pence", "Value so far", false)}
	if d := f.date("start", "Start date"); d != nil {
		in.Start.Time = *d
	}
	if d := f.date("initial_end", "End date"); d != nil {
		in.InitialEnd.Time = *d
	}
	var extRows, breakRows []int
	n := contractOptionRows
	if before != nil {
		n = max(n, len(before.Extensions)+1, len(before.BreakClauses)+1)
	}
	for i := range n {
		k := "extensions." + strconv.Itoa(i)
		if before != nil && i < len(before.Extensions) && before.Extensions[i].Taken {
			in.Extensions = append(in.Extensions, before.Extensions[i])
			extRows = append(extRows, i)
		} else if strings.TrimSpace(v.Get(k)) != "" {
			in.Extensions = append(in.Extensions, procurement.Extension{Months: f.whole(k, "Extension "+strconv.Itoa(i+1)+" must be a whole number of months, like 12")})
			extRows = append(extRows, i)
		}
		bk := "break_clauses." + strconv.Itoa(i)
		from := f.date(bk+".from", "Break clause "+strconv.Itoa(i+1)+" date")
		desc, months := v.Get(bk), v.Get(bk+".notice_months")
		if from == nil && strings.TrimSpace(desc+months) == "" {
			continue
		}
		b := breakClauseInput{NoticeMonths: f.whole(bk+".notice_months", "Notice must be a whole number of months, like 6"), Description: desc}
		if from == nil {
			f.fail(bk+".from", "Enter the date from which break clause "+strconv.Itoa(i+1)+" may be used")
		} else {
			b.From.Time = *from
		}
		in.BreakClauses = append(in.BreakClauses, b)
		breakRows = append(breakRows, i)
	}
	c := in.contract(id)
	if before != nil {
		c.Variations = before.Variations
	}
	fix := func(err error) error {
		return remapFields(err, chain(rowRename("extensions", extRows), rowRename("break_clauses", breakRows)))
	}
	f.check(fix(c.Validate()))
	return c, fix, f.err()
}

func (s *Server) renderContractForm(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, id int64, before *procurement.Contract, v url.Values, ferr error) error {
	ctx := r.Context()
	pf := procForm{View: "contract", Form: v, Contract: before, Taken: map[int]procurement.Extension{}}
	n := contractOptionRows
	if before != nil {
		n = max(n, len(before.Extensions)+1, len(before.BreakClauses)+1)
		for i, e := range before.Extensions {
			if e.Taken {
				pf.Taken[i] = e
			}
		}
	}
	pf.Rows, pf.BreakRows = seq(n), seq(n)
	if id != 0 {
		href := "/contracts/" + idValue(id)
		pf.Heading, pf.Action, pf.Back, pf.Button = "Change the contract", href+"/edit", href, "Save changes"
		return s.renderProc(w, r, status, pf, pf.Heading, ferr)
	}
	pf.Heading, pf.Action, pf.Back, pf.Button = "Record a contract", "/contracts/new", "/contracts", "Enter contract"
	f := readFields(v)
	if awardID := f.id("award_id", "Choose an award"); awardID != 0 {
		aws, err := p.ListAwards(ctx, procurement.AwardFilter{})
		if err != nil {
			return err
		}
		for i := range aws {
			if aws[i].ID == awardID {
				pf.Award = &aws[i]
			}
		}
		if pf.Award == nil {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Award not found")
		}
		pf.Heading, pf.Button = "Enter the contract with "+pf.Award.ProviderName, "Enter contract"
		if pf.Agreement, err = p.Agreement(ctx, pf.Award.AgreementID); err != nil {
			return err
		}
		pf.Back = "/windows/" + idValue(pf.Award.WindowID) + "/awards"
	} else {
		if agreementID := f.id("agreement_id", "Choose an agreement"); agreementID != 0 {
			a, err := p.Agreement(ctx, agreementID)
			if err != nil {
				return err
			}
			pf.Agreement, pf.Back = a, "/agreements/"+idValue(a.ID)
		}
		providers, err := s.allProviders(ctx)
		if err != nil {
			return err
		}
		pf.Choices = map[string][]option{"provider_id": providerOptions(providers)}
	}
	return s.renderProc(w, r, status, pf, pf.Heading, ferr)
}

func (s *Server) newContractPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(procSetUp...); err != nil {
		return err
	}
	p, err := s.proc()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := url.Values{"award_id": {q.Get("award_id")}, "agreement_id": {q.Get("agreement_id")}}
	if f := readFields(v); f.id("award_id", "") != 0 || f.id("agreement_id", "") != 0 {
		// Prefill the title and values from the agreement.
		var a *procurement.Agreement
		if awardID := f.id("award_id", ""); awardID != 0 {
			aws, err := p.ListAwards(r.Context(), procurement.AwardFilter{})
			if err != nil {
				return err
			}
			for _, aw := range aws {
				if aw.ID == awardID {
					a, err = p.Agreement(r.Context(), aw.AgreementID)
					if err != nil {
						return err
					}
				}
			}
		} else if a, err = p.Agreement(r.Context(), f.id("agreement_id", "")); err != nil {
			return err
		}
		if a != nil {
			v.Set("title", a.Title)
		}
	}
	return s.renderContractForm(w, r, http.StatusOK, p, 0, nil, v, nil)
}

func (s *Server) newContractPost(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(procSetUp...); err != nil {
		return err
	}
	p, err := s.proc()
	if err != nil {
		return err
	}
	v := r.PostForm
	if awardID := readFields(v).id("award_id", ""); awardID != 0 {
		// The award decides the provider.
		aws, err := p.ListAwards(r.Context(), procurement.AwardFilter{})
		if err != nil {
			return err
		}
		v.Del("provider_id")
		for _, aw := range aws {
			if aw.ID == awardID {
				v.Set("provider_id", idValue(aw.ProviderID))
			}
		}
		if v.Get("provider_id") == "" {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Award not found")
		}
	}
	c, fix, err := contractFromForm(v, 0, nil)
	if err == nil {
		err = fix(p.CreateContract(r.Context(), c))
	}
	if hasFormErrors(err) {
		return s.renderContractForm(w, r, statusOf(err), p, 0, nil, v, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/contracts/"+idValue(c.ID), "Contract "+c.Reference+" with "+c.ProviderName+" has been entered")
	return nil
}

func (s *Server) editContractPage(w http.ResponseWriter, r *http.Request) error {
	p, id, c, err := procEntity(s, r, procurement.Store.Contract, procSetUp...)
	if err != nil {
		return err
	}
	return s.renderContractForm(w, r, http.StatusOK, p, id, c, contractValues(c), nil)
}

func (s *Server) editContractPost(w http.ResponseWriter, r *http.Request) error {
	p, id, before, err := procEntity(s, r, procurement.Store.Contract, procSetUp...)
	if err != nil {
		return err
	}
	v := r.PostForm
	v.Set("provider_id", idValue(before.ProviderID))
	c, fix, err := contractFromForm(v, id, before)
	if err == nil {
		err = fix(p.UpdateContract(r.Context(), c))
	}
	if hasFormErrors(err) {
		return s.renderContractForm(w, r, statusOf(err), p, id, before, v, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/contracts/"+idValue(id), "The changes to contract "+c.Reference+" have been saved")
	return nil
}

type contractView struct {
	View      string
	Back      string
	Contract  *procurement.Contract
	Status    string
	Remaining int
	MaxEnd    time.Time
	Varied    int64
	CanSetUp  bool
	Form      url.Values
}

func (s *Server) renderContract(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, id int64, v url.Values, ferr error) error {
	c, err := p.Contract(r.Context(), id)
	if err != nil {
		return err
	}
	data := contractView{View: "contract_page", Contract: c, Status: c.Status(s.Now().In(procurement.London)), Remaining: c.ExtensionMonthsRemaining(),
		MaxEnd: c.MaxEnd(), Varied: c.VariedLifetimeValuePence(), CanSetUp: caremarket.ActorFrom(r.Context()).Is(procSetUp...), Form: v}
	return s.renderProc(w, r, status, data, "Contract "+c.Reference, ferr)
}

func (s *Server) contractPage(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r)
	if err != nil {
		return err
	}
	return s.renderContract(w, r, http.StatusOK, p, id, url.Values{}, nil)
}

func (s *Server) takeExtensionPost(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r, procSetUp...)
	if err != nil {
		return err
	}
	c, err := p.TakeExtension(r.Context(), id)
	if hasFormErrors(err) {
		return s.renderContract(w, r, statusOf(err), p, id, url.Values{}, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/contracts/"+idValue(id), "The extension has been taken: the contract now ends on "+localTime(c.End, "2 January 2006", false))
	return nil
}

func (s *Server) variationPost(w http.ResponseWriter, r *http.Request) error {
	p, id, c, err := procEntity(s, r, procurement.Store.Contract, procSetUp...)
	if err != nil {
		return err
	}
	v := r.PostForm
	f := readFields(v)
	vr := procurement.Variation{Description: v.Get("variation_description"), ValueChangePence: f.pounds("variation_value", "Change in value", true)}
	if d := f.date("variation_date", "Date of the variation"); d != nil {
		vr.Date = *d
	} else {
		f.fail("variation_date", "Enter the date of the variation")
	}
	c.Variations = append(c.Variations, vr)
	n := len(c.Variations) - 1
	fix := func(err error) error {
		return remapFields(err, renameKeys(map[string]string{"variations." + strconv.Itoa(n): "variation_description"}))
	}
	f.check(fix(c.Validate()))
	err = f.err()
	if err == nil {
		err = fix(p.UpdateContract(r.Context(), c))
	}
	if hasFormErrors(err) {
		return s.renderContract(w, r, statusOf(err), p, id, v, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/contracts/"+idValue(id), "The variation has been recorded")
	return nil
}

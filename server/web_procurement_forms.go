package server

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/money"
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

// procForm is what most procurement forms show.
type procForm struct {
	View                 string // the template that shows it
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

// procPage is a procurement page's data; it names the page's template
// (templates/<name>.html).
type procPage interface{ template() string }

func (f procForm) template() string      { return f.View }
func (v windowsView) template() string   { return v.View }
func (v scoringView) template() string   { return v.View }
func (v awardsView) template() string    { return v.View }
func (v contractsView) template() string { return v.View }
func (v contractView) template() string  { return v.View }

func (s *Server) renderProc(w http.ResponseWriter, r *http.Request, status int, pf procPage, title string, err error) error {
	s.render(w, r, status, pf.template(), title, pf, err)
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
	p, err := money.Parse(raw)
	if err != nil || (p < 0 && !negative) {
		msg := label + " must be an amount in pounds, like 1,250,000 or 12.50"
		if negative {
			msg = label + " must be an amount in pounds, like 12,000 or -500"
		}
		f.fail(name, msg)
		return 0
	}
	return int64(p)
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

package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/procurement"
)

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
	pf := procForm{View: "procurement_window_form", Heading: "Open a window", Caption: a.Reference + " · " + a.Title, Action: href + "/windows/new", Back: href,
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
	p := s.Store
	ws, err := p.ListWindows(r.Context(), 0)
	if err != nil {
		return err
	}
	isProv := caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider
	mine := map[int64]*procurement.Application{}
	data := windowsView{View: "procurement_windows", IsProv: isProv}
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
	pf := procForm{View: "procurement_evaluators", Heading: "Evaluators", Caption: win.AgreementRef + " · " + win.Title, Action: href + "/evaluators",
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
	pf := procForm{View: "procurement_declaration", Heading: "Declare any conflict of interest", Caption: win.AgreementRef + " · " + win.Title,
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

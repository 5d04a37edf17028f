package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

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
	pf := applyView{procForm: procForm{View: "procurement_apply", Heading: "Your application", Caption: win.AgreementRef + " · " + win.Title,
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
	pf := procForm{View: "procurement_resubmit", Heading: "Resubmit your answer to question " + strconv.Itoa(q.Number), Caption: win.AgreementRef + " · " + win.Title,
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

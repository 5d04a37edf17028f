package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/quality"
)

// The quality pages: monitoring reports and their actions (this file),
// provider risk (web_quality_risk.go) and performance (web_quality_perf.go).
// Commissioners and admins are the monitoring officers; other council staff
// read; a provider sees its own published reports, risk and figures.

func init() {
	funcs["qualityLabel"] = func(r quality.Rating) string { return r.Label() }
	funcs["qualityTag"] = qualityTag
	funcs["actionLabel"] = quality.ActionStatusLabel
	funcs["actionTag"] = func(s string) string {
		switch s {
		case quality.ActionOverdue:
			return "govuk-tag--red"
		case quality.ActionAccepted:
			return "govuk-tag--green"
		case quality.ActionEvidenceSubmitted:
			return "govuk-tag--blue"
		}
		return "govuk-tag--grey"
	}
	funcs["riskLabel"] = func(l quality.Level) string { return l.Label() }
	funcs["riskTag"] = func(l quality.Level) string {
		switch l {
		case quality.RiskVeryHigh:
			return "govuk-tag--red"
		case quality.RiskHigh:
			return "govuk-tag--orange"
		case quality.RiskMedium:
			return "govuk-tag--yellow"
		}
		return "govuk-tag--green"
	}
	funcs["percent"] = percentBP
	funcs["minutes"] = minutesWords
	funcs["hours"] = func(m int) string { return strconv.Itoa(m/60) + ":" + fmt.Sprintf("%02d", m%60) }
}

func qualityTag(r quality.Rating) string {
	switch r {
	case quality.Excellent:
		return "govuk-tag--green"
	case quality.Good:
		return "govuk-tag--turquoise"
	case quality.RequiresImprovement:
		return "govuk-tag--yellow"
	case quality.Poor:
		return "govuk-tag--red"
	}
	return "govuk-tag--grey"
}

// percentBP writes basis points as a percentage: 6667 is "66.7%", -250 is "-2.5%".
func percentBP(b int) string {
	sign := ""
	if b < 0 {
		sign, b = "-", -b
	}
	tenths := (b + 5) / 10
	return fmt.Sprintf("%s%d.%d%%", sign, tenths/10, tenths%10)
}

// minutesWords writes a response time: "45 minutes", "3 hours 5 minutes", "2 days 1 hour".
func minutesWords(m int) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case m < 60:
		return plural(m, "minute")
	case m < 24*60:
		s := plural(m/60, "hour")
		if m%60 != 0 {
			s += " " + plural(m%60, "minute")
		}
		return s
	}
	s := plural(m/(24*60), "day")
	if h := m % (24 * 60) / 60; h != 0 {
		s += " " + plural(h, "hour")
	}
	return s
}

func isOfficer(a *caremarket.Actor) bool {
	return a.Is(caremarket.RoleCommissioner, caremarket.RoleAdmin)
}

func (s *Server) registerQualityPages() {
	s.route("GET /monitoring", s.page(s.visitsPage))
	s.route("GET /monitoring/frameworks", s.page(s.frameworksPage))
	s.route("POST /monitoring/frameworks", s.page(s.frameworkPost))
	s.route("GET /monitoring/frameworks/{id}", s.page(s.frameworkPage))
	s.route("GET /monitoring/visits/new", s.page(s.visitFormPage))
	s.route("POST /monitoring/visits", s.page(s.visitPost))
	s.route("GET /monitoring/visits/{id}", s.page(s.visitPage))
	s.route("POST /monitoring/visits/{id}/publish", s.page(s.visitPublishPost))
	s.route("POST /monitoring/visits/{id}/response", s.page(s.visitResponsePost))
	s.route("POST /monitoring/visits/{id}/actions", s.page(s.actionPost))
	s.route("GET /monitoring/actions", s.page(s.actionsPage))
	s.route("POST /monitoring/actions/{id}/evidence", s.page(s.evidencePost))
	s.route("POST /monitoring/actions/{id}/decision", s.page(s.decisionPost))
	s.registerRiskPages()
	s.registerPerformancePages()
}

func (s *Server) visitsPage(w http.ResponseWriter, r *http.Request) error {
	a := caremarket.ActorFrom(r.Context())
	status := r.URL.Query().Get("status")
	if status != quality.VisitDraft && status != quality.VisitPublished {
		status = ""
	}
	vs, err := s.Store.ListVisits(r.Context(), quality.VisitFilter{Status: status})
	if err != nil {
		return err
	}
	canRecord := false
	if isOfficer(a) {
		fs, err := s.Store.ListFrameworks(r.Context())
		if err != nil {
			return err
		}
		canRecord = len(fs) > 0
	}
	shownItems, pg := pageOf(r, r.URL.Path, vs, 0)
	title := "Contract monitoring"
	if a.Role == caremarket.RoleProvider {
		title = "Monitoring reports"
	}
	s.render(w, r, http.StatusOK, "quality_visits", title, map[string]any{"Visits": shownItems, "Pages": pg, "Status": status,
		"Officer": canRecord, "Provider": a.Role == caremarket.RoleProvider, "ProviderID": a.ProviderID}, nil)
	return nil
}

func (s *Server) frameworksPage(w http.ResponseWriter, r *http.Request) error {
	return s.showFrameworks(w, r, http.StatusOK, nil)
}

func (s *Server) showFrameworks(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	fs, err := s.Store.ListFrameworks(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, status, "quality_frameworks", "Monitoring frameworks", map[string]any{"Frameworks": fs,
		"Officer": isOfficer(caremarket.ActorFrom(r.Context())), "Rule": quality.RuleText}, ferr)
	return nil
}

// parseDomains reads the framework form's text: a line per domain, and
// under it a line per question starting "-", its evidence notes after "|".
func parseDomains(text string) []quality.Domain {
	var out []quality.Domain
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "-"):
			q, ev, _ := strings.Cut(strings.TrimSpace(line[1:]), "|")
			if len(out) == 0 {
				out = append(out, quality.Domain{})
			}
			d := &out[len(out)-1]
			d.Questions = append(d.Questions, quality.Question{Text: strings.TrimSpace(q), Evidence: strings.TrimSpace(ev)})
		default:
			out = append(out, quality.Domain{Name: line})
		}
	}
	return out
}

func (s *Server) frameworkPost(w http.ResponseWriter, r *http.Request) error {
	f := &quality.Framework{Name: r.PostFormValue("name"), Domains: parseDomains(r.PostFormValue("domains"))}
	if err := s.Store.CreateFramework(r.Context(), f); err != nil {
		return reshow(w, r, err, s.showFrameworks)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/monitoring/frameworks/%d", f.ID), "Framework saved")
	return nil
}

func (s *Server) frameworkPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.CouncilStaff...); err != nil {
		return err
	}
	f, err := s.Store.Framework(r.Context(), id)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "quality_framework", f.Name, map[string]any{"Framework": f, "Rule": quality.RuleText,
		"Officer": isOfficer(caremarket.ActorFrom(r.Context()))}, nil)
	return nil
}

// locationOptions lists the council's registered locations for a select.
func (s *Server) locationOptions(r *http.Request) ([]option, error) {
	var out []option
	for page := 1; page <= 50; page++ {
		ls, total, err := s.Store.ListLocations(r.Context(), market.LocationFilter{Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			out = append(out, option{Value: idValue(l.ID), Label: l.Name + " (" + l.ProviderName + ", " + l.AreaName + ")"})
		}
		if len(out) >= total || len(ls) == 0 {
			break
		}
	}
	return out, nil
}

var answerOptions = func() []option {
	var out []option
	for _, r := range quality.Answers {
		out = append(out, option{Value: string(r), Label: r.Label()})
	}
	return out
}()

func (s *Server) visitFormPage(w http.ResponseWriter, r *http.Request) error {
	form := url.Values{"location_id": {r.URL.Query().Get("location_id")}, "announced": {"yes"}}
	return s.showVisitForm(w, r, http.StatusOK, form, nil)
}

func (s *Server) showVisitForm(w http.ResponseWriter, r *http.Request, status int, form url.Values, ferr error) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleCommissioner, caremarket.RoleAdmin); err != nil {
		return err
	}
	fs, err := s.Store.ListFrameworks(r.Context())
	if err != nil {
		return err
	}
	if len(fs) == 0 {
		return caremarket.Errorf(caremarket.ECONFLICT, "Set up a monitoring framework first, at Monitoring frameworks")
	}
	fw := &fs[0]
	if id, _ := strconv.ParseInt(form.Get("framework_id"), 10, 64); id != 0 {
		for i := range fs {
			if fs[i].ID == id {
				fw = &fs[i]
			}
		}
	}
	form.Set("framework_id", idValue(fw.ID))
	locs, err := s.locationOptions(r)
	if err != nil {
		return err
	}
	var fwOpts []option
	for _, f := range fs {
		fwOpts = append(fwOpts, option{Value: idValue(f.ID), Label: f.Name})
	}
	// The form shows back what was typed, so the view's Form is ours.
	r.PostForm = form
	r.Method = http.MethodPost
	s.render(w, r, status, "quality_visit_form", "Record a monitoring visit", map[string]any{"Framework": fw, "Frameworks": fwOpts,
		"Locations": locs, "Answers": answerOptions, "Announced": []option{{Value: "yes", Label: "Announced"}, {Value: "no", Label: "Unannounced"}}}, ferr)
	return nil
}

func (s *Server) visitPost(w http.ResponseWriter, r *http.Request) error {
	ff := readFields(r.PostForm)
	v := &quality.Visit{FrameworkID: ff.id("framework_id", "Choose the monitoring framework"), LocationID: ff.id("location_id", "Choose the location visited"),
		Announced: r.PostFormValue("announced") != "no", Officers: r.PostFormValue("officers"), Summary: r.PostFormValue("summary")}
	ff.dateInto(&v.VisitDate, "visit_date", "Date of the visit")
	for k, vals := range r.PostForm {
		if key, ok := strings.CutPrefix(k, "answer-"); ok && len(vals) > 0 {
			v.Answers = append(v.Answers, quality.Answer{QuestionKey: key, Rating: quality.Rating(vals[0]), Note: r.PostFormValue("note-" + key)})
		}
	}
	err := ff.err()
	if err == nil {
		err = s.Store.CreateVisit(r.Context(), v)
	} else if verr := s.Store.CreateVisit(r.Context(), v); verr != nil {
		ff.check(verr)
		err = ff.err()
	}
	if err != nil {
		if hasFormErrors(err) {
			return s.showVisitForm(w, r, statusOf(err), r.PostForm, err)
		}
		return err
	}
	redirectWithFlash(w, r, fmt.Sprintf("/monitoring/visits/%d", v.ID), "Visit recorded as a draft report: publish it when it is ready")
	return nil
}

// reportRow is a question of a report with its answer.
type reportRow struct {
	Domain   string
	Question quality.Question
	Answer   quality.Answer
}

func (s *Server) visitPage(w http.ResponseWriter, r *http.Request) error {
	return s.showVisit(w, r, http.StatusOK, nil)
}

func (s *Server) showVisit(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	v, err := loadPath(r, pathID, s.Store.Visit)
	if err != nil {
		return err
	}
	f, err := s.Store.Framework(r.Context(), v.FrameworkID)
	if err != nil {
		return err
	}
	byKey := map[string]quality.Answer{}
	for _, a := range v.Answers {
		byKey[a.QuestionKey] = a
	}
	var rows []reportRow
	var qOpts []option
	for _, d := range f.Domains {
		for _, q := range d.Questions {
			rows = append(rows, reportRow{Domain: d.Name, Question: q, Answer: byKey[q.Key]})
			qOpts = append(qOpts, option{Value: q.Key, Label: d.Name + ": " + q.Text})
		}
	}
	a := caremarket.ActorFrom(r.Context())
	s.render(w, r, status, "quality_visit", "Monitoring report: "+v.LocationName, map[string]any{"Visit": v, "Rows": rows, "Rule": quality.RuleText,
		"Officer": isOfficer(a), "Provider": a.Role == caremarket.RoleProvider, "Questions": qOpts,
		"Decisions": []option{{Value: "accept", Label: "Accept the evidence: the action is done"}, {Value: "return", Label: "Return it: more evidence is needed"}}}, ferr)
	return nil
}

func (s *Server) visitPublishPost(w http.ResponseWriter, r *http.Request) error {
	return s.visitActionPost(w, r, "Report published to the provider", func(ctx context.Context, id int64) error {
		_, err := s.Store.PublishVisit(ctx, id)
		return err
	})
}

func (s *Server) visitResponsePost(w http.ResponseWriter, r *http.Request) error {
	return s.visitActionPost(w, r, "Your response is saved", func(ctx context.Context, id int64) error {
		_, err := s.Store.RespondToVisit(ctx, id, r.PostFormValue("response"))
		return err
	})
}

// visitActionPost does an action to the visit in the path and goes back to
// it, saying what was done; a problem with the form shows the visit again.
func (s *Server) visitActionPost(w http.ResponseWriter, r *http.Request, done string, act func(ctx context.Context, id int64) error) error {
	id, err := actOnPath(r, act)
	if err != nil {
		return reshow(w, r, err, s.showVisit)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/monitoring/visits/%d", id), done)
	return nil
}

func (s *Server) actionPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ff := readFields(r.PostForm)
	x := &quality.Action{VisitID: id, QuestionKey: r.PostFormValue("question_key"), Finding: r.PostFormValue("finding"), Owner: r.PostFormValue("owner")}
	ff.dateInto(&x.DueDate, "due_date", "Due date")
	if err := ff.err(); err != nil {
		return s.showVisit(w, r, statusOf(err), err)
	}
	if err := s.Store.AddAction(r.Context(), x); err != nil {
		return reshow(w, r, err, s.showVisit)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/monitoring/visits/%d", id), "Action added")
	return nil
}

func (s *Server) actionsPage(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	switch status {
	case quality.ActionOpen, quality.ActionEvidenceSubmitted, quality.ActionAccepted, quality.ActionOverdue:
	default:
		status = ""
	}
	xs, err := s.Store.ListActions(r.Context(), quality.ActionFilter{Status: status})
	if err != nil {
		return err
	}
	shownItems, pg := pageOf(r, r.URL.Path, xs, 0)
	s.render(w, r, http.StatusOK, "quality_actions", "Action plans", map[string]any{"Actions": shownItems, "Pages": pg, "Status": status}, nil)
	return nil
}

// actionVisit finds the visit an action belongs to, to show its report again.
func (s *Server) actionVisit(r *http.Request) (int64, error) {
	x, err := loadPath(r, pathID, s.Store.Action)
	if err != nil {
		return 0, err
	}
	return x.VisitID, nil
}

func (s *Server) evidencePost(w http.ResponseWriter, r *http.Request) error {
	visit, err := s.actionVisit(r)
	if err != nil {
		return err
	}
	id, _ := pathID(r)
	if _, err := s.Store.SubmitEvidence(r.Context(), id, r.PostFormValue("evidence-"+idValue(id))); err != nil {
		if hasFormErrors(err) {
			r.SetPathValue("id", idValue(visit))
			return s.showVisit(w, r, statusOf(err), renameField(err, "evidence", "evidence-"+idValue(id)))
		}
		return err
	}
	redirectWithFlash(w, r, fmt.Sprintf("/monitoring/visits/%d", visit), "Evidence sent to the council")
	return nil
}

func (s *Server) decisionPost(w http.ResponseWriter, r *http.Request) error {
	visit, err := s.actionVisit(r)
	if err != nil {
		return err
	}
	id, _ := pathID(r)
	d := quality.Decision{Accept: r.PostFormValue("decision-"+idValue(id)) == "accept", Note: r.PostFormValue("note-" + idValue(id))}
	if _, err := s.Store.DecideAction(r.Context(), id, d); err != nil {
		if hasFormErrors(err) {
			r.SetPathValue("id", idValue(visit))
			return s.showVisit(w, r, statusOf(err), renameField(err, "note", "note-"+idValue(id)))
		}
		return err
	}
	msg := "Evidence returned to the provider"
	if d.Accept {
		msg = "Evidence accepted: the action is closed"
	}
	redirectWithFlash(w, r, fmt.Sprintf("/monitoring/visits/%d", visit), msg)
	return nil
}

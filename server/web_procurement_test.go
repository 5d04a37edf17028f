package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// checkPostForms fails unless every POST form on the page carries the CSRF
// field.
func checkPostForms(t testing.TB, what, body string) {
	t.Helper()
	for i, part := range strings.Split(body, `<form method="post"`)[1:] {
		end := strings.Index(part, "</form>")
		if end < 0 || !strings.Contains(part[:end], `name="csrf_token"`) {
			t.Errorf("%s: POST form %d has no CSRF field", what, i+1)
		}
	}
}

var idRe = regexp.MustCompile(` id="([^"]+)"`)

// checkIDs fails if an id is used twice on the page: labels, hints and the
// error summary's links would reach the wrong field.
func checkIDs(t testing.TB, what, body string) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range idRe.FindAllStringSubmatch(body, -1) {
		if seen[m[1]] {
			t.Errorf("%s: id %q is used twice", what, m[1])
		}
		seen[m[1]] = true
	}
}

// page fetches path, expecting 200, and checks its forms.
func (c *webClient) page(path string, want ...string) string {
	c.t.Helper()
	body := c.expectPage(path, http.StatusOK, want...)
	checkPostForms(c.t, "GET "+path, body)
	checkIDs(c.t, "GET "+path, body)
	return body
}

// expectPost posts a form and checks the status and the page it leads to
// (after any redirect).
func (c *webClient) expectPost(path string, form url.Values, status int, want ...string) string {
	c.t.Helper()
	got, body := c.post(path, form)
	if got != status {
		c.t.Errorf("POST %s as %s: status %d, want %d\n%s", path, c.email, got, status, errorSummary(body))
	}
	checkBody(c.t, "POST "+path, body, want...)
	checkPostForms(c.t, "POST "+path, body)
	checkIDs(c.t, "POST "+path, body)
	return body
}

var summaryRe = regexp.MustCompile(`(?s)<div class="govuk-error-summary".*?</ul>`)

func errorSummary(body string) string {
	if m := summaryRe.FindString(body); m != "" {
		return m
	}
	if len(body) > 2000 {
		return body[:2000]
	}
	return body
}

// dateForm sets a GOV.UK date input's three fields.
func dateForm(v url.Values, name string, t time.Time) {
	v.Set(name+"-day", strconv.Itoa(t.Day()))
	v.Set(name+"-month", strconv.Itoa(int(t.Month())))
	v.Set(name+"-year", strconv.Itoa(t.Year()))
}

func momentForm(v url.Values, name string, t time.Time) {
	l := t.In(procurement.London)
	dateForm(v, name, l)
	v.Set(name+"-time", l.Format("15:04"))
}

// TestWebProcurementJourney drives journey 1 of DOMAIN.md through the forms,
// as people would in a browser without JavaScript: a commissioner sets up an
// open framework, a lot and a window; providers draft and submit; evaluators
// declare and score blind; a moderator agrees the marks (and a failed answer
// is resubmitted); the commissioner awards and publishes; providers see their
// own assessment summaries only; a late submission and a contract inside the
// standstill are refused with readable messages.
func TestWebProcurementJourney(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		// The server's clock, moved forward past the deadline later on.
		var shift atomic.Int64
		db.Now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
		t.Cleanup(func() { db.Now = time.Now })
		cedar := e.provider(e.kent, "Cedar Homecare", "1-100000003")

		comm := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		eval1 := e.signIn(e.kent, caremarket.RoleEvaluator, 0)
		eval2 := e.signIn(e.kent, caremarket.RoleEvaluator, 0)
		acorn := e.signIn(e.kent, caremarket.RoleProvider, e.acorn.ID)
		birch := e.signIn(e.kent, caremarket.RoleProvider, e.birch.ID)
		cedarUser := e.signIn(e.kent, caremarket.RoleProvider, cedar.ID)
		broker := e.signIn(e.kent, caremarket.RoleBroker, 0)

		// --- The commissioner sets up the agreement, checked against the law.
		comm.page("/agreements", "Set up an agreement")
		comm.page("/agreements/new", `name="reference"`, `value="open_framework"`, "PA 2023 s.49")
		broker.expectPage("/agreements/new", http.StatusForbidden)
		agreement := url.Values{"reference": {"AAHC-2027"}, "title": {"All Age Home Care"}, "type": {"open_framework"}, "regime": {"pa2023"},
			"options": {"light_touch", "voluntary_standstill", "allow_resubmission"}, "annual_value_pence": {"£12,500,000"}, "lifetime_value_pence": {"100,000,000.50"}}
		dateForm(agreement, "start", procurement.Date(2027, 4, 1))
		dateForm(agreement, "reopenings.0", procurement.Date(2030, 3, 31))
		dateForm(agreement, "reopenings.1", procurement.Date(2033, 3, 31))
		// A 9-year scheme is refused, naming the rule; what was typed stays.
		dateForm(agreement, "end", procurement.Date(2036, 3, 31))
		comm.expectPost("/agreements/new", agreement, http.StatusBadRequest, "There is a problem",
			"PA 2023 s.49(2): an open framework scheme must end within 8 years of the first award", `href="#end"`,
			`value="AAHC-2027"`, `value="£12,500,000"`, `value="2036"`)
		// So is a first reopening in year 4.
		dateForm(agreement, "end", procurement.Date(2035, 3, 31))
		dateForm(agreement, "reopenings.0", procurement.Date(2031, 3, 31))
		comm.expectPost("/agreements/new", agreement, http.StatusBadRequest,
			"PA 2023 s.49(2): the first reopening of an open framework must award a new framework within 3 years", `href="#reopenings.0"`)
		// Money that is not money is refused beside its field.
		bad := url.Values{}
		for k, v := range agreement {
			bad[k] = v
		}
		bad.Set("annual_value_pence", "lots")
		comm.expectPost("/agreements/new", bad, http.StatusBadRequest, "Annual value must be an amount in pounds", `href="#annual_value_pence"`)
		// The All Age Home Care example is accepted.
		dateForm(agreement, "reopenings.0", procurement.Date(2030, 3, 31))
		comm.expectPost("/agreements/new", agreement, http.StatusOK, "AAHC-2027 has been set up", "£12,500,000 a year", "£100,000,000.50 over its life",
			"31 March 2030", "31 March 2033")
		a, err := db.AgreementByReference(e.kent, "AAHC-2027")
		if err != nil {
			t.Fatal(err)
		}
		if a.AnnualValuePence != 1_250_000_000 || a.LifetimeValuePence != 10_000_000_050 || !a.VoluntaryStandstill || !a.AllowResubmission {
			t.Fatalf("saved agreement: %+v", a)
		}
		aID := idStr(a.ID)
		// Edit: the form comes back filled in; a change is saved.
		comm.page("/agreements/"+aID+"/edit", `value="12500000"`, `value="100000000.50"`, `value="AAHC-2027"`)
		agreement.Set("title", "All Age Home Care Open Framework")
		comm.expectPost("/agreements/"+aID+"/edit", agreement, http.StatusOK, "The changes to AAHC-2027 have been saved", "All Age Home Care Open Framework")

		// --- A lot: direct award needs the terms and the mechanism (s.45(4)).
		comm.page("/agreements/"+aID+"/lots/new", "Homecare", "Thanet", `name="ranking-1"`)
		lot := url.Values{"title": {"Homecare, East Kent"}, "service_types": {string(market.Homecare)}, "area_ids": {idStr(e.thanet.ID), idStr(e.dover.ID)},
			"provider_cap": {"10"}, "call_off": {"direct_award"}}
		comm.expectPost("/agreements/"+aID+"/lots/new", lot, http.StatusBadRequest,
			"PA 2023 s.45(4): direct award needs the call-off terms set in the framework", `href="#call_off_terms"`, `href="#mechanism"`, `value="Homecare, East Kent"`)
		lot.Set("call_off_terms", "The council's call-off contract for home care, 2027")
		lot.Set("mechanism", "Offered in order: lowest price, then highest quality score")
		lot.Set("ranking-1", "price")
		lot.Set("ranking-2", "quality")
		comm.expectPost("/agreements/"+aID+"/lots/new", lot, http.StatusOK, "Lot 1 has been added", "Homecare, East Kent")
		a, _ = db.Agreement(e.kent, a.ID)
		if len(a.Lots) != 1 || len(a.Lots[0].Ranking) != 2 || len(a.Lots[0].AreaIDs) != 2 {
			t.Fatalf("lot: %+v", a.Lots)
		}
		lotID := a.Lots[0].ID

		// --- A window with its questions.
		now := time.Now()
		deadline := time.Date(now.Year(), now.Month(), now.Day(), 17, 0, 0, 0, procurement.London).AddDate(0, 0, 2)
		comm.page("/agreements/"+aID+"/windows/new", "Open a window", `name="questions.3.text"`, `value="reopening"`)
		win := url.Values{"kind": {"tender"}, "title": {"First framework 2027"}, "lot_ids": {idStr(lotID)}, "rows": {"4"},
			"questions.0.kind": {"selection"}, "questions.0.text": {"Are you registered with the CQC for personal care?"}, "questions.0.evidence_required": {"yes"},
			"questions.2.kind": {"quality"}, "questions.2.text": {"How will you recruit and keep care workers?"}, "questions.2.weight": {"60"}, "questions.2.max_score": {"5"}, "questions.2.pass_mark": {"3"},
			"questions.3.kind": {"quality"}, "questions.3.text": {"How will you work with the council's brokers?"}, "questions.3.weight": {"40"}, "questions.3.max_score": {"5"}}
		momentForm(win, "opens", now.Add(-24*time.Hour))
		momentForm(win, "deadline", deadline)
		// The no-JavaScript "add another question" gives one more row and keeps what was typed.
		add := url.Values{"action": {"add-question"}}
		for k, v := range win {
			add[k] = v
		}
		comm.expectPost("/agreements/"+aID+"/windows/new", add, http.StatusOK, `name="questions.4.text"`, "How will you recruit and keep care workers?")
		// A pass mark above the maximum is refused beside that row's field
		// (the fourth row, although it is the third question).
		win.Set("questions.3.pass_mark", "7")
		win.Set("action", "open")
		comm.expectPost("/agreements/"+aID+"/windows/new", win, http.StatusBadRequest, "Pass mark must be from 0 to the maximum score",
			`href="#questions.3.pass_mark"`, "How will you work with the council")
		win.Set("questions.3.pass_mark", "3")
		comm.expectPost("/agreements/"+aID+"/windows/new", win, http.StatusOK, "First framework 2027 has been set up", "Are you registered with the CQC")
		ws, _ := db.ListWindows(e.kent, a.ID)
		if len(ws) != 1 {
			t.Fatalf("windows: %+v", ws)
		}
		w, _ := db.Window(e.kent, ws[0].ID)
		wID := idStr(w.ID)
		if len(w.Questions) != 3 || !w.Deadline.Equal(deadline) || !w.Questions[0].EvidenceRequired {
			t.Fatalf("window: %+v", w)
		}
		q1, q2, q3 := idStr(w.Questions[0].ID), idStr(w.Questions[1].ID), idStr(w.Questions[2].ID)

		// --- Evaluators are assigned; the moderator sees every score.
		u1, _ := db.UserByEmail(e.kent, eval1.email)
		u2, _ := db.UserByEmail(e.kent, eval2.email)
		comm.page("/windows/"+wID+"/evaluators", eval1.email, "No one is assigned yet")
		comm.expectPost("/windows/"+wID+"/evaluators", url.Values{}, http.StatusBadRequest, "Choose who will score")
		comm.expectPost("/windows/"+wID+"/evaluators", url.Values{"user_id": {idStr(u2.ID)}}, http.StatusOK, "The evaluator has been assigned", eval2.email)
		comm.expectPost("/windows/"+wID+"/evaluators", url.Values{"user_id": {idStr(u1.ID)}, "moderator": {"yes"}}, http.StatusOK, "Moderator")

		// --- Providers see the open window, draft, save and submit.
		acorn.page("/windows", "First framework 2027", `href="/windows/`+wID+`/apply"`)
		acorn.page("/windows/"+wID+"/apply", "Your application", "Are you registered with the CQC", `name="answers.`+q1+`.evidence"`)
		answers := url.Values{"lot_ids": {idStr(lotID)}, "answers." + q1: {"Yes, registered since 2012"}, "answers." + q2: {"A recruitment academy with a guaranteed hours offer"},
			"action": {"save"}}
		acorn.expectPost("/windows/"+wID+"/apply", answers, http.StatusOK, "Your draft has been saved", "draft")
		// Submitting with question 3 unanswered and no evidence is refused; the answers stay.
		answers.Set("action", "submit")
		acorn.expectPost("/windows/"+wID+"/apply", answers, http.StatusBadRequest, "Answer question 3 before you submit",
			"Give the evidence for question 1 before you submit", "A recruitment academy with a guaranteed hours offer")
		answers.Set("answers."+q1+".evidence", "CQC 1-100000001")
		answers.Set("answers."+q3, "A named lead for brokerage, answering within the hour")
		acorn.expectPost("/windows/"+wID+"/apply", answers, http.StatusOK, "Your application has been submitted", "submitted")
		acornApp := findApplication(t, db, e, w.ID, e.acorn.ID)
		// Once submitted, the form sends the provider to the application.
		if got, body := acorn.get("/windows/" + wID + "/apply"); got != http.StatusOK || !strings.Contains(body, "submitted") {
			t.Errorf("apply after submitting: %d", got)
		}

		birchAnswers := url.Values{"lot_ids": {idStr(lotID)}, "answers." + q1: {"Yes"}, "answers." + q1 + ".evidence": {"CQC 1-100000002"},
			"answers." + q2: {"Agency staff"}, "answers." + q3: {"By email"}, "action": {"submit"}}
		birch.expectPost("/windows/"+wID+"/apply", birchAnswers, http.StatusOK, "Your application has been submitted")
		birchApp := findApplication(t, db, e, w.ID, e.birch.ID)

		// Cedar saves a draft, then misses the deadline: the server's clock refuses it.
		cedarAnswers := url.Values{"lot_ids": {idStr(lotID)}, "answers." + q1: {"Yes"}, "answers." + q1 + ".evidence": {"CQC 1-3"},
			"answers." + q2: {"We will"}, "answers." + q3: {"We will"}, "action": {"save"}}
		body := cedarUser.expectPost("/windows/"+wID+"/apply", cedarAnswers, http.StatusOK, "Your draft has been saved")
		m := regexp.MustCompile(`/applications/([0-9]+)/submit`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no submit form on the draft's page")
		}
		shift.Store(int64(time.Until(deadline) + time.Minute))
		cedarAnswers.Set("action", "submit")
		cedarUser.expectPost("/windows/"+wID+"/apply", cedarAnswers, http.StatusConflict, "There is a problem",
			"The deadline for applications was 17:00 on", "applications cannot be submitted after it", "We will")
		cedarUser.page("/applications/"+m[1], "Draft")
		// The application page's own Submit button is refused the same way, with the form shown again.
		cedarUser.expectPost("/applications/"+m[1]+"/submit", url.Values{}, http.StatusConflict, "The deadline for applications was", "We will")

		// --- Evaluators declare, then score blind.
		acornPath := "/applications/" + idStr(acornApp)
		eval1.page("/windows/"+wID, "Declare any conflict of interest")
		eval1.page(acornPath+"/scoring", "Declare any conflict of interest before you score")
		eval1.expectPost(acornPath+"/scores", url.Values{"question_id": {q1}, "attempt": {"1"}, "s-" + q1 + "-1-pass": {"yes"}, "action": {"draft"}},
			http.StatusConflict, "Declare any conflict of interest before you score")
		eval1.page("/windows/"+wID+"/declaration", "Acorn Care Ltd", "Birch Homes", `name="conflicted_provider_ids"`)
		eval1.expectPost("/windows/"+wID+"/declaration", url.Values{"conflicted_provider_ids": {idStr(e.birch.ID)}}, http.StatusBadRequest,
			"Say what your conflict of interest is")
		eval1.expectPost("/windows/"+wID+"/declaration", url.Values{"statement": {"I have no links with any applicant"}}, http.StatusOK,
			"Your declaration has been recorded")
		eval1.page("/windows/"+wID+"/declaration", "You made your declaration on")
		eval2.expectPost("/windows/"+wID+"/declaration", url.Values{}, http.StatusOK, "Your declaration has been recorded")

		score := func(c *webClient, app int64, q string, attempt int, verdict, points, comment, action string, status int, want ...string) {
			t.Helper()
			k := "s-" + q + "-" + strconv.Itoa(attempt) + "-"
			c.expectPost("/applications/"+idStr(app)+"/scores", url.Values{"question_id": {q}, "attempt": {strconv.Itoa(attempt)},
				k + "pass": {verdict}, k + "points": {points}, k + "comment": {comment}, "action": {action}}, status, want...)
		}
		// Eval1 moderates as well as scoring; eval2 only scores, blind.
		// A draft is the evaluator's own: nobody else sees it.
		score(eval1, acornApp, q1, 1, "yes", "", "Registration checked on the CQC register", "draft", http.StatusOK, "Your draft score has been saved")
		eval2.page(acornPath+"/scoring", "!Registration checked on the CQC register", "stay hidden until you submit yours")
		// Submitting needs a reason; the typed score stays.
		score(eval1, acornApp, q2, 1, "", "4", "", "submit", http.StatusBadRequest, "Give the reason for your score", `value="4"`)
		score(eval1, acornApp, q1, 1, "yes", "", "Registration checked on the CQC register", "submit", http.StatusOK, "Your score has been submitted")
		// Eval2 still cannot see it until submitting its own.
		eval2.page(acornPath+"/scoring", "!Registration checked on the CQC register")
		score(eval2, acornApp, q1, 1, "yes", "", "Registered, certificate seen", "submit", http.StatusOK, "Your score has been submitted",
			"Registration checked on the CQC register")
		// Eval2 has not submitted question 2: eval1's mark for it stays hidden from eval2.
		score(eval1, acornApp, q2, 1, "", "4", "Strong plan", "submit", http.StatusOK)
		eval2.page(acornPath+"/scoring", "!Strong plan")
		score(eval1, acornApp, q3, 1, "", "5", "Excellent", "submit", http.StatusOK)
		// A submitted score no longer has a form.
		eval1.page(acornPath+"/scoring", "Your score, submitted", "!"+`name="s-`+q1+`-1-comment"`)
		score(eval1, birchApp, q1, 1, "yes", "", "Registered", "submit", http.StatusOK)
		score(eval1, birchApp, q2, 1, "", "2", "Relies on agency staff", "submit", http.StatusOK)
		score(eval1, birchApp, q3, 1, "", "3", "Adequate", "submit", http.StatusOK)

		// --- The moderator agrees the final marks, with reasons.
		moderate := func(c *webClient, app int64, q string, attempt int, verdict, points, reason string, status int, want ...string) {
			t.Helper()
			k := "m-" + q + "-" + strconv.Itoa(attempt) + "-"
			c.expectPost("/applications/"+idStr(app)+"/moderations", url.Values{"question_id": {q}, "attempt": {strconv.Itoa(attempt)},
				k + "pass": {verdict}, k + "points": {points}, k + "reason": {reason}}, status, want...)
		}
		eval2.expectPost(acornPath+"/moderations", url.Values{"question_id": {q1}, "attempt": {"1"}, "m-" + q1 + "-1-pass": {"yes"},
			"m-" + q1 + "-1-reason": {"ok"}}, http.StatusForbidden)
		eval1.page(acornPath+"/scoring", "Agree the final mark", "Strong plan", "Registered, certificate seen")
		moderate(eval1, acornApp, q1, 1, "yes", "", "", http.StatusBadRequest, "Enter the reason for the agreed score")
		moderate(eval1, acornApp, q1, 1, "yes", "", "Both evaluators saw the registration", http.StatusOK, "The agreed mark has been recorded")
		moderate(eval1, acornApp, q2, 1, "", "4", "A credible recruitment plan", http.StatusOK)
		moderate(eval1, acornApp, q3, 1, "", "5", "Clear and specific", http.StatusOK)
		moderate(eval1, birchApp, q1, 1, "yes", "", "Registered", http.StatusOK)
		moderate(eval1, birchApp, q2, 1, "", "2", "No plan beyond agency staff", http.StatusOK, "the agreement allows the provider to resubmit it once")
		moderate(eval1, birchApp, q3, 1, "", "3", "Meets the requirement", http.StatusOK)

		// --- Birch resubmits its failed answer once; it is scored and moderated again.
		birchPath := "/applications/" + idStr(birchApp)
		birch.page(birchPath, "Resubmit your answer to question 2")
		birch.page(birchPath+"/resubmit?question_id="+q2, "Agency staff", `name="text"`)
		birch.expectPost(birchPath+"/resubmit", url.Values{"question_id": {q2}, "text": {""}}, http.StatusBadRequest, "Enter your new answer")
		birch.expectPost(birchPath+"/resubmit", url.Values{"question_id": {q2}, "text": {"We will employ our own care workers on guaranteed hours"}}, http.StatusOK,
			"Your new answer has been resubmitted")
		birch.expectPost(birchPath+"/resubmit", url.Values{"question_id": {q2}, "text": {"Again"}}, http.StatusConflict, "resubmitted once")
		score(eval1, birchApp, q2, 2, "", "3", "Now credible", "submit", http.StatusOK)
		moderate(eval1, birchApp, q2, 2, "", "3", "The resubmitted plan meets the pass mark", http.StatusOK)

		// --- The commissioner awards, then publishes summaries and the notice.
		awards := "/windows/" + wID + "/awards"
		comm.page(awards, "Award decisions", "Acorn Care Ltd: ranked 1", "Birch Homes: ranked 2", "2 submitted")
		comm.expectPost("/windows/"+wID+"/award-notice", url.Values{}, http.StatusConflict, "There are no unpublished awards in this window")
		comm.expectPost(awards, url.Values{"lot_id": {idStr(lotID)}}, http.StatusBadRequest, "Choose the providers to admit to the lot")
		comm.expectPost(awards, url.Values{"lot_id": {idStr(lotID)}, "lot-" + idStr(lotID): {idStr(acornApp)}}, http.StatusOK,
			"1 provider awarded a place", "notice not yet published")
		body = comm.expectPost("/windows/"+wID+"/award-notice", url.Values{}, http.StatusOK,
			"The assessment summaries and the contract award notice have been published", "Voluntary standstill of 8 working days",
			"Standstill ends", "Contracts may be entered from", "Enter the contract")
		aws, _ := db.ListAwards(e.kent, procurement.AwardFilter{WindowID: w.ID})
		if len(aws) != 1 || aws[0].Standstill == nil || !aws[0].Standstill.Applies {
			t.Fatalf("awards: %+v", aws)
		}
		checkBody(t, "awards page", body, date(aws[0].Standstill.Ends))

		// --- Each provider sees its own assessment summary, and not another's.
		acorn.page(acornPath, "Assessment summary", "Successful.", "A credible recruitment plan")
		birch.page(birchPath, "Assessment summary", "Not successful.", "The resubmitted plan meets the pass mark")
		birch.expectPage(acornPath, http.StatusNotFound)
		acorn.expectPage(birchPath+"/resubmit?question_id="+q2, http.StatusNotFound)
		acorn.page("/agreements/"+aID, "Homecare, East Kent")
		comm.page("/agreements/"+aID, "Open a window", "Add a lot")

		// --- A contract inside the standstill is refused with the rule.
		contract := url.Values{"award_id": {idStr(aws[0].ID)}, "reference": {"AAHC-2027-ACORN"}, "title": {"Home care call-off framework"}}
		dateForm(contract, "start", procurement.Date(2027, 4, 1))
		dateForm(contract, "initial_end", procurement.Date(2030, 3, 31))
		comm.page("/contracts/new?award_id="+idStr(aws[0].ID), "Enter the contract with Acorn Care Ltd", "Voluntary standstill")
		comm.expectPost("/contracts/new", contract, http.StatusConflict, "There is a problem", "the standstill ends at midnight on "+date(aws[0].Standstill.Ends),
			"so the contract cannot be entered before "+date(aws[0].Standstill.EarliestContract), `value="AAHC-2027-ACORN"`)
		// After the standstill it is entered.
		shift.Store(int64(time.Until(aws[0].Standstill.EarliestContract) + 12*time.Hour))
		comm.expectPost("/contracts/new", contract, http.StatusOK, "Contract AAHC-2027-ACORN with Acorn Care Ltd has been entered")

		// --- A contract's history: options, break clauses, variations.
		history := url.Values{"provider_id": {idStr(e.birch.ID)}, "reference": {"CSIH-2025"}, "title": {"Care and Support in the Home"},
			"annual_value_pence": {"110,000,000"}, "lifetime_value_pence": {"880,000,000"}, "value_so_far_pence": {"76000000"},
			"extensions.0": {"12"}, "extensions.1": {"36"}, "break_clauses.0.notice_months": {"6"}, "break_clauses.0": {"Either party may end the contract"}}
		dateForm(history, "start", procurement.Date(2025, 4, 8))
		dateForm(history, "initial_end", procurement.Date(2029, 4, 7))
		comm.page("/contracts/new", `name="provider_id"`, "Birch Homes")
		comm.expectPost("/contracts/new", history, http.StatusBadRequest, "Enter the date from which break clause 1 may be used", `value="36"`)
		dateForm(history, "break_clauses.0.from", procurement.Date(2027, 4, 8))
		comm.expectPost("/contracts/new", history, http.StatusOK, "Contract CSIH-2025 with Birch Homes has been entered", "7 April 2029",
			"48 months remain", "8 April 2027, 6 months", "£110,000,000 a year")
		cs, _ := db.ListContracts(e.kent, procurement.ContractFilter{ProviderID: e.birch.ID})
		cPath := "/contracts/" + idStr(cs[0].ID)
		comm.expectPost(cPath+"/extensions", url.Values{}, http.StatusOK, "The extension has been taken: the contract now ends on 7 April 2030")
		v := url.Values{"variation_description": {"Uplift for the National Living Wage"}, "variation_value": {"-1,500.50"}}
		comm.expectPost(cPath+"/variations", v, http.StatusBadRequest, "Enter the date of the variation", "Uplift for the National Living Wage")
		dateForm(v, "variation_date", procurement.Date(2026, 4, 1))
		comm.expectPost(cPath+"/variations", v, http.StatusOK, "The variation has been recorded", "-£1,500.50", "Uplift for the National Living Wage")
		comm.page(cPath+"/edit", `value="110000000"`, "Option 1: 12 months, taken")
		edit := contractValues(&cs[0])
		edit.Set("value_so_far_pence", "80,000,000")
		comm.expectPost(cPath+"/edit", edit, http.StatusOK, "The changes to contract CSIH-2025 have been saved", "£80,000,000 spent so far",
			"Option 1: 12 months, taken", "-£1,500.50")
		c, _ := db.Contract(e.kent, cs[0].ID)
		if !c.End.Equal(procurement.Date(2030, 4, 7)) || len(c.Variations) != 1 || c.ValueSoFarPence != 8_000_000_000 {
			t.Errorf("contract after edit: %+v", c)
		}
		comm.page("/contracts", "CSIH-2025", "AAHC-2027-ACORN")
		// Providers see their own contracts only.
		acorn.expectPage(cPath, http.StatusNotFound)
		birch.page(cPath, "Care and Support in the Home", "!Take the next extension option")
		birch.expectPost(cPath+"/extensions", url.Values{}, http.StatusForbidden)
	})
}

func date(t time.Time) string { return t.Format("2 January 2006") }

func findApplication(t testing.TB, db *storage.DB, e *webEnv, windowID, providerID int64) int64 {
	t.Helper()
	apps, err := db.ListApplications(e.kent, procurement.ApplicationFilter{WindowID: windowID, ProviderID: providerID})
	if err != nil || len(apps) != 1 {
		t.Fatalf("applications of provider %d: %v %+v", providerID, err, apps)
	}
	return apps[0].ID
}

// TestProcurementAPIMatchesOpenAPI checks the procurement API's answers over
// the demo data against the schemas server/openapi/*.json promises for them.
func TestProcurementAPIMatchesOpenAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx := procDemoCouncil(t, db)
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		a, aws, prov, comm := procDemoTokens(t, db, ctx)
		cs, _ := db.ListContracts(ctx, procurement.ContractFilter{})
		mine := aws[0]
		srv := New(db, slog.New(slog.DiscardHandler))
		srv.Now = func() time.Time { return now }
		call := func(tok, method, path, body string) {
			t.Helper()
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			checkResponse(t, srv, method, path, rec.Code, rec.Body.Bytes())
		}
		app, win := idStr(mine.ApplicationID), idStr(mine.WindowID)
		for _, path := range []string{"/api/v1/agreements", "/api/v1/agreements/" + idStr(a.ID), "/api/v1/agreements/" + idStr(a.ID) + "/ocds",
			"/api/v1/windows", "/api/v1/windows?agreement_id=" + idStr(a.ID), "/api/v1/windows/" + win, "/api/v1/windows/" + win + "/results",
			"/api/v1/applications?window_id=" + win, "/api/v1/applications/" + app, "/api/v1/applications/" + app + "/scores",
			"/api/v1/applications/" + app + "/summary", "/api/v1/applications/" + app + "/clock", "/api/v1/awards?window_id=" + win,
			"/api/v1/contracts", "/api/v1/contracts/" + idStr(cs[0].ID), "/api/v1/applications/999999"} {
			call(comm, "GET", path, "")
		}
		for _, path := range []string{"/api/v1/applications/" + app, "/api/v1/applications/" + app + "/summary", "/api/v1/applications/" + app + "/scores",
			"/api/v1/awards", "/api/v1/contracts", "/api/v1/windows/" + win + "/results"} {
			call(prov, "GET", path, "")
		}
		// Changes, and their refusals.
		call(comm, "POST", "/api/v1/agreements", `{"reference":"X-1","title":"Too long","type":"closed_framework","regime":"pa2023","start":"2026-01-01","end":"2031-01-01"}`)
		call(comm, "POST", "/api/v1/agreements", `{"reference":"X-2","title":"Spot","type":"spot","regime":"pa2023","start":"2026-01-01","end":"2027-01-01"}`)
		call(comm, "POST", "/api/v1/contracts", `{"award_id":`+idStr(mine.ID)+`,"reference":"X-3","title":"Again","start":"2026-01-01","initial_end":"2027-01-01"}`)
		call(comm, "POST", "/api/v1/contracts/"+idStr(cs[0].ID)+"/extensions", "")
		call(prov, "POST", "/api/v1/windows/"+win+"/declaration", `{}`)
	})
}

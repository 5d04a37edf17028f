package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

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
	data := scoringView{View: "procurement_scoring", Back: "/applications/" + idValue(id), Application: app, Window: win, Agreement: a, Me: me, Moderator: moderator, Form: url.Values{}}
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
	data := awardsView{View: "procurement_awards", Back: "/windows/" + idValue(id), Window: win, Agreement: a, Results: res, Awards: aws, Form: v}
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

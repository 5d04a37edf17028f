package procurement

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket"
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func TestBlindScoring(t *testing.T) {
	at := time.Date(2019, 11, 5, 10, 0, 0, 0, time.UTC)
	const alice, bob, carol, mod = 1, 2, 3, 9
	scores := []Score{
		{ID: 1, ApplicationID: 100, QuestionID: 3, Attempt: 1, EvaluatorID: alice, Points: 4, SubmittedAt: &at},
		{ID: 2, ApplicationID: 100, QuestionID: 3, Attempt: 1, EvaluatorID: bob, Points: 2},                   // bob's draft
		{ID: 3, ApplicationID: 100, QuestionID: 4, Attempt: 1, EvaluatorID: bob, Points: 3, SubmittedAt: &at}, // bob submitted Q4
		{ID: 4, ApplicationID: 100, QuestionID: 4, Attempt: 1, EvaluatorID: carol, Points: 5, SubmittedAt: &at},
		{ID: 5, ApplicationID: 101, QuestionID: 3, Attempt: 1, EvaluatorID: carol, Points: 1, SubmittedAt: &at},
	}
	tests := []struct {
		name string
		v    Viewer
		want []int64
	}{
		// Alice submitted Q3 of 100: she sees her own; Bob's Q3 is a draft, so
		// hidden; she has not scored Q4, so Bob's and Carol's Q4 are hidden.
		{"alice", Viewer{UserID: alice}, []int64{1}},
		// Bob sees his draft and his Q4; having submitted Q4 he sees Carol's Q4;
		// his Q3 is still a draft, so Alice's Q3 is hidden from him.
		{"bob", Viewer{UserID: bob}, []int64{2, 3, 4}},
		// Carol submitted Q4 of 100 and Q3 of 101.
		{"carol", Viewer{UserID: carol}, []int64{3, 4, 5}},
		{"someone who has scored nothing", Viewer{UserID: 77}, []int64{}},
		// A moderator sees every submitted score, but no one's draft.
		{"moderator", Viewer{UserID: mod, Moderator: true}, []int64{1, 3, 4, 5}},
	}
	for _, tt := range tests {
		got := VisibleScores(scores, tt.v)
		ids := []int64{}
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		if len(ids) != len(tt.want) {
			t.Errorf("%s sees %v, want %v", tt.name, ids, tt.want)
			continue
		}
		for i := range ids {
			if ids[i] != tt.want[i] {
				t.Errorf("%s sees %v, want %v", tt.name, ids, tt.want)
				break
			}
		}
	}
	// Once Bob submits Q3, he sees Alice's.
	scores[1].SubmittedAt = &at
	if got := VisibleScores(scores, Viewer{UserID: bob}); len(got) != 4 {
		t.Errorf("after submitting, bob sees %d scores, want 4", len(got))
	}
}

func TestConflictOfInterest(t *testing.T) {
	at := time.Now()
	app := &Application{ProviderID: 5, ProviderName: "Seaview Care"}
	tests := []struct {
		name string
		e    *Evaluator
		code string
	}{
		{"not assigned", nil, caremarket.EFORBIDDEN},
		{"not declared", &Evaluator{}, caremarket.ECONFLICT},
		{"declared, no conflict", &Evaluator{DeclaredAt: &at}, ""},
		{"declared conflict with this provider", &Evaluator{DeclaredAt: &at, Conflicts: []int64{5}}, caremarket.EFORBIDDEN},
		{"declared conflict with another", &Evaluator{DeclaredAt: &at, Conflicts: []int64{6}}, ""},
	}
	for _, tt := range tests {
		if got := caremarket.ErrorCode(tt.e.CheckCanScore(app)); got != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, got, tt.code)
		}
	}
}

func TestScoreAndModerationValidate(t *testing.T) {
	at := time.Now()
	qs := questions()
	sel, qual := &qs[0], &qs[2]
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"selection pass", (&Score{Attempt: 1, Pass: yes()}).Validate(sel), true},
		{"selection without verdict", (&Score{Attempt: 1}).Validate(sel), false},
		{"quality in range", (&Score{Attempt: 1, Points: 5}).Validate(qual), true},
		{"quality above max", (&Score{Attempt: 1, Points: 6}).Validate(qual), false},
		{"submitted without reason", (&Score{Attempt: 1, Points: 3, SubmittedAt: &at}).Validate(qual), false},
		{"third attempt", (&Score{Attempt: 3, Points: 3}).Validate(qual), false},
		{"moderation before any score", (&Moderation{ApplicationID: 1, QuestionID: 3, Attempt: 1, Points: 3, Reason: "agreed"}).Validate(qual, nil), false},
		{"moderation without reason", (&Moderation{ApplicationID: 1, QuestionID: 3, Attempt: 1, Points: 3}).Validate(qual,
			[]Score{{ApplicationID: 1, QuestionID: 3, Attempt: 1, SubmittedAt: &at}}), false},
		{"moderation on a draft score only", (&Moderation{ApplicationID: 1, QuestionID: 3, Attempt: 1, Points: 3, Reason: "ok"}).Validate(qual,
			[]Score{{ApplicationID: 1, QuestionID: 3, Attempt: 1}}), false},
		{"moderation", (&Moderation{ApplicationID: 1, QuestionID: 3, Attempt: 1, Points: 3, Reason: "Clear policy"}).Validate(qual,
			[]Score{{ApplicationID: 1, QuestionID: 3, Attempt: 1, SubmittedAt: &at}}), true},
	}
	for _, tt := range tests {
		if (tt.err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.name, tt.err, tt.ok)
		}
	}
}

func TestResubmission(t *testing.T) {
	w := csihWindow()
	allow := &Agreement{AllowResubmission: true}
	app := &Application{ID: 1, Status: Submitted, Answers: []Answer{{QuestionID: 3, Attempt: 1}, {QuestionID: 4, Attempt: 1}}}
	failedQ3 := []Moderation{{ApplicationID: 1, QuestionID: 3, Attempt: 1, Points: 2}, {ApplicationID: 1, QuestionID: 4, Attempt: 1, Points: 4},
		{ApplicationID: 1, QuestionID: 1, Attempt: 1, Pass: no()}}
	tests := []struct {
		name string
		a    *Agreement
		app  *Application
		q    int
		mods []Moderation
		ok   bool
	}{
		{"failed quality answer, allowed", allow, app, 2, failedQ3, true},
		{"agreement does not allow", &Agreement{}, app, 2, failedQ3, false},
		{"passed answer", allow, app, 3, failedQ3, false},
		{"selection answer", allow, app, 0, failedQ3, false},
		{"not moderated yet", allow, app, 2, nil, false},
		{"second resubmission", allow, &Application{ID: 1, Status: Submitted, Answers: []Answer{{QuestionID: 3, Attempt: 2}}}, 2, failedQ3, false},
		{"resubmission already moderated", allow, app, 2, append(append([]Moderation{}, failedQ3...), Moderation{ApplicationID: 1, QuestionID: 3, Attempt: 2, Points: 1}), false},
		{"draft application", allow, &Application{ID: 1, Status: Draft}, 2, failedQ3, false},
	}
	for _, tt := range tests {
		err := CheckResubmit(tt.a, w, tt.app, &w.Questions[tt.q], tt.mods)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestEvaluateAndSummaries(t *testing.T) {
	w := csihWindow()
	t0 := time.Date(2019, 10, 30, 9, 0, 0, 0, time.UTC)
	app := func(id int64, minutes int) Application {
		s := t0.Add(time.Duration(minutes) * time.Minute)
		return Application{ID: id, ProviderID: id * 10, ProviderName: "P" + string(rune('A'+id)), Status: Submitted, SubmittedAt: &s, LotIDs: []int64{11}}
	}
	apps := []Application{app(1, 0), app(2, 1), app(3, 2), app(4, 3), app(5, 4), {ID: 6, Status: Draft}}
	apps[3].Answers = []Answer{{QuestionID: 3, Attempt: 2}} // 4 resubmitted Q3
	var mods []Moderation
	mark := func(app, q int64, attempt int, pass *bool, points int) {
		mods = append(mods, Moderation{ApplicationID: app, QuestionID: q, Attempt: attempt, Pass: pass, Points: points, Reason: "agreed"})
	}
	// 1: passes everything, 4/5 and 4/5 → 80%.
	mark(1, 1, 1, yes(), 0)
	mark(1, 2, 1, yes(), 0)
	mark(1, 3, 1, nil, 4)
	mark(1, 4, 1, nil, 4)
	// 2: passes with 5/5 and 3/5 → 60+24 = 84%: ranked first.
	mark(2, 1, 1, yes(), 0)
	mark(2, 2, 1, yes(), 0)
	mark(2, 3, 1, nil, 5)
	mark(2, 4, 1, nil, 3)
	// 3: fails selection.
	mark(3, 1, 1, no(), 0)
	mark(3, 2, 1, yes(), 0)
	// 4: fails Q3 first time (2/5), resubmits, passes at 3/5.
	mark(4, 1, 1, yes(), 0)
	mark(4, 2, 1, yes(), 0)
	mark(4, 3, 1, nil, 2)
	mark(4, 4, 1, nil, 5)
	mark(4, 3, 2, nil, 3)
	// 5: selection not finished.
	mark(5, 1, 1, yes(), 0)

	results := Evaluate(w, apps, mods)
	want := map[int64]struct {
		sel, qFirst, q Outcome
		score, rank    int
	}{
		2: {Pass, Pass, Pass, 8400, 1},
		1: {Pass, Pass, Pass, 8000, 2},
		4: {Pass, Fail, Pass, 7600, 3},
		3: {Fail, Fail, Fail, 0, 0},
		5: {Pending, Pending, Pending, 0, 0},
	}
	if len(results) != 5 {
		t.Fatalf("%d results, want 5 (drafts are not evaluated)", len(results))
	}
	for _, r := range results {
		w := want[r.ApplicationID]
		if r.Selection != w.sel || r.QualityFirst != w.qFirst || r.Quality != w.q || r.Score != w.score || r.Rank != w.rank {
			t.Errorf("application %d: %+v, want %+v", r.ApplicationID, r, w)
		}
	}
	if results[0].ApplicationID != 2 || results[1].ApplicationID != 1 || results[2].ApplicationID != 4 {
		t.Errorf("ranked order wrong: %+v", results)
	}
	f := FunnelOf(results, 3)
	if f != (Funnel{Submitted: 5, PassedSelection: 3, PassedQualityFirst: 2, PassedQuality: 3, Awarded: 3}) {
		t.Errorf("funnel = %+v", f)
	}

	sums := Summaries(w, results, mods, map[int64]bool{1: true, 2: true, 4: true}, t0)
	if len(sums) != 4 {
		t.Fatalf("%d summaries, want 4 (every assessed application, not the pending one)", len(sums))
	}
	for _, s := range sums {
		if s.SuccessfulScore != 8400 || len(s.Lines) != 4 {
			t.Errorf("summary %d: successful score %d, %d lines", s.ApplicationID, s.SuccessfulScore, len(s.Lines))
		}
		switch s.ApplicationID {
		case 4:
			if s.Lines[2].Points != 3 || s.Lines[2].SuccessfulPoints != 5 || !s.Successful {
				t.Errorf("summary 4 should show the resubmitted mark 3 against the winner's 5: %+v", s.Lines[2])
			}
		case 3:
			if s.Successful || s.Lines[0].Pass == nil || *s.Lines[0].Pass || s.Lines[2].Reason == "" {
				t.Errorf("summary 3 should show the failed selection: %+v", s)
			}
		}
	}
}

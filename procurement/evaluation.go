package procurement

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
)

// Evaluator is a person assigned to score a window's applications. Before
// scoring they declare any conflict of interest: the providers they may not
// score.
type Evaluator struct {
	WindowID  int64  `json:"window_id"`
	UserID    int64  `json:"user_id"`
	Email     string `json:"email"`
	Moderator bool   `json:"moderator"`
	// DeclaredAt is when they made their conflict-of-interest declaration;
	// nil until they do, and they cannot score before.
	DeclaredAt *time.Time `json:"declared_at,omitempty"`
	Conflicts  []int64    `json:"conflicted_provider_ids"`
	Statement  string     `json:"statement,omitempty"`
}

// CheckCanScore refuses scoring without a declaration, or of a provider the
// evaluator declared a conflict with.
func (e *Evaluator) CheckCanScore(app *Application) error {
	if e == nil {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "You are not an evaluator of this window")
	}
	if e.DeclaredAt == nil {
		return caremarket.Errorf(caremarket.ECONFLICT, "Declare any conflict of interest before you score")
	}
	if slices.Contains(e.Conflicts, app.ProviderID) {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "You declared a conflict of interest with %s: you cannot score its application", app.ProviderName)
	}
	return nil
}

// Score is one evaluator's mark for one answer (attempt) of an application.
// Until SubmittedAt is set it is the evaluator's draft.
type Score struct {
	ID            int64      `json:"id"`
	ApplicationID int64      `json:"application_id"`
	QuestionID    int64      `json:"question_id"`
	Attempt       int        `json:"attempt"`
	EvaluatorID   int64      `json:"evaluator_id"`
	Evaluator     string     `json:"evaluator"`
	Pass          *bool      `json:"pass,omitempty"` // selection
	Points        int        `json:"points"`         // quality
	Comment       string     `json:"comment"`
	SubmittedAt   *time.Time `json:"submitted_at,omitempty"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Validate checks a score against its question.
func (s *Score) Validate(q *Question) error {
	s.Comment = strings.TrimSpace(s.Comment)
	f := map[string]string{}
	if s.Attempt < 1 || s.Attempt > 2 {
		f["attempt"] = "Attempt is 1, or 2 for a resubmitted answer"
	}
	caremarket.CheckText(f, "comment", "comment", s.Comment, false, MaxTextLen)
	switch q.Kind {
	case Selection:
		if s.Pass == nil {
			f["pass"] = "Say whether the answer passes or fails"
		}
		if s.Points != 0 {
			f["points"] = "A selection criterion is pass or fail, not scored"
		}
	case Quality:
		s.Pass = nil
		if s.Points < 0 || s.Points > q.MaxScore {
			f["points"] = fmt.Sprintf("Score must be from 0 to %d", q.MaxScore)
		}
	}
	if s.SubmittedAt != nil && s.Comment == "" {
		f["comment"] = "Give the reason for your score"
	}
	return caremarket.Invalid(f)
}

// Viewer is who is looking at scores.
type Viewer struct {
	UserID    int64
	Moderator bool // moderators (and commissioners) see every score
}

// VisibleScores applies the blind scoring rule: an evaluator sees their own
// scores, and another evaluator's submitted score for an answer only once
// they have submitted their own score for that same answer. A moderator sees
// every submitted score and their own drafts. Nobody sees another person's
// draft.
func VisibleScores(all []Score, v Viewer) []Score {
	type key struct {
		app, q  int64
		attempt int
	}
	mine := map[key]bool{}
	for _, s := range all {
		if s.EvaluatorID == v.UserID && s.SubmittedAt != nil {
			mine[key{s.ApplicationID, s.QuestionID, s.Attempt}] = true
		}
	}
	out := []Score{}
	for _, s := range all {
		switch {
		case s.EvaluatorID == v.UserID:
			out = append(out, s)
		case s.SubmittedAt == nil:
			// another's draft: never shown
		case v.Moderator || mine[key{s.ApplicationID, s.QuestionID, s.Attempt}]:
			out = append(out, s)
		}
	}
	return out
}

// Moderation is the agreed final mark for an answer, with the reason.
type Moderation struct {
	ApplicationID int64     `json:"application_id"`
	QuestionID    int64     `json:"question_id"`
	Attempt       int       `json:"attempt"`
	Pass          *bool     `json:"pass,omitempty"`
	Points        int       `json:"points"`
	Reason        string    `json:"reason"`
	ModeratorID   int64     `json:"moderator_id"`
	Moderator     string    `json:"moderator"`
	At            time.Time `json:"at"`
}

// Validate checks an agreed mark: it needs the evaluators' submitted scores
// to moderate, and a written reason.
func (m *Moderation) Validate(q *Question, scores []Score) error {
	m.Reason = strings.TrimSpace(m.Reason)
	f := map[string]string{}
	caremarket.CheckText(f, "reason", "reason for the agreed score", m.Reason, true, MaxTextLen)
	switch q.Kind {
	case Selection:
		if m.Pass == nil {
			f["pass"] = "Say whether the answer passes or fails"
		}
	case Quality:
		m.Pass = nil
		if m.Points < 0 || m.Points > q.MaxScore {
			f["points"] = fmt.Sprintf("Score must be from 0 to %d", q.MaxScore)
		}
	}
	n := 0
	for _, s := range scores {
		if s.ApplicationID == m.ApplicationID && s.QuestionID == m.QuestionID && s.Attempt == m.Attempt && s.SubmittedAt != nil {
			n++
		}
	}
	if n == 0 {
		f["points"] = "No evaluator has submitted a score for this answer yet: moderate once they have"
	}
	return caremarket.Invalid(f)
}

// passed reports whether a moderated mark passes its question.
func (m *Moderation) passed(q *Question) bool {
	if q.Kind == Selection {
		return m.Pass != nil && *m.Pass
	}
	return m.Points >= q.PassMark
}

// CheckResubmit allows one resubmission of a quality answer that failed at
// its first attempt, where the agreement allows it (as in Kent's Care and
// Support in the Home tender, where providers who failed the quality
// questions "were permitted to resubmit this element"). Selection answers are not
// resubmitted.
func CheckResubmit(a *Agreement, w *Window, app *Application, q *Question, mods []Moderation) error {
	if !a.AllowResubmission {
		return caremarket.Errorf(caremarket.ECONFLICT, "This agreement does not allow failed answers to be resubmitted")
	}
	if q.Kind != Quality {
		return caremarket.Errorf(caremarket.ECONFLICT, "Only a quality answer can be resubmitted")
	}
	if app.Status != Submitted {
		return caremarket.Errorf(caremarket.ECONFLICT, "Only a submitted application can resubmit an answer")
	}
	var first *Moderation
	for i := range mods {
		m := &mods[i]
		if m.ApplicationID == app.ID && m.QuestionID == q.ID {
			if m.Attempt >= 2 {
				return caremarket.Errorf(caremarket.ECONFLICT, "A failed answer may be resubmitted once; question %d has been resubmitted already", q.Number)
			}
			first = m
		}
	}
	if an := app.Answer(q.ID); an != nil && an.Attempt >= 2 {
		return caremarket.Errorf(caremarket.ECONFLICT, "A failed answer may be resubmitted once; question %d has been resubmitted already", q.Number)
	}
	if first == nil {
		return caremarket.Errorf(caremarket.ECONFLICT, "Question %d has not been moderated yet", q.Number)
	}
	if first.passed(q) {
		return caremarket.Errorf(caremarket.ECONFLICT, "Question %d passed: only a failed answer can be resubmitted", q.Number)
	}
	return nil
}

// Outcome of a stage.
type Outcome string

const (
	Pending Outcome = "pending"
	Pass    Outcome = "pass"
	Fail    Outcome = "fail"
)

// Result is an application's outcome at each stage.
type Result struct {
	ApplicationID int64   `json:"application_id"`
	ProviderID    int64   `json:"provider_id"`
	ProviderName  string  `json:"provider_name"`
	LotIDs        []int64 `json:"lot_ids"`
	Selection     Outcome `json:"selection"`
	// QualityFirst is the quality outcome on first answers; Quality is the
	// final one, after any resubmission.
	QualityFirst Outcome `json:"quality_first"`
	Quality      Outcome `json:"quality"`
	Resubmitted  bool    `json:"resubmitted"`
	// Score is the weighted quality score in hundredths of a per cent
	// (8125 = 81.25%), from the final moderated marks.
	Score int `json:"score"`
	// Rank orders the applications that passed every stage, best first
	// (1-based); 0 for the others.
	Rank int `json:"rank"`
}

// Passed reports whether the application passed every stage.
func (r Result) Passed() bool { return r.Selection == Pass && r.Quality == Pass }

// Funnel counts applications through a window's stages.
type Funnel struct {
	Submitted          int `json:"submitted"`
	PassedSelection    int `json:"passed_selection"`
	PassedQualityFirst int `json:"passed_quality_first"`
	PassedQuality      int `json:"passed_quality"`
	Awarded            int `json:"awarded"`
}

// Evaluate works out each submitted application's results from the moderated
// marks: selection is passed when every selection criterion passes; quality
// is assessed only after selection, and passed when every quality answer
// reaches its pass mark; those passing both are ranked by weighted score
// (ties by earlier submission, then id).
func Evaluate(w *Window, apps []Application, mods []Moderation) []Result {
	type key struct {
		app, q  int64
		attempt int
	}
	byKey := map[key]*Moderation{}
	for i := range mods {
		m := &mods[i]
		byKey[key{m.ApplicationID, m.QuestionID, m.Attempt}] = m
	}
	var totalWeight int
	for _, q := range w.Questions {
		if q.Kind == Quality {
			totalWeight += q.Weight
		}
	}
	var out []Result
	for _, app := range apps {
		if app.Status != Submitted {
			continue
		}
		r := Result{ApplicationID: app.ID, ProviderID: app.ProviderID, ProviderName: app.ProviderName, LotIDs: app.LotIDs,
			Selection: Pass, QualityFirst: Pass, Quality: Pass}
		for _, q := range w.Questions {
			if q.Kind != Selection {
				continue
			}
			m := byKey[key{app.ID, q.ID, 1}]
			switch {
			case m == nil:
				if r.Selection == Pass {
					r.Selection = Pending
				}
			case !m.passed(&q):
				r.Selection = Fail
			}
		}
		if r.Selection != Pass {
			r.QualityFirst, r.Quality = Pending, Pending
			if r.Selection == Fail {
				r.QualityFirst, r.Quality = Fail, Fail
			}
			out = append(out, r)
			continue
		}
		weighted := 0
		for _, q := range w.Questions {
			if q.Kind != Quality {
				continue
			}
			first := byKey[key{app.ID, q.ID, 1}]
			final := first
			if second := byKey[key{app.ID, q.ID, 2}]; second != nil {
				final, r.Resubmitted = second, true
			} else if an := app.Answer(q.ID); an != nil && an.Attempt == 2 {
				final, r.Resubmitted = nil, true // resubmitted, not yet moderated
			}
			switch {
			case first == nil:
				r.QualityFirst = worse(r.QualityFirst, Pending)
			case !first.passed(&q):
				r.QualityFirst = Fail
			}
			switch {
			case final == nil:
				r.Quality = worse(r.Quality, Pending)
			case !final.passed(&q):
				r.Quality = Fail
			}
			if final != nil && q.MaxScore > 0 {
				weighted += final.Points * q.Weight * 10000 / q.MaxScore
			}
		}
		if totalWeight > 0 {
			r.Score = weighted / totalWeight
		}
		out = append(out, r)
	}
	submitted := map[int64]time.Time{}
	for _, app := range apps {
		if app.SubmittedAt != nil {
			submitted[app.ID] = *app.SubmittedAt
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Passed() != b.Passed() {
			return a.Passed()
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if !submitted[a.ApplicationID].Equal(submitted[b.ApplicationID]) {
			return submitted[a.ApplicationID].Before(submitted[b.ApplicationID])
		}
		return a.ApplicationID < b.ApplicationID
	})
	rank := 0
	for i := range out {
		if out[i].Passed() {
			rank++
			out[i].Rank = rank
		}
	}
	return out
}

// worse keeps a fail a fail, and turns a pass pending.
func worse(o, p Outcome) Outcome {
	if o == Fail {
		return Fail
	}
	return p
}

// FunnelOf counts results; awarded is the number of applications with at
// least one award.
func FunnelOf(results []Result, awarded int) Funnel {
	f := Funnel{Submitted: len(results), Awarded: awarded}
	for _, r := range results {
		if r.Selection == Pass {
			f.PassedSelection++
		}
		if r.QualityFirst == Pass {
			f.PassedQualityFirst++
		}
		if r.Quality == Pass {
			f.PassedQuality++
		}
	}
	return f
}

// SummaryLine is one question of an assessment summary.
type SummaryLine struct {
	QuestionID int64        `json:"question_id"`
	Number     int          `json:"number"`
	Kind       QuestionKind `json:"kind"`
	Question   string       `json:"question"`
	Weight     int          `json:"weight,omitempty"`
	MaxScore   int          `json:"max_score,omitempty"`
	PassMark   int          `json:"pass_mark,omitempty"`
	Pass       *bool        `json:"pass,omitempty"`
	Points     int          `json:"points"`
	Reason     string       `json:"reason"`
	// SuccessfulPoints is the mark of the highest-ranked successful
	// application for the same question.
	SuccessfulPoints int `json:"successful_points"`
}

// AssessmentSummary tells an assessed applicant its marks and reasons and
// the successful application's marks (PA 2023 s.50). Only that applicant
// (and council staff) may read it.
type AssessmentSummary struct {
	ApplicationID   int64         `json:"application_id"`
	WindowID        int64         `json:"window_id"`
	ProviderID      int64         `json:"provider_id"`
	ProviderName    string        `json:"provider_name"`
	Successful      bool          `json:"successful"`
	Selection       Outcome       `json:"selection"`
	Quality         Outcome       `json:"quality"`
	Score           int           `json:"score"`
	SuccessfulScore int           `json:"successful_score"`
	Rank            int           `json:"rank"`
	Lines           []SummaryLine `json:"lines"`
	GeneratedAt     time.Time     `json:"generated_at"`
}

// Summaries builds an assessment summary for every assessed application (one
// with a decided selection outcome) from the results and final moderated
// marks. awarded holds the ids of applications awarded a place.
func Summaries(w *Window, results []Result, mods []Moderation, awarded map[int64]bool, now time.Time) []AssessmentSummary {
	type key struct{ app, q int64 }
	final := map[key]Moderation{}
	for _, m := range mods {
		if cur, ok := final[key{m.ApplicationID, m.QuestionID}]; !ok || m.Attempt > cur.Attempt {
			final[key{m.ApplicationID, m.QuestionID}] = m
		}
	}
	var best *Result
	for i := range results {
		if results[i].Rank == 1 {
			best = &results[i]
		}
	}
	var out []AssessmentSummary
	for _, r := range results {
		if r.Selection == Pending {
			continue
		}
		s := AssessmentSummary{ApplicationID: r.ApplicationID, WindowID: w.ID, ProviderID: r.ProviderID, ProviderName: r.ProviderName,
			Successful: awarded[r.ApplicationID], Selection: r.Selection, Quality: r.Quality, Score: r.Score, Rank: r.Rank, GeneratedAt: now}
		if best != nil {
			s.SuccessfulScore = best.Score
		}
		for _, q := range w.Questions {
			l := SummaryLine{QuestionID: q.ID, Number: q.Number, Kind: q.Kind, Question: q.Text, Weight: q.Weight, MaxScore: q.MaxScore, PassMark: q.PassMark}
			if m, ok := final[key{r.ApplicationID, q.ID}]; ok {
				l.Pass, l.Points, l.Reason = m.Pass, m.Points, m.Reason
			} else if q.Kind == Quality && r.Selection == Fail {
				l.Reason = "Not assessed: the application did not pass selection"
			}
			if best != nil {
				if m, ok := final[key{best.ApplicationID, q.ID}]; ok {
					l.SuccessfulPoints = m.Points
				}
			}
			s.Lines = append(s.Lines, l)
		}
		out = append(out, s)
	}
	return out
}

package procurement

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London on hosts without a zone database

	"github.com/caremarket/caremarket"
)

// London is the zone deadlines are written in and working days counted in.
var London = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // time/tzdata is linked in
	}
	return l
}()

// WindowKind says what a window opens.
type WindowKind string

const (
	Tender     WindowKind = "tender"      // the first competition: ITT, or the first framework in a scheme
	DPSOpening WindowKind = "dps_opening" // a DPS admits new suppliers throughout (PCR 2015 reg. 34(2))
	Reopening  WindowKind = "reopening"   // a further framework in an open framework scheme (PA 2023 s.49)
)

// Label is the name the UI shows.
func (k WindowKind) Label() string {
	switch k {
	case Tender:
		return "Tender"
	case DPSOpening:
		return "DPS opening"
	case Reopening:
		return "Open framework reopening"
	}
	return string(k)
}

// QuestionKind is the stage a question belongs to.
type QuestionKind string

const (
	Selection QuestionKind = "selection" // pass or fail, with evidence
	Quality   QuestionKind = "quality"   // scored, weighted, with a pass mark
)

// DPS assessment periods (PCR 2015 reg. 34(15)-(16)): requests to
// participate are assessed within 10 working days of receipt, extendable to
// 15 where justified.
const (
	DPSAssessmentDays         = 10
	DPSAssessmentDaysExtended = 15
)

// Window is a period in which providers may apply to join an agreement.
type Window struct {
	ID           int64      `json:"id"`
	CouncilID    int64      `json:"-"`
	AgreementID  int64      `json:"agreement_id"`
	AgreementRef string     `json:"agreement_reference"`
	Kind         WindowKind `json:"kind"`
	Title        string     `json:"title"`
	Opens        time.Time  `json:"opens"`
	Deadline     time.Time  `json:"deadline"`
	// AssessmentDays is the DPS assessment clock in working days (10, or 15
	// with a Justification); 0 for other agreements.
	AssessmentDays int        `json:"assessment_days"`
	Justification  string     `json:"justification,omitempty"`
	LotIDs         []int64    `json:"lot_ids"`
	Questions      []Question `json:"questions"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Question is one selection criterion or quality question of a window.
type Question struct {
	ID       int64        `json:"id"`
	WindowID int64        `json:"window_id"`
	Number   int          `json:"number"`
	Kind     QuestionKind `json:"kind"`
	Text     string       `json:"text"`
	// EvidenceRequired: a selection answer must carry evidence (a document
	// reference, a certificate number) to pass.
	EvidenceRequired bool `json:"evidence_required"`
	// Weight (per cent of the quality score), MaxScore and PassMark apply to
	// quality questions.
	Weight   int `json:"weight"`
	MaxScore int `json:"max_score"`
	PassMark int `json:"pass_mark"`
}

// Question returns the window's question with id, or nil.
func (w *Window) Question(id int64) *Question {
	for i := range w.Questions {
		if w.Questions[i].ID == id {
			return &w.Questions[i]
		}
	}
	return nil
}

// Status is where the window is at now: upcoming, open or closed.
func (w *Window) Status(now time.Time) string {
	switch {
	case now.Before(w.Opens):
		return "upcoming"
	case now.After(w.Deadline):
		return "closed"
	}
	return "open"
}

// Validate checks a window against its agreement.
func (w *Window) Validate(a *Agreement) error {
	w.Title = strings.TrimSpace(w.Title)
	w.Justification = strings.TrimSpace(w.Justification)
	f := map[string]string{}
	caremarket.CheckText(f, "title", "window title", w.Title, true, MaxTitleLen)
	caremarket.CheckText(f, "justification", "justification", w.Justification, false, MaxTextLen)
	switch w.Kind {
	case Tender:
	case DPSOpening:
		if a.Type != DPS {
			f["kind"] = "Only a Dynamic Purchasing System has DPS openings"
		}
	case Reopening:
		if a.Type != OpenFramework {
			f["kind"] = "Only an open framework is reopened (PA 2023 s.49)"
		}
	default:
		f["kind"] = "Choose what the window opens: a tender, a DPS opening or an open framework reopening"
	}
	if w.Opens.IsZero() {
		f["opens"] = "Enter when the window opens"
	}
	if w.Deadline.IsZero() {
		f["deadline"] = "Enter the deadline for applications"
	} else if !w.Opens.IsZero() && !w.Deadline.After(w.Opens) {
		f["deadline"] = "The deadline must be after the window opens"
	}
	if a.Type == DPS {
		// PCR 2015 reg. 34(15)-(16): 10 working days, 15 where justified.
		switch w.AssessmentDays {
		case 0:
			w.AssessmentDays = DPSAssessmentDays
		case DPSAssessmentDays:
		case DPSAssessmentDaysExtended:
			if w.Justification == "" {
				f["justification"] = "PCR 2015 reg. 34(16): assessing in 15 working days instead of 10 must be justified; give the reason"
			}
		default:
			f["assessment_days"] = "PCR 2015 reg. 34(15): DPS requests to participate are assessed within 10 working days (15 where justified)"
		}
	} else if w.AssessmentDays != 0 {
		f["assessment_days"] = "The assessment clock applies only to a Dynamic Purchasing System (PCR 2015 reg. 34)"
	}
	if len(w.LotIDs) == 0 {
		f["lot_ids"] = "Choose the lots providers may apply for"
	}
	for _, id := range w.LotIDs {
		if a.Lot(id) == nil {
			f["lot_ids"] = "Choose lots of this agreement"
		}
	}
	if len(w.Questions) == 0 {
		f["questions"] = "Add the selection criteria and quality questions"
	}
	for i := range w.Questions {
		q := &w.Questions[i]
		if q.Number <= 0 {
			q.Number = i + 1
		}
		for k, msg := range q.check() {
			f["questions."+strconv.Itoa(i)+"."+k] = msg
		}
	}
	return caremarket.Invalid(f)
}

func (q *Question) check() map[string]string {
	q.Text = strings.TrimSpace(q.Text)
	f := map[string]string{}
	caremarket.CheckText(f, "text", "question", q.Text, true, MaxTextLen)
	switch q.Kind {
	case Selection:
		if q.Weight != 0 || q.MaxScore != 0 || q.PassMark != 0 {
			f["weight"] = "A selection criterion is pass or fail: it has no weight, maximum score or pass mark"
		}
	case Quality:
		if q.Weight < 1 || q.Weight > 100 {
			f["weight"] = "Weight must be a whole per cent from 1 to 100"
		}
		if q.MaxScore < 1 || q.MaxScore > 100 {
			f["max_score"] = "Maximum score must be from 1 to 100"
		}
		if q.PassMark < 0 || q.PassMark > q.MaxScore {
			f["pass_mark"] = "Pass mark must be from 0 to the maximum score"
		}
		if q.EvidenceRequired {
			f["evidence_required"] = "Evidence is asked for on selection criteria"
		}
	default:
		f["kind"] = "A question is a selection criterion or a quality question"
	}
	return f
}

// CheckSubmit refuses a submission outside the window. now is the server's
// clock, never the browser's: a submission at the deadline itself is in time,
// one a moment after is not.
func (w *Window) CheckSubmit(now time.Time) error {
	if now.Before(w.Opens) {
		return caremarket.Errorf(caremarket.ECONFLICT, "This window opens at %s; applications cannot be submitted before then",
			w.Opens.In(London).Format("15:04 on 2 January 2006"))
	}
	if now.After(w.Deadline) {
		return caremarket.Errorf(caremarket.ECONFLICT, "The deadline for applications was %s; applications cannot be submitted after it",
			w.Deadline.In(London).Format("15:04 on 2 January 2006"))
	}
	return nil
}

// ApplicationStatus is where an application is.
type ApplicationStatus string

const (
	Draft     ApplicationStatus = "draft"
	Submitted ApplicationStatus = "submitted"
	Withdrawn ApplicationStatus = "withdrawn"
)

// Application is a provider's answers to a window.
type Application struct {
	ID           int64             `json:"id"`
	CouncilID    int64             `json:"-"`
	WindowID     int64             `json:"window_id"`
	ProviderID   int64             `json:"provider_id"`
	ProviderName string            `json:"provider_name"`
	LotIDs       []int64           `json:"lot_ids"`
	Status       ApplicationStatus `json:"status"`
	Answers      []Answer          `json:"answers"`
	SubmittedAt  *time.Time        `json:"submitted_at,omitempty"`
	// AssessedAt is when the council decided (selection and quality
	// moderated): it stops a DPS assessment clock.
	AssessedAt *time.Time `json:"assessed_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Answer is the answer to one question. Attempt 2 is the one resubmission of
// a failed quality answer, where the agreement allows it.
type Answer struct {
	QuestionID  int64      `json:"question_id"`
	Attempt     int        `json:"attempt"`
	Text        string     `json:"text"`
	Evidence    string     `json:"evidence"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
}

// Answer returns the latest attempt at question q, or nil.
func (a *Application) Answer(q int64) *Answer {
	var best *Answer
	for i := range a.Answers {
		if a.Answers[i].QuestionID == q && (best == nil || a.Answers[i].Attempt > best.Attempt) {
			best = &a.Answers[i]
		}
	}
	return best
}

// Validate checks a draft against its window: lots of the window, answers to
// its questions.
func (a *Application) Validate(w *Window) error {
	f := map[string]string{}
	if len(a.LotIDs) == 0 {
		f["lot_ids"] = "Choose the lots you are applying for"
	}
	for _, id := range a.LotIDs {
		if !hasLot(w.LotIDs, id) {
			f["lot_ids"] = "Choose lots open in this window"
		}
	}
	for i := range a.Answers {
		an := &a.Answers[i]
		an.Text = strings.TrimSpace(an.Text)
		an.Evidence = strings.TrimSpace(an.Evidence)
		if an.Attempt == 0 {
			an.Attempt = 1
		}
		key := "answers." + strconv.FormatInt(an.QuestionID, 10)
		if w.Question(an.QuestionID) == nil {
			f[key] = "Answer the questions of this window"
			continue
		}
		caremarket.CheckText(f, key, "answer", an.Text, false, MaxTextLen)
		caremarket.CheckText(f, key+".evidence", "evidence", an.Evidence, false, MaxTextLen)
	}
	return caremarket.Invalid(f)
}

// CheckComplete refuses to submit an application with a question unanswered
// or evidence missing.
func (a *Application) CheckComplete(w *Window) error {
	f := map[string]string{}
	for _, q := range w.Questions {
		an := a.Answer(q.ID)
		key := "answers." + strconv.FormatInt(q.ID, 10)
		switch {
		case an == nil || an.Text == "":
			f[key] = fmt.Sprintf("Answer question %d before you submit", q.Number)
		case q.Kind == Selection && q.EvidenceRequired && an.Evidence == "":
			f[key+".evidence"] = fmt.Sprintf("Give the evidence for question %d before you submit", q.Number)
		}
	}
	return caremarket.Invalid(f)
}

// AssessmentClock is a DPS application's assessment deadline.
type AssessmentClock struct {
	Due     time.Time `json:"due"`
	Days    int       `json:"days"`
	Overdue bool      `json:"overdue"`
	// DaysLeft is working days left until Due (negative once overdue).
	DaysLeft int `json:"days_left"`
}

// Clock returns the PCR 2015 reg. 34(15) assessment clock of a submitted DPS
// application: due the n-th working day after the day it was received, and
// overdue if not assessed by the end of that day. It returns nil for
// applications with no clock (not a DPS, or not submitted).
func (a *Application) Clock(w *Window, cal *Calendar, now time.Time) *AssessmentClock {
	if w.AssessmentDays == 0 || a.SubmittedAt == nil {
		return nil
	}
	received := a.SubmittedAt.In(London)
	due := cal.AddWorkingDays(received, w.AssessmentDays)
	c := &AssessmentClock{Due: due, Days: w.AssessmentDays}
	end := Day(now.In(London))
	if a.AssessedAt != nil {
		end = Day(a.AssessedAt.In(London))
	}
	c.Overdue = end.After(due)
	if end.After(due) {
		c.DaysLeft = -cal.WorkingDaysBetween(due, end)
	} else {
		c.DaysLeft = cal.WorkingDaysBetween(end, due)
	}
	return c
}

package procurement

import (
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

func dps() *Agreement {
	return &Agreement{ID: 1, Reference: "OPRN-DPS-2016", Title: "OPRN DPS", Type: DPS, Regime: PCR2015,
		Start: Date(2016, 4, 1), End: Date(2026, 12, 31),
		Lots: []Lot{{ID: 11, Number: 1, Title: "Nursing", ServiceTypes: []market.ServiceType{market.Nursing}, AreaIDs: []int64{1}, CallOff: MiniCompetition}}}
}

func questions() []Question {
	return []Question{
		{ID: 1, Number: 1, Kind: Selection, Text: "CQC registration", EvidenceRequired: true},
		{ID: 2, Number: 2, Kind: Selection, Text: "Insurance"},
		{ID: 3, Number: 3, Kind: Quality, Text: "Safeguarding", Weight: 60, MaxScore: 5, PassMark: 3},
		{ID: 4, Number: 4, Kind: Quality, Text: "Workforce", Weight: 40, MaxScore: 5, PassMark: 3},
	}
}

// csihWindow has the 2019 tender's deadline: noon on Friday 1 November 2019.
func csihWindow() *Window {
	return &Window{ID: 5, Kind: Tender, Title: "CSIH ITT", Opens: time.Date(2019, 10, 1, 9, 0, 0, 0, London),
		Deadline: time.Date(2019, 11, 1, 12, 0, 0, 0, London), LotIDs: []int64{11}, Questions: questions()}
}

func TestWindowValidate(t *testing.T) {
	tests := []struct {
		name   string
		a      *Agreement
		change func(w *Window)
		want   string
	}{
		{"DPS opening", dps(), func(w *Window) { w.Kind = DPSOpening }, ""},
		{"DPS opening gets 10 days", dps(), func(w *Window) { w.Kind, w.AssessmentDays = DPSOpening, 0 }, ""},
		{"DPS 15 days justified", dps(), func(w *Window) {
			w.Kind, w.AssessmentDays, w.Justification = DPSOpening, 15, "Many complex applications"
		}, ""},
		{"DPS 15 days unjustified", dps(), func(w *Window) { w.Kind, w.AssessmentDays = DPSOpening, 15 }, "reg. 34(16)"},
		{"DPS 12 days", dps(), func(w *Window) { w.Kind, w.AssessmentDays = DPSOpening, 12 }, "reg. 34(15)"},
		{"reopening a DPS", dps(), func(w *Window) { w.Kind = Reopening }, "Only an open framework is reopened"},
		{"DPS opening of a framework", aahc(), func(w *Window) { w.Kind, w.LotIDs = DPSOpening, nil }, "Only a Dynamic Purchasing System"},
		{"clock on a framework", aahc(), func(w *Window) { w.Kind, w.AssessmentDays = Reopening, 10 }, "only to a Dynamic Purchasing System"},
		{"lot of another agreement", dps(), func(w *Window) { w.LotIDs = []int64{99} }, "Choose lots of this agreement"},
		{"deadline before opening", dps(), func(w *Window) { w.Deadline = w.Opens.Add(-time.Hour) }, "deadline must be after"},
		{"quality weight 0", dps(), func(w *Window) { w.Questions[2].Weight = 0 }, "Weight must be"},
		{"pass mark above max", dps(), func(w *Window) { w.Questions[2].PassMark = 6 }, "Pass mark must be"},
		{"weighted selection", dps(), func(w *Window) { w.Questions[0].Weight = 10 }, "pass or fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := csihWindow()
			for i := range tt.a.Lots {
				tt.a.Lots[i].ID = int64(11 + i)
			}
			tt.change(w)
			err := w.Validate(tt.a)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %s", fieldsOf(err))
				}
				if tt.a.Type == DPS && w.AssessmentDays == 0 {
					t.Fatal("a DPS window must get an assessment clock")
				}
				return
			}
			if got := fieldsOf(err); !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSubmissionDeadline(t *testing.T) {
	w := csihWindow()
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"before the window opens", w.Opens.Add(-time.Second), false},
		{"as it opens", w.Opens, true},
		{"the day before the deadline", w.Deadline.AddDate(0, 0, -1), true},
		{"on the deadline", w.Deadline, true},
		{"a second after", w.Deadline.Add(time.Second), false},
		{"the day after", w.Deadline.AddDate(0, 0, 1), false},
	}
	for _, tt := range tests {
		err := w.CheckSubmit(tt.now)
		if tt.ok != (err == nil) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
		if err != nil && caremarket.ErrorCode(err) != caremarket.ECONFLICT {
			t.Errorf("%s: code %s", tt.name, caremarket.ErrorCode(err))
		}
	}
	if err := w.CheckSubmit(w.Deadline.Add(time.Minute)); !strings.Contains(caremarket.ErrorMessage(err), "12:00 on 1 November 2019") {
		t.Errorf("message should give the deadline in London time: %v", err)
	}
	if got := w.Status(w.Deadline.Add(time.Second)); got != "closed" {
		t.Errorf("status after deadline = %s", got)
	}
}

func TestApplicationComplete(t *testing.T) {
	w := csihWindow()
	app := &Application{LotIDs: []int64{11}, Answers: []Answer{
		{QuestionID: 1, Text: "Registered", Evidence: "1-123456789"}, {QuestionID: 2, Text: "Yes"},
		{QuestionID: 3, Text: "Our policy"}, {QuestionID: 4, Text: "Our staff"},
	}}
	if err := app.Validate(w); err != nil {
		t.Fatal(err)
	}
	if err := app.CheckComplete(w); err != nil {
		t.Fatal(err)
	}
	app.Answers[0].Evidence = ""
	if got := fieldsOf(app.CheckComplete(w)); !strings.Contains(got, "Give the evidence for question 1") {
		t.Errorf("missing evidence: %q", got)
	}
	app.Answers = app.Answers[1:]
	if got := fieldsOf(app.CheckComplete(w)); !strings.Contains(got, "Answer question 1") {
		t.Errorf("missing answer: %q", got)
	}
	bad := &Application{LotIDs: []int64{99}, Answers: []Answer{{QuestionID: 42, Text: "x"}}}
	if got := fieldsOf(bad.Validate(w)); !strings.Contains(got, "Choose lots open in this window") || !strings.Contains(got, "Answer the questions of this window") {
		t.Errorf("bad draft: %q", got)
	}
}

// TestAssessmentClock: PCR 2015 reg. 34(15), 10 working days following
// receipt, across the August bank holiday.
func TestAssessmentClock(t *testing.T) {
	w := &Window{AssessmentDays: 10}
	sub := time.Date(2025, 8, 21, 15, 0, 0, 0, London)
	assessed := time.Date(2025, 9, 4, 11, 0, 0, 0, London)
	tests := []struct {
		name     string
		now      time.Time
		assessed *time.Time
		overdue  bool
		left     int
	}{
		{"the day after receipt", time.Date(2025, 8, 22, 9, 0, 0, 0, London), nil, false, 9},
		{"the day before due", time.Date(2025, 9, 4, 9, 0, 0, 0, London), nil, false, 1},
		{"on the due day", time.Date(2025, 9, 5, 17, 0, 0, 0, London), nil, false, 0},
		{"the day after due (a Saturday)", time.Date(2025, 9, 6, 9, 0, 0, 0, London), nil, true, 0},
		{"the working day after due", time.Date(2025, 9, 8, 9, 0, 0, 0, London), nil, true, -1},
		{"assessed in time, looked at later", time.Date(2025, 10, 1, 9, 0, 0, 0, London), &assessed, false, 1},
	}
	for _, tt := range tests {
		app := &Application{SubmittedAt: &sub, AssessedAt: tt.assessed}
		c := app.Clock(w, DefaultCalendar, tt.now)
		if !c.Due.Equal(Date(2025, 9, 5)) || c.Overdue != tt.overdue || c.DaysLeft != tt.left {
			t.Errorf("%s: due %s overdue %v left %d; want 2025-09-05 %v %d", tt.name, c.Due.Format(time.DateOnly), c.Overdue, c.DaysLeft, tt.overdue, tt.left)
		}
	}
	if c := (&Application{SubmittedAt: &sub}).Clock(&Window{}, DefaultCalendar, sub); c != nil {
		t.Error("a framework window has no assessment clock")
	}
}

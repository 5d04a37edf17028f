package quality

import (
	"strings"
	"time"

	"github.com/caremarket/caremarket"
)

// Action statuses. "Overdue" is not stored: an action not yet accepted
// whose due date has passed is overdue (Status works it out).
const (
	ActionOpen              = "open"
	ActionEvidenceSubmitted = "evidence_submitted"
	ActionAccepted          = "accepted"
	ActionOverdue           = "overdue"
)

// ActionStatusLabel says a status in words.
func ActionStatusLabel(s string) string {
	switch s {
	case ActionOpen:
		return "Open"
	case ActionEvidenceSubmitted:
		return "Evidence submitted"
	case ActionAccepted:
		return "Accepted"
	case ActionOverdue:
		return "Overdue"
	}
	return s
}

// Action is a finding of a visit the provider must put right: who owns it,
// by when, and the evidence it gives.
type Action struct {
	ID           int64     `json:"id"`
	VisitID      int64     `json:"visit_id"`
	LocationID   int64     `json:"location_id"`
	LocationName string    `json:"location_name"`
	ProviderID   int64     `json:"provider_id"`
	ProviderName string    `json:"provider_name"`
	QuestionKey  string    `json:"question_key,omitempty"`
	Finding      string    `json:"finding"`
	Owner        string    `json:"owner"`
	DueDate      time.Time `json:"due_date"`
	// Stored is open, evidence_submitted or accepted; Status adds overdue.
	Stored       string     `json:"-"`
	Status       string     `json:"status"`
	Evidence     string     `json:"evidence"`
	EvidenceAt   *time.Time `json:"evidence_at,omitempty"`
	DecisionNote string     `json:"decision_note"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

// EffectiveStatus is the action's status on day today: open or
// evidence-submitted actions past their due date are overdue. Evidence sent
// in time but not yet decided is not the provider's delay, so it is overdue
// only once the due date has passed too.
//
//	due 1 March, open, today 28 February      -> open
//	due 1 March, open, today 1 March          -> open (due today is not late)
//	due 1 March, open, today 2 March          -> overdue
//	due 1 March, evidence sent, today 2 March -> overdue
//	due 1 March, accepted, today 9 March      -> accepted
func EffectiveStatus(stored string, due, today time.Time) string {
	if stored == ActionAccepted {
		return ActionAccepted
	}
	if dayOf(today).After(dayOf(due)) {
		return ActionOverdue
	}
	return stored
}

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Validate checks a new action.
func (a *Action) Validate() error {
	a.Finding, a.Owner = strings.TrimSpace(a.Finding), strings.TrimSpace(a.Owner)
	errs := map[string]string{}
	caremarket.CheckText(errs, "finding", "finding", a.Finding, true, MaxTextLen)
	caremarket.CheckText(errs, "owner", "owner of the action", a.Owner, true, MaxNameLen)
	if a.DueDate.IsZero() {
		errs["due_date"] = "Enter the date the action is due"
	}
	return caremarket.Invalid(errs)
}

// Decision is the officer's answer to submitted evidence.
type Decision struct {
	Accept bool   `json:"accept"`
	Note   string `json:"note"`
}

package brokerage

import (
	"testing"
	"time"
)

func TestPurgeDue(t *testing.T) {
	day := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	rules := DefaultRetention // 12 months unplaced, 84 months after a placement ends
	today := day("2026-12-05")
	tests := []struct {
		name   string
		h      IdentityHolding
		due    bool
		reason string
	}{
		{"running placement: never", IdentityHolding{Placements: 1, Active: 1}, false, ""},
		{"one ended, one running: never", IdentityHolding{Placements: 2, Active: 1, LastEnd: day("2010-01-01")}, false, ""},
		// Ended 5 December 2019 + 84 months = 5 December 2026: due on the day.
		{"ended exactly 7 years ago", IdentityHolding{Placements: 1, LastEnd: day("2019-12-05")}, true, "placement ended more than 7 years ago"},
		{"ended a day short of 7 years", IdentityHolding{Placements: 1, LastEnd: day("2019-12-06")}, false, ""},
		// Cancelled 5 December 2025 + 12 months = today.
		{"cancelled a year ago, never placed", IdentityHolding{Status: StatusCancelled, UpdatedAt: day("2025-12-05")}, true, "never placed, and cancelled more than 1 year ago"},
		{"cancelled 11 months ago", IdentityHolding{Status: StatusCancelled, UpdatedAt: day("2026-01-05")}, false, ""},
		{"open for years: still being worked on", IdentityHolding{Status: StatusOpen, UpdatedAt: day("2015-01-01")}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, reason := PurgeDue(tt.h, rules, today)
			if due != tt.due || reason != tt.reason {
				t.Errorf("PurgeDue = %v %q, want %v %q", due, reason, tt.due, tt.reason)
			}
		})
	}
	if got := months(18); got != "18 months" {
		t.Errorf("months(18) = %q", got)
	}
}

func TestRetentionRulesValidate(t *testing.T) {
	for _, tt := range []struct {
		r  RetentionRules
		ok bool
	}{
		{DefaultRetention, true},
		{RetentionRules{0, 84}, false},
		{RetentionRules{12, 1201}, false},
		{RetentionRules{1, 1200}, true},
	} {
		if err := tt.r.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tt.r, err, tt.ok)
		}
	}
}

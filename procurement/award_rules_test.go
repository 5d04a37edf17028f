package procurement

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket"
)

func TestAwardAndApplicationTiming(t *testing.T) {
	deadline := time.Date(2026, 12, 5, 12, 0, 0, 0, London)
	w := &Window{Opens: deadline.AddDate(0, -1, 0), Deadline: deadline}
	tests := []struct {
		name          string
		now           time.Time
		notice        bool
		award, submit string // the error code, "" for allowed
	}{
		{"before opening", w.Opens.Add(-time.Minute), false, caremarket.ECONFLICT, caremarket.ECONFLICT},
		{"40 minutes before the deadline", deadline.Add(-40 * time.Minute), false, caremarket.ECONFLICT, ""},
		{"a nanosecond before", deadline.Add(-time.Nanosecond), false, caremarket.ECONFLICT, ""},
		{"at the deadline", deadline, false, caremarket.ECONFLICT, ""},
		{"a nanosecond after", deadline.Add(time.Nanosecond), false, "", caremarket.ECONFLICT},
		{"a day after", deadline.AddDate(0, 0, 1), false, "", caremarket.ECONFLICT},
		// A notice published in error while the window was open still
		// closes it to applications.
		{"open, notice out", deadline.Add(-40 * time.Minute), true, caremarket.ECONFLICT, caremarket.ECONFLICT},
		{"after, notice out", deadline.AddDate(0, 0, 1), true, "", caremarket.ECONFLICT},
	}
	for _, tt := range tests {
		if got := caremarket.ErrorCode(CheckAwardTime(w, tt.now)); got != tt.award {
			t.Errorf("%s: award = %q, want %q", tt.name, got, tt.award)
		}
		if got := caremarket.ErrorCode(CheckApplicationTime(w, tt.now, tt.notice)); got != tt.submit {
			t.Errorf("%s: application = %q, want %q", tt.name, got, tt.submit)
		}
		if got, want := CheckResubmissionTime(tt.notice) != nil, tt.notice; got != want {
			t.Errorf("%s: resubmission refused = %v, want %v", tt.name, got, want)
		}
		if got, want := CheckMarksOpen(tt.notice) != nil, tt.notice; got != want {
			t.Errorf("%s: marks frozen = %v, want %v", tt.name, got, want)
		}
	}
	if msg := caremarket.ErrorMessage(CheckAwardTime(w, deadline)); msg != "Applications to this window close at 12:00 on 5 December 2026: awards and the award notice must wait until the deadline has passed" {
		t.Errorf("message: %s", msg)
	}
}

func TestCheckModerator(t *testing.T) {
	for _, tt := range []struct {
		role      caremarket.Role
		moderator bool
		ok        bool
	}{
		{caremarket.RoleCommissioner, false, true},
		{caremarket.RoleEvaluator, true, true},
		{caremarket.RoleFinance, true, true},
		{caremarket.RoleEvaluator, false, false},
		{caremarket.RoleAdmin, false, false},
		{caremarket.RoleAdmin, true, true},
		{caremarket.RoleBroker, false, false},
		{caremarket.RoleProvider, false, false},
	} {
		err := CheckModerator(tt.role, tt.moderator)
		if (err == nil) != tt.ok {
			t.Errorf("CheckModerator(%s, moderator %v) = %v, want ok %v", tt.role, tt.moderator, err, tt.ok)
		}
		if err != nil && caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("code %s", caremarket.ErrorCode(err))
		}
	}
}

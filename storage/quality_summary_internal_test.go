package storage

import (
	"slices"
	"testing"
	"time"
)

func TestParseMinutes(t *testing.T) {
	for in, want := range map[string][]int{
		"":           nil,
		"40":         {40},
		"7 40 1440":  {7, 40, 1440},
		"-2 0 12345": {-2, 0, 12345},
	} {
		if got := parseMinutes(in); !slices.Equal(got, want) {
			t.Errorf("parseMinutes(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestWholeDays: a period's bounds go to the nearest midnight (UTC); a
// London midnight in summer (23:00 UTC) is the next UTC day's start.
func TestWholeDays(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	london, _ := time.LoadLocation("Europe/London")
	for _, c := range []struct{ from, to, wantFrom, wantTo time.Time }{
		{utc("2026-01-01 00:00"), utc("2026-04-01 00:00"), utc("2026-01-01 00:00"), utc("2026-04-01 00:00")},
		{time.Date(2026, 6, 1, 0, 0, 0, 0, london), time.Date(2026, 7, 1, 0, 0, 0, 0, london), utc("2026-06-01 00:00"), utc("2026-07-01 00:00")},
		{utc("2025-12-05 15:30"), utc("2026-12-05 15:30"), utc("2025-12-06 00:00"), utc("2026-12-06 00:00")},
		{utc("2026-03-02 09:00"), utc("2026-03-02 10:00"), utc("2026-03-02 00:00"), utc("2026-03-03 00:00")},
	} {
		f, to := wholeDays(c.from, c.to)
		if !f.Equal(c.wantFrom) || !to.Equal(c.wantTo) {
			t.Errorf("wholeDays(%v, %v) = %v, %v", c.from, c.to, f, to)
		}
	}
}

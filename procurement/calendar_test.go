package procurement

import (
	"testing"
	"time"
)

func TestBankHolidays(t *testing.T) {
	perYear := map[int]int{}
	for _, h := range BankHolidays() {
		perYear[h.Date.Year()]++
		if wd := h.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("%s (%s) falls at a weekend: substitute days are listed instead", h.Date.Format(time.DateOnly), h.Name)
		}
	}
	for y := 2016; y <= 2030; y++ {
		want := 8
		switch y {
		case 2022:
			want = 10 // Platinum Jubilee and the State Funeral
		case 2023:
			want = 9 // the Coronation
		}
		if perYear[y] != want {
			t.Errorf("%d has %d bank holidays, want %d", y, perYear[y], want)
		}
	}
	cal := DefaultCalendar
	tests := []struct {
		day     time.Time
		working bool
	}{
		{Date(2020, 5, 8), false},  // VE Day: the early May bank holiday moved
		{Date(2020, 5, 4), true},   // … from here
		{Date(2022, 6, 2), false},  // Spring bank holiday moved for the Jubilee
		{Date(2022, 6, 3), false},  // Platinum Jubilee
		{Date(2022, 5, 30), true},  // the usual last Monday of May, not that year
		{Date(2022, 9, 19), false}, // State Funeral of Queen Elizabeth II
		{Date(2023, 5, 8), false},  // Coronation
		{Date(2016, 12, 27), false},
		{Date(2021, 12, 28), false},
		{Date(2022, 1, 3), false},
		{Date(2027, 12, 28), false},
		{Date(2028, 1, 3), false}, // New Year's Day on a Saturday
		{Date(2030, 4, 19), false},
		{Date(2025, 8, 25), false}, // summer bank holiday
		{Date(2025, 8, 23), false}, // Saturday
		{Date(2025, 8, 26), true},
	}
	for _, tt := range tests {
		if got := cal.IsWorkingDay(tt.day); got != tt.working {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.day.Format("Mon 2006-01-02"), got, tt.working)
		}
	}
	extra := NewCalendar(Holiday{Date: Date(2026, 6, 1), Name: "A new bank holiday"})
	if extra.IsWorkingDay(Date(2026, 6, 1)) || !cal.IsWorkingDay(Date(2026, 6, 1)) {
		t.Error("an added holiday must count only in the calendar it was added to")
	}
}

func TestWorkingDayArithmetic(t *testing.T) {
	cal := DefaultCalendar
	tests := []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"10 working days after Thursday before the August bank holiday", cal.AddWorkingDays(Date(2025, 8, 21), 10), Date(2025, 9, 5)},
		{"1 working day after Friday", cal.AddWorkingDays(Date(2025, 8, 22), 1), Date(2025, 8, 26)},
		{"3rd working day beginning on a Monday", cal.NthWorkingDayFrom(Date(2025, 9, 1), 3), Date(2025, 9, 3)},
		{"1st working day beginning on a Saturday", cal.NthWorkingDayFrom(Date(2025, 8, 23), 1), Date(2025, 8, 26)},
		{"next working day of Good Friday", cal.NextWorkingDay(Date(2025, 4, 18)), Date(2025, 4, 22)},
	}
	for _, tt := range tests {
		if !tt.got.Equal(tt.want) {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got.Format("Mon 2006-01-02"), tt.want.Format("Mon 2006-01-02"))
		}
	}
	if n := cal.WorkingDaysBetween(Date(2025, 8, 21), Date(2025, 9, 5)); n != 10 {
		t.Errorf("WorkingDaysBetween = %d, want 10", n)
	}
}

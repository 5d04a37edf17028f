package pricing

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket/money"
)

func TestDecAndBP(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Dec
		str  string
	}{{"24.75", 247500, "24.75"}, {"3", 30000, "3"}, {"0.0001", 1, "0.0001"}, {"-1.5", -15000, "-1.5"}} {
		got, err := ParseDec(tt.in)
		if err != nil || got != tt.want || got.String() != tt.str {
			t.Errorf("ParseDec(%q) = %d (%s), %v", tt.in, got, got, err)
		}
	}
	if _, err := ParseDec("1.23456"); err == nil {
		t.Error("ParseDec accepted five decimal places")
	}
	for _, tt := range []struct {
		in   string
		want BP
		str  string
	}{{"13.8", 1380, "13.8%"}, {"12.07%", 1207, "12.07%"}, {"10", 1000, "10%"}, {"0.25", 25, "0.25%"}} {
		got, err := ParseBP(tt.in)
		if err != nil || got != tt.want || got.String() != tt.str {
			t.Errorf("ParseBP(%q) = %d (%s), %v", tt.in, got, got, err)
		}
	}
	if _, err := ParseBP("1.234"); err == nil {
		t.Error("ParseBP accepted three decimal places")
	}
}

func TestNLW(t *testing.T) {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		day    time.Time
		want   money.Money
		minAge int
		ok     bool
	}{
		{d(2016, 3, 31), 0, 0, false},
		{d(2016, 4, 1), 720, 25, true},
		{d(2020, 12, 25), 872, 25, true},
		{d(2021, 4, 1), 891, 23, true},
		{d(2023, 6, 1), 1042, 23, true},
		{d(2024, 4, 1), 1144, 21, true},
		{d(2025, 3, 31), 1144, 21, true},
		{d(2025, 4, 1), 1221, 21, true},
		{d(2026, 4, 1), 1271, 21, true},
		{d(2030, 1, 1), 1271, 21, true},
	}
	for _, tt := range tests {
		r, ok := NLWOn(tt.day)
		if ok != tt.ok || r.Hourly != tt.want || r.MinAge != tt.minAge {
			t.Errorf("NLWOn(%s) = %+v %v", tt.day.Format(time.DateOnly), r, ok)
		}
	}
	if len(NLWRates) != 11 {
		t.Errorf("NLW rates 2016-2026: %d, want 11", len(NLWRates))
	}
}

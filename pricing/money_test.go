package pricing

import (
	"math/big"
	"testing"
	"time"
)

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{0, "£0.00"}, {5, "£0.05"}, {99, "£0.99"}, {100, "£1.00"}, {123456, "£1,234.56"},
		{-5, "-£0.05"}, {-123456, "-£1,234.56"}, {100_000_000, "£1,000,000.00"}, {719878484, "£7,198,784.84"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tt.m), got, tt.want)
		}
	}
	// Seed 001 4.3 states whole pounds.
	if got := Money(719878484).WholePounds(); got != "£7,198,785" {
		t.Errorf("WholePounds = %q", got)
	}
	if got := Money(-12391184).WholePounds(); got != "-£123,912" {
		t.Errorf("WholePounds negative = %q", got)
	}
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want Money
		ok   bool
	}{
		{"1234.56", 123456, true}, {"£1,234.56", 123456, true}, {" 812.5 ", 81250, true}, {"812", 81200, true},
		{"0.07", 7, true}, {".5", 50, true}, {"-3.10", -310, true},
		{"12.345", 0, false}, {"12.", 0, false}, {"abc", 0, false}, {"", 0, false}, {"1e3", 0, false},
		{"£", 0, false}, {"1.2.3", 0, false}, {"9999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// Rounding to the penny happens in one place, half away from zero: the
// accountant's "half-up", not the banker's round-half-to-even.
func TestRoundRat(t *testing.T) {
	tests := []struct {
		num, den int64
		want     Money
	}{
		{1, 2, 1}, {3, 2, 2}, {5, 2, 3}, {-1, 2, -1}, {-5, 2, -3},
		{249999, 100000, 2}, {250000, 100000, 3}, {1, 3, 0}, {2, 3, 1}, {-1, 3, 0}, {7, 1, 7},
	}
	for _, tt := range tests {
		if got := RoundRat(big.NewRat(tt.num, tt.den)); got != tt.want {
			t.Errorf("RoundRat(%d/%d) = %d, want %d", tt.num, tt.den, got, tt.want)
		}
	}
}

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
		want   Money
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

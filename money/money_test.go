package money

import (
	"math/big"
	"testing"
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
	// A committee paper states whole pounds.
	if got := Money(719878484).WholePounds(); got != "£7,198,785" {
		t.Errorf("WholePounds = %q", got)
	}
	if got := Money(-12391184).WholePounds(); got != "-£123,912" {
		t.Errorf("WholePounds negative = %q", got)
	}
}

func TestParse(t *testing.T) {
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
		got, err := Parse(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
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

func TestShortAndInput(t *testing.T) {
	for p, want := range map[Money]string{0: "£0", 1250: "£12.50", 8_970_000_000: "£89,700,000", -100: "-£1", 100_000: "£1,000"} {
		if got := p.Short(); got != want {
			t.Errorf("Money(%d).Short() = %q, want %q", p, got, want)
		}
	}
	for p, want := range map[Money]string{0: "0", 1250: "12.50", 125_000_000: "1250000", -50000: "-500", 5: "0.05"} {
		if got := p.Input(); got != want {
			t.Errorf("Money(%d).Input() = %q, want %q", p, got, want)
		}
		if back, err := Parse(want); err != nil || back != p {
			t.Errorf("Parse(%q) = %d, %v; want %d", want, back, err, p)
		}
	}
	// Money.String writes a negative amount "-£0.05"; a person typing one
	// writes "-0.05" or "£-0.05". "-£5" is refused, as it always was by the
	// price forms.
	if _, err := Parse("-£5"); err == nil {
		t.Error(`Parse("-£5") succeeded`)
	}
}

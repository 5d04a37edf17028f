package brokerage

import (
	"math"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// TestAmountsAreBounded: every amount a broker or provider enters is at
// most £100,000 a week, the bound named in the message.
func TestAmountsAreBounded(t *testing.T) {
	start := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	p := &Placement{StartDate: start}
	for _, tt := range []struct {
		cost money.Money
		msg  string
	}{
		{1, ""}, {pricing.MaxWeeklyCost, ""},
		{pricing.MaxWeeklyCost + 1, "The weekly cost must be at most £100,000.00"},
		{math.MaxInt64, "The weekly cost must be at most £100,000.00"},
		{0, "Enter the new weekly cost in pence, more than 0"},
	} {
		c := &PriceChange{WeeklyCost: tt.cost, EffectiveFrom: start, Reason: "Uplift"}
		got := fieldMsg(c.Validate(p), "weekly_cost_pence")
		if got != tt.msg {
			t.Errorf("price change %d: %q, want %q", tt.cost, got, tt.msg)
		}
		q := &OfferRequest{WeeklyCost: tt.cost}
		want := tt.msg
		if tt.cost == 0 {
			want = ""
		}
		if got := fieldMsg(q.Validate(StageLocal, 900_00), "weekly_cost_pence"); got != want {
			t.Errorf("offer %d: %q, want %q", tt.cost, got, want)
		}
	}
	for amount, want := range map[money.Money]string{0: "", 50_00: "", -1: "A top-up cannot be negative", pricing.MaxWeeklyCost + 1: "A top-up must be at most £100,000.00"} {
		if got := fieldMsg(TopUpCheck(amount, "Her son"), "top_up_pence"); got != want {
			t.Errorf("top-up %d: %q, want %q", amount, got, want)
		}
	}
}

func fieldMsg(err error, field string) string { return caremarket.ErrorFields(err)[field] }

func TestCheckBidCost(t *testing.T) {
	for _, tt := range []struct {
		b    Bid
		want string
	}{
		{Bid{Basis: pricing.PerHour, Price: 25_00, WeeklyCost: 350_00}, ""},
		{Bid{Basis: pricing.PerHour, Price: pricing.MaxHourlyRate + 1, WeeklyCost: 350_00}, "An hourly rate must be at most £1,000.00"},
		{Bid{Basis: pricing.PerHour, Price: 900_00, WeeklyCost: 151_200_00}, "The weekly cost of this bid must be at most £100,000.00"},
		{Bid{Basis: pricing.PerBedWeek, Price: 1_200_00, WeeklyCost: 1_200_00}, ""},
		{Bid{Basis: pricing.PerBedWeek, Price: pricing.MaxWeeklyCost + 1, WeeklyCost: pricing.MaxWeeklyCost + 1}, "The weekly cost of this bid must be at most £100,000.00"},
	} {
		if got := fieldMsg(CheckBidCost(&tt.b), "price_pence"); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.b, got, tt.want)
		}
	}
}

package pricing

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

func TestCheckAmount(t *testing.T) {
	for _, tt := range []struct {
		m    money.Money
		want string // "" for accepted
	}{
		{-1, "The weekly cost cannot be negative"},
		{0, ""},
		{MaxWeeklyCost - 1, ""},
		{MaxWeeklyCost, ""},
		{MaxWeeklyCost + 1, "The weekly cost must be at most £100,000.00"},
		{math.MaxInt64, "The weekly cost must be at most £100,000.00"},
	} {
		f := map[string]string{}
		CheckWeeklyCost(f, "weekly_cost_pence", "The weekly cost", tt.m)
		if f["weekly_cost_pence"] != tt.want {
			t.Errorf("CheckWeeklyCost(%d) = %q, want %q", tt.m, f["weekly_cost_pence"], tt.want)
		}
	}
	f := map[string]string{}
	CheckAmount(f, "rate", "An hourly rate", MaxHourlyRate+1, 0, MaxHourlyRate)
	if f["rate"] != "An hourly rate must be at most £1,000.00" {
		t.Errorf("hourly: %q", f["rate"])
	}
	if MaxFor(PerHour) != MaxHourlyRate || MaxFor(PerBedWeek) != MaxWeeklyCost {
		t.Error("MaxFor")
	}
}

func TestMoneyJSONIsBounded(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"0", true}, {"1000000000000", true}, {"-1000000000000", true},
		{"1000000000001", false}, {"-1000000000001", false},
		{"9223372036854775807", false}, {"9223372036854775808", false}, {"1.5", false}, {`"12"`, false},
	} {
		var m money.Money
		err := json.Unmarshal([]byte(tt.in), &m)
		if (err == nil) != tt.ok {
			t.Errorf("Unmarshal(%s) = %v, want ok %v", tt.in, err, tt.ok)
		}
		if err != nil && caremarket.ErrorCode(err) != caremarket.EINVALID {
			t.Errorf("Unmarshal(%s): code %s", tt.in, caremarket.ErrorCode(err))
		}
	}
	var m money.Money
	if err := json.Unmarshal([]byte("9223372036854775807"), &m); !strings.Contains(caremarket.ErrorMessage(err), "£10,000,000,000.00") {
		t.Errorf("the bound is not named: %v", err)
	}
}

func TestCheckedArithmetic(t *testing.T) {
	for _, tt := range []struct {
		a, b money.Money
		ok   bool
	}{
		{1, 2, true}, {math.MaxInt64 - 1, 1, true}, {math.MaxInt64, 1, false}, {math.MinInt64 + 1, -1, true},
		{math.MinInt64, -1, false}, {math.MaxInt64, math.MinInt64, true}, {-5, 3, true},
	} {
		got, ok := AddMoney(tt.a, tt.b)
		if ok != tt.ok || (ok && got != tt.a+tt.b) {
			t.Errorf("AddMoney(%d, %d) = %d, %v; want ok %v", tt.a, tt.b, got, ok, tt.ok)
		}
	}
	for _, tt := range []struct {
		m  money.Money
		n  int64
		ok bool
	}{
		{100, 52, true}, {0, math.MaxInt64, true}, {math.MaxInt64 / 52, 52, true}, {math.MaxInt64/52 + 1, 52, false},
		{-1, math.MinInt64, false}, {math.MinInt64, -1, false}, {MaxAmount, 52, true}, {MaxWeeklyCost, 52 * 1_000_000, true},
	} {
		got, ok := MulMoney(tt.m, tt.n)
		if ok != tt.ok || (ok && got != tt.m*money.Money(tt.n)) {
			t.Errorf("MulMoney(%d, %d) = %d, %v; want ok %v", tt.m, tt.n, got, ok, tt.ok)
		}
	}
	if _, ok := RoundRatChecked(new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 70), big.NewInt(3))); ok {
		t.Error("2^70/3 pence fits in int64?")
	}
	if m, ok := RoundRatChecked(big.NewRat(5, 2)); !ok || m != 3 {
		t.Errorf("5/2 = %d %v", m, ok)
	}
	var s Sum
	s.Add(math.MaxInt64)
	s.Add(1)
	s.Add(-10) // an overflow is not undone by what follows
	if _, err := s.Total("The year's commitment"); caremarket.ErrorCode(err) != caremarket.EINVALID || !strings.Contains(caremarket.ErrorMessage(err), "The year's commitment is too large") {
		t.Errorf("overflowed sum: %v", err)
	}
	var ok Sum
	for range 1000 {
		ok.Add(MaxWeeklyCost)
	}
	if v, err := ok.Total("x"); err != nil || v != 1000*MaxWeeklyCost {
		t.Errorf("sum = %d %v", v, err)
	}
}

// TestUpliftRefusesAnUnboundedPrice: a price of int64's largest value that
// reached the database before the bounds made the preview show a negative
// price; now the preview names it and shows nothing wrong.
func TestUpliftRefusesAnUnboundedPrice(t *testing.T) {
	rule := UpliftRule{Kind: UpliftPercent, Percent: 500}
	items := []UpliftItem{
		{Kind: UpliftPlacement, ID: 1, ServiceType: market.Nursing, Basis: PerBedWeek, Price: 900_00},
		{Kind: UpliftPlacement, ID: 7, Label: "Placement 7", ServiceType: market.Nursing, Basis: PerBedWeek, Price: math.MaxInt64},
	}
	_, err := rule.CheckedPreview(items)
	if caremarket.ErrorCode(err) != caremarket.EINVALID || !strings.Contains(caremarket.ErrorMessage(err), "placement 7") || !strings.Contains(caremarket.ErrorMessage(err), "£100,000.00") {
		t.Fatalf("preview = %v, want the placement and the bound named", err)
	}
	for _, it := range []UpliftItem{{Basis: PerHour, Price: MaxHourlyRate + 1}, {Basis: PerBedWeek, Price: -1}, {Basis: PerBedWeek, Price: 1, UnitsPerWeek: D(10_000)}} {
		if _, err := rule.CheckedPreview([]UpliftItem{it}); err == nil {
			t.Errorf("item %+v accepted", it)
		}
	}
	// At the bounds, 100,000 items: totals are exact, nothing negative.
	many := make([]UpliftItem, 100_000)
	for i := range many {
		many[i] = UpliftItem{Kind: UpliftPlacement, ID: int64(i), ServiceType: market.Homecare, Basis: PerBedWeek, Price: MaxWeeklyCost, UnitsPerWeek: D(maxUnitsPerWeek)}
	}
	p, err := rule.CheckedPreview(many)
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalAnnualChange <= 0 || p.PlacementsAnnualChange != p.TotalAnnualChange || p.Items[0].New != 105_000_00 {
		t.Errorf("at the bounds: total %d, placements %d, new %d", p.TotalAnnualChange, p.PlacementsAnnualChange, p.Items[0].New)
	}
}

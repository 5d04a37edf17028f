package pricing

import "github.com/caremarket/caremarket/money"

// Bounds on the amounts a person or a program may enter. Each is far above
// any real figure and far below where int64 pence could overflow in a sum
// or a year's total, so a typo of extra digits (or an attacker's
// 9,223,372,036,854,775,807) is refused at the edge, with the bound named,
// instead of turning into a negative price three steps later.
const (
	// MaxWeeklyCost is the most a week of one person's care may cost:
	// £100,000 (the dearest placements cost a few thousand pounds a week).
	MaxWeeklyCost = money.Money(100_000_00)
	// MaxHourlyRate is the most an hour of care may cost: £1,000.
	MaxHourlyRate = money.Money(1_000_00)
	// MaxAmount bounds any single amount read from JSON: £10,000,000,000,
	// above any council's whole yearly budget. 900,000 such amounts still
	// sum inside int64.
	MaxAmount = money.MaxJSON
)

// MaxFor is the bound on a price charged on basis: a week of a bed, or an
// hour of care.
func MaxFor(b Basis) money.Money {
	if b == PerHour {
		return MaxHourlyRate
	}
	return MaxWeeklyCost
}

// CheckAmount adds to f, under field, a message naming the bound when m is
// not in [min, max]: "The weekly cost must be at most £100,000.00".
// what is how the message names the amount ("The weekly cost").
func CheckAmount(f map[string]string, field, what string, m, min, max money.Money) {
	switch {
	case m < min && min == 0:
		f[field] = what + " cannot be negative"
	case m < min:
		f[field] = what + " must be at least " + min.String()
	case m > max:
		f[field] = what + " must be at most " + max.String()
	}
}

// CheckWeeklyCost is CheckAmount for a weekly cost: from 0 to MaxWeeklyCost.
func CheckWeeklyCost(f map[string]string, field, what string, m money.Money) {
	CheckAmount(f, field, what, m, 0, MaxWeeklyCost)
}

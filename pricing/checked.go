package pricing

import (
	"math"
	"math/big"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/money"
)

// Checked arithmetic on money.Money, for totals, uplifts and forecasts: every
// result either fits in int64 pence or is an error a person can act on,
// never a silently wrapped (negative) amount.

// errOverflow is what a sum or product too large for pence becomes.
func errOverflow(what string) error {
	return caremarket.Errorf(caremarket.EINVALID, "%s is too large to work out: check the amounts entered (each is bounded, a weekly cost at most %s)", what, MaxWeeklyCost)
}

// AddMoney returns a+b, or false when the sum does not fit in int64.
func AddMoney(a, b money.Money) (money.Money, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// MulMoney returns m*n, or false when the product does not fit in int64.
func MulMoney(m money.Money, n int64) (money.Money, bool) {
	if m == 0 || n == 0 {
		return 0, true
	}
	p := int64(m) * n
	if p/n != int64(m) || (int64(m) == -1 && n == math.MinInt64) || (n == -1 && int64(m) == math.MinInt64) {
		return 0, false
	}
	return money.Money(p), true
}

// RoundRatChecked is RoundRat, or false when the rounded amount does not
// fit in int64 pence.
func RoundRatChecked(r *big.Rat) (money.Money, bool) {
	q := new(big.Int).Quo(r.Num(), r.Denom())
	// |r| rounds to at most |q|+1: leave room for the rounding.
	if q.CmpAbs(big.NewInt(math.MaxInt64-1)) >= 0 {
		return 0, false
	}
	return money.RoundRat(r), true
}

// Sum adds amounts, remembering an overflow: a forecast adds thousands of
// placements' costs and asks once, at the end, whether the total is sound.
//
//	var s pricing.Sum
//	for _, p := range placements { s.Add(p.WeeklyCost) }
//	total, err := s.Total("The year's commitment")
type Sum struct {
	v        money.Money
	overflow bool
}

// Add adds m to the sum.
func (s *Sum) Add(m money.Money) {
	if v, ok := AddMoney(s.v, m); ok && !s.overflow {
		s.v = v
	} else {
		s.overflow = true
	}
}

// Total is the sum, or an EINVALID error naming what (e.g. "The total")
// when it overflowed.
func (s *Sum) Total(what string) (money.Money, error) {
	if s.overflow {
		return 0, errOverflow(what)
	}
	return s.v, nil
}

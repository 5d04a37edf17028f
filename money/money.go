// Package money holds the one Money type: an amount in whole pence, with the
// parsing and formatting every page, file and API uses. It imports only the
// standard library, so every other package may use it.
package money

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Money is an amount in pence. Prices, costs and totals are whole pence; the
// exact arithmetic that leads to them is done in rationals (math/big.Rat) and
// rounded to the penny once, half-up, by RoundRat — never in float64, whose
// binary fractions cannot hold 0.1 exactly and drift in sums.
type Money int64

// Pounds returns whole pounds as Money.
func Pounds(p int64) Money { return Money(p * 100) }

// Max bounds any single price a person may enter (£1,000,000): a guard
// against a typo of extra digits, and far below int64 overflow in any sum.
const Max = Money(100_000_000)

// Error says why some text is not an amount of money. The message is for a
// person; the caremarket error functions report it as invalid input.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// InvalidInput marks the error as the caller's bad input (see
// caremarket.ErrorCode), since this package cannot import caremarket.
func (e *Error) InvalidInput() {}

// String formats the amount as the UI writes money: "£1,234.56", "-£0.05".
func (m Money) String() string {
	sign, v := m.sign()
	return sign + "£" + groupThousands(v/100) + "." + pad2(v%100)
}

// Short formats the amount with pence only when there are any, as contract
// values are written: "£89,700,000", "£12.50", "-£1".
func (m Money) Short() string {
	sign, v := m.sign()
	s := sign + "£" + groupThousands(v/100)
	if v%100 != 0 {
		s += "." + pad2(v%100)
	}
	return s
}

// Plain formats the amount without the pound sign or separators: "1234.56",
// for CSV files a spreadsheet reads as a number.
func (m Money) Plain() string {
	sign, v := m.sign()
	return sign + strconv.FormatInt(v/100, 10) + "." + pad2(v%100)
}

// Input formats the amount as a person types it into a form field:
// "1250000", "12.50", "-500"; Parse reads it back.
func (m Money) Input() string {
	sign, v := m.sign()
	if v%100 == 0 {
		return sign + strconv.FormatInt(v/100, 10)
	}
	return sign + strconv.FormatInt(v/100, 10) + "." + pad2(v%100)
}

// WholePounds formats the amount rounded half-up to the pound: "£7,198,785".
// Only for reporting figures the way a committee paper states them; the
// pence stay the figure of record.
func (m Money) WholePounds() string {
	sign, v := m.sign()
	p := (v + 50) / 100
	if p == 0 {
		sign = ""
	}
	return sign + "£" + groupThousands(p)
}

// Rat is the amount as an exact rational number of pence.
func (m Money) Rat() *big.Rat { return new(big.Rat).SetInt64(int64(m)) }

func (m Money) sign() (string, int64) {
	if m < 0 {
		return "-", -int64(m)
	}
	return "", int64(m)
}

func pad2(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

func groupThousands(v int64) string {
	s := strconv.FormatInt(v, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Parse reads an amount in pounds as people write it: "1234.56",
// "£1,234.56", "1234", "1,234.5", "-3.10". More than two decimal places is an
// error rather than a silent rounding: a price is what the provider wrote.
func Parse(s string) (Money, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "£")
	s = strings.ReplaceAll(s, ",", "")
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	bad := func() (Money, error) {
		return 0, &Error{Message: strconv.Quote(orig) + " is not an amount in pounds, like 1234.56"}
	}
	if whole == "" && frac == "" || len(frac) > 2 || (hasDot && frac == "") || len(whole) > 12 {
		return bad()
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	var w, f int64
	if whole != "" {
		w, _ = strconv.ParseInt(whole, 10, 64)
	}
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	m := Money(w*100 + f)
	if neg {
		m = -m
	}
	return m, nil
}

// MarshalJSON writes Money as its pence (an integer), so no client parses a
// decimal into a float.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(int64(m), 10)), nil }

// UnmarshalJSON reads pence as an integer.
func (m *Money) UnmarshalJSON(b []byte) error {
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		return &Error{Message: "Amounts are whole pence, like 123456 for £1,234.56"}
	}
	// A backstop for every amount read from JSON: far above any council's
	// yearly budget, far below where sums of pence could overflow.
	if v > int64(MaxJSON) || v < -int64(MaxJSON) {
		return &Error{Message: fmt.Sprintf("Amounts must be between -%s and %s (%d pence)", MaxJSON, MaxJSON, int64(MaxJSON))}
	}
	*m = Money(v)
	return nil
}

// MaxJSON bounds any single amount read from JSON: £10,000,000,000, above
// any council's whole yearly budget; 900,000 such amounts still sum inside
// int64.
const MaxJSON = Money(10_000_000_000_00)

// RoundRat rounds an exact amount of pence to the nearest penny, halves away
// from zero ("half-up" as accountants use it: 0.5p -> 1p, -0.5p -> -1p). It is
// the one place an exact amount becomes Money.
func RoundRat(r *big.Rat) Money {
	num := new(big.Int).Set(r.Num())
	den := r.Denom() // always > 0
	neg := num.Sign() < 0
	if neg {
		num.Neg(num)
	}
	// floor((2*num + den) / (2*den)) rounds halves up for non-negative values.
	num.Mul(num, big.NewInt(2))
	num.Add(num, den)
	q := new(big.Int).Quo(num, new(big.Int).Mul(den, big.NewInt(2)))
	v := q.Int64()
	if neg {
		v = -v
	}
	return Money(v)
}

package pricing

import (
	"encoding/json"
	"math/big"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
)

// Money is an amount in pence. Prices, costs and totals are whole pence; the
// exact arithmetic that leads to them is done in rationals (math/big.Rat) and
// rounded to the penny once, half-up, by RoundRat — never in float64, whose
// binary fractions cannot hold 0.1 exactly and drift in sums.
type Money int64

// Pounds returns whole pounds as Money.
func Pounds(p int64) Money { return Money(p * 100) }

// String formats the amount as the UI writes money: "£1,234.56", "-£0.05".
func (m Money) String() string {
	neg := m < 0
	v := int64(m)
	if neg {
		v = -v
	}
	s := groupThousands(v/100) + "." + pad2(v%100)
	if neg {
		return "-£" + s
	}
	return "£" + s
}

// Plain formats the amount without the pound sign or separators: "1234.56",
// for CSV files a spreadsheet reads as a number.
func (m Money) Plain() string {
	v := int64(m)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return sign + strconv.FormatInt(v/100, 10) + "." + pad2(v%100)
}

// WholePounds formats the amount rounded half-up to the pound: "£7,198,785".
// Only for reporting figures the way a committee paper states them (seed 001
// 4.3); the pence stay the figure of record.
func (m Money) WholePounds() string {
	v := int64(m)
	neg := v < 0
	if neg {
		v = -v
	}
	p := (v + 50) / 100
	if neg && p != 0 {
		return "-£" + groupThousands(p)
	}
	return "£" + groupThousands(p)
}

// Rat is the amount as an exact rational number of pence.
func (m Money) Rat() *big.Rat { return new(big.Rat).SetInt64(int64(m)) }

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

// MaxMoney bounds any single price a person may enter (£1,000,000): a guard
// against a typo of extra digits, and far below int64 overflow in any sum.
const MaxMoney = Money(100_000_000)

// ParseMoney reads an amount in pounds as people write it: "1234.56",
// "£1,234.56", "1234", "1,234.5". More than two decimal places is an error
// rather than a silent rounding: a price is what the provider wrote.
func ParseMoney(s string) (Money, error) {
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
		return 0, caremarket.Errorf(caremarket.EINVALID, "%q is not an amount in pounds, like 1234.56", orig)
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
		return caremarket.Errorf(caremarket.EINVALID, "Amounts are whole pence, like 123456 for £1,234.56")
	}
	if err := checkJSONAmount(v); err != nil {
		return err
	}
	*m = Money(v)
	return nil
}

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

// roundDiv returns num/den rounded half away from zero, for integer
// statistics (den > 0).
func roundDiv(num, den int64) int64 {
	if num >= 0 {
		return (2*num + den) / (2 * den)
	}
	return -((-2*num + den) / (2 * den))
}

// BP is a rate in basis points: 1 bp = 0.01%, 10000 bp = 100%. On-costs,
// overheads, returns, tolerances and uplifts are all rates.
type BP int64

// Rat is the rate as an exact fraction (1380 bp -> 138/1000).
func (b BP) Rat() *big.Rat { return big.NewRat(int64(b), 10000) }

// String formats the rate as a percentage: "13.8%", "-2.25%", "10%".
func (b BP) String() string {
	v := int64(b)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	s := strconv.FormatInt(v/100, 10)
	if f := v % 100; f != 0 {
		s += "." + strings.TrimRight(pad2(f), "0")
	}
	return sign + s + "%"
}

// ParseBP reads a percentage ("13.8", "13.8%", "0.25") as basis points; more
// than two decimal places is refused.
func ParseBP(s string) (BP, error) {
	d, err := ParseDec(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if err != nil || int64(d)%100 != 0 {
		return 0, caremarket.Errorf(caremarket.EINVALID, "%q is not a percentage with up to two decimal places, like 13.8", s)
	}
	return BP(int64(d) / 100), nil
}

// Dec is a small exact decimal with four places (value x 10,000): hours a
// week ("24.75"), miles an hour of care, minutes of travel. Quantities, not
// money.
type Dec int64

// DecScale is how many units of Dec make one.
const DecScale = 10000

// D returns n whole units as a Dec.
func D(n int64) Dec { return Dec(n * DecScale) }

// Rat is the quantity as an exact fraction.
func (d Dec) Rat() *big.Rat { return big.NewRat(int64(d), DecScale) }

// String formats the quantity without trailing zeros: "24.75", "3", "0.5".
func (d Dec) String() string {
	v := int64(d)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	s := strconv.FormatInt(v/DecScale, 10)
	if f := v % DecScale; f != 0 {
		fs := strconv.FormatInt(f+DecScale, 10)[1:]
		s += "." + strings.TrimRight(fs, "0")
	}
	return sign + s
}

// ParseDec reads a decimal with up to four places.
func ParseDec(s string) (Dec, error) {
	orig := s
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if (whole == "" && frac == "") || len(frac) > 4 || (hasDot && frac == "") || len(whole) > 9 {
		return 0, caremarket.Errorf(caremarket.EINVALID, "%q is not a number with up to four decimal places", orig)
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, caremarket.Errorf(caremarket.EINVALID, "%q is not a number with up to four decimal places", orig)
		}
	}
	var w, f int64
	if whole != "" {
		w, _ = strconv.ParseInt(whole, 10, 64)
	}
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 64)
	}
	v := Dec(w*DecScale + f)
	if neg {
		v = -v
	}
	return v, nil
}

// MarshalJSON writes a Dec as a JSON string ("24.75") so it is exact.
func (d Dec) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "24.75" or 24.75.
func (d *Dec) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := ParseDec(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

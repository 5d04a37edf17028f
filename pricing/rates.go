package pricing

import (
	"encoding/json"
	"math/big"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
)

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

func pad2(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

package procurement

import (
	"strconv"

	"github.com/caremarket/caremarket/money"
)

// MaxValuePence bounds any value of an agreement or contract:
// £10,000,000,000, above the largest council's whole care spend over an
// agreement's life, and far from where sums of pence overflow.
const MaxValuePence int64 = 10_000_000_000_00

// checkValue adds to f, under field, a message naming the bound when v is
// negative or above MaxValuePence; what names the value ("Annual value").
func checkValue(f map[string]string, field, what string, v int64, negativeOK bool) {
	switch {
	case v < 0 && !negativeOK:
		f[field] = what + " must be zero or more"
	case v > MaxValuePence || v < -MaxValuePence:
		f[field] = what + " must be at most " + money.Money(MaxValuePence).Short()
	}
}

// checkValues bounds an agreement's or contract's values and variations.
func checkValues(f map[string]string, annual, lifetime, soFar int64, variations []Variation) {
	checkValue(f, "annual_value_pence", "Annual value", annual, false)
	checkValue(f, "lifetime_value_pence", "Lifetime value", lifetime, false)
	checkValue(f, "value_so_far_pence", "Value so far", soFar, false)
	total := lifetime
	for i, v := range variations {
		checkValue(f, "variations."+strconv.Itoa(i), "A variation's change in value", v.ValueChangePence, true)
		total += v.ValueChangePence // each within ±£10bn: no overflow below 900,000 variations
	}
	if len(variations) > 1000 {
		f["variations"] = "A contract has at most 1,000 variations"
	} else if total > MaxValuePence {
		f["variations"] = "The lifetime value with its variations must be at most " + money.Money(MaxValuePence).Short()
	}
}

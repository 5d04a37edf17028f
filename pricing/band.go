package pricing

import "github.com/caremarket/caremarket/money"

// DefaultTolerance is the guide band a price round uses unless the
// commissioner sets another: ±10% of the guide price.
const DefaultTolerance = BP(1000)

// BandCheck is how a submitted price sits against its guide price.
type BandCheck struct {
	Guide     money.Money `json:"guide_pence"`
	Tolerance BP          `json:"tolerance_bp"`
	Low       money.Money `json:"low_pence"`
	High      money.Money `json:"high_pence"`
	Within    bool        `json:"within"`
	// Deviation is (price - guide) / guide, rounded half-up to a basis point.
	Deviation BP `json:"deviation_bp"`
}

// CheckBand checks price against the band guide ± tolerance. The allowed
// deviation (guide x tolerance) is rounded to the penny once, half-up, and
// Within is decided by the rounded bounds, so the band the page shows is
// exactly the band that is enforced: a price equal to Low or High is inside.
// With no guide price (zero) every price is outside: a price with nothing to
// compare it to needs a reason.
func CheckBand(price, guide money.Money, tolerance BP) BandCheck {
	c := BandCheck{Guide: guide, Tolerance: tolerance}
	if guide <= 0 {
		return c
	}
	allowed := money.Money(roundDiv(int64(guide)*int64(tolerance), 10000))
	c.Low, c.High = guide-allowed, guide+allowed
	c.Within = price >= c.Low && price <= c.High
	c.Deviation = BP(roundDiv((int64(price)-int64(guide))*10000, int64(guide)))
	return c
}

package brokerage

import (
	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/pricing"
)

// CheckBidCost bounds a bid once its basis and weekly cost are known (from
// the requirement): an hourly rate at most £1,000, a weekly price and the
// weekly cost it comes to at most £100,000, each bound named.
func CheckBidCost(b *Bid) error {
	f := map[string]string{}
	if b.Basis == pricing.PerHour {
		pricing.CheckAmount(f, "price_pence", "An hourly rate", b.Price, 0, pricing.MaxHourlyRate)
	}
	if f["price_pence"] == "" {
		pricing.CheckWeeklyCost(f, "price_pence", "The weekly cost of this bid", b.WeeklyCost)
	}
	return caremarket.Invalid(f)
}

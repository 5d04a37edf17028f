package demo

import (
	"slices"

	"github.com/caremarket/caremarket/market"
)

// demoProvider is the provider the demo's provider account works for: one
// that runs a nursing home in Thanet with a nursing vacancy figure, so the
// nursing requirement in Thanet of journey 3 is offered to its own home
// (the brokerage demo makes that home the cheapest there); failing that,
// the first provider.
func demoProvider(m *Market, areaIDs []int64) int64 {
	var thanet int64
	for i, d := range KentDistricts {
		if d.Name == "Thanet" && i < len(areaIDs) {
			thanet = areaIDs[i]
		}
	}
	for _, p := range m.Providers {
		for _, l := range p.Locations {
			if l.Location.AreaID != thanet || !slices.Contains(l.Location.ServiceTypes, market.Nursing) {
				continue
			}
			for _, v := range l.Vacancies {
				if v.ServiceType == market.Nursing {
					return p.Provider.ID
				}
			}
		}
	}
	return m.Providers[0].Provider.ID
}

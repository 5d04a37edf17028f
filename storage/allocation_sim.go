package storage

import (
	"context"
	"math"
	"slices"

	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
)

// SimulatedServices are the service types the allocation simulation
// generates demand for: care homes with and without nursing, and home care.
var SimulatedServices = []market.ServiceType{market.Residential, market.Nursing, market.Homecare}

// SimulationMarket reads the council's market as it stands today for the
// allocation simulation: each simulated service type's lots and candidates
// (vacancies, contracted prices in force, admissions, exclusions), exactly
// as the cascade reads them, and the areas with their borders and the
// postcode districts of their locations. Council staff.
func (db *DB) SimulationMarket(ctx context.Context) (*brokerage.SimMarket, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	areas, err := db.ListAreas(ctx)
	if err != nil {
		return nil, err
	}
	m := &brokerage.SimMarket{Services: map[market.ServiceType]brokerage.Input{}}
	if len(areas) == 0 {
		return m, nil
	}
	outcodes := map[int64][]string{}
	for _, st := range SimulatedServices {
		r := &brokerage.Requirement{ServiceType: st, NeedBand: pricing.StandardBand, AreaID: areas[0].ID, StartDate: db.now()}
		// The whole market: every off-contract location too.
		in, err := db.allocInput(ctx, db.sql, actor.CouncilID, r, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		m.Services[st] = in
		for _, c := range in.Candidates {
			if o := market.Outcode(c.Postcode); o != "" && !slices.Contains(outcodes[c.AreaID], o) {
				outcodes[c.AreaID] = append(outcodes[c.AreaID], o)
			}
		}
	}
	for _, a := range areas {
		sa := brokerage.SimArea{ID: a.ID, Name: a.Name, Outcodes: outcodes[a.ID]}
		slices.Sort(sa.Outcodes)
		for _, n := range a.Neighbours {
			sa.Neighbours = append(sa.Neighbours, n.ID)
		}
		m.Areas = append(m.Areas, sa)
	}
	return m, nil
}

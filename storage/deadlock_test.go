package storage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// Guide-price adoption beside everyday writers. Adopting a cost model, or
// an uplift of guide prices, works out the performance summary again from
// the first of its month, which touches every daily and monthly row of the
// council from then, while acceptances, declines, placement ends and lapsed
// offers each add to one such row.

// adopt (in s) creates a revision of the residential cost model from 1
// March 2026 and adopts it.
func (f *brokerFixture) adopt(s *sweep, revision int) {
	s.try("adopt", func() error {
		m := residentialModel()
		m.Name += fmt.Sprintf(" revision %d", revision)
		m.EffectiveFrom = day(2026, 3, 1)
		if err := f.db.CreateCostModel(f.comm, m); err != nil {
			return err
		}
		_, err := f.db.AdoptCostModel(f.comm, m.ID)
		return err
	})
}

// TestAdoptionBesideAcceptances: six adoptions and an uplift of guide
// prices and placements among 120 acceptances all succeed, whichever way
// their row locks cross.
func TestAdoptionBesideAcceptances(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		homes, pending := f.homesWithOffers(t, 40, 40, time.Hour)
		// Guide prices in force before, for the uplift to raise.
		adoptModel(t, db, f.comm, residentialModel())
		f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for i := range 6 {
				f.adopt(s, i)
			}
			s.try("uplift", func() error {
				u := &pricing.Uplift{Name: "NLW April 2026", EffectiveFrom: day(2026, 3, 2), Guide: true, Placements: true,
					Rule: pricing.UpliftRule{Kind: pricing.UpliftPercent, Percent: 350}}
				_, err := db.ApplyUplift(f.comm, u)
				return err
			})
		})
	})
}

// TestWritersBesideAdoption: acceptances, declines, placement ends, price
// changes and two runs of the expiry job (as two servers' requests would
// start it) run beside two adoptions, and every one of them succeeds.
func TestWritersBesideAdoption(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		homes, pending := f.homesWithOffers(t, 38, 30, time.Hour)
		var placements []*brokerage.Placement
		var toDecline [][]int64
		for _, l := range homes {
			placements = append(placements, f.placed(t, l, 8)...)
			toDecline = append(toDecline, f.seedOffers(t, l, market.Nursing, 10, time.Hour))
			// Lapsed already: the expiry job moves their requirements on.
			f.seedOffers(t, l, market.Nursing, 10, -time.Minute)
		}
		f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for h, l := range homes {
				for _, id := range toDecline[h] {
					s.try("decline", func() error { _, err := db.DeclineOffer(f.provider(l), id, "No nurse cover"); return err })
				}
			}
			for i, p := range placements {
				if i%2 == 0 {
					s.try("end", func() error {
						_, err := db.EndPlacement(f.broker, p.ID, procurement.Date(2026, 3, 20), "Returned home")
						return err
					})
					continue
				}
				s.try("price change", func() error {
					_, err := db.ChangePlacementPrice(f.broker, p.ID, brokerage.PriceChange{WeeklyCost: 975_00, EffectiveFrom: procurement.Date(2026, 3, 10),
						Reason: "Renegotiated"})
					return err
				})
			}
			for range 2 {
				s.try("expire", func() error { _, err := db.ExpireOffers(f.sys); return err })
			}
			for i := range 2 {
				f.adopt(s, i)
			}
		})
	})
}

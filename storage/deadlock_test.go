package storage_test

import (
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestAdoptionBesideAcceptances (PostgreSQL, where writers run side by
// side): adopting a cost model, or an uplift of guide prices and
// placements, works out the performance summary again from the first of its
// month, which touches every daily row of the council from then, while
// acceptances add to those rows. Whichever way their row locks cross, every
// acceptance, adoption and uplift succeeds: none of them gets an error for
// a deadlock the database found between them.
func TestAdoptionBesideAcceptances(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		if db.Driver() != "postgres" {
			t.Skip("SQLite has one writer: two changes never wait for each other")
		}
		f := newBrokerFixture(t, db)
		homes := []*market.Location{f.alpha, f.beta, f.gamma}
		const perHome, adoptions = 40, 6
		var offers [][]int64
		for _, l := range homes {
			if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: l.ID, ServiceType: market.Nursing, Vacancies: perHome}); err != nil {
				t.Fatal(err)
			}
			offers = append(offers, f.seedOffers(t, l, market.Nursing, perHome, time.Hour))
		}
		// Guide prices in force before, for the uplift to raise.
		adoptModel(t, db, f.comm, residentialModel())
		var wg sync.WaitGroup
		errs := make(chan error, len(homes)*perHome+adoptions+1)
		for i, l := range homes {
			for _, id := range offers[i] {
				wg.Go(func() {
					if _, err := db.AcceptOffer(f.provider(l), id); err != nil {
						errs <- err
					}
				})
			}
		}
		for i := range adoptions {
			wg.Go(func() {
				m := residentialModel()
				m.Name = m.Name + " revision " + string(rune('A'+i))
				m.EffectiveFrom = day(2026, 3, 1)
				if err := db.CreateCostModel(f.comm, m); err != nil {
					errs <- err
					return
				}
				if _, err := db.AdoptCostModel(f.comm, m.ID); err != nil {
					errs <- err
				}
			})
		}
		wg.Go(func() {
			u := &pricing.Uplift{Name: "NLW April 2026", EffectiveFrom: day(2026, 3, 2), Guide: true, Placements: true,
				Rule: pricing.UpliftRule{Kind: pricing.UpliftPercent, Percent: 350}}
			if _, err := db.ApplyUplift(f.comm, u); err != nil {
				errs <- err
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if _, b, err := db.VerifyAudit(f.sys); err != nil || b != nil {
			t.Fatalf("audit verify: %v %+v", err, b)
		}
	})
}

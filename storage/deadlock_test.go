package storage_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
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

// TestWritersBesideAcceptances: the everyday writers that share rows with
// acceptances (a provider declining, a broker changing a placement's price
// or ending one, a commissioner adopting guide prices, offers lapsing and
// their requirements moving on) run at the same moment as acceptances, and
// every one of them succeeds.
func TestWritersBesideAcceptances(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		homes := []*market.Location{f.alpha, f.beta, f.gamma}
		const accepts, declines, placed = 30, 10, 8
		var toAccept, toDecline [][]int64
		var placements []int64
		for _, l := range homes {
			if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: l.ID, ServiceType: market.Nursing, Vacancies: accepts + placed}); err != nil {
				t.Fatal(err)
			}
			for _, id := range f.seedOffers(t, l, market.Nursing, placed, time.Hour) {
				p, err := db.AcceptOffer(f.provider(l), id)
				if err != nil {
					t.Fatal(err)
				}
				placements = append(placements, p.ID)
			}
			toAccept = append(toAccept, f.seedOffers(t, l, market.Nursing, accepts, time.Hour))
			toDecline = append(toDecline, f.seedOffers(t, l, market.Nursing, declines, time.Hour))
			// Lapsed already: the expiry job moves their requirements on.
			f.seedOffers(t, l, market.Nursing, declines, -time.Minute)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 1000)
		try := func(what string, run func() error) {
			wg.Go(func() {
				if err := run(); err != nil {
					errs <- fmt.Errorf("%s: %w", what, err)
				}
			})
		}
		for i, l := range homes {
			for _, id := range toAccept[i] {
				try("accept", func() error { _, err := db.AcceptOffer(f.provider(l), id); return err })
			}
			for _, id := range toDecline[i] {
				try("decline", func() error { _, err := db.DeclineOffer(f.provider(l), id, "No nurse cover"); return err })
			}
		}
		for i, id := range placements {
			if i%2 == 0 {
				try("end", func() error {
					_, err := db.EndPlacement(f.broker, id, procurement.Date(2026, 3, 20), "Returned home")
					return err
				})
				continue
			}
			try("price change", func() error {
				_, err := db.ChangePlacementPrice(f.broker, id, brokerage.PriceChange{WeeklyCost: 975_00, EffectiveFrom: procurement.Date(2026, 3, 10),
					Reason: "Renegotiated"})
				return err
			})
		}
		for range 2 { // as two servers' requests would
			try("expire", func() error { _, err := db.ExpireOffers(f.sys); return err })
		}
		for i := range 2 {
			try("adopt", func() error {
				m := residentialModel()
				m.Name += fmt.Sprintf(" revision %d", i)
				m.EffectiveFrom = day(2026, 3, 1)
				if err := db.CreateCostModel(f.comm, m); err != nil {
					return err
				}
				_, err := db.AdoptCostModel(f.comm, m.ID)
				return err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if err := storage.CheckCommitments(f.sys, db); err != nil {
			t.Error(err)
		}
		if _, b, err := db.VerifyAudit(f.sys); err != nil || b != nil {
			t.Fatalf("audit verify: %v %+v", err, b)
		}
	})
}

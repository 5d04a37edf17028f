package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestStoredCommitment: after each kind of write that changes a
// placement's commitment (made, price changed, top-up, ended, uplift,
// handed back, bulk history) the stored months, totals and running totals
// by day are what the pure arithmetic works out from the placements; a
// write that fails midway leaves them as they were; a later year is stored
// when the summary asks for it; and the back-fill at Migrate stores a
// database that had none.
func TestStoredCommitment(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		check := func(after string) {
			t.Helper()
			if err := storage.CheckCommitments(f.sys, db); err != nil {
				t.Fatalf("after %s: %v", after, err)
			}
		}
		check("nothing")
		beta := f.placeBy(t)
		alpha := f.placeBy(t)
		gamma := f.placeBy(t)
		check("placements made")
		if _, err := db.ChangePlacementPrice(f.broker, beta.ID, brokerage.PriceChange{WeeklyCost: 975_00, EffectiveFrom: procurement.Date(2026, 3, 20),
			Reason: "Renegotiated"}); err != nil {
			t.Fatal(err)
		}
		check("a price change")
		if _, err := db.SetTopUp(f.broker, beta.ID, 50_00, "Son"); err != nil {
			t.Fatal(err)
		}
		check("a top-up")
		if _, err := db.EndPlacement(f.broker, alpha.ID, procurement.Date(2026, 3, 31), "Returned home"); err != nil {
			t.Fatal(err)
		}
		check("an end")
		u := &pricing.Uplift{Name: "NLW April 2026", EffectiveFrom: procurement.Date(2026, 4, 6), Placements: true,
			Rule: pricing.UpliftRule{Kind: pricing.UpliftPercent, Percent: 350}}
		if _, err := db.ApplyUplift(f.comm, u); err != nil {
			t.Fatal(err)
		}
		check("an uplift")

		// A failed uplift (the second placement's price fails) changes nothing.
		before, err := storage.CommitmentSnapshot(db)
		if err != nil {
			t.Fatal(err)
		}
		fault(t, db, gamma.ID)
		u2 := &pricing.Uplift{Name: "Inflation 2027", EffectiveFrom: procurement.Date(2027, 4, 5), Placements: true,
			Rule: pricing.UpliftRule{Kind: pricing.UpliftPercent, Percent: 200}}
		if _, err := db.ApplyUplift(f.comm, u2); err == nil {
			t.Fatal("the uplift with a fault midway succeeded")
		}
		unfault(t, db)
		if after, _ := storage.CommitmentSnapshot(db); after != before {
			t.Fatalf("a failed uplift changed the stored commitment:\n%s\nnow\n%s", before, after)
		}

		if _, err := db.HandBackPlacement(f.provider(f.gamma), gamma.ID, 28, "Cannot meet the need"); err != nil {
			t.Fatal(err)
		}
		check("a hand-back")
		end := fday("2026-01-31")
		hs := []storage.HistoryPlacement{
			{CaseRef: "H-1", ServiceType: market.Nursing, ProviderID: f.alpha.ProviderID, LocationID: f.alpha.ID, AreaID: f.thanet.ID, Outcode: "CT9",
				Start: fday("2024-02-10"), End: &end, Prices: []finance.Price{{Weekly: 70001, From: fday("2024-02-10")}, {Weekly: 73503, From: fday("2025-04-07")}}, TopUp: 1234},
			{CaseRef: "H-2", ServiceType: market.Homecare, ProviderID: f.echo.ProviderID, LocationID: f.echo.ID, AreaID: f.thanet.ID, Outcode: "CT9",
				Start: fday("2025-11-03"), Prices: []finance.Price{{Weekly: 35003, From: fday("2025-11-03")}}, MinutesWeek: 600},
		}
		if _, err := storage.LoadPlacementHistory(f.sys, db, hs); err != nil {
			t.Fatal(err)
		}
		check("a history load")

		// The summary agrees with the placements worked out one by one.
		fin := storagetest.As(f.sys, caremarket.RoleFinance, 0)
		for _, y := range []finance.Year{2024, 2025, 2026} {
			want := rollupFromPlacements(t, db, fin, y)
			gs, _, err := db.CommitmentRollup(fin, y, finance.ByProvider)
			if err != nil {
				t.Fatal(err)
			}
			if len(gs) != len(want) {
				t.Fatalf("%s by provider: %+v, worked out %+v", y, gs, want)
			}
			for _, g := range gs {
				if w := want[g.Key]; w.Total != g.Total || w.Months != g.Months || w.TopUp != g.TopUp || w.Placements != g.Placements {
					t.Errorf("%s provider %d: %+v, worked out %+v", y, g.Key, g, w)
				}
			}
		}

		// The median price of the last twelve months' starts, from the
		// buckets, is the one read from every start: prices on either side
		// of bucket edges, starts in the part months at either end.
		var more []storage.HistoryPlacement
		for i := range 300 {
			start := fday("2025-01-01").AddDate(0, 0, i*2)
			w := finance.Money(90_000 + (i*7919)%5000)
			more = append(more, storage.HistoryPlacement{CaseRef: fmt.Sprintf("M-%d", i), ServiceType: market.Nursing, ProviderID: f.beta.ProviderID,
				LocationID: f.beta.ID, AreaID: f.thanet.ID, Outcode: "CT9", Start: start, Prices: []finance.Price{{Weekly: w, From: start}}})
		}
		if _, err := storage.LoadPlacementHistory(f.sys, db, more); err != nil {
			t.Fatal(err)
		}
		check("more history")
		for _, day := range []string{"2025-06-15", "2025-12-31", "2026-01-01", "2026-03-02", "2026-08-20"} {
			b, s, n, err := storage.MedianStarts(fin, db, []market.ServiceType{market.Nursing, market.Homecare}, fday(day))
			if err != nil || b != s || n == 0 {
				t.Errorf("median of %d starts to %s: %s from the buckets, %s from the starts (%v)", n, day, b, s, err)
			}
		}

		// A year past the horizon is stored when asked for, once.
		f.now = time.Date(2027, 5, 1, 9, 0, 0, 0, time.UTC)
		if _, err := db.FinanceSummary(fin, 2028); err != nil {
			t.Fatal(err)
		}
		check("the summary of a later year")

		// A database from before: the back-fill at Migrate stores it, once.
		for _, tb := range []string{"finance_commitments", "finance_commitment_totals", "finance_placements", "finance_day_totals", "finance_horizons", "finance_start_buckets"} {
			if _, err := db.SQL().Exec(`DELETE FROM ` + tb); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			check("the back-fill")
		}
	})
}

// rollupFromPlacements rolls a year up by provider from the placements
// themselves, as the summary did before the commitment was stored.
func rollupFromPlacements(t testing.TB, db *storage.DB, ctx context.Context, y finance.Year) map[int64]finance.Group {
	t.Helper()
	d, err := db.DrillDown(ctx, finance.DrillFilter{Year: y, Page: -1})
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]finance.Placement, 0, len(d.Rows))
	for _, r := range d.Rows {
		ps = append(ps, r.Placement)
	}
	out := map[int64]finance.Group{}
	for _, g := range finance.Rollup(ps, y, finance.KeyFunc(finance.ByProvider, nil)) {
		out[g.Key] = g
	}
	return out
}

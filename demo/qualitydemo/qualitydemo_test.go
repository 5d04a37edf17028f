package qualitydemo_test

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo/demotest"
	"github.com/caremarket/caremarket/quality"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestLoadDemo: Kent has a framework, 40 published visits, open and overdue
// actions, providers on the watch list and performance worked out from the
// brokerage history.
func TestLoadDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the full demo")
	}
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
		start := time.Now()
		_, res := demotest.Load(t, db, now)
		t.Logf("demo loaded in %s", time.Since(start))
		db.Now = func() time.Time { return now }
		ctx := caremarket.NewContext(context.Background(), &caremarket.Actor{Email: "c@kent.example", CouncilID: res.Council.ID, CouncilSlug: "kent", Role: caremarket.RoleCommissioner})
		vs, err := db.ListVisits(ctx, quality.VisitFilter{Status: quality.VisitPublished})
		if err != nil || len(vs) != 40 {
			t.Fatalf("visits %d %v", len(vs), err)
		}
		if vs[len(vs)-1].VisitDate.After(now.AddDate(-1, -10, 0)) {
			t.Errorf("visits do not span two years: oldest %s", vs[len(vs)-1].VisitDate)
		}
		for _, st := range []string{quality.ActionOverdue, quality.ActionOpen, quality.ActionAccepted, quality.ActionEvidenceSubmitted} {
			xs, _ := db.ListActions(ctx, quality.ActionFilter{Status: st})
			t.Logf("%s actions: %d", st, len(xs))
			if st != quality.ActionEvidenceSubmitted && len(xs) == 0 {
				t.Errorf("no %s actions", st)
			}
		}
		watch, _ := db.WatchList(ctx, quality.RiskHigh)
		t.Logf("watch list: %d", len(watch))
		if len(watch) == 0 || len(watch) > 15 {
			t.Errorf("watch list has %d providers", len(watch))
		}
		ms, _ := db.LotMinimums(ctx)
		if len(ms) == 0 {
			t.Fatal("no lot minimum")
		}
		// The nursing lots with a minimum: their history, together.
		offers, responded, priced, providers := 0, 0, 0, 0
		for _, m := range ms {
			lp, err := db.LotPerformance(ctx, m.LotID, now.AddDate(-2, 0, 0), now, "")
			if err != nil {
				t.Fatal(err)
			}
			providers += len(lp.Rows)
			for _, r := range lp.Rows {
				offers += r.Offers
				responded += r.Responded
				priced += r.PricedOffers
			}
		}
		t.Logf("nursing lots: %d providers, %d offers, %d answered, %d priced", providers, offers, responded, priced)
		if offers < 10 || responded == 0 {
			t.Errorf("performance from history: %d offers", offers)
		}
		// Home care hours delivered, from the agencies' call monitoring uploads.
		delivered := 0
		ag, err := db.AgreementByReference(ctx, "KCC-PLACE-2023")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ag.Lots {
			if l.Title != "Homecare" && l.Title != "Home care" {
				continue
			}
			hp, err := db.LotPerformance(ctx, l.ID, now.AddDate(-2, 0, 0), now, "delivered")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range hp.Rows {
				delivered += r.CommissionedMinutes
			}
		}
		if delivered == 0 {
			t.Error("no home care hours delivered in the history")
		}
	})
}

package storage_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestCascadeCacheInvalidation: what the cascade caches is invalidated by
// the database itself. A change made below this server (as another server
// on the same database would make it: raw SQL on another connection) shows
// at the next cascade.
func TestCascadeCacheInvalidation(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		top := func() int64 {
			t.Helper()
			res, err := db.Cascade(f.broker, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if res.Top() == nil {
				return 0
			}
			return res.Top().LocationID
		}
		if got := top(); got != f.beta.ID {
			t.Fatalf("top %d, want beta %d", got, f.beta.ID)
		}
		// Another server rates Beta Inadequate: it drops out here at once.
		if _, err := db.SQL().Exec(`UPDATE locations SET rating = 'inadequate' WHERE id = $1`, f.beta.ID); err != nil {
			t.Fatal(err)
		}
		if got := top(); got != f.alpha.ID {
			t.Fatalf("after the rating change top %d, want alpha %d", got, f.alpha.ID)
		}
		// And its price list changes: Alpha's price is still read from the
		// database's newest figures.
		if _, err := db.SQL().Exec(`UPDATE contracted_prices SET price_pence = 777 WHERE location_id = $1`, f.alpha.ID); err != nil {
			t.Fatal(err)
		}
		res, err := db.Cascade(f.broker, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := res.Find(f.alpha.ID); p == nil || p.Price != 777 {
			t.Fatalf("alpha after the price change: %+v", p)
		}
		if res.DistanceBasis != "district steps" {
			t.Fatalf("distance basis %q without centroids", res.DistanceBasis)
		}

		// Centroids loaded: distance in miles.
		file, err := os.Open("../brokerage/testdata/kent_outcode_centroids.csv")
		if err != nil {
			t.Fatal(err)
		}
		cs, _, err := brokerage.ReadCentroids(file)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ImportCentroids(f.broker, cs); err == nil {
			t.Fatal("a broker loaded centroids")
		}
		if _, err := db.ImportCentroids(f.sys, cs); err != nil {
			t.Fatal(err)
		}
		res, err = db.Cascade(f.broker, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.DistanceBasis != "miles" || res.Top().Miles == nil {
			t.Fatalf("with centroids: basis %q, top %+v", res.DistanceBasis, res.Top())
		}
	})
}

// TestCascadePaging: stage 3 (off contract) is read nearest first as far as
// the page asks; the next page continues the ranks.
func TestCascadePaging(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		for i := 0; i < 30; i++ {
			_, l := seedProvider(t, db, f.sys, fmt.Sprintf("Off %02d", i), fmt.Sprintf("10%05d", i), f.maid, market.Nursing)
			if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: l.ID, ServiceType: market.Nursing, Vacancies: 2}); err != nil {
				t.Fatal(err)
			}
		}
		r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		v, err := db.RequirementViewPage(f.broker, r.ID, brokerage.CascadePage{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		s3 := v.Cascade.Stage(brokerage.StageOffContract)
		// Delta (Thanet, not admitted) first: the person's area before others.
		if len(s3.Eligible) != 10 || !s3.More || s3.Eligible[0].LocationID != f.delta.ID || s3.Eligible[9].Rank != 10 {
			t.Fatalf("first page %d eligible, more %v, first %+v", len(s3.Eligible), s3.More, s3.Eligible[0])
		}
		v, err = db.RequirementViewPage(f.broker, r.ID, brokerage.CascadePage{Offset: 25, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		s3 = v.Cascade.Stage(brokerage.StageOffContract)
		if len(s3.Eligible) != 6 || s3.More || s3.Eligible[0].Rank != 26 || s3.EligibleTotal != 31 {
			t.Fatalf("last page %d eligible (total %d), more %v, first rank %d", len(s3.Eligible), s3.EligibleTotal, s3.More, s3.Eligible[0].Rank)
		}
		// Stages 1 and 2 are whole and paged the same way.
		if s1 := v.Cascade.Stage(brokerage.StageLocal); s1.EligibleTotal != 2 || len(s1.Eligible) != 0 {
			t.Fatalf("stage 1 past its end: %+v", s1)
		}
	})
}

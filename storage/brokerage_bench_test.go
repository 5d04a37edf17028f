package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// National-scale brokerage data: more locations than England's ~27,000
// registered care homes and home care locations, and a contracted price
// history of more than 300,000 rows.
const (
	nationalLocations = 30_000
	// priceRounds is how many price rounds each (location, service type)
	// has a contracted price from: two a year for four years.
	priceRounds = 8
)

// nationalFixture loads the national dataset into db (demo.LoadNational): a
// generated market of nationalLocations locations, its vacancies, its price
// history (demo.GeneratePrices, priceRounds rounds), and one framework whose
// lots (nursing, residential, home care; all areas) admit two providers in
// three. The HTTP load tool, cmd/caremarket-load, loads the same dataset.
func nationalFixture(b *testing.B, db *storage.DB) (context.Context, []market.Area, int) {
	b.Helper()
	n, err := demo.LoadNational(context.Background(), db, "bench", nationalLocations, priceRounds, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return n.System, n.Areas, n.Prices
}

// BenchmarkCascade ranks one requirement against the national dataset:
// storage gathers the candidates (every location offering the service,
// with vacancies, the contracted price in force, admissions, concerns) and
// brokerage.Run ranks them.
//
//	go test -run XXX -bench Cascade -benchtime 20x ./storage/
func BenchmarkCascade(b *testing.B) {
	storagetest.Each(b, func(tb testing.TB, db *storage.DB) {
		b := tb.(*testing.B)
		start := time.Now()
		sys, areas, nPrices := nationalFixture(b, db)
		var locs int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM locations`).Scan(&locs)
		b.Logf("%s: %d locations, %d contracted prices loaded in %v", db.Driver(), locs, nPrices, time.Since(start).Round(time.Millisecond))
		broker := storagetest.As(sys, caremarket.RoleBroker, 0)
		thanet := areas[9]
		for _, st := range []market.ServiceType{market.Nursing, market.Homecare} {
			b.Run(string(st), func(b *testing.B) {
				r := &brokerage.Requirement{ServiceType: st, AreaID: thanet.ID, Outcode: "CT9", StartDate: time.Now().AddDate(0, 0, 7), MinutesPerWeek: 600}
				b.ReportAllocs()
				var res *brokerage.Result
				var took []time.Duration
				for b.Loop() {
					var err error
					t0 := time.Now()
					if res, err = db.CascadePreview(broker, r); err != nil {
						b.Fatal(err)
					}
					took = append(took, time.Since(t0))
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[(len(took)-1)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(took[(99*len(took)+99)/100-1].Microseconds())/1000, "p99-ms")
				n := 0
				for _, s := range res.Stages {
					n += len(s.Eligible) + len(s.Excluded)
				}
				b.ReportMetric(float64(n), "candidates")
				b.Logf("%s %s: %d candidates, stage %d, steps %q", db.Driver(), st, n, res.Current, res.Steps)
			})
		}
	})
}

// BenchmarkCascadeRun is the ranking alone, in memory: 30,000 candidates of
// one service type (every location in the country offering it, an upper
// bound) over 12 areas.
func BenchmarkCascadeRun(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	in := brokerage.Input{ServiceType: market.Nursing, Outcode: "CT9", AreaID: 1, Neighbours: []int64{2, 3},
		Lots: []brokerage.Lot{{ID: 1, AgreementRef: "BENCH", ServiceTypes: []market.ServiceType{market.Nursing}, AreaIDs: []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}}}
	ratings := []market.Rating{market.Outstanding, market.Good, market.Good, market.Good, market.RequiresImprovement, market.Inadequate}
	for i := 0; i < nationalLocations; i++ {
		v := rng.IntN(4)
		c := brokerage.Candidate{LocationID: int64(i + 1), ProviderID: int64(i/2 + 1), AreaID: int64(1 + rng.IntN(12)),
			Postcode: fmt.Sprintf("CT%d 1AA", 1+rng.IntN(21)), Rating: ratings[rng.IntN(len(ratings))], Vacancies: &v,
			Price: money.Money(900_00 + rng.IntN(400_00))}
		if i%3 != 0 {
			c.Admissions = []brokerage.Admission{{LotID: 1, Quality: 5000 + rng.IntN(5000)}}
		}
		in.Candidates = append(in.Candidates, c)
	}
	b.ReportAllocs()
	for b.Loop() {
		brokerage.Run(in)
	}
}

// BenchmarkAcceptOffer measures accepted placements per second: each
// acceptance is the full transaction (offer, vacancy, requirement,
// placement, price history, audit). Offers are seeded in bulk first.
//
//	go test -run XXX -bench AcceptOffer -benchtime 2000x ./storage/
func BenchmarkAcceptOffer(b *testing.B) {
	storagetest.Each(b, func(tb testing.TB, db *storage.DB) {
		b := tb.(*testing.B)
		sys, areas := storagetest.Council(b, db, "bench", "Thanet")
		_, home := seedProvider(b, db, sys, "Big Home", "0000001", areas[0], market.Nursing)
		if err := db.SetVacancy(sys, &market.Vacancy{LocationID: home.ID, ServiceType: market.Nursing, Vacancies: 1}); err != nil {
			b.Fatal(err)
		}
		pctx := storagetest.As(sys, caremarket.RoleProvider, home.ProviderID)
		for _, parallel := range []bool{false, true} {
			name := "serial"
			if parallel {
				name = "parallel"
			}
			b.Run(name, func(b *testing.B) {
				n := b.N
				offers, err := storage.SeedOffers(sys, db, areas[0].ID, home.ID, market.Nursing, n, time.Now().Add(time.Hour))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.SQL().Exec(`UPDATE vacancies SET vacancies = $1 WHERE location_id = $2`, n, home.ID); err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				accept := func() {
					i := next.Add(1) - 1
					if _, err := db.AcceptOffer(pctx, offers[i]); err != nil {
						b.Error(err)
					}
				}
				b.ResetTimer()
				start := time.Now()
				if parallel {
					b.SetParallelism(8)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							accept()
						}
					})
				} else {
					for i := 0; i < n; i++ {
						accept()
					}
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "placements/s")
			})
		}
	})
}

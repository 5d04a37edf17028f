package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
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

// GeneratePrices is the benchmark's contracted price generator: for every
// location and service type of a generated market, one price per round,
// six months apart, rising 2-5% a round from a base by service type. The
// same seed gives the same prices. Rows are (location CQC id, service type,
// effective from, pence).
func GeneratePrices(seed uint64, m *demo.Market, rounds int, first time.Time) []generatedPrice {
	rng := rand.New(rand.NewPCG(seed, seed^0xda942042e4dd58b5))
	base := map[market.ServiceType]int64{market.Residential: 800_00, market.ResidentialHigh: 950_00, market.Nursing: 1050_00, market.NursingHigh: 1200_00,
		market.ResidentialLD: 1500_00, market.ResidentialPD: 1400_00, market.ResidentialMH: 1300_00}
	var out []generatedPrice
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			for _, st := range lp.Location.ServiceTypes {
				price, ok := base[st]
				if !ok {
					price = 22_00 // an hourly rate
				}
				price += int64(rng.IntN(int(price / 5)))
				for r := 0; r < rounds; r++ {
					out = append(out, generatedPrice{lp.Location.CQCLocationID, st, first.AddDate(0, 6*r, 0), price})
					price += price * int64(2+rng.IntN(4)) / 100
				}
			}
		}
	}
	return out
}

type generatedPrice struct {
	cqcID string
	st    market.ServiceType
	from  time.Time
	pence int64
}

// nationalFixture loads the national dataset into db: a generated market,
// its vacancies, its price history, and one framework whose lots (nursing,
// residential, home care; all areas) admit two providers in three.
func nationalFixture(b *testing.B, db *storage.DB) (context.Context, []market.Area, int) {
	names := make([]string, len(demo.KentDistricts))
	for i, d := range demo.KentDistricts {
		names[i] = d.Name
	}
	sys, areas := storagetest.Council(b, db, "bench", names...)
	council := caremarket.ActorFrom(sys).CouncilID
	areaIDs := make([]int64, len(areas))
	byName := map[string]int64{}
	for i, a := range areas {
		areaIDs[i], byName[a.Name] = a.ID, a.ID
	}
	for _, d := range demo.KentDistricts {
		var nb []int64
		for _, br := range demo.KentBorders {
			if br[0] == d.Name {
				nb = append(nb, byName[br[1]])
			}
		}
		if len(nb) > 0 {
			if err := db.SetNeighbours(sys, byName[d.Name], nb); err != nil {
				b.Fatal(err)
			}
		}
	}
	now := time.Now()
	m := demo.GenerateMarket(1, now, nationalLocations, areaIDs)
	bulkLoad(b, db, council, m)

	comm := storagetest.As(sys, caremarket.RoleCommissioner, 0)
	a := &procurement.Agreement{Reference: "NATIONAL", Title: "National bench framework", Type: procurement.ClosedFramework, Regime: procurement.PCR2015,
		LightTouch: true, Start: procurement.Date(now.Year()-1, 1, 1), End: procurement.Date(now.Year()+2, 12, 31)}
	for i, st := range []market.ServiceType{market.Nursing, market.Residential, market.Homecare} {
		a.Lots = append(a.Lots, procurement.Lot{Number: i + 1, Title: st.Label(), ServiceTypes: []market.ServiceType{st}, AreaIDs: areaIDs,
			CallOff: procurement.Either, Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance},
			CallOffTerms: "Terms", Mechanism: "Price, quality, distance"})
	}
	if err := db.CreateAgreement(comm, a); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ts := now.UTC().Truncate(time.Microsecond)
	var window int64
	if err := tx.QueryRow(`INSERT INTO proc_windows (council_id, agreement_id, kind, title, opens_at, deadline, lot_ids, created_at)
		VALUES ($1, $2, 'tender', 'Bench', $3, $3, '[]', $3) RETURNING id`, council, a.ID, ts).Scan(&window); err != nil {
		b.Fatal(err)
	}
	providerIDs := ids(b, tx, `SELECT cqc_provider_id, id FROM providers WHERE council_id = $1`, council)
	locationIDs := ids(b, tx, `SELECT cqc_location_id, id FROM locations WHERE council_id = $1`, council)
	var apps, awards, vacs, prices [][]any
	for i, p := range m.Providers {
		if i%3 == 0 {
			continue
		}
		apps = append(apps, []any{council, window, providerIDs[p.Provider.CQCProviderID], "[]", "submitted", ts, ts, ts})
	}
	insertRows(b, tx, `INSERT INTO applications (council_id, window_id, provider_id, lot_ids, status, submitted_at, created_at, updated_at)`, apps)
	appIDs := map[int64]int64{}
	rows, err := tx.Query(`SELECT provider_id, id FROM applications WHERE window_id = $1`, window)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var p, id int64
		rows.Scan(&p, &id)
		appIDs[p] = id
	}
	rows.Close()
	for _, p := range m.Providers {
		pid := providerIDs[p.Provider.CQCProviderID]
		app, ok := appIDs[pid]
		if !ok {
			continue
		}
		for _, l := range a.Lots {
			awards = append(awards, []any{council, a.ID, window, l.ID, app, pid, 6000 + int(pid%5)*1000, ts})
		}
	}
	insertRows(b, tx, `INSERT INTO awards (council_id, agreement_id, window_id, lot_id, application_id, provider_id, score, decided_at)`, awards)
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			for _, v := range lp.Vacancies {
				vacs = append(vacs, []any{locationIDs[lp.Location.CQCLocationID], council, string(v.ServiceType), v.Vacancies, ts, "bench"})
			}
		}
	}
	insertRows(b, tx, `INSERT INTO vacancies (location_id, council_id, service_type, vacancies, updated_at, updated_by)`, vacs)
	gen := GeneratePrices(1, m, priceRounds, time.Date(now.Year()-3, 4, 1, 0, 0, 0, 0, time.UTC))
	provOf := map[string]int64{}
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			provOf[lp.Location.CQCLocationID] = providerIDs[p.Provider.CQCProviderID]
		}
	}
	for _, g := range gen {
		basis := "week"
		if !g.st.IsBedBased() {
			basis = "hour"
		}
		prices = append(prices, []any{council, provOf[g.cqcID], locationIDs[g.cqcID], string(g.st), pricing.StandardBand, basis, g.pence,
			g.from.Format(time.DateOnly), "submission", ts})
	}
	insertRows(b, tx, `INSERT INTO contracted_prices (council_id, provider_id, location_id, service_type, band, basis, price_pence, effective_from, source, created_at)`, prices)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	refresh := `ANALYZE`
	if db.Driver() == "sqlite" {
		refresh = `PRAGMA optimize = 0x10002`
	}
	if _, err := db.SQL().Exec(refresh); err != nil {
		b.Fatal(err)
	}
	return sys, areas, len(gen)
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
				for b.Loop() {
					var err error
					if res, err = db.CascadePreview(broker, r); err != nil {
						b.Fatal(err)
					}
				}
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
			Price: pricing.Money(900_00 + rng.IntN(400_00))}
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

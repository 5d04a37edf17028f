package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// benchLocations is more than every CQC-registered care home and home care
// location in England (about 27,000) in one council; the demo's Kent has 525.
const benchLocations = 30_000

// BenchmarkLocationSearch measures the registry search a broker runs all day,
// on a register of 30,000 locations:
//
//	go test -run XXX -bench LocationSearch -benchtime 2s ./storage/
//
// Set CAREMARKET_TEST_POSTGRES to include PostgreSQL. Figures go in
// BENCHMARKS.md; compare them as ratios within one run, not across machines.
func BenchmarkLocationSearch(b *testing.B) {
	storagetest.Each(b, func(tb testing.TB, db *storage.DB) {
		b := tb.(*testing.B)
		names := make([]string, len(demo.KentDistricts))
		for i, d := range demo.KentDistricts {
			names[i] = d.Name
		}
		ctx, areas := storagetest.Council(b, db, "bench", names...)
		areaIDs := make([]int64, len(areas))
		for i, a := range areas {
			areaIDs[i] = a.ID
		}
		thanet := areas[9].ID // KentDistricts order
		if areas[9].Name != "Thanet" {
			b.Fatalf("area 9 is %s, want Thanet", areas[9].Name)
		}

		start := time.Now()
		m := demo.GenerateMarket(1, time.Now(), benchLocations, areaIDs)
		bulkLoad(b, db, caremarket.ActorFrom(ctx).CouncilID, m)
		b.Logf("%s: %d providers, %d locations loaded in %v", db.Driver(), len(m.Providers), m.Locations(), time.Since(start).Round(time.Millisecond))
		// In production autovacuum analyses PostgreSQL tables soon after a
		// bulk change, and caremarket runs PRAGMA optimize on SQLite at every
		// start and close; doing the same now measures search as it runs
		// after the next restart, and stops the analysis landing mid-benchmark.
		refresh := `ANALYZE`
		if db.Driver() == "sqlite" {
			refresh = `PRAGMA optimize = 0x10002`
		}
		if _, err := db.SQL().ExecContext(ctx, refresh); err != nil {
			b.Fatal(err)
		}

		tests := []struct {
			name string
			f    market.LocationFilter
		}{
			{"area+service_type", market.LocationFilter{AreaID: thanet, ServiceType: market.Nursing}},
			{"text_query", market.LocationFilter{Query: "oak"}},
			{"rating", market.LocationFilter{Rating: market.RequiresImprovement}},
			{"first_page", market.LocationFilter{}},
		}
		for _, tt := range tests {
			b.Run(tt.name, func(b *testing.B) {
				b.ReportAllocs()
				var total int
				for b.Loop() {
					var err error
					if _, total, err = db.ListLocations(ctx, tt.f); err != nil {
						b.Fatal(err)
					}
				}
				// How many rows matched, so a change in the generator that
				// changes the work done is visible beside the timing.
				b.ReportMetric(float64(total), "matches")
			})
		}
	})
}

// bulkLoad writes a generated market in one transaction with multi-row
// INSERTs (demo.BulkLoadMarket): going through CreateLocation (one audited
// transaction each) would take minutes for 30,000 locations, and the
// benchmark is about reading.
func bulkLoad(b *testing.B, db *storage.DB, council int64, m *demo.Market) {
	b.Helper()
	if err := demo.BulkLoadMarket(context.Background(), db, council, m); err != nil {
		b.Fatal(err)
	}
}

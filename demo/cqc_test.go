package demo_test

import (
	"context"
	"os"
	"testing"

	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/demo/demotest"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// The demo can be built from a CQC directory file: its locations join the
// generated market, placed in Kent's districts by postcode, and the
// generated homes, which CQC does not list, stay registered.
func TestImportDirectory(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx := context.Background()
		kent, _ := demotest.LoadUpTo(t, db, now, demo.StageMarket)
		_, before, err := db.ListLocations(kent, market.LocationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			f, err := os.Open("../market/cqc/testdata/directory_v1.csv")
			if err != nil {
				t.Fatal(err)
			}
			sum, err := demo.ImportDirectory(ctx, db, f, "directory_v1.csv")
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			// SE1 is London: rejected with the fixture's five broken rows.
			if sum.Added+sum.Unchanged != 7 || sum.Rejected != 6 || sum.Deregistered != 0 {
				t.Errorf("import: added %d, unchanged %d, rejected %d, deregistered %d", sum.Added, sum.Unchanged, sum.Rejected, sum.Deregistered)
			}
		}
		_, after, err := db.ListLocations(kent, market.LocationFilter{})
		if err != nil || after != before+7 {
			t.Errorf("%d registered locations after the import, want %d (%v)", after, before+7, err)
		}
		locs, _, err := db.ListLocations(kent, market.LocationFilter{Query: "1-1000000002"})
		if err != nil || len(locs) != 1 || locs[0].AreaName != "Thanet" {
			t.Errorf("Harbour View (CT11): %+v %v", locs, err)
		}
	})
}

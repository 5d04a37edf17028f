package brokerdemo_test

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/demo/demotest"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestLoadDemo: the Kent demo has requirements at every stage of the
// cascade, placements on and off contract, and off-contract placements
// awaiting a move.
func TestLoadDemo(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		ctx, _ := demotest.LoadUpTo(t, db, now, demo.StageBrokerage)
		got, err := brokerdemo.LoadDemo(ctx, db, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Requirements == 0 {
			got2 := got
			t.Logf("already loaded by demo.Load: %+v", got2)
		}
		ps, err := db.ListPlacements(ctx, brokerage.PlacementFilter{})
		if err != nil {
			t.Fatal(err)
		}
		stages := map[brokerage.Stage]int{}
		off := 0
		for _, p := range ps {
			stages[p.Stage]++
			if p.OffContract && p.Status == brokerage.PlacementActive {
				off++
			}
		}
		if stages[1] == 0 || stages[2] == 0 || stages[3] == 0 || off < 2 {
			t.Errorf("placements by stage %v, %d off contract", stages, off)
		}
		rs, err := db.ListRequirements(ctx, brokerage.RequirementFilter{Status: brokerage.StatusOpen})
		if err != nil || len(rs) < 3 {
			t.Errorf("open requirements %d (%v)", len(rs), err)
		}
		cs, _ := db.ListCompetitions(ctx, false)
		if len(cs) != 2 {
			t.Errorf("%d competitions, want 2", len(cs))
		}
		t.Logf("stages %v, off contract %d, open %d, competitions %d", stages, off, len(rs), len(cs))
	})
}

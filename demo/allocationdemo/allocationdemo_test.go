package allocationdemo_test

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo/allocationdemo"
	"github.com/caremarket/caremarket/demo/demotest"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestDemoWave: the demo's discharge wave waits for offers, the broker can
// plan it in one batch, and loading again adds nothing.
func TestDemoWave(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		sys, _ := demotest.Load(t, db, time.Now())
		if n, err := allocationdemo.LoadDemo(sys, db, time.Now()); err != nil || n != 0 {
			t.Fatalf("second load added %d (%v)", n, err)
		}
		broker := storagetest.As(sys, caremarket.RoleBroker, 0)
		b, err := db.PreviewAllocation(broker, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Lines) < 16 || b.Totals.Better(b.OneAtATimeTotals) < 0 {
			t.Fatalf("batch of %d: %+v against %+v", len(b.Lines), b.Totals, b.OneAtATimeTotals)
		}
		t.Logf("batch %+v\none at a time %+v", b.Totals, b.OneAtATimeTotals)
		for _, l := range b.Lines {
			if l.OneAtATime.Stage != 1 || l.Proposed.Stage != 1 {
				t.Logf("%s %s: one at a time %d %s (%s); batch %d %s (%s)", l.CaseReference, l.AreaName, l.OneAtATime.Stage, l.OneAtATime.LocationName,
					l.OneAtATime.AreaName, l.Proposed.Stage, l.Proposed.LocationName, l.Proposed.AreaName)
			}
		}
	})
}

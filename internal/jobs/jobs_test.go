package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caremarket/caremarket/internal/jobs"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestJobRunsOnceAcrossServers: four servers on one database try the same
// daily job at the same moment, many times over; it runs exactly once, and
// again only when its next run is due.
func TestJobRunsOnceAcrossServers(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		now := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		db.Now = clock
		var runs atomic.Int32
		job := jobs.Job{Name: "retention-purge", Every: 24 * time.Hour, Run: func(ctx context.Context) error {
			runs.Add(1)
			return nil
		}}
		var runners []*jobs.Runner
		for i := range 4 {
			runners = append(runners, &jobs.Runner{Store: db, Holder: fmt.Sprintf("server-%d", i), Jobs: []jobs.Job{job},
				Logger: slog.New(slog.DiscardHandler), Now: clock})
		}
		tryAll := func() {
			var wg sync.WaitGroup
			for _, r := range runners {
				for range 5 {
					wg.Add(1)
					go func() { defer wg.Done(); r.RunDue(context.Background()) }()
				}
			}
			wg.Wait()
		}
		// later moves the clock on by d and tries every runner again.
		later := func(d time.Duration) {
			mu.Lock()
			now = now.Add(d)
			mu.Unlock()
			tryAll()
		}
		tryAll()
		if n := runs.Load(); n != 1 {
			t.Fatalf("the job ran %d times on four servers, want once", n)
		}
		later(23 * time.Hour)
		if n := runs.Load(); n != 1 {
			t.Fatalf("the job ran again after 23 hours (%d runs), want once a day", n)
		}
		later(2 * time.Hour)
		if n := runs.Load(); n != 2 {
			t.Fatalf("after a day the job ran %d times in all, want 2", n)
		}
	})
}

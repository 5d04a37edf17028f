package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// financeHistory loads n placements spread over the ten years to now
// (three price rows each: the start price and two uplifts on average) for
// 200 providers in one council, with a budget line per service group.
func financeHistory(tb testing.TB, db *storage.DB, n int, now time.Time) (context.Context, []storage.HistoryPlacement) {
	tb.Helper()
	sys, areas := storagetest.Council(tb, db, "bench", "Thanet", "Canterbury")
	var locs []*market.Location
	for i := 0; i < 200; i++ {
		_, l := seedProvider(tb, db, sys, fmt.Sprintf("Home %d", i), fmt.Sprintf("%07d", i), areas[i%2], market.Nursing, market.Residential)
		locs = append(locs, l)
	}
	for _, l := range []finance.BudgetLine{{Name: "Older people nursing", ServiceTypes: []market.ServiceType{market.Nursing}},
		{Name: "Older people residential", ServiceTypes: []market.ServiceType{market.Residential}}} {
		if err := db.SaveBudgetLine(sys, &l); err != nil {
			tb.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	day0 := now.AddDate(-10, 0, 0)
	hs := make([]storage.HistoryPlacement, 0, n)
	for i := 0; i < n; i++ {
		l := locs[rng.IntN(len(locs))]
		start := day0.AddDate(0, 0, rng.IntN(3650))
		st := market.Nursing
		if i%2 == 0 {
			st = market.Residential
		}
		w := finance.Money(80000 + rng.IntN(60000))
		h := storage.HistoryPlacement{CaseRef: "B-" + strconv.Itoa(i), ServiceType: st, ProviderID: l.ProviderID, LocationID: l.ID, AreaID: l.AreaID,
			Outcode: "CT9", Start: start, Prices: []finance.Price{{Weekly: w, From: start}}}
		for k := 1; k <= 2; k++ {
			h.Prices = append(h.Prices, finance.Price{Weekly: w + finance.Money(k*3000), From: start.AddDate(0, 4*k, 0)})
		}
		if end := start.AddDate(0, 0, int(rng.ExpFloat64()*700)+7); end.Before(now) {
			h.End = &end
		}
		hs = append(hs, h)
	}
	start := time.Now()
	for lo := 0; lo < len(hs); lo += 50_000 {
		if _, err := storage.LoadPlacementHistory(sys, db, hs[lo:min(lo+50_000, len(hs))]); err != nil {
			tb.Fatal(err)
		}
	}
	// Fresh planner statistics, as a server has (Migrate refreshes SQLite's).
	if db.Driver() == "postgres" {
		db.SQL().Exec(`ANALYZE`)
	} else {
		db.SQL().Exec(`PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002`)
	}
	tb.Logf("%s: %d placements, %d price rows loaded in %v", db.Driver(), n, 3*n, time.Since(start).Round(time.Millisecond))
	return sys, hs
}

// BenchmarkImportActuals imports a 100,000-line remittance file (4-weekly
// payments for the live placements) into a council with 30,000
// placements; each round pays another month, so every line is new.
//
//	go test -run XXX -bench ImportActuals -benchtime 3x ./storage/
func BenchmarkImportActuals(b *testing.B) {
	storagetest.Each(b, func(tb testing.TB, db *storage.DB) {
		b := tb.(*testing.B)
		now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		sys, hs := financeHistory(b, db, 30_000, now)
		fin := storagetest.As(sys, caremarket.RoleFinance, 0)
		ids := map[string]int64{}
		rows, _ := db.SQL().Query(`SELECT r.case_reference, pl.id FROM placements pl JOIN care_requirements r ON r.id = pl.requirement_id`)
		for rows.Next() {
			var ref string
			var id int64
			rows.Scan(&ref, &id)
			ids[ref] = id
		}
		rows.Close()
		// Every line pays a four-week period inside a live placement: the
		// most recent period of each placement, then the one before, and so
		// on, until there are 100,000.
		type due struct {
			h *storage.HistoryPlacement
			k int
		}
		var dues []due
		for k := 0; len(dues) < 100_000 && k < 200; k++ {
			for i := range hs {
				h := &hs[i]
				if h.End == nil && !now.AddDate(0, 0, -28*(k+1)-10).Before(h.Start) && len(dues) < 100_000 {
					dues = append(dues, due{h, k})
				}
			}
		}
		file := func(round int) []byte {
			var buf bytes.Buffer
			buf.WriteString("CQC Provider ID,Placement ID,Period From,Period To,Amount,Payment Date\n")
			for _, d := range dues {
				from := now.AddDate(0, 0, -28*(d.k+1)-round)
				fmt.Fprintf(&buf, "1-10%07d,%d,%s,%s,%d.00,%s\n", (d.h.ProviderID-1)%200, ids[d.h.CaseRef], from.Format("02/01/2006"),
					from.AddDate(0, 0, 27).Format("02/01/2006"), 700+round, from.AddDate(0, 0, 35).Format("02/01/2006"))
			}
			return buf.Bytes()
		}
		b.ResetTimer()
		var lines, secs, cpu float64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			f := file(i)
			b.StartTimer()
			start, cpu0 := time.Now(), cpuSeconds()
			rep, err := db.ImportActuals(fin, "bench.csv", "bench", bytes.NewReader(f))
			if err != nil {
				b.Fatal(err)
			}
			secs += time.Since(start).Seconds()
			cpu += cpuSeconds() - cpu0
			lines += float64(rep.Lines)
			if i == 0 {
				b.Logf("%s: %d lines, %d added, %d unmatched, %d paid twice", db.Driver(), rep.Lines, rep.Added, len(rep.Unmatched), len(rep.PaidTwice))
				for _, u := range rep.Unmatched[:min(3, len(rep.Unmatched))] {
					b.Logf("unmatched: %v", u)
				}
			}
		}
		b.ReportMetric(lines/secs, "lines/s")
		// On a machine shared with other work the wall clock mostly
		// measures waiting for a CPU; lines per CPU-second of this process
		// (the client's work, and SQLite's, which runs in it) is what a
		// quiet machine would see.
		b.ReportMetric(lines/cpu, "lines/cpu-s")
	})
}

// cpuSeconds is the CPU time this process has used (user and system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// BenchmarkFinanceSummary is the finance home's summary (commitment by
// budget line and month, actuals, and this year's forecast) over ten years
// of placement history; CAREMARKET_FINANCE_BENCH_PLACEMENTS sets how many
// (default 100,000; the national-scale figure is 1,000,000). Loading the
// history dominates, so each run loads once and times
// CAREMARKET_FINANCE_BENCH_CALLS calls (default 20; run with -benchtime 1x
// so the history is loaded once per database).
//
//	go test -run XXX -bench FinanceSummary -benchtime 1x ./storage/
func BenchmarkFinanceSummary(b *testing.B) {
	n, calls := 100_000, 20
	if v, err := strconv.Atoi(os.Getenv("CAREMARKET_FINANCE_BENCH_PLACEMENTS")); err == nil && v > 0 {
		n = v
	}
	if v, err := strconv.Atoi(os.Getenv("CAREMARKET_FINANCE_BENCH_CALLS")); err == nil && v > 0 {
		calls = v
	}
	storagetest.Each(b, func(tb testing.TB, db *storage.DB) {
		b := tb.(*testing.B)
		now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		sys, _ := financeHistory(b, db, n, now)
		fin := storagetest.As(sys, caremarket.RoleFinance, 0)
		var ds []time.Duration
		b.ResetTimer()
		for i := 0; i < max(b.N, calls); i++ {
			start := time.Now()
			s, err := db.FinanceSummary(fin, 2026)
			if err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(start))
			if i == 0 {
				b.Logf("%s: first call %v; committed %s, forecast %s over %d placements", db.Driver(), ds[0].Round(time.Millisecond), s.Total.Committed,
					s.Total.Forecast, s.Total.Placements)
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(ds[min(len(ds)-1, len(ds)*95/100)].Microseconds())/1000, "p95-ms")
		b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "max-ms")
	})
}

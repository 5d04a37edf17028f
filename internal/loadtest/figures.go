package loadtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/internal/cputime"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
)

// The figures besides HTTP scenarios, measured in the same run on the same
// database so they compare: the machine, the disk's pace (a bare durable
// transaction), the cascade in-process and acceptance in-process.

// Machine is what the run ran on: a run compares with another only on the
// same machine under a similar load.
type Machine struct {
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	// LoadStart and LoadEnd are /proc/loadavg's 1, 5 and 15 minute
	// averages at the start and end of the run ("" where there is none).
	LoadStart string `json:"load_average_start"`
	LoadEnd   string `json:"load_average_end"`
}

func machine() Machine {
	return Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAverage()}
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Raw is the database's durable-commit rate with caremarket's connection
// settings: one UPDATE and one INSERT, then commit (storage.RawDurable).
type Raw struct {
	Transactions int     `json:"transactions"`
	Serial       float64 `json:"serial_per_second"`
	Parallel     float64 `json:"parallel_per_second"`
	Workers      int     `json:"parallel_workers"`
}

// CascadeFigure is the in-process cascade (DB.CascadePreview) for one
// requirement, timed call by call.
type CascadeFigure struct {
	ServiceType market.ServiceType `json:"service_type"`
	Area        string             `json:"area"`
	Calls       int                `json:"calls"`
	P50         time.Duration      `json:"p50_ns"`
	P99         time.Duration      `json:"p99_ns"`
	Max         time.Duration      `json:"max_ns"`
	// CPU is the process's CPU time per call: on a busy machine, what the
	// call costs when it gets the processor.
	CPU time.Duration `json:"cpu_per_call_ns,omitempty"`
}

// AcceptFigure is acceptance in-process (DB.AcceptOffer), serial and from
// concurrent goroutines.
type AcceptFigure struct {
	Offers   int     `json:"offers"`
	Serial   float64 `json:"serial_placements_per_second"`
	Parallel float64 `json:"parallel_placements_per_second"`
	Workers  int     `json:"parallel_workers"`
}

func measureRaw(ctx context.Context, db *storage.DB, n, workers int) (*Raw, error) {
	r := &Raw{Transactions: n, Workers: workers}
	var err error
	if r.Serial, err = storage.RawDurable(ctx, db, n, 1); err != nil {
		return nil, err
	}
	if r.Parallel, err = storage.RawDurable(ctx, db, n, workers); err != nil {
		return nil, err
	}
	return r, nil
}

func measureCascade(ctx context.Context, db *storage.DB, nat *demo.National, calls int) ([]CascadeFigure, error) {
	broker := caremarket.NewContext(nat.System, &caremarket.Actor{Email: "broker@load", CouncilID: caremarket.ActorFrom(nat.System).CouncilID,
		CouncilSlug: caremarket.ActorFrom(nat.System).CouncilSlug, Role: caremarket.RoleBroker})
	thanet := nat.Areas[9]
	var out []CascadeFigure
	for _, st := range []market.ServiceType{market.Nursing, market.Homecare} {
		r := &brokerage.Requirement{ServiceType: st, AreaID: thanet.ID, Outcode: "CT9", StartDate: time.Now().AddDate(0, 0, 7), MinutesPerWeek: 600}
		// The first call fills the cache; the figures are of the calls after.
		if _, err := db.CascadePreview(broker, r); err != nil {
			return nil, err
		}
		ds := make([]time.Duration, 0, calls)
		cpu0 := cputime.Process()
		for i := 0; i < calls; i++ {
			t0 := time.Now()
			if _, err := db.CascadePreview(broker, r); err != nil {
				return nil, err
			}
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		cpu := (cputime.Process() - cpu0) / time.Duration(calls)
		out = append(out, CascadeFigure{ServiceType: st, Area: thanet.Name, Calls: calls, P50: percentile(ds, 50), P99: percentile(ds, 99), Max: ds[len(ds)-1], CPU: cpu})
	}
	return out, nil
}

// measureAccept accepts the offers serially, then pool2 from workers
// goroutines.
func measureAccept(ctx context.Context, db *storage.DB, pctx context.Context, serial, parallel []int64, workers int) (*AcceptFigure, error) {
	f := &AcceptFigure{Offers: len(serial) + len(parallel), Workers: workers}
	run := func(ids []int64, w int) (float64, error) {
		var next atomic.Int64
		var wg sync.WaitGroup
		var firstErr error
		var once sync.Once
		start := time.Now()
		for i := 0; i < w; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j := int(next.Add(1) - 1)
					if j >= len(ids) || ctx.Err() != nil {
						return
					}
					if _, err := db.AcceptOffer(pctx, ids[j]); err != nil {
						once.Do(func() { firstErr = err })
						return
					}
				}
			}()
		}
		wg.Wait()
		return float64(len(ids)) / time.Since(start).Seconds(), firstErr
	}
	var err error
	if f.Serial, err = run(serial, 1); err != nil {
		return nil, fmt.Errorf("in-process acceptance: %w", err)
	}
	if f.Parallel, err = run(parallel, workers); err != nil {
		return nil, fmt.Errorf("in-process acceptance: %w", err)
	}
	return f, nil
}

// Goal is one of the figures' targets and whether the run met it.
type Goal struct {
	What   string `json:"what"`
	Target string `json:"target"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
}

func (r *Report) goals() []Goal {
	var g []Goal
	add := func(what, target, got string, met bool) { g = append(g, Goal{what, target, got, met}) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	for _, c := range r.Cascade {
		add("in-process cascade p99, "+string(c.ServiceType), "<= 10 ms", ms(c.P99), c.P99 <= 10*time.Millisecond)
	}
	if a := r.InProcessAccept; a != nil {
		add("in-process acceptance, parallel vs serial", ">= serial", fmt.Sprintf("%.0f vs %.0f /s", a.Parallel, a.Serial), a.Parallel >= a.Serial)
	}
	for _, s := range r.Scenarios {
		switch s.Name {
		case Rank:
			add("HTTP rank throughput", ">= 150 req/s", fmt.Sprintf("%.1f req/s", s.PerSecond), s.PerSecond >= 150)
			add("HTTP rank p99", "<= 250 ms", ms(s.P99), s.P99 <= 250*time.Millisecond)
			add("HTTP rank response", "<= 100 KB", fmt.Sprintf("%.1f KB", float64(s.MeanBytes)/1000), s.MeanBytes <= 100_000)
		case Accept:
			want := 1000.0
			if r.Driver == "postgres" {
				want = 500
			}
			ratio := 0.0
			got := fmt.Sprintf("%.0f/s (raw rate not measured)", s.PlacementsPerSec)
			if r.Raw != nil && r.Raw.Serial > 0 {
				ratio = s.PlacementsPerSec / r.Raw.Serial
				got = fmt.Sprintf("%.0f/s (%.0f%% of raw %.0f/s)", s.PlacementsPerSec, 100*ratio, r.rawSerial())
			}
			add("HTTP acceptance", fmt.Sprintf(">= %.0f/s, or >= 35%% of the raw durable rate", want), got, s.PlacementsPerSec >= want || ratio >= 0.35)
			add("HTTP acceptance p99", "<= 100 ms", ms(s.P99), s.P99 <= 100*time.Millisecond)
		}
	}
	return g
}

func (r *Report) rawSerial() float64 {
	if r.Raw == nil {
		return 0
	}
	return r.Raw.Serial
}

// writeFigures writes the machine, raw, in-process figures and goals.
func (r *Report) writeFigures(w io.Writer) {
	fmt.Fprintf(w, "machine: %d cores, %s; load average %s at start, %s at end\n", r.Machine.Cores, r.Machine.GoVersion, r.Machine.LoadStart, r.Machine.LoadEnd)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	if r.Raw != nil {
		fmt.Fprintf(w, "\nraw durable transaction (UPDATE + INSERT, commit), %d each: serial %.0f/s, %d workers %.0f/s\n",
			r.Raw.Transactions, r.Raw.Serial, r.Raw.Workers, r.Raw.Parallel)
	}
	for _, c := range r.Cascade {
		fmt.Fprintf(w, "in-process cascade, %s in %s, %d calls: p50 %s, p99 %s, max %s; cpu %s a call\n", c.ServiceType, c.Area, c.Calls,
			ms(c.P50), ms(c.P99), ms(c.Max), ms(c.CPU))
	}
	if a := r.InProcessAccept; a != nil {
		fmt.Fprintf(w, "in-process acceptance, %d offers: serial %.0f placements/s, %d goroutines %.0f placements/s\n", a.Offers, a.Serial, a.Workers, a.Parallel)
	}
}

func (r *Report) writeGoals(w io.Writer) {
	if len(r.Goals) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-45s %-48s %-28s %s\n", "goal", "target", "this run", "met")
	for _, g := range r.Goals {
		met := "no"
		if g.Met {
			met = "yes"
		}
		fmt.Fprintf(w, "%-45s %-48s %-28s %s\n", g.What, g.Target, g.Got, met)
	}
}

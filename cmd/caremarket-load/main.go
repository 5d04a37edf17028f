// Command caremarket-load measures the brokerage API over HTTP under
// concurrent load, against a national-scale dataset (by default 30,000
// locations and 371,344 contracted prices, demo.LoadNational) in a fresh
// database: brokers ranking a requirement (GET
// /api/v1/requirements/{id}/cascade) and providers accepting offers (POST
// /api/v1/offers/{id}/accept). It reports requests, errors by status,
// requests per second and exact latency percentiles per scenario, and
// accepted placements per second.
//
//	go run ./cmd/caremarket-load                       # SQLite in a temporary file
//	go run ./cmd/caremarket-load --database-url postgres://postgres@127.0.0.1:5432/postgres
//
// The real server runs in-process on 127.0.0.1:0, or --url targets one
// already running on a loopback address (never anything else).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/caremarket/caremarket/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "caremarket-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("caremarket-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "PostgreSQL server URL: the dataset goes into a fresh schema, dropped afterwards (default: SQLite in a temporary file)")
	fs.StringVar(&cfg.SQLitePath, "sqlite", "", "SQLite file to load into (with --url: the target server's database)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the temporary database or schema")
	fs.StringVar(&cfg.URL, "url", "", "target a caremarket already serving on a loopback address (127.0.0.0/8, ::1, localhost) instead of starting one in-process")
	fs.IntVar(&cfg.Locations, "locations", 30_000, "locations to generate")
	fs.IntVar(&cfg.Prices, "prices", 350_000, "at least this many contracted prices (whole price rounds; the default gives 30,000 locations 8 rounds, 371,344 prices)")
	scenarios := fs.String("scenarios", "rank,accept-serial,accept", "comma-separated scenarios to run, in order: rank, accept-serial (one worker), accept")
	fs.BoolVar(&cfg.RawOnly, "raw", false, "measure only the raw durable-transaction rate on the database (no dataset, no server)")
	fs.IntVar(&cfg.RawTransactions, "raw-transactions", 2000, "bare durable transactions (UPDATE + INSERT, commit) measuring the disk's pace, serially and from --concurrency workers, before the scenarios (0: skip)")
	fs.BoolVar(&cfg.InProcess, "in-process", true, "also time the cascade and acceptance in-process on the same database")
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, "concurrent workers")
	fs.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long each scenario runs")
	fs.IntVar(&cfg.Requests, "requests", 0, "requests per scenario (instead of --duration)")
	fs.IntVar(&cfg.Requirements, "requirements", 24, "open requirements the rank scenario cycles through")
	fs.IntVar(&cfg.Offers, "offers", 10_000, "pending offers seeded for the accept scenario (each accepted at most once)")
	fs.IntVar(&cfg.Vacancies, "vacancies", 0, "vacancies at the home the offers are for (default: one per offer; fewer, and later acceptances get 409)")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "timeout of one request")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the scenarios (and the dataset load) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for _, s := range strings.Split(*scenarios, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Scenarios = append(cfg.Scenarios, s)
		}
	}
	rep, err := loadtest.Run(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.WriteText(stdout)
	return nil
}

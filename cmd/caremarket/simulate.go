package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("simulate allocation", "replay generated demand against a council's market: the cascade one at a time against a daily batch", simulateAllocation)
}

func simulateAllocation(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("simulate allocation", stderr)
	days := fs.Int("days", 30, "days to simulate (1 to 90)")
	seed := fs.Uint64("seed", 1, "seed of the generated demand: the same seed gives the same run")
	arrivals := fs.Float64("arrivals", 0, "mean new requirements a day (0: worked out from the market, a little above what frees up)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return caremarket.Errorf(caremarket.EINVALID, "unexpected argument %q", fs.Arg(0))
	}
	return d.with(ctx, func(ctx context.Context, db *storage.DB) error {
		m, err := db.SimulationMarket(ctx)
		if err != nil {
			return err
		}
		start := time.Now()
		res, err := brokerage.Simulate(ctx, m, brokerage.SimOptions{Days: *days, Seed: *seed, ArrivalsPerDay: *arrivals})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, res)
		}
		fmt.Fprintf(stdout, "%s: %d days, seed %d, %.1f new requirements a day on average (simulated in %v)\n\n", d.council, res.Days, res.Seed,
			res.ArrivalsPerDay, time.Since(start).Round(time.Millisecond))
		writeSimTable(stdout, res)
		return nil
	})
}

func writeSimTable(w io.Writer, res *brokerage.SimResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	sides := []*brokerage.SimSide{&res.OneAtATime, &res.Batch, &res.BatchOnContract}
	row := func(label string, cell func(s *brokerage.SimSide) string) {
		fmt.Fprint(tw, label)
		for _, s := range sides {
			fmt.Fprint(tw, "\t"+cell(s))
		}
		fmt.Fprintln(tw)
	}
	pct := func(n func(s *brokerage.SimSide) int) func(s *brokerage.SimSide) string {
		return func(s *brokerage.SimSide) string { return fmt.Sprintf("%d (%.1f%%)", n(s), 100*s.Share(n(s))) }
	}
	row("", func(s *brokerage.SimSide) string { return s.Name })
	row("requirements", func(s *brokerage.SimSide) string { return fmt.Sprint(s.Requirements) })
	row("own area, on contract", pct(func(s *brokerage.SimSide) int { return s.OwnArea }))
	row("neighbouring area, on contract", pct(func(s *brokerage.SimSide) int { return s.Neighbouring }))
	row("off contract", pct(func(s *brokerage.SimSide) int { return s.OffContract }))
	row("unplaced at the end", pct(func(s *brokerage.SimSide) int { return s.Unplaced }))
	row("days spent waiting", func(s *brokerage.SimSide) string { return fmt.Sprint(s.Waits) })
	row("total weekly cost (priced places)", func(s *brokerage.SimSide) string { return fmt.Sprintf("%s (+%d unpriced)", s.WeeklyCost, s.NoPrice) })
	row("mean distance (district steps)", func(s *brokerage.SimSide) string { return fmt.Sprintf("%.2f", s.MeanDistance) })
	row("most placements to one provider", func(s *brokerage.SimSide) string {
		return fmt.Sprintf("%.1f%% (%.1f%% of places)", 100*s.TopProviderShare, 100*s.TopCapacityShare)
	})
	row("  that provider", func(s *brokerage.SimSide) string { return s.TopProvider })
	tw.Flush()
}

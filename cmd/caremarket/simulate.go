package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

func init() {
	register("simulate allocation", "replay generated demand against a council's market: the cascade one at a time against a daily batch", simulateAllocation)
}

func simulateAllocation(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate allocation", stderr)
	var d dbFlags
	d.register(fs)
	council := fs.String("council", "", "council slug (required)")
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
	db, ctx, err := d.openCouncil(ctx, *council)
	if err != nil {
		return err
	}
	defer db.Close()
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
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(stdout, "%s: %d days, seed %d, %.1f new requirements a day on average (simulated in %v)\n\n", *council, res.Days, res.Seed,
		res.ArrivalsPerDay, time.Since(start).Round(time.Millisecond))
	writeSimTable(stdout, res)
	return nil
}

func writeSimTable(w io.Writer, res *brokerage.SimResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	a, b := &res.OneAtATime, &res.Batch
	pct := func(s *brokerage.SimSide, n int) string { return fmt.Sprintf("%d (%.1f%%)", n, 100*s.Share(n)) }
	fmt.Fprintf(tw, "\t%s\t%s\n", a.Name, b.Name)
	fmt.Fprintf(tw, "requirements\t%d\t%d\n", a.Requirements, b.Requirements)
	fmt.Fprintf(tw, "own area, on contract\t%s\t%s\n", pct(a, a.OwnArea), pct(b, b.OwnArea))
	fmt.Fprintf(tw, "neighbouring area, on contract\t%s\t%s\n", pct(a, a.Neighbouring), pct(b, b.Neighbouring))
	fmt.Fprintf(tw, "off contract\t%s\t%s\n", pct(a, a.OffContract), pct(b, b.OffContract))
	fmt.Fprintf(tw, "unplaced at the end\t%s\t%s\n", pct(a, a.Unplaced), pct(b, b.Unplaced))
	fmt.Fprintf(tw, "days spent waiting\t%d\t%d\n", a.Waits, b.Waits)
	fmt.Fprintf(tw, "total weekly cost (priced places)\t%s (%d without a price)\t%s (%d without a price)\n", a.WeeklyCost, a.NoPrice, b.WeeklyCost, b.NoPrice)
	fmt.Fprintf(tw, "mean distance (district steps)\t%.2f\t%.2f\n", a.MeanDistance, b.MeanDistance)
	fmt.Fprintf(tw, "most placements to one provider\t%.1f%% to %s (%.1f%% of places)\t%.1f%% to %s (%.1f%% of places)\n",
		100*a.TopProviderShare, a.TopProvider, 100*a.TopCapacityShare, 100*b.TopProviderShare, b.TopProvider, 100*b.TopCapacityShare)
	tw.Flush()
}

package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// The allocation simulation page: the council's market today, a generated
// month of demand, the cascade one at a time against a daily batch, as a
// table and a chart. It runs on demand with a fixed seed, bounded in time.

// SimulationMarketStore reads the market the simulation replays.
type SimulationMarketStore interface {
	SimulationMarket(ctx context.Context) (*brokerage.SimMarket, error)
}

// simulationTimeout bounds a run made for a page.
const simulationTimeout = 20 * time.Second

type simBar struct {
	Label    string
	Y, TextY int
	Segments []simSegment
}

type simSegment struct {
	X, W  int
	Class string // fill colour
	Title string
}

type simChart struct {
	Width, Height int
	LegendY       int
	Bars          []simBar
	Desc          string
}

const simChartLeft, simChartWidth = 200, 720

func simulationChart(res *brokerage.SimResult) *simChart {
	c := &simChart{Width: simChartWidth, Height: 200, LegendY: 175}
	var desc []string
	for i, s := range []*brokerage.SimSide{&res.OneAtATime, &res.Batch, &res.BatchOnContract} {
		y := 20 + i*50
		bar := simBar{Label: s.Name, Y: y, TextY: y + 20}
		x := simChartLeft
		parts := []struct {
			n           int
			fill, label string
		}{{s.OwnArea, "#00703c", "own area on contract"}, {s.Neighbouring, "#ffdd00", "neighbouring area on contract"},
			{s.OffContract, "#d4351c", "off contract"}, {s.Unplaced, "#505a5f", "unplaced"}}
		var words []string
		for _, p := range parts {
			w := 0
			if s.Requirements > 0 {
				w = p.n * (simChartWidth - simChartLeft - 10) / s.Requirements
			}
			title := fmt.Sprintf("%s: %d (%.1f%%)", p.label, p.n, 100*s.Share(p.n))
			bar.Segments = append(bar.Segments, simSegment{X: x, W: w, Class: p.fill, Title: title})
			words = append(words, title)
			x += w
		}
		desc = append(desc, s.Name+": "+strings.Join(words, ", "))
		c.Bars = append(c.Bars, bar)
	}
	c.Desc = strings.Join(desc, ". ")
	return c
}

func (s *Server) allocationSimulationPage(w http.ResponseWriter, r *http.Request) error {
	a := caremarket.ActorFrom(r.Context())
	if !a.Is(caremarket.CouncilStaff...) {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Page not found")
	}
	q := r.URL.Query()
	f := map[string]string{}
	days, seed := 30, uint64(1)
	if v := strings.TrimSpace(q.Get("days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > brokerage.MaxSimDays {
			f["days"] = "Enter the days to simulate, a whole number from 1 to 90"
		} else {
			days = n
		}
	}
	if v := strings.TrimSpace(q.Get("seed")); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			f["seed"] = "Enter the seed as a whole number, like 1"
		} else {
			seed = n
		}
	}
	data := map[string]any{"Days": strconv.Itoa(days), "Seed": strconv.FormatUint(seed, 10)}
	if err := caremarket.Invalid(f); err != nil {
		data["Days"], data["Seed"] = q.Get("days"), q.Get("seed")
		s.render(w, r, http.StatusBadRequest, "allocation_simulation", "Allocation simulation", data, err)
		return nil
	}
	m, err := s.Store.SimulationMarket(r.Context())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), simulationTimeout)
	defer cancel()
	start := time.Now()
	res, err := brokerage.Simulate(ctx, m, brokerage.SimOptions{Days: days, Seed: seed})
	if err != nil {
		return err
	}
	data["Result"], data["Chart"], data["Took"] = res, simulationChart(res), time.Since(start).Round(time.Millisecond).String()
	data["Rows"] = simRows(res)
	s.render(w, r, http.StatusOK, "allocation_simulation", "Allocation simulation", data, nil)
	return nil
}

// simRow is a measure for each side: one at a time, the daily batch, the
// daily batch on contract first.
type simRow struct {
	Label string
	Cells []string
}

func simRows(res *brokerage.SimResult) []simRow {
	sides := []*brokerage.SimSide{&res.OneAtATime, &res.Batch, &res.BatchOnContract}
	row := func(label string, cell func(s *brokerage.SimSide) string) simRow {
		r := simRow{Label: label}
		for _, s := range sides {
			r.Cells = append(r.Cells, cell(s))
		}
		return r
	}
	pct := func(n func(s *brokerage.SimSide) int) func(s *brokerage.SimSide) string {
		return func(s *brokerage.SimSide) string { return fmt.Sprintf("%d (%.1f%%)", n(s), 100*s.Share(n(s))) }
	}
	return []simRow{
		row("Requirements", func(s *brokerage.SimSide) string { return strconv.Itoa(s.Requirements) }),
		row("Contracted providers in the person's area", pct(func(s *brokerage.SimSide) int { return s.OwnArea })),
		row("Contracted providers in neighbouring areas", pct(func(s *brokerage.SimSide) int { return s.Neighbouring })),
		row("Off-contract providers (temporary)", pct(func(s *brokerage.SimSide) int { return s.OffContract })),
		row("Still without a place at the end", pct(func(s *brokerage.SimSide) int { return s.Unplaced })),
		row("Days people spent waiting for a place", func(s *brokerage.SimSide) string { return strconv.Itoa(s.Waits) }),
		row("Total weekly cost of the placements made", func(s *brokerage.SimSide) string {
			out := s.WeeklyCost.String()
			if s.NoPrice > 0 {
				out += fmt.Sprintf(", and %d places without an agreed price", s.NoPrice)
			}
			return out
		}),
		row("Mean distance (postcode district steps)", func(s *brokerage.SimSide) string { return fmt.Sprintf("%.2f", s.MeanDistance) }),
		row("Most placements to one provider", func(s *brokerage.SimSide) string {
			if s.TopProvider == "" {
				return "None"
			}
			return fmt.Sprintf("%.1f%% to %s, which had %.1f%% of the free places", 100*s.TopProviderShare, s.TopProvider, 100*s.TopCapacityShare)
		}),
	}
}

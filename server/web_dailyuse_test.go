package server

import (
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
)

func TestLabelsAndWords(t *testing.T) {
	for in, want := range map[string]string{
		"residential_ld": "Residential (learning disability)",
		"2026-11":        "November 2026",
		"2026-12-05":     "5 December 2026",
		"handed_back":    "Handed back",
		"open":           "Open",
		"":               "",
	} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
	if got := label(procurement.Draft); got != "Draft" {
		t.Errorf("label(procurement.Draft) = %q", got)
	}
	if got := label(market.Nursing); got != "Nursing" {
		t.Errorf("label(market.Nursing) = %q", got)
	}
	if got := roleWithArticle(caremarket.RoleAdmin); got != "an administrator" {
		t.Errorf("roleWithArticle(admin) = %q", got)
	}
}

func TestFunnelAndOutcomes(t *testing.T) {
	c := funnelOf(&procurement.Funnel{Submitted: 108, PassedSelection: 93, PassedQualityFirst: 63, PassedQuality: 83, Awarded: 83})
	if c == nil || len(c.Steps) != 5 {
		t.Fatalf("funnel = %+v", c)
	}
	for i, want := range []struct{ of, drop int }{{100, 0}, {86, 14}, {58, 32}, {77, 11}, {77, 0}} {
		if s := c.Steps[i]; s.OfSubmitted != want.of || s.DropOff != want.drop {
			t.Errorf("step %d %s: %d%% of submitted, %d%% dropped; want %d%%, %d%%", i, s.Label, s.OfSubmitted, s.DropOff, want.of, want.drop)
		}
	}
	if funnelOf(&procurement.Funnel{}) != nil {
		t.Error("a funnel of no applications is drawn")
	}
	results := []procurement.Result{{ApplicationID: 1, Selection: procurement.Pass, Quality: procurement.Pass},
		{ApplicationID: 2, Selection: procurement.Fail}, {ApplicationID: 3, Selection: procurement.Pass, Quality: procurement.Fail}}
	if got := applicationOutcomes(results, nil); len(got) != 0 {
		t.Errorf("outcomes before any award: %v", got)
	}
	got := applicationOutcomes(results, []procurement.Award{{ApplicationID: 1}})
	if got[1] != "Awarded" || got[2] != "Not awarded: did not pass selection" || got[3] != "Not awarded: did not pass quality" {
		t.Errorf("outcomes = %v", got)
	}
}

func TestBoxChartsByUnit(t *testing.T) {
	groups := []pricing.GroupStats{
		{ServiceType: market.Nursing, AreaName: "Thanet", Stats: pricing.Stats{Count: 3, Min: 900_00, Q1: 950_00, Median: 1000_00, Q3: 1050_00, Max: 1100_00}},
		{ServiceType: market.Homecare, AreaName: "Thanet", Stats: pricing.Stats{Count: 3, Min: 24_00, Q1: 25_00, Median: 26_00, Q3: 27_00, Max: 28_00}},
	}
	cs := boxCharts(groups)
	if len(cs) != 2 || cs[0].ID != "weekly" || cs[1].ID != "hourly" {
		t.Fatalf("charts = %+v", cs)
	}
	// The hourly chart's scale is pounds an hour, not the weekly £0-£2,000.
	if last := cs[1].Ticks[len(cs[1].Ticks)-1].Label; last == cs[0].Ticks[len(cs[0].Ticks)-1].Label {
		t.Errorf("weekly and hourly prices share a scale ending %s", last)
	}
	if cs[0].TopTickY <= 0 || cs[0].TickY <= cs[0].PlotBottom {
		t.Errorf("axis labels at %d (top) and %d (bottom), plot %d", cs[0].TopTickY, cs[0].TickY, cs[0].PlotBottom)
	}
}

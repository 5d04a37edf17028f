package server

import (
	"github.com/caremarket/caremarket/pricing"
)

// unitChart is the variation chart of the prices of one unit: weekly
// prices (care homes) and hourly rates (care at home) are never drawn on
// the same axis.
type unitChart struct {
	*boxPlot
	ID, Title string
}

// boxCharts splits the groups by how their service type is priced and
// draws a chart for each, weekly first.
func boxCharts(groups []pricing.GroupStats) []unitChart {
	var weekly, hourly []pricing.GroupStats
	for _, g := range groups {
		if pricing.BasisFor(g.ServiceType) == pricing.PerHour {
			hourly = append(hourly, g)
		} else {
			weekly = append(weekly, g)
		}
	}
	var out []unitChart
	if p := boxChart(weekly); p != nil {
		out = append(out, unitChart{boxPlot: p, ID: "weekly", Title: "Weekly prices a bed"})
	}
	if p := boxChart(hourly); p != nil {
		out = append(out, unitChart{boxPlot: p, ID: "hourly", Title: "Hourly rates"})
	}
	return out
}

package server

import (
	"fmt"
	"strings"

	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// Server-rendered SVG charts for the price variation page. Coordinates are
// worked out here in integers so the template only draws; the page's tables
// carry the same figures as the charts' text alternative.

const (
	chartWidth  = 720
	chartLeft   = 220 // room for the row labels
	chartRight  = 20
	boxRowH     = 28
	chartTop    = 36 // room for the axis labels at the top
	chartBottom = 36
	// maxBoxRows bounds the groups drawn: every service type in each of a
	// large council's districts.
	maxBoxRows = 160
)

type boxRow struct {
	// Heading rows name the service type of the rows below them, so row
	// labels are only the district and fit beside the plot.
	Heading                    bool
	Label                      string
	Y, TextY, BoxY, BoxH, BoxW int
	BoxBottom                  int
	MinX, Q1X, MedX, Q3X, MaxX int
	GuideX                     int // 0: no guide price
	GuideY1, GuideY2           int
	Outliers                   []int
	Summary                    string
}

type axisTick struct {
	X     int
	Label string
}

type boxPlot struct {
	Width, Height, PlotBottom, Left, Right int
	LabelX, TickY, TopTickY                int
	Rows                                   []boxRow
	Ticks                                  []axisTick
	Desc                                   string
}

// scale maps pence in [lo, hi] to x in [chartLeft, chartWidth-chartRight].
type scale struct{ lo, hi money.Money }

func (s scale) x(m money.Money) int {
	span := int64(s.hi - s.lo)
	if span <= 0 {
		return chartLeft
	}
	return chartLeft + int(int64(m-s.lo)*int64(chartWidth-chartLeft-chartRight)/span)
}

// niceScale widens [lo, hi] to whole £50s and gives about five ticks.
func niceScale(lo, hi money.Money) (scale, []axisTick) {
	step := money.Money(5000)
	for (hi-lo)/step > 6 {
		step *= 2
	}
	lo = lo / step * step
	hi = (hi + step - 1) / step * step
	if hi == lo {
		hi = lo + step
	}
	s := scale{lo, hi}
	var ticks []axisTick
	for v := lo; v <= hi; v += step {
		ticks = append(ticks, axisTick{X: s.x(v), Label: v.WholePounds()})
	}
	return s, ticks
}

// boxChart draws one box-and-whisker row per service type and area: the
// whiskers reach the lowest and highest prices, the box the quartiles, a
// thick line the median, a dashed line the guide price and dots outliers.
func boxChart(groups []pricing.GroupStats) *boxPlot {
	if len(groups) == 0 {
		return nil
	}
	if len(groups) > maxBoxRows {
		groups = groups[:maxBoxRows] // the table lists the rest
	}
	lo, hi := groups[0].Min, groups[0].Max
	for _, g := range groups {
		lo, hi = min(lo, g.Min), max(hi, g.Max)
		if g.Guide > 0 {
			lo, hi = min(lo, g.Guide), max(hi, g.Guide)
		}
	}
	sc, ticks := niceScale(lo, hi)
	p := &boxPlot{Width: chartWidth, Left: chartLeft, Right: chartWidth - chartRight, Ticks: ticks}
	var summaries []string
	for i, g := range groups {
		if i == 0 || g.ServiceType != groups[i-1].ServiceType {
			y := chartTop + len(p.Rows)*boxRowH + boxRowH/2
			p.Rows = append(p.Rows, boxRow{Heading: true, Label: g.ServiceType.Label(), Y: y, TextY: y + 8})
		}
		y := chartTop + len(p.Rows)*boxRowH + boxRowH/2
		row := boxRow{Label: g.AreaName, Y: y, TextY: y + 4, BoxY: y - 8, BoxH: 16, GuideY1: y - 12, GuideY2: y + 12,
			MinX: sc.x(g.Min), Q1X: sc.x(g.Q1), MedX: sc.x(g.Median), Q3X: sc.x(g.Q3), MaxX: sc.x(g.Max)}
		row.BoxW, row.BoxBottom = max(row.Q3X-row.Q1X, 1), y+8
		if g.Guide > 0 {
			row.GuideX = sc.x(g.Guide)
		}
		for _, o := range g.Outliers {
			row.Outliers = append(row.Outliers, sc.x(o))
		}
		row.Summary = fmt.Sprintf("%s, %s: %d prices, median %s, quartiles %s to %s, range %s to %s", g.ServiceType.Label(), g.AreaName,
			g.Count, g.Median, g.Q1, g.Q3, g.Min, g.Max)
		summaries = append(summaries, row.Summary)
		p.Rows = append(p.Rows, row)
	}
	p.PlotBottom = chartTop + len(p.Rows)*boxRowH
	p.Height = p.PlotBottom + chartBottom
	p.LabelX, p.TickY, p.TopTickY = chartLeft-8, p.PlotBottom+16, chartTop-12
	p.Desc = strings.Join(summaries, ". ")
	return p
}

type trendPoint struct {
	X, MedY, Q1Y, Q3Y, LabelY int
	Label, Median             string
	// Anchor keeps the last round's name inside the chart.
	Anchor string
}

type trendPlot struct {
	Width, Height, PlotBottom, Left, Right int
	LabelX                                 int
	Points                                 []trendPoint
	Median, Band                           string     // SVG points
	Ticks                                  []axisTick // Y ticks (X holds y)
	Desc                                   string
}

// trendChart draws the median (line) and interquartile range (shaded) of
// each round's prices, oldest round first.
func trendChart(pts []pricing.TrendPoint) *trendPlot {
	if len(pts) < 2 {
		return nil
	}
	lo, hi := pts[0].Q1, pts[0].Q3
	for _, p := range pts {
		lo, hi = min(lo, p.Q1), max(hi, p.Q3)
	}
	sc, ticks := niceScale(lo, hi)
	const top, bottom, height = 20, 200, 240
	y := func(m money.Money) int {
		// Reuse the horizontal scale's fraction, turned upright.
		frac := sc.x(m) - chartLeft
		return bottom - frac*(bottom-top)/(chartWidth-chartLeft-chartRight)
	}
	t := &trendPlot{Width: chartWidth, Height: height, PlotBottom: bottom, Left: chartLeft, Right: chartWidth - chartRight, LabelX: chartLeft - 8}
	for _, tk := range ticks {
		t.Ticks = append(t.Ticks, axisTick{X: bottom - (tk.X-chartLeft)*(bottom-top)/(chartWidth-chartLeft-chartRight), Label: tk.Label})
	}
	var med, up, down []string
	var desc []string
	for i, p := range pts {
		x := chartLeft + i*(chartWidth-chartLeft-chartRight)/(len(pts)-1)
		tp := trendPoint{X: x, MedY: y(p.Median), Q1Y: y(p.Q1), Q3Y: y(p.Q3), LabelY: bottom + 18, Label: p.RoundName, Median: p.Median.String(), Anchor: "middle"}
		if i == len(pts)-1 {
			tp.Anchor = "end"
		}
		t.Points = append(t.Points, tp)
		med = append(med, fmt.Sprintf("%d,%d", x, tp.MedY))
		up = append(up, fmt.Sprintf("%d,%d", x, tp.Q3Y))
		down = append([]string{fmt.Sprintf("%d,%d", x, tp.Q1Y)}, down...)
		desc = append(desc, fmt.Sprintf("%s: median %s (%d prices)", p.RoundName, p.Median, p.Count))
	}
	t.Median = strings.Join(med, " ")
	t.Band = strings.Join(append(up, down...), " ")
	t.Desc = strings.Join(desc, "; ")
	return t
}

package server

import (
	"fmt"
	"strings"

	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/pricing"
)

// Server-rendered SVG bar charts for the finance pages: coordinates are
// worked out here so the template only draws, and every chart sits beside
// a table holding the same figures (its text alternative).

type barSeries struct {
	Name, Colour string
	Values       []finance.Money
}

type barRect struct {
	X, Y, W, H int
	Colour     string
	Title      string
}

type barLabel struct {
	X     int
	Label string
}

type barTick struct {
	Y, TextY int
	Label    string
}

type legendItem struct {
	X, X2, TextX int
	Colour       string
	Name         string
	Dashed       bool
}

// barChart is a grouped bar chart with an optional reference line (a
// monthly budget), ready to draw.
type barChart struct {
	Width, Height, Left, TickX, PlotTop, PlotBottom, ZeroY, LabelY int
	Bars                                                           []barRect
	Labels                                                         []barLabel
	Ticks                                                          []barTick
	Legend                                                         []legendItem
	LineY                                                          int
	HasLine                                                        bool
	LineName                                                       string
	Desc                                                           string
}

// shortMoney writes £1.2m, £350k or £900 for axis labels.
func shortMoney(m finance.Money) string {
	v := float64(m) / 100
	neg := ""
	if v < 0 {
		neg, v = "-", -v
	}
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%s£%.1fm", neg, v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%s£%.0fk", neg, v/1e3)
	}
	return fmt.Sprintf("%s£%.0f", neg, v)
}

func newBarChart(labels []string, series []barSeries, line *finance.Money, lineName, desc string) *barChart {
	c := &barChart{Width: 760, Height: 320, Left: 80, TickX: 74, PlotTop: 40, PlotBottom: 280, LabelY: 300, LineName: lineName, Desc: desc}
	lo, hi := finance.Money(0), finance.Money(0)
	for _, s := range series {
		for _, v := range s.Values {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if line != nil {
		lo, hi = min(lo, *line), max(hi, *line)
	}
	if hi == lo {
		hi = lo + 100
	}
	span := float64(hi-lo) * 1.1
	plotH := float64(c.PlotBottom - c.PlotTop)
	y := func(v finance.Money) int {
		return c.PlotBottom - int(float64(v-lo)/span*plotH+0.5)
	}
	c.ZeroY = y(0)
	for i := 0; i <= 4; i++ {
		v := lo + finance.Money(float64(i)*span/4)
		c.Ticks = append(c.Ticks, barTick{Y: y(v), TextY: y(v) + 4, Label: shortMoney(v)})
	}
	groupW := (c.Width - c.Left - 10) / max(len(labels), 1)
	barW := (groupW - 8) / max(len(series), 1)
	for i, l := range labels {
		gx := c.Left + i*groupW
		c.Labels = append(c.Labels, barLabel{X: gx + groupW/2, Label: l})
		for j, s := range series {
			if i >= len(s.Values) {
				continue
			}
			v := s.Values[i]
			top, bottom := y(v), c.ZeroY
			if v < 0 {
				top, bottom = c.ZeroY, y(v)
			}
			c.Bars = append(c.Bars, barRect{X: gx + 4 + j*barW, Y: top, W: max(barW-2, 1), H: max(bottom-top, 1), Colour: s.Colour,
				Title: fmt.Sprintf("%s, %s: %s", l, s.Name, v)})
		}
	}
	x := c.Left
	for _, s := range series {
		c.Legend = append(c.Legend, legendItem{X: x, X2: x + 14, TextX: x + 18, Colour: s.Colour, Name: s.Name})
		x += 20 + 8*len(s.Name)
	}
	if line != nil {
		c.HasLine, c.LineY = true, y(*line)
		c.Legend = append(c.Legend, legendItem{X: x, X2: x + 14, TextX: x + 18, Colour: "#d4351c", Name: lineName, Dashed: true})
	}
	return c
}

// monthLabels are "Apr" ... "Mar" with the year where it turns.
func monthLabels(y finance.Year) []string {
	out := make([]string, 12)
	for i := range out {
		f, _ := y.Month(i)
		out[i] = f.Format("Jan")
		if i == 0 || f.Month() == 1 {
			out[i] += " " + f.Format("06")
		}
	}
	return out
}

func describeMonths(y finance.Year, committed, actual [12]finance.Money, budget finance.Money) string {
	var parts []string
	for i := range committed {
		parts = append(parts, fmt.Sprintf("%s committed %s, paid %s", y.MonthLabel(i), committed[i], actual[i]))
	}
	return fmt.Sprintf("Spend by month in %s against a monthly budget of %s: %s", y, budget, strings.Join(parts, "; "))
}

// The finance templates' own functions: pctbp writes basis points as a
// percentage ("2.5%"), money writes pence as pounds ("£1,234.56").
func init() {
	funcs["pctbp"] = func(bp int64) string { return pricing.BP(bp).String() }
	funcs["money"] = func(p int64) string { return finance.Money(p).String() }
}

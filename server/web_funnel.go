package server

import (
	"github.com/caremarket/caremarket/procurement"
)

// funnelStep is one bar of a window's funnel: how many applications
// reached the step, as a share of those submitted, and how many of the
// step before dropped out.
type funnelStep struct {
	Label       string
	Count       int
	Width       int // of the chart's 640 units, for the bar
	TextY, BarY int // the label's baseline and the bar's top
	OfSubmitted int // per cent
	DropOff     int // per cent of the step before; 0 for the first
	HasDrop     bool
}

// funnelChart is a window's funnel as bars, top to bottom.
type funnelChart struct {
	Steps  []funnelStep
	Height int
}

func init() { funcs["funnel"] = funnelOf }

// funnelOf turns a window's results into the bars of its funnel chart.
func funnelOf(f *procurement.Funnel) *funnelChart {
	if f == nil || f.Submitted == 0 {
		return nil
	}
	counts := []struct {
		label string
		n     int
	}{{"Submitted", f.Submitted}, {"Passed selection", f.PassedSelection}, {"Passed quality first time", f.PassedQualityFirst},
		{"Passed quality in all", f.PassedQuality}, {"Awarded", f.Awarded}}
	c := &funnelChart{}
	for i, s := range counts {
		st := funnelStep{Label: s.label, Count: s.n, Width: max(2, s.n*640/f.Submitted), TextY: i*48 + 16, BarY: i*48 + 22,
			OfSubmitted: percentOf(s.n, f.Submitted)}
		if i > 0 {
			prev := counts[i-1].n
			// "Passed quality in all" adds the resubmissions back: it is
			// compared with selection, not with the first-time pass.
			if s.label == "Passed quality in all" {
				prev = f.PassedSelection
			}
			if prev > 0 {
				st.DropOff, st.HasDrop = percentOf(prev-s.n, prev), true
			}
		}
		c.Steps = append(c.Steps, st)
	}
	c.Height = len(c.Steps) * 48
	return c
}

// percentOf is n of total as a whole per cent, rounded half up.
func percentOf(n, total int) int {
	if total == 0 {
		return 0
	}
	return (n*200 + total) / (total * 2)
}

// applicationOutcomes says, once a window's awards are decided, what came
// of each application: awarded, or not and at which stage it fell.
func applicationOutcomes(results []procurement.Result, awards []procurement.Award) map[int64]string {
	out := map[int64]string{}
	if len(awards) == 0 {
		return out
	}
	lots := map[int64]int{}
	for _, aw := range awards {
		lots[aw.ApplicationID]++
	}
	for _, r := range results {
		switch {
		case lots[r.ApplicationID] > 0:
			out[r.ApplicationID] = "Awarded"
		case r.Selection == procurement.Fail:
			out[r.ApplicationID] = "Not awarded: did not pass selection"
		case r.Quality == procurement.Fail:
			out[r.ApplicationID] = "Not awarded: did not pass quality"
		default:
			out[r.ApplicationID] = "Not awarded"
		}
	}
	return out
}

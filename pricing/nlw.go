package pricing

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket/money"
)

// NLWRate is one National Living Wage rate: the hourly minimum for workers of
// MinAge and over from EffectiveFrom.
type NLWRate struct {
	EffectiveFrom time.Time   `json:"effective_from"`
	Hourly        money.Money `json:"hourly_pence"`
	MinAge        int         `json:"min_age"`
}

//go:embed nlw.csv
var nlwCSV string

// NLWRates lists the rates from April 2016, oldest first. Shipped as data
// (nlw.csv) so next year's rate is a one-line change reviewed on its own.
var NLWRates = mustParseNLW(nlwCSV)

func mustParseNLW(src string) []NLWRate {
	var lines []string
	for _, l := range strings.Split(src, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("pricing: nlw.csv: %v", err))
	}
	var out []NLWRate
	for i, r := range recs[1:] {
		d, err1 := time.Parse(time.DateOnly, r[0])
		p, err2 := strconv.ParseInt(r[1], 10, 64)
		a, err3 := strconv.Atoi(r[2])
		if err1 != nil || err2 != nil || err3 != nil || (i > 0 && !d.After(out[i-1].EffectiveFrom)) {
			// The file is compiled in; a bad line must fail every test run.
			panic(fmt.Sprintf("pricing: nlw.csv line %d is wrong: %v", i+2, r))
		}
		out = append(out, NLWRate{EffectiveFrom: d, Hourly: money.Money(p), MinAge: a})
	}
	return out
}

// NLWOn returns the rate in force on day, and false before April 2016.
func NLWOn(day time.Time) (NLWRate, bool) {
	day = dateOf(day)
	for i := len(NLWRates) - 1; i >= 0; i-- {
		if !NLWRates[i].EffectiveFrom.After(day) {
			return NLWRates[i], true
		}
	}
	return NLWRate{}, false
}

// dateOf drops the time of day, so "in force on" compares calendar dates.
func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

package quality

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// Delivered is one line of an electronic call monitoring export: the hours
// of home care delivered on a placement in the week beginning WeekStart.
type Delivered struct {
	Line        int       `json:"line"`
	PlacementID int64     `json:"placement_id"`
	WeekStart   time.Time `json:"week_start"`
	Minutes     int       `json:"delivered_minutes"`
}

// MaxDeliveredLines bounds one upload (a year of weekly lines for 1,000
// packages is 52,000).
const MaxDeliveredLines = 100_000

// ReadDelivered reads a CSV of delivered hours. Columns are found by name:
// placement_id (or placement, package_id), week_commencing (or week_start,
// week; a date as 2026-11-02 or 02/11/2026) and delivered_hours (or hours;
// decimal hours like 10.5, or hours and minutes like 10:30). Every bad line
// is reported with its number and why; any bad line refuses the file.
func ReadDelivered(r io.Reader) ([]Delivered, []market.LineError, error) {
	t, err := market.OpenCSV(r, true)
	if err != nil {
		return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file could not be read as CSV: it needs a header row")
	}
	pc, ok1 := t.Has("placement_id", "placement", "package_id")
	wc, ok2 := t.Has("week_commencing", "week_start", "week")
	hc, ok3 := t.Has("delivered_hours", "hours")
	if !ok1 || !ok2 || !ok3 {
		return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file needs the columns placement_id, week_commencing and delivered_hours")
	}
	var out []Delivered
	var errs []market.LineError
	seen := map[[2]int64]int{}
	t.Each(&errs, MaxDeliveredLines, true, func(line int, get func(int) string) {
		bad := func(why string) { errs = append(errs, market.LineError{Line: line, Reason: why}) }
		id, err := strconv.ParseInt(get(pc), 10, 64)
		if err != nil || id <= 0 {
			bad("placement_id must be the placement's number")
			return
		}
		week, ok := parseDay(get(wc))
		if !ok {
			bad("week_commencing must be a date like 2026-11-02 or 02/11/2026")
			return
		}
		mins, ok := parseHours(get(hc))
		if !ok {
			bad("delivered_hours must be hours like 10.5 or 10:30, from 0 to 168")
			return
		}
		k := [2]int64{id, week.Unix()}
		if first, dup := seen[k]; dup {
			bad("the same placement and week is on line " + strconv.Itoa(first))
			return
		}
		seen[k] = line
		out = append(out, Delivered{Line: line, PlacementID: id, WeekStart: week, Minutes: mins})
	})
	if len(errs) > 0 {
		return nil, errs, caremarket.Errorf(caremarket.EINVALID, "The file has %d lines we cannot use: nothing was saved", len(errs))
	}
	if len(out) == 0 {
		return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file has no lines of delivered hours")
	}
	return out, nil, nil
}

func parseDay(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 2000 && t.Year() <= 2100 {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseHours reads "10.5", "10", "10:30" as minutes (630, 600, 630).
func parseHours(s string) (int, bool) {
	var mins int
	if h, m, ok := strings.Cut(s, ":"); ok {
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || len(m) != 2 {
			return 0, false
		}
		mins = hh*60 + mm
	} else {
		whole, frac, _ := strings.Cut(s, ".")
		hh, err := strconv.Atoi(whole)
		if err != nil || hh < 0 || len(frac) > 2 || len(whole) > 4 {
			return 0, false
		}
		mins = hh * 60
		if frac != "" {
			f, err := strconv.Atoi(frac)
			if err != nil || f < 0 {
				return 0, false
			}
			if len(frac) == 1 {
				f *= 10
			}
			mins += (f*60 + 50) / 100
		}
	}
	return mins, mins <= 168*60
}

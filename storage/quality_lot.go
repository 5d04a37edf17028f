package storage

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/caremarket/caremarket/quality"
)

// A lot's league table, from the performance summary (quality_summary.go).
// At national scale a lot admits some 11,000 providers, a few thousand of
// them with records; the table is four reads that do not depend on one
// another (the summary's counts, the declines by reason, the admitted
// providers with their vacancy figures' ages, the hours delivered), each a
// few tens of milliseconds. They run at once, each on a connection of its
// own, and are put together when all are done: with cores to spare the
// answer takes about as long as the slowest read rather than their sum (the
// work is the same, so a busy machine gains less). Each read was already its
// own statement outside any transaction, so reading them side by side sees
// the records no less consistently than one after another did.

// lotRows works out every row of a lot's league table, unsorted: every
// admitted provider, and any provider with records on the lot in the
// period that is no longer admitted.
func (db *DB) lotRows(ctx context.Context, council, lotID int64, from, to time.Time) ([]quality.LeagueRow, error) {
	return db.lotRowsOf(ctx, council, lotID, from, to, perfSpans(from, to))
}

// lotRowsOf is lotRows with the summary read over the given spans.
func (db *DB) lotRowsOf(ctx context.Context, council, lotID int64, from, to time.Time, spans []perfSpan) ([]quality.LeagueRow, error) {
	// Vacancy figures are aged now, at the end of the period.
	at := to
	if now := db.now(); now.Before(to) {
		at = now
	}
	days := []any{council, lotID, ymd(from), ymd(to)}
	totals := map[int64]*quality.Totals{}
	reasons := map[int64]map[string]int{}
	names, ages := map[int64]string{}, map[int64][]int{}
	delivered := map[int64][2]int{}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	wg.Go(func() {
		for _, sp := range spans {
			if errs[0] = db.addLotSummary(ctx, totals, council, lotID, sp); errs[0] != nil {
				return
			}
		}
	})
	// Declines by reason: a lot has about one decline a provider and day
	// with any, so monthly rows would be hardly fewer than the daily ones.
	wg.Go(func() {
		errs[1] = eachRow(ctx, db.sql, "performance lot declines", `SELECT provider_id, reason, CAST(SUM(n) AS BIGINT) FROM perf_declines
		WHERE council_id = $1 AND lot_id = $2 AND day >= $3 AND day < $4 GROUP BY provider_id, reason`, days, func(rows *sql.Rows) error {
			var id int64
			var reason string
			var n int
			if err := rows.Scan(&id, &reason, &n); err != nil {
				return err
			}
			if reasons[id] == nil {
				reasons[id] = map[string]int{}
			}
			reasons[id][reason] += n
			return nil
		})
	})
	// Every admitted provider, by name, with the ages of its locations'
	// vacancy figures: one row a provider.
	wg.Go(func() {
		errs[2] = eachRow(ctx, db.sql, "performance lot providers", `SELECT p.id, p.name, COALESCE(`+db.dialect.joinText(db.dialect.minutesBetween("v.updated_at", db.at("$3")))+`, '')
		FROM providers p LEFT JOIN locations l ON l.council_id = $1 AND l.provider_id = p.id LEFT JOIN vacancies v ON v.location_id = l.id AND v.council_id = $1
		WHERE p.council_id = $1 AND p.id IN (SELECT provider_id FROM awards WHERE council_id = $1 AND lot_id = $2)
		GROUP BY p.id, p.name`, []any{council, lotID, at}, func(rows *sql.Rows) error {
			var id int64
			var name, list string
			if err := rows.Scan(&id, &name, &list); err != nil {
				return err
			}
			names[id] = name
			if list != "" {
				ages[id] = parseMinutes(list)
			}
			return nil
		})
	})
	wg.Go(func() {
		errs[3] = eachRow(ctx, db.sql, "performance lot delivered hours", `SELECT provider_id, CAST(SUM(commissioned_minutes) AS BIGINT), CAST(SUM(delivered_minutes) AS BIGINT)
		FROM delivered_hours WHERE council_id = $1 AND lot_id = $2 AND week_start >= $3 AND week_start < $4 GROUP BY provider_id`, days, func(rows *sql.Rows) error {
			var id int64
			var c, d int
			err := rows.Scan(&id, &c, &d)
			delivered[id] = [2]int{c, d}
			return err
		})
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for id, r := range reasons {
		totalsOf(totals, id).Reasons = r
	}
	for id, a := range ages {
		totalsOf(totals, id).VacancyAges = a
	}
	for id, d := range delivered {
		t := totalsOf(totals, id)
		t.Commissioned, t.Delivered = d[0], d[1]
	}
	if err := db.otherProviderNames(ctx, council, names, totals); err != nil {
		return nil, err
	}
	out := make([]quality.LeagueRow, 0, len(names))
	for id, name := range names {
		out = append(out, quality.LeagueRow{ProviderID: id, ProviderName: name, Figures: totalsOf(totals, id).Figures()})
	}
	return out, nil
}

// perfSpan is a part of a period read from one summary table: perf_months
// (whole months, keyed by their first day) or perf_days.
type perfSpan struct {
	table, key string
	from, to   time.Time
}

// perfSpans splits whole days [from, to) into the calendar months wholly
// inside it, read from the monthly rows, and the days before and after
// them, read from the daily rows: a period of a year or two adds up a row
// per provider and month rather than one per provider and day.
//
//	6 Dec 2025 - 6 Dec 2026: days 6-31 Dec 2025, months Jan-Nov 2026, days 1-5 Dec 2026
//	1 Mar - 1 Jul 2026: months Mar-Jun; 3 - 20 Mar 2026: days only
func perfSpans(from, to time.Time) []perfSpan {
	days := func(f, t time.Time) perfSpan { return perfSpan{"perf_days", "day", f, t} }
	first := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	if first.Before(from) {
		first = first.AddDate(0, 1, 0)
	}
	last := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !first.Before(last) {
		return []perfSpan{days(from, to)}
	}
	var out []perfSpan
	if from.Before(first) {
		out = append(out, days(from, first))
	}
	out = append(out, perfSpan{"perf_months", "month", first, last})
	if last.Before(to) {
		out = append(out, days(last, to))
	}
	return out
}

// addLotSummary adds a span's summary rows of a lot to each provider's
// totals: the counts and the answer times.
func (db *DB) addLotSummary(ctx context.Context, totals map[int64]*quality.Totals, council, lotID int64, sp perfSpan) error {
	args := []any{council, lotID, ymd(sp.from), ymd(sp.to)}
	sums := make([]string, len(perfCounters))
	for i, c := range perfCounters {
		sums[i] = `CAST(SUM(` + c + `) AS BIGINT)`
	}
	return eachRow(ctx, db.sql, "performance lot summary", `SELECT provider_id, `+strings.Join(sums, ", ")+`, COALESCE(`+db.dialect.joinText("NULLIF(answers, '')")+`, '')
		FROM `+sp.table+` WHERE council_id = $1 AND lot_id = $2 AND `+sp.key+` >= $3 AND `+sp.key+` < $4 GROUP BY provider_id`, args, func(rows *sql.Rows) error {
		var id int64
		var c quality.Totals
		var answers string
		if err := rows.Scan(&id, &c.Accepted, &c.Declined, &c.Expired, &c.PricedOffers, &c.Price, &c.Guide, &c.Invitations, &c.Bids,
			&c.Placements, &c.OffContract, &c.HandBacks28d, &c.EndedEarly, &answers); err != nil {
			return err
		}
		t := totalsOf(totals, id)
		t.Accepted, t.Declined, t.Expired = t.Accepted+c.Accepted, t.Declined+c.Declined, t.Expired+c.Expired
		t.PricedOffers, t.Price, t.Guide = t.PricedOffers+c.PricedOffers, t.Price+c.Price, t.Guide+c.Guide
		t.Invitations, t.Bids = t.Invitations+c.Invitations, t.Bids+c.Bids
		t.Placements, t.OffContract = t.Placements+c.Placements, t.OffContract+c.OffContract
		t.HandBacks28d, t.EndedEarly = t.HandBacks28d+c.HandBacks28d, t.EndedEarly+c.EndedEarly
		t.Minutes = appendMinutes(t.Minutes, answers)
		return nil
	})
}

// totalsOf is a provider's totals in the table, added when it has none yet.
func totalsOf(totals map[int64]*quality.Totals, id int64) *quality.Totals {
	t := totals[id]
	if t == nil {
		t = &quality.Totals{}
		totals[id] = t
	}
	return t
}

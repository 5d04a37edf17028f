package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/quality"
)

// HoldGroupCommit keeps db's batcher from starting until release is
// called, so the acceptances queued meanwhile run as one batch. Queued
// says how many are waiting.
func HoldGroupCommit(db *DB) (queued func() int, release func()) {
	db.group.mu.Lock()
	db.group.running = true
	db.group.mu.Unlock()
	queued = func() int {
		db.group.mu.Lock()
		defer db.group.mu.Unlock()
		return len(db.group.queue)
	}
	return queued, func() { go db.runGroups() }
}

// GroupChange queues run as a change in the commit group, as an
// acceptance's own part would be, and returns the channel its answer comes
// on. run gets the change's transaction as a plain *sql.Tx.
func GroupChange(ctx context.Context, db *DB, run func(ctx context.Context, tx *sql.Tx) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		done <- db.updateGrouped(ctx, func(ctx context.Context, tx *Tx) error { return run(ctx, tx.Tx) })
	}()
	return done
}

// LotFiguresFromRecords works a lot's figures out from the records, as a
// provider's own figures are, rather than from the daily summary: what the
// summary must agree with. Providers with no records are left out.
func (db *DB) LotFiguresFromRecords(ctx context.Context, council, lotID int64, from, to time.Time) (map[int64]quality.Figures, error) {
	from, to = wholeDays(from, to)
	in, err := db.perfInput(ctx, council, perfScope{"lot_id", lotID}, from, to)
	if err != nil {
		return nil, err
	}
	out := map[int64]quality.Figures{}
	for id, part := range quality.Split(in, quality.ByProvider) {
		out[id] = quality.Compute(part)
	}
	return out, nil
}

// LotRowsFromDays works a lot's league table out from the daily summary
// alone, as it was before the monthly rows: what the table read from the
// months and the days at either end must equal.
func (db *DB) LotRowsFromDays(ctx context.Context, council, lotID int64, from, to time.Time) ([]quality.LeagueRow, error) {
	from, to = wholeDays(from, to)
	return db.lotRowsOf(ctx, council, lotID, from, to, []perfSpan{{"perf_days", "day", from, to}})
}

// PerfSpans is how a period's summary is read: each part's table and days.
func PerfSpans(from, to time.Time) []string {
	var out []string
	for _, sp := range perfSpans(from, to) {
		out = append(out, sp.table+" "+ymd(sp.from)+" "+ymd(sp.to))
	}
	return out
}

// CheckCommitments works out the stored commitment of the council in ctx
// again from its placements, with the pure arithmetic, and reports the
// first difference from what is stored: each placement's years and
// months, the totals, the steps and the running totals by day.
func CheckCommitments(ctx context.Context, db *DB) error {
	actor, err := actorOf(ctx)
	if err != nil {
		return err
	}
	council := actor.CouncilID
	through, err := db.storedThrough(ctx, council)
	if err != nil {
		return err
	}
	ps, ended, err := db.readFinancePlacements(ctx, db.sql, `pl.council_id = $1`, []any{council})
	if err != nil {
		return err
	}
	type yearRow struct {
		k      totalKey
		months [12]int64
		top    int64
	}
	wantRows := map[string]yearRow{}
	want := newCommitDelta()
	wantSteps := map[int64]string{}
	for i := range ps {
		p := &ps[i]
		for _, ym := range p.StoredYears(through) {
			wantRows[fmt.Sprint(p.ID, "/", int(ym.Year))] = yearRow{keyOf(p, ym.Year), pence(ym.Months), int64(ym.TopUp)}
			want.addYear(1, keyOf(p, ym.Year), pence(ym.Months), int64(ym.TopUp))
		}
		steps := stepsOf(p, ended[i])
		want.addSteps(1, string(p.ServiceType), steps)
		js, _ := json.Marshal(steps)
		wantSteps[p.ID] = fmt.Sprint(int64(p.WeeklyOn(p.Start)), " ", string(js))
	}
	got := map[string]yearRow{}
	if err := eachRow(ctx, db.sql, "check commitments", `SELECT placement_id, year, service_type, provider_id, agreement_id, lot_id, area_id, `+strings.Join(monthCols, ", ")+
		`, top_up_pence FROM finance_commitments WHERE council_id = $1`, []any{council}, func(rows *sql.Rows) error {
		var id int64
		var r yearRow
		dest := []any{&id, &r.k.year, &r.k.serviceType, &r.k.provider, &r.k.agreement, &r.k.lot, &r.k.area}
		for i := range r.months {
			dest = append(dest, &r.months[i])
		}
		if err := rows.Scan(append(dest, &r.top)...); err != nil {
			return err
		}
		got[fmt.Sprint(id, "/", r.k.year)] = r
		return nil
	}); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(wantRows)) {
		if got[k] != wantRows[k] {
			return fmt.Errorf("placement/year %s: stored %+v, works out as %+v", k, got[k], wantRows[k])
		}
	}
	if len(got) != len(wantRows) {
		return fmt.Errorf("%d placement years stored, %d work out", len(got), len(wantRows))
	}
	gotSteps := map[int64]string{}
	if err := eachRow(ctx, db.sql, "check placement steps", `SELECT placement_id, start_weekly_pence, steps FROM finance_placements WHERE council_id = $1`,
		[]any{council}, func(rows *sql.Rows) error {
			var id, w int64
			var js string
			if err := rows.Scan(&id, &w, &js); err != nil {
				return err
			}
			gotSteps[id] = fmt.Sprint(w, " ", js)
			return nil
		}); err != nil {
		return err
	}
	if !maps.Equal(gotSteps, wantSteps) {
		return fmt.Errorf("placement steps stored %v, work out as %v", gotSteps, wantSteps)
	}
	return checkTotals(ctx, db, council, ps, want)
}

// checkTotals compares the stored totals with those worked out (want):
// every non-zero row as worked out, and no other.
func checkTotals(ctx context.Context, db *DB, council int64, ps []finance.Placement, want *commitDelta) error {
	totals := map[totalKey]totalVal{}
	if err := eachRow(ctx, db.sql, "check totals", `SELECT year, service_type, provider_id, agreement_id, lot_id, area_id, `+strings.Join(monthCols, ", ")+
		`, top_up_pence, placements FROM finance_commitment_totals WHERE council_id = $1`, []any{council}, func(rows *sql.Rows) error {
		var k totalKey
		var v totalVal
		dest := []any{&k.year, &k.serviceType, &k.provider, &k.agreement, &k.lot, &k.area}
		for i := range v.months {
			dest = append(dest, &v.months[i])
		}
		if err := rows.Scan(append(dest, &v.topUp, &v.placements)...); err != nil {
			return err
		}
		if v != (totalVal{}) {
			totals[k] = v
		}
		return nil
	}); err != nil {
		return err
	}
	for k, v := range want.totals {
		if totals[k] != *v {
			return fmt.Errorf("totals %+v: stored %+v, work out as %+v", k, totals[k], *v)
		}
		delete(totals, k)
	}
	if len(totals) > 0 {
		return fmt.Errorf("totals stored that nothing works out: %+v", totals)
	}
	daysGot := map[dayKey]dayVal{}
	if err := eachRow(ctx, db.sql, "check day totals", `SELECT day, service_type, live, ended, starts, weekly_pence FROM finance_day_totals WHERE council_id = $1`,
		[]any{council}, func(rows *sql.Rows) error {
			var k dayKey
			var v dayVal
			var d scanDayString
			if err := rows.Scan(&d, &k.serviceType, &v.live, &v.ended, &v.starts, &v.weekly); err != nil {
				return err
			}
			k.day = string(d)
			if v != (dayVal{}) {
				daysGot[k] = v
			}
			return nil
		}); err != nil {
		return err
	}
	for k, v := range want.days {
		if *v != (dayVal{}) && daysGot[k] != *v {
			return fmt.Errorf("day totals %+v: stored %+v, work out as %+v", k, daysGot[k], *v)
		}
		delete(daysGot, k)
	}
	if len(daysGot) > 0 {
		return fmt.Errorf("day totals stored that nothing works out: %+v", daysGot)
	}
	for i := range ps {
		want.starts[startKeyOf(string(ps[i].ServiceType), ps[i].Start, int64(ps[i].WeeklyOn(ps[i].Start)))]++
	}
	gotStarts := map[startKey]int{}
	if err := eachRow(ctx, db.sql, "check start buckets", `SELECT service_type, month, bucket, starts FROM finance_start_buckets WHERE council_id = $1 AND starts <> 0`,
		[]any{council}, func(rows *sql.Rows) error {
			var k startKey
			var m scanDayString
			var n int
			if err := rows.Scan(&k.serviceType, &m, &k.bucket, &n); err != nil {
				return err
			}
			k.month = string(m)
			gotStarts[k] = n
			return nil
		}); err != nil {
		return err
	}
	if !maps.Equal(gotStarts, want.starts) {
		return fmt.Errorf("start buckets stored %v, work out as %v", gotStarts, want.starts)
	}
	return nil
}

// scanDayString reads a DATE as "2006-01-02" from either database.
type scanDayString string

func (s *scanDayString) Scan(v any) error {
	var t time.Time
	if err := (scanDay{&t}).Scan(v); err != nil {
		return err
	}
	*s = scanDayString(ymd(t))
	return nil
}

// CommitmentSnapshot lists every stored commitment row of every council, in
// order, to compare before and after a write that failed.
func CommitmentSnapshot(db *DB) (string, error) {
	queries := []string{
		`SELECT placement_id, year, ` + strings.Join(monthCols, ", ") + `, top_up_pence FROM finance_commitments ORDER BY placement_id, year`,
		`SELECT council_id, year, service_type, provider_id, agreement_id, lot_id, area_id, ` + strings.Join(monthCols, ", ") +
			`, top_up_pence, placements FROM finance_commitment_totals ORDER BY council_id, year, service_type, provider_id, agreement_id, lot_id, area_id`,
		`SELECT placement_id, start_weekly_pence, steps FROM finance_placements ORDER BY placement_id`,
		`SELECT council_id, service_type, live, ended, starts, weekly_pence FROM finance_day_totals ORDER BY council_id, day, service_type`,
		`SELECT council_id, through_year FROM finance_horizons ORDER BY council_id`,
		`SELECT council_id, service_type, month, bucket, starts FROM finance_start_buckets ORDER BY council_id, service_type, month, bucket`,
	}
	return DumpRows(db, nil, queries...)
}

// DumpRows prints every row of each query, a line a row, in order, text
// columns as text; fix, when set, rewrites a row's values before printing.
func DumpRows(db *DB, fix func(vals []any), queries ...string) (string, error) {
	var b strings.Builder
	for _, q := range queries {
		rows, err := db.sql.Query(q)
		if err != nil {
			return "", err
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", err
			}
			for i, v := range vals {
				if s, ok := v.([]byte); ok {
					vals[i] = string(s)
				}
			}
			if fix != nil {
				fix(vals)
			}
			fmt.Fprintln(&b, vals...)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// MedianStarts works the median start price of the service types out both
// ways: from the buckets (medianStart) and straight from the starts.
func MedianStarts(ctx context.Context, db *DB, sts []market.ServiceType, today time.Time) (bucketed, scanned money.Money, n int, err error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	args := []any{actor.CouncilID}
	for _, st := range sts {
		args = append(args, string(st))
	}
	of := `council_id = $1 AND service_type IN (` + inMarks(2, len(sts)) + `)`
	from := today.AddDate(-1, 0, 0)
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM finance_placements WHERE `+of+` AND start_date > $`+strconv.Itoa(len(args)+1)+
		` AND start_date <= $`+strconv.Itoa(len(args)+2), append(args, ymd(from), ymd(today))...).Scan(&n); err != nil || n == 0 {
		return 0, 0, n, err
	}
	if bucketed, err = db.medianStart(ctx, actor.CouncilID, sts, today, n); err != nil {
		return 0, 0, n, err
	}
	scanned, err = db.medianScan(ctx, of, args, from, today, n)
	return bucketed, scanned, n, err
}

package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
)

// The stored commitment. Every placement's commitment by financial year and
// month (finance_commitments) and their sums by the dimensions the summary
// rolls up by (finance_commitment_totals), and what each placement adds to
// the council's running totals by day (finance_placements, summed in
// finance_day_totals), are rewritten by recommit in the transaction of
// every write that changes a placement's commitment: a placement made, its
// price changed (by a broker or an uplift), its top-up set, ended, handed
// back or moved to contract, and the bulk history loader. The summary and
// the forecast then read totals whose size is set by budget lines, months
// and dimensions, not by the number of placements.
//
// Open-ended placements commit "to year end" of whichever year is asked, so
// their years have no last one. Each council has a horizon (finance_horizons,
// the current financial year when first stored): open-ended placements are
// stored through it. When the summary asks for a later year (the year rolls
// over on 1 April, or someone looks ahead), extendCommitments adds that year
// for the open-ended placements and moves the horizon, once, in a
// transaction that locks the horizon row; writes read the horizon under a
// share lock, so the two never interleave. Far years (more than
// maxStoredAhead ahead of today) are worked out from the placements instead.

// maxStoredAhead is how many years after the current one the summary
// stores before working a year out from the placements.
const maxStoredAhead = 10

// commitChunk is how many placements one round of recommit handles (the
// rows of a multi-row INSERT stay under both databases' parameter limits).
const commitChunk = 500

type totalKey struct {
	year                           int
	serviceType                    string
	provider, agreement, lot, area int64
}

type totalVal struct {
	months     [12]int64
	topUp      int64
	placements int
}

type dayKey struct {
	day         string
	serviceType string
}

type dayVal struct {
	live, ended, starts int
	weekly              int64
}

// startKey is a bucket of placements' starts: service type, the month of
// the start and the weekly cost on the first day, in bucketPence steps.
type startKey struct {
	serviceType string
	month       string
	bucket      int64
}

// bucketPence is the width of a start-price bucket (£10).
const bucketPence = 1000

func startKeyOf(st string, start time.Time, weekly int64) startKey {
	return startKey{st, ymd(time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)), weekly / bucketPence}
}

// commitDelta is what a write changes in the totals: the old contributions
// taken away, the new added, summed in Go so each total row is written once.
type commitDelta struct {
	totals map[totalKey]*totalVal
	days   map[dayKey]*dayVal
	starts map[startKey]int
}

func newCommitDelta() *commitDelta {
	return &commitDelta{totals: map[totalKey]*totalVal{}, days: map[dayKey]*dayVal{}, starts: map[startKey]int{}}
}

func (d *commitDelta) addYear(sign int, k totalKey, months [12]int64, topUp int64) {
	v := d.totals[k]
	if v == nil {
		v = &totalVal{}
		d.totals[k] = v
	}
	for i, m := range months {
		v.months[i] += int64(sign) * m
	}
	v.topUp += int64(sign) * topUp
	v.placements += sign
}

func (d *commitDelta) addSteps(sign int, st string, steps []storedStep) {
	for _, s := range steps {
		k := dayKey{s.Day, st}
		v := d.days[k]
		if v == nil {
			v = &dayVal{}
			d.days[k] = v
		}
		v.live += sign * s.Live
		v.ended += sign * s.Ended
		v.starts += sign * s.Starts
		v.weekly += int64(sign) * s.Weekly
	}
}

// storedStep is a finance.DayStep as finance_placements keeps it, so a
// later write can take it away again.
type storedStep struct {
	Day    string `json:"d"`
	Live   int    `json:"l,omitempty"`
	Ended  int    `json:"e,omitempty"`
	Starts int    `json:"s,omitempty"`
	Weekly int64  `json:"w,omitempty"`
}

func stepsOf(p *finance.Placement, ended bool) []storedStep {
	var out []storedStep
	for _, s := range p.Steps(ended) {
		out = append(out, storedStep{Day: ymd(s.Day), Live: s.Live, Ended: s.Ended, Starts: s.Starts, Weekly: int64(s.Weekly)})
	}
	return out
}

func keyOf(p *finance.Placement, y finance.Year) totalKey {
	return totalKey{int(y), string(p.ServiceType), p.ProviderID, p.AgreementID, p.LotID, p.AreaID}
}

func pence(ms [12]finance.Money) [12]int64 {
	var out [12]int64
	for i, m := range ms {
		out[i] = int64(m)
	}
	return out
}

// monthCols are finance_commitments' and the totals' month columns.
var monthCols = func() []string {
	out := make([]string, 12)
	for i := range out {
		out[i] = fmt.Sprintf("m%02d", i+1)
	}
	return out
}()

// recommit rewrites the stored commitment of placements from what they are
// now, in tx: the one place every write that changes a placement's
// commitment calls.
func (tx *Tx) recommit(ctx context.Context, ids ...int64) error {
	return tx.storeCommitted(ctx, ids)
}

// commitNew stores the commitment of a placement insertPlacement has just
// written: it has nothing stored yet to take away, and everything finance
// needs of it is in hand (its first price, no end, no top-up), so nothing
// is read back; its rows and the totals are added to w (the placement's
// other writes), for the caller to run.
func (tx *Tx) commitNew(ctx context.Context, w *writeSet, p finance.Placement) error {
	through, err := tx.commitHorizon(ctx)
	if err != nil {
		return err
	}
	d := newCommitDelta()
	if err := tx.storeCommitmentsTo(w, []finance.Placement{p}, []bool{false}, through, d); err != nil {
		return err
	}
	tx.commitDeltaTo(w, d)
	return nil
}

func (tx *Tx) storeCommitted(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	through, err := tx.commitHorizon(ctx)
	if err != nil {
		return err
	}
	council := tx.actor.CouncilID
	for lo := 0; lo < len(ids); lo += commitChunk {
		chunk := ids[lo:min(lo+commitChunk, len(ids))]
		// Placeholders rather than the ids written in, so the statement's
		// text is the same for every placement of the same count and the
		// drivers' prepared statements are used again.
		args := make([]any, 1, len(chunk)+1)
		args[0] = council
		for _, id := range chunk {
			args = append(args, id)
		}
		in := ` IN (` + inMarks(2, len(chunk)) + `)`
		ps, ended, err := tx.db.readFinancePlacements(ctx, tx, `pl.council_id = $1 AND pl.id`+in, args)
		if err != nil {
			return err
		}
		d := newCommitDelta()
		if err := tx.takeAwayCommitments(ctx, ` AND placement_id`+in, args, d); err != nil {
			return err
		}
		var w writeSet
		if err := tx.storeCommitmentsTo(&w, ps, ended, through, d); err != nil {
			return err
		}
		tx.commitDeltaTo(&w, d)
		if err := w.run(ctx, tx); err != nil {
			return fmt.Errorf("storage: store commitments: %w", err)
		}
	}
	return nil
}

// takeAwayCommitments takes the placements' stored contributions out of
// the totals (into d) and deletes them.
func (tx *Tx) takeAwayCommitments(ctx context.Context, set string, args []any, d *commitDelta) error {
	rows, err := tx.QueryContext(ctx, `SELECT year, service_type, provider_id, agreement_id, lot_id, area_id, `+strings.Join(monthCols, ", ")+`, top_up_pence
		FROM finance_commitments WHERE council_id = $1`+set, args...)
	if err != nil {
		return fmt.Errorf("storage: read stored commitments: %w", err)
	}
	for rows.Next() {
		var k totalKey
		var ms [12]int64
		var top int64
		dest := []any{&k.year, &k.serviceType, &k.provider, &k.agreement, &k.lot, &k.area}
		for i := range ms {
			dest = append(dest, &ms[i])
		}
		if err := rows.Scan(append(dest, &top)...); err != nil {
			rows.Close()
			return err
		}
		d.addYear(-1, k, ms, top)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, `SELECT service_type, start_date, start_weekly_pence, steps FROM finance_placements WHERE council_id = $1`+set, args...)
	if err != nil {
		return fmt.Errorf("storage: read stored steps: %w", err)
	}
	for rows.Next() {
		var st, js string
		var start time.Time
		var weekly int64
		if err := rows.Scan(&st, scanDay{&start}, &weekly, &js); err != nil {
			rows.Close()
			return err
		}
		d.starts[startKeyOf(st, start, weekly)]--
		var steps []storedStep
		if err := json.Unmarshal([]byte(js), &steps); err != nil {
			rows.Close()
			return fmt.Errorf("storage: stored steps: %w", err)
		}
		d.addSteps(-1, st, steps)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range []string{"finance_commitments", "finance_placements"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE council_id = $1`+set, args...); err != nil {
			return fmt.Errorf("storage: delete stored commitments: %w", err)
		}
	}
	return nil
}

// storeCommitments writes placements' commitment by year (through the
// horizon while open-ended) and their steps, adding them to d. The
// placements must have none stored.
func (tx *Tx) storeCommitments(ctx context.Context, ps []finance.Placement, ended []bool, through finance.Year, d *commitDelta) error {
	var w writeSet
	if err := tx.storeCommitmentsTo(&w, ps, ended, through, d); err != nil {
		return err
	}
	if err := w.run(ctx, tx); err != nil {
		return fmt.Errorf("storage: store commitments: %w", err)
	}
	return nil
}

// storeCommitmentsTo is storeCommitments, its writes added to w.
func (tx *Tx) storeCommitmentsTo(w *writeSet, ps []finance.Placement, ended []bool, through finance.Year, d *commitDelta) error {
	council := tx.actor.CouncilID
	var years []any
	var places []any
	for i := range ps {
		p := &ps[i]
		for _, ym := range p.StoredYears(through) {
			years = appendYearRow(years, council, p, ym)
			d.addYear(1, keyOf(p, ym.Year), pence(ym.Months), int64(ym.TopUp))
		}
		steps := stepsOf(p, ended[i])
		js, err := json.Marshal(steps)
		if err != nil {
			return err
		}
		places = append(places, p.ID, council, string(p.ServiceType), ymd(p.Start), int64(p.WeeklyOn(p.Start)), string(js))
		d.starts[startKeyOf(string(p.ServiceType), p.Start, int64(p.WeeklyOn(p.Start)))]++
		d.addSteps(1, string(p.ServiceType), steps)
	}
	w.insertRows(tx.db, `INSERT INTO finance_commitments (placement_id, year, council_id, service_type, provider_id, agreement_id, lot_id, area_id, `+
		strings.Join(monthCols, ", ")+`, top_up_pence) VALUES `, 21, years)
	w.insertRows(tx.db, `INSERT INTO finance_placements (placement_id, council_id, service_type, start_date, start_weekly_pence, steps) VALUES `,
		6, places)
	return nil
}

func appendYearRow(args []any, council int64, p *finance.Placement, ym finance.YearMonths) []any {
	args = append(args, p.ID, int(ym.Year), council, string(p.ServiceType), p.ProviderID, p.AgreementID, p.LotID, p.AreaID)
	for _, m := range ym.Months {
		args = append(args, int64(m))
	}
	return append(args, int64(ym.TopUp))
}

// applyCommitDelta adds d to the totals, in key order (two writers touching
// the same rows take their locks in the same order).
func (tx *Tx) applyCommitDelta(ctx context.Context, d *commitDelta) error {
	var w writeSet
	tx.commitDeltaTo(&w, d)
	if err := w.run(ctx, tx); err != nil {
		return fmt.Errorf("storage: add to commitment totals: %w", err)
	}
	return nil
}

// commitDeltaTo is applyCommitDelta, its writes added to w. Each table's
// rows get an argument list of their own: w keeps them until it runs.
func (tx *Tx) commitDeltaTo(w *writeSet, d *commitDelta) {
	council := tx.actor.CouncilID
	tk := make([]totalKey, 0, len(d.totals))
	for k, v := range d.totals {
		if *v != (totalVal{}) {
			tk = append(tk, k)
		}
	}
	slices.SortFunc(tk, func(a, b totalKey) int {
		return cmp.Or(cmp.Compare(a.year, b.year), cmp.Compare(a.serviceType, b.serviceType), cmp.Compare(a.provider, b.provider),
			cmp.Compare(a.agreement, b.agreement), cmp.Compare(a.lot, b.lot), cmp.Compare(a.area, b.area))
	})
	var args []any
	for _, k := range tk {
		v := d.totals[k]
		args = append(args, council, k.year, k.serviceType, k.provider, k.agreement, k.lot, k.area)
		for _, m := range v.months {
			args = append(args, m)
		}
		args = append(args, v.topUp, v.placements)
	}
	var set []string
	for _, c := range append(slices.Clone(monthCols), "top_up_pence", "placements") {
		set = append(set, c+" = finance_commitment_totals."+c+" + excluded."+c)
	}
	w.insertRows(tx.db, `INSERT INTO finance_commitment_totals (council_id, year, service_type, provider_id, agreement_id, lot_id, area_id, `+
		strings.Join(monthCols, ", ")+`, top_up_pence, placements) VALUES `, 21, args,
		` ON CONFLICT (council_id, year, service_type, provider_id, agreement_id, lot_id, area_id) DO UPDATE SET `+strings.Join(set, ", "))
	dk := make([]dayKey, 0, len(d.days))
	for k, v := range d.days {
		if *v != (dayVal{}) {
			dk = append(dk, k)
		}
	}
	slices.SortFunc(dk, func(a, b dayKey) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.serviceType, b.serviceType))
	})
	args = nil
	for _, k := range dk {
		v := d.days[k]
		args = append(args, council, k.day, k.serviceType, v.live, v.ended, v.starts, v.weekly)
	}
	w.insertRows(tx.db, `INSERT INTO finance_day_totals (council_id, day, service_type, live, ended, starts, weekly_pence) VALUES `, 7, args,
		` ON CONFLICT (council_id, day, service_type) DO UPDATE SET live = finance_day_totals.live + excluded.live, ended = finance_day_totals.ended + excluded.ended,
		starts = finance_day_totals.starts + excluded.starts, weekly_pence = finance_day_totals.weekly_pence + excluded.weekly_pence`)
	sk := make([]startKey, 0, len(d.starts))
	for k, v := range d.starts {
		if v != 0 {
			sk = append(sk, k)
		}
	}
	slices.SortFunc(sk, func(a, b startKey) int {
		return cmp.Or(cmp.Compare(a.serviceType, b.serviceType), cmp.Compare(a.month, b.month), cmp.Compare(a.bucket, b.bucket))
	})
	args = nil
	for _, k := range sk {
		args = append(args, council, k.serviceType, k.month, k.bucket, d.starts[k])
	}
	w.insertRows(tx.db, `INSERT INTO finance_start_buckets (council_id, service_type, month, bucket, starts) VALUES `, 5, args,
		` ON CONFLICT (council_id, service_type, month, bucket) DO UPDATE SET starts = finance_start_buckets.starts + excluded.starts`)
}

// commitHorizon is the year the council's open-ended placements are stored
// through, read under a share lock (extendCommitments takes it exclusively).
// A council created since the stored commitment began starts at the current
// year (its placements have all been stored by recommit; older councils'
// were back-filled by Migrate).
func (tx *Tx) commitHorizon(ctx context.Context) (finance.Year, error) {
	council := tx.actor.CouncilID
	read := func() (int, error) {
		var y int
		err := tx.QueryRowContext(ctx, `SELECT through_year FROM finance_horizons WHERE council_id = $1`+tx.db.dialect.forShare, council).Scan(&y)
		return y, err
	}
	// Read first: the council has its row after its first placement, and
	// every placement written after that saves the INSERT's round trip.
	y, err := read()
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO finance_horizons (council_id, through_year) VALUES ($1, $2) ON CONFLICT (council_id) DO NOTHING`,
			council, int(finance.YearOf(tx.db.today()))); err != nil {
			return 0, fmt.Errorf("storage: finance horizon: %w", err)
		}
		y, err = read()
	}
	if err != nil {
		return 0, fmt.Errorf("storage: finance horizon: %w", err)
	}
	return finance.Year(y), nil
}

// storedThrough is the council's horizon (0 when it has none yet).
func (db *DB) storedThrough(ctx context.Context, council int64) (finance.Year, error) {
	var y int
	err := db.sql.QueryRowContext(ctx, `SELECT through_year FROM finance_horizons WHERE council_id = $1`, council).Scan(&y)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return finance.Year(y), err
}

// commitmentsStored makes sure the council's commitment for year y is
// stored, extending the horizon when y is past it, and reports whether it
// is (false for years too far ahead to store: work those out instead).
func (db *DB) commitmentsStored(ctx context.Context, actor *caremarket.Actor, y finance.Year) (bool, error) {
	if y > finance.YearOf(db.today())+maxStoredAhead {
		return false, nil
	}
	h, err := db.storedThrough(ctx, actor.CouncilID)
	if err != nil || h >= y {
		return err == nil, err
	}
	return true, db.extendCommitments(ctx, actor, y)
}

// extendCommitments stores the open-ended placements' commitment for the
// years after the council's horizon up to y, and moves the horizon to y.
// Idempotent: a second caller finds the horizon moved and does nothing.
// Derived figures, like an index, so no audit record.
func (db *DB) extendCommitments(ctx context.Context, actor *caremarket.Actor, y finance.Year) error {
	return db.updateAs(ctx, actor, func(tx *Tx) error {
		council := actor.CouncilID
		if _, err := tx.ExecContext(ctx, `INSERT INTO finance_horizons (council_id, through_year) VALUES ($1, $2) ON CONFLICT (council_id) DO NOTHING`,
			council, int(finance.YearOf(db.today()))); err != nil {
			return err
		}
		var h int
		if err := tx.QueryRowContext(ctx, `SELECT through_year FROM finance_horizons WHERE council_id = $1`+db.dialect.forUpdate, council).Scan(&h); err != nil {
			return fmt.Errorf("storage: finance horizon: %w", err)
		}
		if finance.Year(h) >= y {
			return nil
		}
		ps, _, err := db.readFinancePlacements(ctx, tx, `pl.council_id = $1 AND pl.end_date IS NULL AND pl.start_date <= $2`, []any{council, ymd(y.End())})
		if err != nil {
			return err
		}
		d := newCommitDelta()
		var rows []any
		for i := range ps {
			p := &ps[i]
			for _, ym := range p.StoredYears(y) {
				if ym.Year > finance.Year(h) {
					rows = appendYearRow(rows, council, p, ym)
					d.addYear(1, keyOf(p, ym.Year), pence(ym.Months), int64(ym.TopUp))
				}
			}
		}
		var w writeSet
		w.insertRows(db, `INSERT INTO finance_commitments (placement_id, year, council_id, service_type, provider_id, agreement_id, lot_id, area_id, `+
			strings.Join(monthCols, ", ")+`, top_up_pence) VALUES `, 21, rows)
		tx.commitDeltaTo(&w, d)
		if err := w.run(ctx, tx); err != nil {
			return fmt.Errorf("storage: extend commitments: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE finance_horizons SET through_year = $1 WHERE council_id = $2`, int(y), council)
		return err
	})
}

// backfillCommitments stores the commitment of every council that has none
// stored yet (a database from before it was kept): run by Migrate, once per
// council, each in its own transaction; idempotent, as a council with a
// horizon is done.
func (db *DB) backfillCommitments(ctx context.Context) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT c.id, c.slug FROM councils c WHERE NOT EXISTS (SELECT 1 FROM finance_horizons h WHERE h.council_id = c.id) ORDER BY c.id`)
	if err != nil {
		return fmt.Errorf("storage: councils to back-fill: %w", err)
	}
	type council struct {
		id   int64
		slug string
	}
	var cs []council
	for rows.Next() {
		var c council
		if err := rows.Scan(&c.id, &c.slug); err != nil {
			rows.Close()
			return err
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cs {
		err := db.updateAs(ctx, caremarket.SystemActor(c.id, c.slug), func(tx *Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM finance_horizons WHERE council_id = $1`, c.id).Scan(&n); err != nil || n > 0 {
				return err
			}
			through, err := tx.commitHorizon(ctx)
			if err != nil {
				return err
			}
			var top int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM placements WHERE council_id = $1`, c.id).Scan(&top); err != nil {
				return err
			}
			d := newCommitDelta()
			for lo := int64(0); lo < top; lo += 5000 {
				ps, ended, err := db.readFinancePlacements(ctx, tx, `pl.council_id = $1 AND pl.id > $2 AND pl.id <= $3`, []any{c.id, lo, lo + 5000})
				if err != nil {
					return err
				}
				if err := tx.storeCommitments(ctx, ps, ended, through, d); err != nil {
					return err
				}
			}
			return tx.applyCommitDelta(ctx, d)
		})
		if err != nil {
			return fmt.Errorf("storage: back-fill the stored commitment of %s: %w", c.slug, err)
		}
	}
	return nil
}

// commitmentGroups rolls the stored commitment of year y up by a
// dimension: one GROUP BY over the totals.
func (db *DB) commitmentGroups(ctx context.Context, council int64, y finance.Year, d finance.Dimension, lineOf map[string]int64) ([]finance.Group, error) {
	col := "0"
	switch d {
	case finance.ByProvider:
		col = "provider_id"
	case finance.ByAgreement:
		col = "agreement_id"
	case finance.ByLot:
		col = "lot_id"
	case finance.ByArea:
		col = "area_id"
	}
	group := ""
	if col != "0" {
		group = ", " + col
	}
	sums := make([]string, 0, 14)
	for _, c := range append(slices.Clone(monthCols), "top_up_pence", "placements") {
		sums = append(sums, "SUM("+c+")")
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT service_type, `+col+`, `+strings.Join(sums, ", ")+` FROM finance_commitment_totals
		WHERE council_id = $1 AND year = $2 GROUP BY service_type`+group+` HAVING SUM(placements) > 0`, council, int(y))
	if err != nil {
		return nil, fmt.Errorf("storage: read commitment totals: %w", err)
	}
	defer rows.Close()
	key := finance.KeyFunc(d, lineOf)
	byKey := map[int64]*finance.Group{}
	for rows.Next() {
		var st string
		var v, top, n int64
		var ms [12]int64
		dest := []any{&st, &v}
		for i := range ms {
			dest = append(dest, &ms[i])
		}
		if err := rows.Scan(append(dest, &top, &n)...); err != nil {
			return nil, err
		}
		k := key(&finance.Placement{ServiceType: market.ServiceType(st), ProviderID: v, AgreementID: v, LotID: v, AreaID: v})
		g := byKey[k]
		if g == nil {
			g = &finance.Group{Key: k}
			byKey[k] = g
		}
		for i, m := range ms {
			g.Months[i] += finance.Money(m)
			g.Total += finance.Money(m)
		}
		g.TopUp += finance.Money(top)
		g.Placements += int(n)
	}
	out := make([]finance.Group, 0, len(byKey))
	for _, g := range byKey {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b finance.Group) int { return cmp.Compare(a.Key, b.Key) })
	return out, rows.Err()
}

// rollup is the year's commitment by a dimension: from the stored totals,
// or, for a year too far ahead to store, from the placements.
func (db *DB) rollup(ctx context.Context, actor *caremarket.Actor, y finance.Year, d finance.Dimension, lineOf map[string]int64) ([]finance.Group, error) {
	stored, err := db.commitmentsStored(ctx, actor, y)
	if err != nil {
		return nil, err
	}
	if stored {
		return db.commitmentGroups(ctx, actor.CouncilID, y, d, lineOf)
	}
	ps, err := db.financePlacements(ctx, db.sql, actor.CouncilID, y.Start(), y.End(), "")
	if err != nil {
		return nil, err
	}
	return finance.Rollup(ps, y, finance.KeyFunc(d, lineOf)), nil
}

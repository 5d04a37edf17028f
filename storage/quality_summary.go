package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket/quality"
)

// The daily performance summary. A lot's league table over a national
// dataset would otherwise add up every offer, invitation and placement of
// the period each time it is asked for; instead each write that changes a
// figure adds its part to one row per council, lot, provider and day (UTC)
// in the same transaction, and the table adds up days (quality_perf.go,
// lotRows).
//
// What a day's row holds, and the record's day it is counted on:
//   - offers accepted, declined (by reason, in perf_declines) and let
//     expire, on the day offered; each accepted or declined offer's answer
//     time in whole minutes, kept as a list so the median and 90th
//     percentile stay exact (a list of a few bytes an answer, read as one
//     string a provider, costs less than a histogram's columns and is never
//     a bucket out);
//   - accepted offers with a contracted price and a guide price in force
//     on the day offered: how many, and the two totals;
//   - mini-competition invitations and those that drew a bid, on the day
//     the competition opened;
//   - placements, off-contract placements, placements handed back within
//     quality.HandBackDays and ended within quality.EarlyEndDays of their
//     start, on the start date.
//
// Every part is the SQL below, added with ON CONFLICT ... DO UPDATE SET
// n = n + excluded.n, so two writers at once each add their own part. The
// same SQL over all records fills the summary from scratch (fillPerfSummary).
//
// Each part is added to two tables in the same transaction: to its day in
// perf_days and, added up by calendar month, to perf_months (keyed by the
// month's first day). A table over a year or two reads the months wholly
// inside the period and only the days at either end (quality_lot.go), a
// third of the rows at national scale; the two tables hold the same counts
// because every write adds to both in one transaction.

// perfEvent is a write that changes the summary.
type perfEvent int

const (
	// perfOfferAnswered: an offer accepted or let expire (it was pending,
	// which counts nothing). Argument: the offer's id.
	perfOfferAnswered perfEvent = iota
	// perfOfferDeclined: an offer declined (its reason counted too).
	// Argument: the offer's id.
	perfOfferDeclined
	// perfCompetition: a mini-competition opened with its invitations.
	// Argument: the competition's id.
	perfCompetition
	// perfBid: a location's bid, counted before it is saved, and only if
	// the location was invited and has not bid before (a bid replaced
	// counts once). Arguments: the competition's and the location's ids.
	perfBid
	// perfPlacementsMade: placements created. Arguments: their ids.
	perfPlacementsMade
	// perfPlacementClosed: an active placement ended or handed back.
	// Argument: its id.
	perfPlacementClosed
	// perfGuidePrices: guide prices added from a day: the price against
	// guide of offers accepted on or after it is worked out again.
	// Argument: the day (time.Time).
	perfGuidePrices
)

// perfCounters are perf_days' counting columns, in the order every part's
// SELECT gives them (then answers).
var perfCounters = []string{"accepted", "declined", "expired", "priced", "price_pence", "guide_pence",
	"invitations", "bids", "placements", "off_contract", "hand_backs", "ended_early"}

// perfOffers is the part of the offers matching cond (alias o). With
// pricedOnly, only the price against guide.
func (db *DB) perfOffers(cond string, pricedOnly bool) string {
	counts := `SUM(CASE WHEN x.status = 'accepted' THEN 1 ELSE 0 END), SUM(CASE WHEN x.status = 'declined' THEN 1 ELSE 0 END),
		SUM(CASE WHEN x.status = 'expired' THEN 1 ELSE 0 END)`
	answers := `COALESCE(` + db.dialect.joinText("x.minutes") + `, '')`
	if pricedOnly {
		counts, answers = `0, 0, 0`, `''`
	}
	// The guide price in force on the day offered for the requirement's
	// service, need band and the area's setting.
	return `SELECT x.council_id, x.lot_id, x.provider_id, x.day, ` + counts + `,
		SUM(CASE WHEN x.guide IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN x.guide IS NOT NULL THEN x.price_pence ELSE 0 END), COALESCE(SUM(x.guide), 0),
		0, 0, 0, 0, 0, 0, ` + answers + `
	FROM (SELECT o.council_id, o.lot_id, o.provider_id, o.status, o.price_pence, ` + db.dialect.dayOf("o.offered_at") + ` AS day,
		CASE WHEN o.status IN ('accepted', 'declined') AND o.responded_at IS NOT NULL THEN ` + db.dialect.minutesBetween("o.offered_at", "o.responded_at") + ` END AS minutes,
		CASE WHEN o.status = 'accepted' AND o.price_pence > 0 THEN (SELECT g.price_pence FROM guide_prices g WHERE g.council_id = o.council_id
			AND g.service_type = r.service_type AND g.band = r.need_band AND g.setting = c.setting AND g.effective_from <= o.offered_at
			ORDER BY g.effective_from DESC, g.id DESC LIMIT 1) END AS guide
		FROM offers o LEFT JOIN care_requirements r ON r.id = o.requirement_id LEFT JOIN areas a ON a.id = r.area_id LEFT JOIN clusters c ON c.id = a.cluster_id
		WHERE o.lot_id IS NOT NULL AND o.status IN ('accepted', 'declined', 'expired') AND ` + cond + `) x
	GROUP BY x.council_id, x.lot_id, x.provider_id, x.day`
}

// perfDeclines is the declines by reason of the offers matching cond.
func (db *DB) perfDeclines(cond string) string {
	day := db.dialect.dayOf("o.offered_at")
	return `SELECT o.council_id, o.lot_id, o.provider_id, ` + day + `, COALESCE(o.reason, ''), COUNT(*) FROM offers o
	WHERE o.lot_id IS NOT NULL AND o.status = 'declined' AND ` + cond + `
	GROUP BY o.council_id, o.lot_id, o.provider_id, ` + day + `, COALESCE(o.reason, '')`
}

// perfInvites is the invitations matching cond (aliases ci, c) and whether
// each drew a bid; with newBid, a bid about to be made by an invited
// location that has not bid before.
func (db *DB) perfInvites(cond string, newBid bool) string {
	bid := `EXISTS (SELECT 1 FROM bids b WHERE b.competition_id = ci.competition_id AND b.location_id = ci.location_id)`
	invitations, bids := `COUNT(*)`, `SUM(CASE WHEN `+bid+` THEN 1 ELSE 0 END)`
	if newBid {
		invitations, bids, cond = `0`, `COUNT(*)`, cond+` AND NOT `+bid
	}
	day := db.dialect.dayOf("c.created_at")
	return `SELECT ci.council_id, c.lot_id, ci.provider_id, ` + day + `, 0, 0, 0, 0, 0, 0, ` + invitations + `, ` + bids + `, 0, 0, 0, 0, ''
	FROM competition_invites ci JOIN competitions c ON c.id = ci.competition_id
	WHERE c.lot_id IS NOT NULL AND ` + cond + `
	GROUP BY ci.council_id, c.lot_id, ci.provider_id, ` + day
}

// perfPlacements is the placements matching cond (alias p); with
// outcomeOnly, only whether each was handed back or ended early (an active
// placement counts as neither).
func (db *DB) perfPlacements(cond string, outcomeOnly bool) string {
	made := `COUNT(*), SUM(CASE WHEN p.off_contract THEN 1 ELSE 0 END)`
	if outcomeOnly {
		made = `0, 0`
	}
	notice, end := db.dialect.daysBetween("p.start_date", "p.notice_given_on"), db.dialect.daysBetween("p.start_date", "p.end_date")
	return `SELECT p.council_id, p.lot_id, p.provider_id, p.start_date, 0, 0, 0, 0, 0, 0, 0, 0, ` + made + `,
		SUM(CASE WHEN p.status = 'handed_back' AND ` + notice + ` BETWEEN 0 AND ` + strconv.Itoa(quality.HandBackDays) + ` THEN 1 ELSE 0 END),
		SUM(CASE WHEN p.status = 'ended' AND ` + end + ` >= 0 AND ` + end + ` < ` + strconv.Itoa(quality.EarlyEndDays) + ` THEN 1 ELSE 0 END), ''
	FROM placements p WHERE p.lot_id IS NOT NULL AND ` + cond + `
	GROUP BY p.council_id, p.lot_id, p.provider_id, p.start_date`
}

// addPerfDays adds a part (a SELECT of the key, perfCounters and answers)
// to perf_days, and the same part added up by month to perf_months: the
// two always hold the same counts.
//
// Where every statement is a round trip (PostgreSQL), the two go as one
// statement, the days' upsert a part of the months' WITH: they share the
// part's parameters, and touch different tables.
func (db *DB) addPerfDays(ctx context.Context, ex execer, part string, args ...any) error {
	days, months := upsertPerfSQL("perf_days", "day", part), upsertPerfSQL("perf_months", "month", db.perfByMonth(part))
	qs := []string{days, months}
	if db.dialect.foldWrites {
		qs = []string{"WITH d AS (" + days + ") " + months}
	}
	for _, q := range qs {
		if _, err := ex.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("storage: performance summary: %w", err)
		}
	}
	return nil
}

// perfByMonth is a part of perf_days' columns added up by month.
func (db *DB) perfByMonth(part string) string {
	sums := make([]string, len(perfCounters))
	for i, c := range perfCounters {
		sums[i] = `SUM(` + c + `)`
	}
	month := db.dialect.monthOf("s.day")
	return `WITH s (council_id, lot_id, provider_id, day, ` + strings.Join(perfCounters, ", ") + `, answers) AS (` + part + `)
	SELECT s.council_id, s.lot_id, s.provider_id, ` + month + `, ` + strings.Join(sums, ", ") + `, COALESCE(` + db.dialect.joinText("NULLIF(s.answers, '')") + `, '')
	FROM s GROUP BY s.council_id, s.lot_id, s.provider_id, ` + month + `
	ORDER BY 1, 2, 3, 4` // key order: writers at once lock shared month rows in one order
}

// upsertPerfSQL adds a part to perf_days or perf_months (key column day or
// month): two writers at once each add their own counts.
func upsertPerfSQL(table, key, part string) string {
	set := make([]string, 0, len(perfCounters)+1)
	for _, c := range perfCounters {
		set = append(set, c+` = `+table+`.`+c+` + excluded.`+c)
	}
	set = append(set, `answers = CASE WHEN excluded.answers = '' THEN `+table+`.answers WHEN `+table+`.answers = '' THEN excluded.answers
		ELSE `+table+`.answers || ' ' || excluded.answers END`)
	return `INSERT INTO ` + table + ` (council_id, lot_id, provider_id, ` + key + `, ` + strings.Join(perfCounters, ", ") + `, answers)
		SELECT * FROM (` + part + `) s WHERE true
		ON CONFLICT (council_id, lot_id, provider_id, ` + key + `) DO UPDATE SET ` + strings.Join(set, ", ")
}

// addPerfDeclines adds a part (a SELECT of the key, reason and count) to
// perf_declines.
func addPerfDeclines(ctx context.Context, ex execer, part string, args ...any) error {
	q := `INSERT INTO perf_declines (council_id, lot_id, provider_id, day, reason, n) SELECT * FROM (` + part + `) s WHERE true
		ON CONFLICT (council_id, lot_id, provider_id, reason, day) DO UPDATE SET n = perf_declines.n + excluded.n`
	if _, err := ex.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("storage: performance summary declines: %w", err)
	}
	return nil
}

// execer is a transaction: the storage's Tx or a bare one.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// lockPerfRows locks the council's performance summary rows from a day on,
// months before days, each in key order: the order in which every other
// writer takes its own (on PostgreSQL a write's one statement, addPerfDays,
// locks its month's row before its day's, and an acceptance counts the
// offer's day before the placement's). A write of many rows (guide prices
// adopted or uplifted) takes them all first, before the audit head, so it
// and the writers beside it do not wait for each other in a circle.
func (tx *Tx) lockPerfRows(ctx context.Context, from time.Time) error {
	for _, t := range perfTables {
		if err := tx.lockInOrder(ctx, t.table, `council_id = $1 AND `+t.key+` >= $2`, `lot_id, provider_id, `+t.key, tx.actor.CouncilID, ymd(from)); err != nil {
			return err
		}
	}
	return nil
}

// perfTables are the summary's tables and their key columns, in lock order.
var perfTables = []struct{ table, key string }{{"perf_months", "month"}, {"perf_days", "day"}}

// perfCount adds a write's part to the daily performance summary, in the
// write's transaction: one call after each write that changes a figure
// (perfBid: before the bid is saved).
func (tx *Tx) perfCount(ctx context.Context, ev perfEvent, args ...any) error {
	db, council := tx.db, tx.actor.CouncilID
	ex := tx
	switch ev {
	case perfOfferAnswered, perfOfferDeclined:
		if err := db.addPerfDays(ctx, ex, db.perfOffers(`o.id = $1 AND o.council_id = $2`, false), args[0], council); err != nil || ev == perfOfferAnswered {
			return err
		}
		return addPerfDeclines(ctx, ex, db.perfDeclines(`o.id = $1 AND o.council_id = $2`), args[0], council)
	case perfCompetition:
		return db.addPerfDays(ctx, ex, db.perfInvites(`ci.competition_id = $1 AND ci.council_id = $2`, false), args[0], council)
	case perfBid:
		return db.addPerfDays(ctx, ex, db.perfInvites(`ci.competition_id = $1 AND ci.location_id = $2 AND ci.council_id = $3`, true), args[0], args[1], council)
	case perfPlacementsMade, perfPlacementClosed:
		for len(args) > 0 {
			n := min(len(args), narrowChunk)
			part := db.perfPlacements(`p.council_id = $1 AND p.id IN (`+inMarks(2, n)+`)`, ev == perfPlacementClosed)
			if err := db.addPerfDays(ctx, ex, part, append([]any{council}, args[:n]...)...); err != nil {
				return err
			}
			args = args[n:]
		}
		return nil
	case perfGuidePrices:
		// From the first of the month, so the month's row is worked out
		// again whole; the month's days before the new price come out as
		// they were (the price does not reach back to them).
		day := args[0].(time.Time).UTC()
		from := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
		if err := tx.lockPerfRows(ctx, from); err != nil {
			return err
		}
		for _, t := range perfTables {
			if _, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET priced = 0, price_pence = 0, guide_pence = 0 WHERE council_id = $1 AND `+t.key+` >= $2`,
				council, ymd(from)); err != nil {
				return fmt.Errorf("storage: performance summary guide prices: %w", err)
			}
		}
		return db.addPerfDays(ctx, ex, db.perfOffers(`o.council_id = $1 AND o.status = 'accepted' AND o.offered_at >= $2`, true), council, from)
	}
	return fmt.Errorf("storage: performance summary: unknown event %d", ev)
}

// fillPerfSummary works the whole summary out again from the records, in
// one transaction; Migrate runs it once, after the tables are made.
func (db *DB) fillPerfSummary(ctx context.Context, force bool) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var filled bool
	if err := tx.QueryRowContext(ctx, `SELECT filled FROM perf_state WHERE id = 1`+db.dialect.forUpdate).Scan(&filled); err != nil {
		return fmt.Errorf("storage: performance summary state: %w", err)
	}
	if filled && !force {
		return nil
	}
	ex := tx
	for _, t := range []string{"perf_days", "perf_declines", "perf_months"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("storage: empty performance summary %s: %w", t, err)
		}
	}
	// The days from the records, then the months as the days added up.
	days := `SELECT council_id, lot_id, provider_id, day, ` + strings.Join(perfCounters, ", ") + `, answers FROM perf_days`
	var qs []string
	for _, part := range []string{db.perfOffers("true", false), db.perfInvites("true", false), db.perfPlacements("true", false)} {
		qs = append(qs, upsertPerfSQL("perf_days", "day", part))
	}
	for _, q := range append(qs, upsertPerfSQL("perf_months", "month", db.perfByMonth(days))) {
		if _, err := ex.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("storage: fill performance summary: %w", err)
		}
	}
	if err := addPerfDeclines(ctx, ex, db.perfDeclines("true")); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE perf_state SET filled = TRUE WHERE id = 1`); err != nil {
		return err
	}
	return tx.Commit()
}

// RebuildPerformanceSummary works the daily performance summary out again
// from the records, for every council: after records were loaded in bulk
// other than through the storage's writes (a benchmark's history), or to
// check the summary against the records.
func (db *DB) RebuildPerformanceSummary(ctx context.Context) error {
	return db.fillPerfSummary(ctx, true)
}

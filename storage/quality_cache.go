package storage

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/caremarket/caremarket/quality"
)

// A lot's league table over a national dataset takes a good fraction of a
// second to work out, and a commissioner sorting it column by column asks
// for the same figures again and again. The rows are kept in memory, keyed
// by the council's audit-log head: every change to the data they come from
// (offers, placements, vacancies, delivered hours, awards) writes an audit
// record in its own transaction, so a table computed at head N is still
// right while the head is N, whichever server made the change; a new record
// anywhere in the council makes the next request compute afresh. Vacancy
// ages are measured at the hour, so the key holds the hour too.

type lotCacheKey struct {
	db         *DB
	council    int64
	lot        int64
	from, to   int64
	auditHead  int64
	measuredAt int64
}

// lotCacheMax bounds the cache; past it the cache starts again.
const lotCacheMax = 128

var lotCache = struct {
	sync.Mutex
	rows map[lotCacheKey][]quality.LeagueRow
}{rows: map[lotCacheKey][]quality.LeagueRow{}}

// auditHead is the id of the council's latest audit record.
func (db *DB) auditHead(ctx context.Context, council int64) (int64, error) {
	var head int64
	if err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM audit_log WHERE council_id = $1`, council).Scan(&head); err != nil {
		return 0, fmt.Errorf("storage: audit head: %w", err)
	}
	return head, nil
}

// cachedLotRows returns the lot's rows (unsorted) from the cache or from
// compute, which it then keeps. The caller gets its own copy to sort.
func (db *DB) cachedLotRows(ctx context.Context, council, lot int64, from, to time.Time, compute func() ([]quality.LeagueRow, error)) ([]quality.LeagueRow, error) {
	head, err := db.auditHead(ctx, council)
	if err != nil {
		return nil, err
	}
	key := lotCacheKey{db: db, council: council, lot: lot, from: from.Unix(), to: to.Unix(), auditHead: head, measuredAt: db.now().Unix() / 3600}
	lotCache.Lock()
	rows, ok := lotCache.rows[key]
	lotCache.Unlock()
	if ok {
		return slices.Clone(rows), nil
	}
	rows, err = compute()
	if err != nil {
		return nil, err
	}
	lotCache.Lock()
	if len(lotCache.rows) >= lotCacheMax {
		clear(lotCache.rows)
	}
	lotCache.rows[key] = slices.Clone(rows)
	lotCache.Unlock()
	return rows, nil
}

// ForgetLotTables empties the league-table cache, so a benchmark can
// measure the tables worked out from the records rather than remembered.
func ForgetLotTables() {
	lotCache.Lock()
	clear(lotCache.rows)
	lotCache.Unlock()
}

package storage

import (
	"context"
	"fmt"
)

// Lock order. On PostgreSQL two writers that each hold a row the other
// wants wait for each other until the database fails one of them (a 500 to
// its caller). Writers therefore take shared rows in one order: the offer
// (or competition, or a replaced placement) before its requirement, the
// requirement before the performance summary's rows (months before days,
// each in key order), and the council's audit chain head last. A writer
// that changes many such rows locks them all first, in that order, with
// lockInOrder. SQLite has one writer at a time and needs none of this.

// lockInOrder locks the rows of table that match where, ordered by order,
// and reads nothing from them.
func (tx *Tx) lockInOrder(ctx context.Context, table, where, order string, args ...any) error {
	if tx.db.dialect.forUpdate == "" {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+table+` WHERE `+where+` ORDER BY `+order+tx.db.dialect.forUpdate+`) locked`,
		args...).Scan(&n); err != nil {
		return fmt.Errorf("storage: lock %s: %w", table, err)
	}
	return nil
}

package storage

import (
	"context"
	"time"

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

package storage

import (
	"context"
	"time"

	"github.com/caremarket/caremarket/quality"
)

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

package storage

import (
	"context"
	"fmt"
)

// noticePublished locks the window's row for the rest of the transaction
// and says whether its award notice is out. Every write that the notice
// closes (applications, resubmissions, scores, moderation) and the notice
// itself take this lock first, so on PostgreSQL a submission and the
// notice cannot both pass their checks at once; SQLite has one writer.
func noticePublished(ctx context.Context, tx *Tx, councilID, windowID int64) (bool, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM proc_windows WHERE id = $1 AND council_id = $2`+tx.db.dialect.forUpdate,
		windowID, councilID).Scan(&id); err != nil {
		return false, notFound(err, "Window")
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM awards WHERE window_id = $1 AND council_id = $2 AND notice_at IS NOT NULL`,
		windowID, councilID).Scan(&n); err != nil {
		return false, fmt.Errorf("storage: read award notice: %w", err)
	}
	return n > 0, nil
}

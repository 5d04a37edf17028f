package storage

import (
	"context"
	"fmt"
	"time"
)

// TryLease takes the named lease for holder until now+ttl, when it is free
// (never taken, or expired). Several servers on one
// database call it for the same job; exactly one gets it, so a background
// job runs once however many servers there are. Leases are not audited:
// they change no council's data.
func (db *DB) TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := db.now()
	res, err := db.sql.ExecContext(ctx, `INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE job_leases.expires_at <= $4`, name, holder, now.Add(ttl), now)
	if err != nil {
		return false, fmt.Errorf("storage: take lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// FinishLease records that holder ran the job now and keeps the lease until
// next, so no server runs it again before then.
func (db *DB) FinishLease(ctx context.Context, name, holder string, next time.Time) error {
	if _, err := db.sql.ExecContext(ctx, `UPDATE job_leases SET last_run_at = $1, expires_at = $2 WHERE name = $3 AND holder = $4`,
		db.now(), next.UTC(), name, holder); err != nil {
		return fmt.Errorf("storage: finish lease %s: %w", name, err)
	}
	return nil
}

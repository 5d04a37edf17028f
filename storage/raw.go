package storage

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// RawDurable measures the database's durable-commit rate with caremarket's
// own connection settings: n transactions, each one UPDATE of one row and
// one INSERT, then commit, spread over workers goroutines. It uses a scratch
// table of its own (raw_bench), created and dropped here, so it can run on a
// live database without touching its data. The figure is the ceiling an
// acceptance (a few more statements in one transaction) is measured against.
func RawDurable(ctx context.Context, db *DB, n, workers int) (float64, error) {
	if workers < 1 {
		workers = 1
	}
	if _, err := db.sql.ExecContext(ctx, `DROP TABLE IF EXISTS raw_bench`); err != nil {
		return 0, err
	}
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE raw_bench (id `+db.dialect.pk+`, k INTEGER NOT NULL, v INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("storage: create raw_bench: %w", err)
	}
	defer db.sql.ExecContext(context.Background(), `DROP TABLE IF EXISTS raw_bench`)
	if _, err := db.sql.ExecContext(ctx, `INSERT INTO raw_bench (k, v) VALUES (0, 0)`); err != nil {
		return 0, err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				err := func() error {
					tx, err := db.sql.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					if _, err := tx.ExecContext(ctx, `UPDATE raw_bench SET v = v + 1 WHERE k = 0`); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO raw_bench (k, v) VALUES ($1, $1)`, i); err != nil {
						return err
					}
					return tx.Commit()
				}()
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, fmt.Errorf("storage: raw durable transaction: %w", firstErr)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

package storage

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements for the group-committed writes, and
// the API token's lookup, on SQLite. The SQLite driver compiles a statement each time it runs one
// that is not prepared, and for an acceptance that compiling was a third
// of the time the single writer spent on it (BENCHMARKS.md): a batch runs
// its changes one after another, so that time is the batch's pace.
// PostgreSQL's driver (pgx) already caches its statements per connection.
// The cache is bounded: a statement built on the fly beyond the bound runs
// unprepared, as before.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

const maxCachedStmts = 128

// prepared returns query prepared once for the pool, or nil when there is
// no cache, it is full (and query not in it), or query cannot be prepared
// (the caller then runs it unprepared and sees the error there).
func (c *stmtCache) prepared(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.stmts[query]
	if !ok && len(c.stmts) < maxCachedStmts {
		var err error
		if s, err = db.PrepareContext(ctx, query); err == nil {
			if c.stmts == nil {
				c.stmts = map[string]*sql.Stmt{}
			}
			c.stmts[query] = s
		}
	}
	return s
}

// stmt returns query prepared on the transaction's connection, or nil when
// the transaction does not use the cache.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if tx.stmts == nil {
		return nil
	}
	s := tx.stmts.prepared(ctx, tx.db.sql, query)
	if s == nil {
		return nil
	}
	return tx.Tx.StmtContext(ctx, s)
}

// queryRowPrepared is db.sql.QueryRowContext through the statement cache,
// for the reads every request makes (the API token's lookup).
func (db *DB) queryRowPrepared(ctx context.Context, query string, args ...any) *sql.Row {
	if s := db.stmts.prepared(ctx, db.sql, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.sql.QueryRowContext(ctx, query, args...)
}

// QueryRowContext runs query through the statement cache when the
// transaction uses one.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// QueryContext runs query through the statement cache when the transaction
// uses one.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// ExecContext runs query through the statement cache when the transaction
// uses one.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

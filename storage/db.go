// Package storage keeps caremarket's data in SQLite (the embedded default,
// through the pure-Go modernc.org/sqlite) or PostgreSQL (through pgx). One
// set of SQL serves both: numbered placeholders ($1) work in each, and the
// few differences (identity columns, time types, locking) are named in
// dialect.go. Every query is scoped by the actor's council; every change
// writes its audit record in the same transaction.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/caremarket/caremarket"
)

// Config says which database to open: PostgreSQL when DatabaseURL is set,
// otherwise the SQLite file at SQLitePath.
type Config struct {
	SQLitePath  string
	DatabaseURL string
	// SQLitePragmas are set on every SQLite connection after caremarket's
	// own, like "max_page_count(2000)" (the disk-full test uses it).
	SQLitePragmas []string
}

// DB is an open caremarket database.
type DB struct {
	sql     *sql.DB
	dialect dialect
	// Now is the clock; tests replace it.
	Now func() time.Time
	// cache holds what the cascade reads and rarely changes (cascade_cache.go).
	cache cascadeCache
	// writer queues this process's SQLite write transactions in Go (one
	// at a time, as SQLite runs them anyway) instead of in SQLite's busy
	// handler, which sleeps and retries: under concurrent writes that made
	// acceptance slower in parallel than serially, with waits of seconds.
	// Other processes on the same file still queue on busy_timeout. Nil on
	// PostgreSQL, whose writers run side by side.
	writer chan struct{}
	// group batches acceptances into shared commits (group_commit.go).
	group groupCommit
	// stmts holds the group-committed writes' prepared statements on
	// SQLite (stmt_cache.go); nil on PostgreSQL.
	stmts *stmtCache
}

// Open opens (and for SQLite creates) the database. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{Now: time.Now}
	var err error
	if cfg.DatabaseURL != "" {
		db.dialect = postgres
		db.sql, err = sql.Open("pgx", cfg.DatabaseURL)
		if err == nil {
			db.sql.SetMaxOpenConns(20)
			db.sql.SetMaxIdleConns(20)
			db.sql.SetConnMaxIdleTime(5 * time.Minute)
		}
	} else {
		if cfg.SQLitePath == "" {
			cfg.SQLitePath = "caremarket.db"
		}
		db.dialect = sqlite
		db.writer = make(chan struct{}, 1)
		db.stmts = &stmtCache{}
		db.sql, err = sql.Open("sqlite", sqliteDSN(cfg.SQLitePath, cfg.SQLitePragmas...))
		if err == nil {
			// WAL gives concurrent readers; writers queue on the busy timeout.
			db.sql.SetMaxOpenConns(8)
			db.sql.SetMaxIdleConns(8)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", db.dialect.name, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.sql.PingContext(pingCtx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("storage: connect to %s: %w", db.dialect.name, err)
	}
	return db, nil
}

// sqliteDSN sets the pragmas on every connection the pool opens: foreign
// keys on, WAL, synchronous=FULL so an acknowledged commit survives a power
// cut, a busy timeout so writers wait rather than fail, and BEGIN IMMEDIATE
// so a transaction takes the write lock up front and never deadlocks on an
// upgrade from read to write. A 16 MB page cache per connection keeps a
// council's register in memory (measured in BENCHMARKS.md). Reads map the
// file (up to 256 MB) rather than copy each page into every connection's
// cache: a lot's league table, four reads on four connections, took 5-17%
// less time so in every paired run. Writes still go through the file, so a
// full disk is still an error rather than a crash.
func sqliteDSN(path string, extra ...string) string {
	q := url.Values{}
	for _, p := range append([]string{"foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(15000)", "cache_size(-16000)", "mmap_size(268435456)"}, extra...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Close closes the database. On SQLite it first refreshes the planner's
// statistics, as SQLite recommends doing when a connection closes.
func (db *DB) Close() error {
	if db.dialect.onClose != "" {
		db.sql.Exec(db.dialect.onClose)
	}
	return db.sql.Close()
}

// Driver names the database in use: "sqlite" or "postgres".
func (db *DB) Driver() string { return db.dialect.name }

// Ping checks the database answers (for /healthz).
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// SQL exposes the pool for tests and tools that must reach below the API
// (the audit tamper test, benchmarks' bulk loads).
func (db *DB) SQL() *sql.DB { return db.sql }

// now returns the clock truncated to microseconds, the precision PostgreSQL
// keeps, so a time reads back exactly as it was written (the audit hash
// depends on it).
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// queryer is what reads need from either the pool or a transaction, so one
// read serves both a page and a change that locks what it reads.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a write transaction on behalf of an actor.
type Tx struct {
	*sql.Tx
	db    *DB
	actor *caremarket.Actor
	now   time.Time
	// requestID is the HTTP request making the change, for its audit record.
	requestID string
	// stmts, when set, prepares the transaction's statements once
	// (stmt_cache.go).
	stmts *stmtCache
	// conn is the connection the transaction runs on when it was begun on
	// one of its own (updateOnConn), so a bulk copy can reach the driver
	// below database/sql and still be part of the transaction (copy.go).
	conn *sql.Conn
}

// update runs fn in a transaction for the actor in ctx and commits when fn
// returns nil; any error rolls everything back, audit record included.
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) error {
	actor := caremarket.ActorFrom(ctx)
	if actor == nil {
		return caremarket.Errorf(caremarket.EUNAUTHORIZED, "Sign in to continue")
	}
	return db.updateAs(ctx, actor, fn)
}

// updateBy is update for an actor in one of roles, which the transaction
// checks first.
func (db *DB) updateBy(ctx context.Context, roles []caremarket.Role, fn func(tx *Tx) error) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(roles...); err != nil {
			return err
		}
		return fn(tx)
	})
}

// Roles of one, for updateBy.
var (
	onlyAdmins    = []caremarket.Role{caremarket.RoleAdmin}
	onlyProviders = []caremarket.Role{caremarket.RoleProvider}
)

func (db *DB) updateAs(ctx context.Context, actor *caremarket.Actor, fn func(tx *Tx) error) error {
	return db.updateWith(ctx, actor, false, fn)
}

// updateOnConn is update on a connection taken from the pool for the
// transaction alone, which tx.copyRows needs: the rows it copies are
// written by the driver on that connection, inside the transaction, so
// they commit or roll back with everything else, audit record included.
func (db *DB) updateOnConn(ctx context.Context, fn func(tx *Tx) error) error {
	actor := caremarket.ActorFrom(ctx)
	if actor == nil {
		return caremarket.Errorf(caremarket.EUNAUTHORIZED, "Sign in to continue")
	}
	return db.updateWith(ctx, actor, true, fn)
}

func (db *DB) updateWith(ctx context.Context, actor *caremarket.Actor, ownConn bool, fn func(tx *Tx) error) error {
	if db.writer != nil {
		select {
		case db.writer <- struct{}{}:
			defer func() { <-db.writer }()
		case <-ctx.Done():
			return fmt.Errorf("storage: waiting to write: %w", ctx.Err())
		}
	}
	var conn *sql.Conn
	begin := db.sql.BeginTx
	if ownConn {
		c, err := db.sql.Conn(ctx)
		if err != nil {
			return fmt.Errorf("storage: connect: %w", err)
		}
		// Closed after the transaction ends, which returns it to the pool.
		defer c.Close()
		conn, begin = c, c.BeginTx
	}
	sqlTx, err := begin(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: db, actor: actor, now: db.now(), requestID: caremarket.RequestID(ctx), conn: conn}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// actor returns the actor in ctx or an EUNAUTHORIZED error.
func actorOf(ctx context.Context) (*caremarket.Actor, error) {
	a := caremarket.ActorFrom(ctx)
	if a == nil || a.CouncilID == 0 {
		return nil, caremarket.Errorf(caremarket.EUNAUTHORIZED, "Sign in to continue")
	}
	return a, nil
}

// notFound turns sql.ErrNoRows into the application's not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return caremarket.Errorf(caremarket.ENOTFOUND, "%s not found", what)
	}
	return err
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either database.
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") || hasSQLState(err, "23505")
}

// isLockTimeout reports PostgreSQL's lock_not_available (lock_timeout).
func isLockTimeout(err error) bool { return hasSQLState(err, "55P03") }

// isDeadlock reports PostgreSQL's deadlock_detected: this transaction (or,
// inside a savepoint, this change) was rolled back to break a cycle of
// waits.
func isDeadlock(err error) bool { return hasSQLState(err, "40P01") }

// hasSQLState reports whether err is PostgreSQL's error of code, as the pgx
// driver writes it ("... (SQLSTATE 40P01)"), wrapped or not.
func hasSQLState(err error, code string) bool {
	return err != nil && strings.Contains(err.Error(), "(SQLSTATE "+code+")")
}

// nullInt64 stores 0 as NULL (for optional references).
func nullInt64(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// PendingMigrations returns how many embedded migrations this database has
// not applied yet: a server whose schema is behind its code is not ready.
func (db *DB) PendingMigrations(ctx context.Context) (int, error) {
	applied := map[int]bool{}
	rows, err := db.sql.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		// No table yet: nothing has been applied.
		if strings.Contains(err.Error(), "schema_migrations") {
			return len(migrations), nil
		}
		return 0, fmt.Errorf("storage: read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	pending := 0
	for _, m := range migrations {
		if !applied[m.version] {
			pending++
		}
	}
	return pending, nil
}

// IntegrityCheck runs SQLite's own check of the file (PRAGMA
// integrity_check) and returns its complaints; PostgreSQL keeps its own
// checksums, so there it only checks that the database answers.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	if db.dialect.integrityCheck == "" {
		return db.sql.PingContext(ctx)
	}
	rows, err := db.sql.QueryContext(ctx, db.dialect.integrityCheck)
	if err != nil {
		return fmt.Errorf("storage: integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("storage: integrity check failed: %s", strings.Join(problems, "; "))
	}
	return nil
}

// BackupTo writes a consistent copy of a SQLite database to path while the
// server keeps running: VACUUM INTO reads one snapshot (WAL readers never
// block the writer) and writes a compact file. PostgreSQL is backed up with
// pg_dump instead (see the README).
func (db *DB) BackupTo(ctx context.Context, path string) error {
	if db.dialect.backupInto == "" {
		return errors.New("storage: backup: on PostgreSQL use pg_dump --format=custom (see the README)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("storage: backup: %s already exists", path)
	}
	if _, err := db.sql.ExecContext(ctx, db.dialect.backupInto, path); err != nil {
		return fmt.Errorf("storage: backup into %s: %w", path, err)
	}
	return nil
}

// ClockSkew returns how far this machine's clock is ahead of the
// database's (negative when behind).
func (db *DB) ClockSkew(ctx context.Context) (time.Duration, error) {
	var raw string
	before := time.Now()
	if err := db.sql.QueryRowContext(ctx, db.dialect.clock).Scan(&raw); err != nil {
		return 0, fmt.Errorf("storage: read the database clock: %w", err)
	}
	local := before.Add(time.Since(before) / 2)
	theirs, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return 0, fmt.Errorf("storage: database clock %q: %w", raw, err)
	}
	return local.Sub(theirs), nil
}

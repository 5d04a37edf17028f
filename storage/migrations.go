package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// migration is one numbered step of the schema, read from the embedded
// migrations/NNN_name.sql (both databases, after dialect.render) plus
// NNN_name.sqlite.sql or NNN_name.postgres.sql for what only one of them
// needs. The first line ("-- what it does") is its name. Never edit a
// migration that has shipped: add the next file.
type migration struct {
	version  int
	name     string
	sql      string
	sqlite   string
	postgres string
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations is every step in version order; a malformed file name stops
// the tests (and the build's users) at start-up, not a live upgrade.
var migrations = mustLoadMigrations(migrationFS)

func mustLoadMigrations(fsys fs.FS) []migration {
	ms, err := loadMigrations(fsys)
	if err != nil {
		panic(err) // the files are compiled in: a bad one is a build error
	}
	return ms
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*migration{}
	for _, n := range names {
		base := path.Base(n)
		num, rest, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("storage: migration file %s: name must start NNN_", base)
		}
		body, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		m := byVersion[version]
		if m == nil {
			m = &migration{version: version}
			byVersion[version] = m
		}
		switch {
		case strings.HasSuffix(rest, ".sqlite.sql"):
			m.sqlite = string(body)
		case strings.HasSuffix(rest, ".postgres.sql"):
			m.postgres = string(body)
		default:
			if m.sql != "" {
				return nil, fmt.Errorf("storage: two migrations numbered %d", version)
			}
			m.sql = string(body)
			first, _, _ := strings.Cut(m.sql, "\n")
			m.name = strings.TrimSpace(strings.TrimPrefix(first, "--"))
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.sql == "" {
			return nil, fmt.Errorf("storage: migration %d has only a database-specific part", m.version)
		}
		out = append(out, *m)
	}
	// Versions need not be consecutive (features number theirs in ranges);
	// they run in ascending order, each once.
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	if db.dialect.lockMigrations != "" {
		// Two servers starting at once must not both migrate: the first
		// holds this session lock until it is done, the second then finds
		// nothing left to apply. (Even CREATE TABLE IF NOT EXISTS races.)
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("storage: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, db.dialect.lockMigrations); err != nil {
			return 0, fmt.Errorf("storage: migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), db.dialect.unlockMigrations)
	}
	if _, err := db.sql.ExecContext(ctx, db.dialect.render(
		`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {{ts}} NOT NULL)`)); err != nil {
		return 0, fmt.Errorf("storage: create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range migrations {
		done, err := db.migrateOne(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("storage: migration %d (%s): %w", m.version, m.name, err)
		}
		if done {
			applied++
		}
	}
	// The daily performance summary is worked out from the records once,
	// after the migration that makes it.
	if err := db.fillPerfSummary(ctx, false); err != nil {
		return applied, err
	}
	// Councils from before the stored commitment get theirs (once each).
	if err := db.backfillCommitments(ctx); err != nil {
		return applied, err
	}
	// Fresh statistics let SQLite's planner pick the right index (it has no
	// autovacuum to gather them); analysis_limit keeps this quick on a big file.
	if db.dialect.optimize != "" {
		if _, err := db.sql.ExecContext(ctx, db.dialect.optimize); err != nil {
			return applied, fmt.Errorf("storage: optimize: %w", err)
		}
	}
	return applied, nil
}

func (db *DB) migrateOne(ctx context.Context, m migration) (bool, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, db.dialect.migrationSQL(m)); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, db.now()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

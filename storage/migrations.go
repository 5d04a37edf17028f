package storage

import (
	"context"
	"fmt"
)

// migration is one numbered step of the schema. SQL runs on both databases
// after dialect.render; SQLite and Postgres hold what only one of them needs.
// Never edit a migration that has shipped: add the next one.
type migration struct {
	version  int
	name     string
	sql      string
	sqlite   string
	postgres string
}

var migrations = []migration{
	{version: 1, name: "councils, market registry, people, audit", sql: `
CREATE TABLE councils (
	id {{pk}},
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE TABLE clusters (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	name TEXT NOT NULL,
	setting TEXT NOT NULL CHECK (setting IN ('urban', 'rural')),
	UNIQUE (council_id, name)
);
CREATE TABLE areas (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	cluster_id BIGINT NOT NULL REFERENCES clusters(id),
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	UNIQUE (council_id, code),
	UNIQUE (council_id, name)
);
CREATE TABLE area_borders (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	area_id BIGINT NOT NULL REFERENCES areas(id),
	neighbour_id BIGINT NOT NULL REFERENCES areas(id),
	PRIMARY KEY (area_id, neighbour_id),
	CHECK (area_id <> neighbour_id)
);
CREATE TABLE providers (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	name TEXT NOT NULL,
	companies_house_number TEXT NOT NULL DEFAULT '',
	cqc_provider_id TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX providers_cqc ON providers (council_id, cqc_provider_id) WHERE cqc_provider_id <> '';
CREATE INDEX providers_name ON providers (council_id, name);
CREATE TABLE locations (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	cqc_location_id TEXT NOT NULL,
	name TEXT NOT NULL,
	address TEXT NOT NULL DEFAULT '',
	town TEXT NOT NULL DEFAULT '',
	postcode TEXT NOT NULL,
	area_id BIGINT NOT NULL REFERENCES areas(id),
	registered_beds INTEGER NOT NULL DEFAULT 0 CHECK (registered_beds >= 0),
	rating TEXT NOT NULL,
	rating_date DATE,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (council_id, cqc_location_id)
);
CREATE INDEX locations_area ON locations (council_id, area_id, name);
CREATE INDEX locations_provider ON locations (council_id, provider_id);
CREATE INDEX locations_name ON locations (council_id, name);
CREATE TABLE location_services (
	location_id BIGINT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
	council_id BIGINT NOT NULL REFERENCES councils(id),
	service_type TEXT NOT NULL,
	PRIMARY KEY (location_id, service_type)
);
CREATE INDEX location_services_type ON location_services (council_id, service_type, location_id);
CREATE TABLE vacancies (
	location_id BIGINT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
	council_id BIGINT NOT NULL REFERENCES councils(id),
	service_type TEXT NOT NULL,
	vacancies INTEGER NOT NULL CHECK (vacancies >= 0),
	updated_at {{ts}} NOT NULL,
	updated_by TEXT NOT NULL,
	PRIMARY KEY (location_id, service_type)
);
CREATE TABLE users (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL,
	provider_id BIGINT REFERENCES providers(id),
	password_hash TEXT NOT NULL DEFAULT '',
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{ts}} NOT NULL,
	CHECK ((role = 'provider') = (provider_id IS NOT NULL))
);
CREATE TABLE sessions (
	secret_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at {{ts}} NOT NULL,
	expires_at {{ts}} NOT NULL
);
CREATE TABLE api_tokens (
	token_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	label TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL
);
CREATE TABLE audit_log (
	id BIGINT PRIMARY KEY,
	at {{ts}} NOT NULL,
	council_id BIGINT NOT NULL,
	user_id BIGINT,
	actor TEXT NOT NULL,
	role TEXT NOT NULL,
	action TEXT NOT NULL,
	entity_type TEXT NOT NULL,
	entity_id TEXT NOT NULL,
	before_summary TEXT NOT NULL DEFAULT '',
	after_summary TEXT NOT NULL DEFAULT '',
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_log_council ON audit_log (council_id, id);
CREATE INDEX audit_log_entity ON audit_log (council_id, entity_type, entity_id);
`,
		// The audit log is append-only: the database itself refuses edits.
		// (Someone who can drop the trigger can still tamper; the hash chain
		// is what finds that.)
		sqlite: `
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
`,
		postgres: `
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
`},
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
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
	return applied, nil
}

func (db *DB) migrateOne(ctx context.Context, m migration) (bool, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if db.dialect.name == "postgres" {
		// Two servers starting at once must not both migrate.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7270000)`); err != nil {
			return false, err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	extra := m.sqlite
	if db.dialect.name == "postgres" {
		extra = m.postgres
	}
	if _, err := tx.ExecContext(ctx, db.dialect.render(m.sql+extra)); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, db.now()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

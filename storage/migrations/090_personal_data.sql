-- personal data: retention rules, purge markers, identity view log, job leases
-- A person's identity is special category data: each council sets how long
-- it is kept; the purge replaces it with a marker (the anonymised requirement
-- and placement stay, and so does the audit chain, which never held it);
-- every look at it is logged with a reason. Background jobs run once across
-- several servers by holding a lease row.
CREATE TABLE retention_rules (
	council_id BIGINT PRIMARY KEY REFERENCES councils(id),
	unplaced_months INTEGER NOT NULL CHECK (unplaced_months BETWEEN 1 AND 1200),
	ended_placement_months INTEGER NOT NULL CHECK (ended_placement_months BETWEEN 1 AND 1200),
	updated_by TEXT NOT NULL,
	updated_at {{ts}} NOT NULL
);
ALTER TABLE requirement_people ADD COLUMN purged_at {{ts}};
CREATE TABLE identity_views (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	requirement_id BIGINT NOT NULL REFERENCES care_requirements(id),
	user_id BIGINT,
	actor TEXT NOT NULL,
	role TEXT NOT NULL,
	reason TEXT NOT NULL,
	at {{ts}} NOT NULL
);
CREATE INDEX identity_views_council ON identity_views (council_id, at);
CREATE INDEX identity_views_requirement ON identity_views (council_id, requirement_id);
CREATE TABLE job_leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at {{ts}} NOT NULL,
	last_run_at {{ts}}
);

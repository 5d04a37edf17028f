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
CREATE INDEX locations_rating ON locations (council_id, rating, name);
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
	// Issue 3: locations come from CQC's register and leave it. A location
	// that leaves is marked, never deleted; every rating is kept with its
	// date; commissioners are alerted when a rating drops to Inadequate.
	{version: 2, name: "CQC registration, rating history, market alerts", sql: `
ALTER TABLE locations ADD COLUMN status TEXT NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'deregistered'));
ALTER TABLE locations ADD COLUMN deregistered_at {{ts}};
ALTER TABLE locations ADD COLUMN dormant BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE locations ADD COLUMN local_authority TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE locations ADD COLUMN longitude DOUBLE PRECISION;
CREATE TABLE location_ratings (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	rating TEXT NOT NULL,
	previous_rating TEXT NOT NULL DEFAULT '',
	rating_date DATE,
	recorded_at {{ts}} NOT NULL,
	source TEXT NOT NULL
);
CREATE INDEX location_ratings_location ON location_ratings (council_id, location_id, id);
CREATE TABLE market_alerts (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	location_id BIGINT REFERENCES locations(id),
	kind TEXT NOT NULL,
	message TEXT NOT NULL,
	raised_at {{ts}} NOT NULL,
	acknowledged_by TEXT NOT NULL DEFAULT '',
	acknowledged_at {{ts}}
);
CREATE INDEX market_alerts_council ON market_alerts (council_id, id);
`},
	// Issue 4: procurement. Small lists (lots' service types and areas, a
	// contract's extension options) are JSON text: they are read and written
	// whole with their row and never queried inside.
	{version: 3, name: "procurement: agreements, lots, windows, applications, scoring, awards, contracts", sql: `
CREATE TABLE agreements (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	reference TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	type TEXT NOT NULL,
	regime TEXT NOT NULL CHECK (regime IN ('pcr2015', 'pa2023')),
	light_touch BOOLEAN NOT NULL DEFAULT FALSE,
	voluntary_standstill BOOLEAN NOT NULL DEFAULT FALSE,
	allow_resubmission BOOLEAN NOT NULL DEFAULT FALSE,
	single_supplier BOOLEAN NOT NULL DEFAULT FALSE,
	annual_value_pence BIGINT NOT NULL DEFAULT 0 CHECK (annual_value_pence >= 0),
	lifetime_value_pence BIGINT NOT NULL DEFAULT 0 CHECK (lifetime_value_pence >= 0),
	start_date DATE NOT NULL,
	end_date DATE NOT NULL,
	reopenings TEXT NOT NULL DEFAULT '[]',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (council_id, reference)
);
CREATE TABLE lots (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT NOT NULL REFERENCES agreements(id),
	number INTEGER NOT NULL,
	title TEXT NOT NULL,
	service_types TEXT NOT NULL,
	area_ids TEXT NOT NULL,
	provider_cap INTEGER NOT NULL DEFAULT 0,
	call_off TEXT NOT NULL,
	ranking TEXT NOT NULL DEFAULT '[]',
	call_off_terms TEXT NOT NULL DEFAULT '',
	mechanism TEXT NOT NULL DEFAULT '',
	UNIQUE (agreement_id, number)
);
CREATE TABLE proc_windows (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT NOT NULL REFERENCES agreements(id),
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	opens_at {{ts}} NOT NULL,
	deadline {{ts}} NOT NULL,
	assessment_days INTEGER NOT NULL DEFAULT 0,
	justification TEXT NOT NULL DEFAULT '',
	lot_ids TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX proc_windows_agreement ON proc_windows (council_id, agreement_id);
CREATE TABLE questions (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	number INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('selection', 'quality')),
	text TEXT NOT NULL,
	evidence_required BOOLEAN NOT NULL DEFAULT FALSE,
	weight INTEGER NOT NULL DEFAULT 0,
	max_score INTEGER NOT NULL DEFAULT 0,
	pass_mark INTEGER NOT NULL DEFAULT 0,
	UNIQUE (window_id, number)
);
CREATE TABLE window_evaluators (
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	moderator BOOLEAN NOT NULL DEFAULT FALSE,
	declared_at {{ts}},
	conflicts TEXT NOT NULL DEFAULT '[]',
	statement TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (window_id, user_id)
);
CREATE TABLE applications (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	lot_ids TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'withdrawn')),
	submitted_at {{ts}},
	assessed_at {{ts}},
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (window_id, provider_id)
);
CREATE INDEX applications_provider ON applications (council_id, provider_id);
CREATE TABLE answers (
	application_id BIGINT NOT NULL REFERENCES applications(id),
	question_id BIGINT NOT NULL REFERENCES questions(id),
	attempt INTEGER NOT NULL CHECK (attempt IN (1, 2)),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	text TEXT NOT NULL DEFAULT '',
	evidence TEXT NOT NULL DEFAULT '',
	submitted_at {{ts}},
	PRIMARY KEY (application_id, question_id, attempt)
);
CREATE TABLE scores (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	application_id BIGINT NOT NULL REFERENCES applications(id),
	question_id BIGINT NOT NULL REFERENCES questions(id),
	attempt INTEGER NOT NULL,
	evaluator_id BIGINT NOT NULL REFERENCES users(id),
	evaluator TEXT NOT NULL,
	pass BOOLEAN,
	points INTEGER NOT NULL DEFAULT 0,
	comment TEXT NOT NULL DEFAULT '',
	submitted_at {{ts}},
	updated_at {{ts}} NOT NULL,
	UNIQUE (application_id, question_id, attempt, evaluator_id)
);
CREATE TABLE moderations (
	application_id BIGINT NOT NULL REFERENCES applications(id),
	question_id BIGINT NOT NULL REFERENCES questions(id),
	attempt INTEGER NOT NULL,
	council_id BIGINT NOT NULL REFERENCES councils(id),
	pass BOOLEAN,
	points INTEGER NOT NULL DEFAULT 0,
	reason TEXT NOT NULL,
	moderator_id BIGINT NOT NULL DEFAULT 0,
	moderator TEXT NOT NULL,
	at {{ts}} NOT NULL,
	PRIMARY KEY (application_id, question_id, attempt)
);
CREATE TABLE awards (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT NOT NULL REFERENCES agreements(id),
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	lot_id BIGINT NOT NULL REFERENCES lots(id),
	application_id BIGINT NOT NULL REFERENCES applications(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	score INTEGER NOT NULL DEFAULT 0,
	decided_at {{ts}} NOT NULL,
	notice_at {{ts}},
	standstill TEXT NOT NULL DEFAULT '',
	UNIQUE (lot_id, application_id)
);
CREATE INDEX awards_window ON awards (council_id, window_id);
CREATE TABLE assessment_summaries (
	application_id BIGINT PRIMARY KEY REFERENCES applications(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	window_id BIGINT NOT NULL REFERENCES proc_windows(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	body TEXT NOT NULL,
	generated_at {{ts}} NOT NULL
);
CREATE TABLE contracts (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT REFERENCES agreements(id),
	award_id BIGINT REFERENCES awards(id) UNIQUE,
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	reference TEXT NOT NULL,
	title TEXT NOT NULL,
	start_date DATE NOT NULL,
	initial_end DATE NOT NULL,
	end_date DATE NOT NULL,
	extensions TEXT NOT NULL DEFAULT '[]',
	break_clauses TEXT NOT NULL DEFAULT '[]',
	variations TEXT NOT NULL DEFAULT '[]',
	annual_value_pence BIGINT NOT NULL DEFAULT 0,
	lifetime_value_pence BIGINT NOT NULL DEFAULT 0,
	value_so_far_pence BIGINT NOT NULL DEFAULT 0,
	entered_on DATE,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (council_id, reference)
);
CREATE INDEX contracts_agreement ON contracts (council_id, agreement_id);
CREATE TABLE bank_holidays (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	day DATE NOT NULL,
	name TEXT NOT NULL,
	PRIMARY KEY (council_id, day)
);
`},
	// Issue 5: pricing. Cost models keep their inputs as JSON (read and
	// written whole); guide and contracted prices are append-only histories
	// (the price in force on a day is the latest that started on or before
	// it), so an uplift or an approval adds rows and never edits one.
	{version: 4, name: "pricing: cost models, guide prices, price rounds, submissions, contracted prices, uplifts", sql: `
CREATE TABLE cost_models (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	name TEXT NOT NULL,
	service_type TEXT NOT NULL,
	effective_from DATE NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('draft', 'adopted')),
	params TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	created_by TEXT NOT NULL,
	updated_at {{ts}} NOT NULL,
	adopted_at {{ts}}
);
CREATE INDEX cost_models_council ON cost_models (council_id, service_type, effective_from);
CREATE TABLE uplifts (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	name TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('percent', 'nlw')),
	percent_bp INTEGER NOT NULL DEFAULT 0,
	staff_share_bp INTEGER NOT NULL DEFAULT 0,
	nlw_from_pence BIGINT NOT NULL DEFAULT 0,
	nlw_to_pence BIGINT NOT NULL DEFAULT 0,
	effective_from DATE NOT NULL,
	apply_guide BOOLEAN NOT NULL,
	apply_contracted BOOLEAN NOT NULL,
	items INTEGER NOT NULL,
	annual_change_pence BIGINT NOT NULL,
	applied_at {{ts}} NOT NULL,
	applied_by TEXT NOT NULL
);
CREATE INDEX uplifts_council ON uplifts (council_id, id);
CREATE TABLE guide_prices (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	service_type TEXT NOT NULL,
	band TEXT NOT NULL,
	band_label TEXT NOT NULL DEFAULT '',
	setting TEXT NOT NULL CHECK (setting IN ('urban', 'rural')),
	basis TEXT NOT NULL CHECK (basis IN ('week', 'hour')),
	price_pence BIGINT NOT NULL CHECK (price_pence >= 0),
	effective_from DATE NOT NULL,
	cost_model_id BIGINT REFERENCES cost_models(id),
	uplift_id BIGINT REFERENCES uplifts(id),
	source TEXT NOT NULL,
	working TEXT NOT NULL DEFAULT '[]',
	created_at {{ts}} NOT NULL
);
CREATE INDEX guide_prices_key ON guide_prices (council_id, service_type, band, setting, effective_from, id);
CREATE TABLE price_rounds (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	agreement_id BIGINT REFERENCES agreements(id),
	name TEXT NOT NULL,
	opens_on DATE NOT NULL,
	closes_on DATE NOT NULL,
	effective_from DATE NOT NULL,
	tolerance_bp INTEGER NOT NULL CHECK (tolerance_bp BETWEEN 0 AND 10000),
	status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
	created_at {{ts}} NOT NULL,
	created_by TEXT NOT NULL
);
CREATE INDEX price_rounds_council ON price_rounds (council_id, opens_on);
CREATE TABLE price_round_providers (
	round_id BIGINT NOT NULL REFERENCES price_rounds(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	PRIMARY KEY (round_id, provider_id)
);
CREATE INDEX price_round_providers_provider ON price_round_providers (council_id, provider_id);
CREATE TABLE price_submissions (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	round_id BIGINT NOT NULL REFERENCES price_rounds(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	service_type TEXT NOT NULL,
	band TEXT NOT NULL,
	basis TEXT NOT NULL CHECK (basis IN ('week', 'hour')),
	price_pence BIGINT NOT NULL CHECK (price_pence > 0),
	guide_pence BIGINT NOT NULL DEFAULT 0,
	tolerance_bp INTEGER NOT NULL,
	within_band BOOLEAN NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL CHECK (source IN ('form', 'csv', 'api')),
	status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'superseded')),
	submitted_by TEXT NOT NULL,
	submitted_at {{ts}} NOT NULL,
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at {{ts}},
	decision_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX price_submissions_live ON price_submissions (round_id, location_id, service_type, band) WHERE status IN ('submitted', 'approved');
CREATE INDEX price_submissions_provider ON price_submissions (council_id, provider_id, round_id);
CREATE INDEX price_submissions_round ON price_submissions (council_id, round_id, status);
CREATE TABLE contracted_prices (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	service_type TEXT NOT NULL,
	band TEXT NOT NULL,
	basis TEXT NOT NULL CHECK (basis IN ('week', 'hour')),
	price_pence BIGINT NOT NULL CHECK (price_pence >= 0),
	effective_from DATE NOT NULL,
	source TEXT NOT NULL,
	submission_id BIGINT REFERENCES price_submissions(id),
	uplift_id BIGINT REFERENCES uplifts(id),
	created_at {{ts}} NOT NULL
);
CREATE INDEX contracted_prices_key ON contracted_prices (council_id, location_id, service_type, band, effective_from, id);
CREATE INDEX contracted_prices_provider ON contracted_prices (council_id, provider_id);
`},
	// Issue 6: brokerage. The person's identity is a table of its own
	// (requirement_people), read only by council staff and by the provider a
	// placement is awarded to. A requirement has at most one pending offer
	// and one active placement at a time (partial unique indexes).
	{version: 5, name: "brokerage: requirements, people, cascade steps, offers, competitions, bids, placements, serious concerns", sql: `
CREATE TABLE serious_concerns (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	location_id BIGINT REFERENCES locations(id),
	kind TEXT NOT NULL CHECK (kind IN ('serious_concerns', 'suspension')),
	reason TEXT NOT NULL,
	raised_at {{ts}} NOT NULL,
	raised_by TEXT NOT NULL,
	ended_at {{ts}}
);
CREATE INDEX serious_concerns_open ON serious_concerns (council_id, provider_id) WHERE ended_at IS NULL;
CREATE TABLE care_requirements (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	case_reference TEXT NOT NULL,
	service_type TEXT NOT NULL,
	need_band TEXT NOT NULL,
	beds INTEGER NOT NULL DEFAULT 0 CHECK (beds >= 0),
	minutes_per_week INTEGER NOT NULL DEFAULT 0 CHECK (minutes_per_week >= 0),
	visit_pattern TEXT NOT NULL DEFAULT '',
	start_date DATE NOT NULL,
	outcode TEXT NOT NULL,
	area_id BIGINT NOT NULL REFERENCES areas(id),
	specialist_needs TEXT NOT NULL DEFAULT '',
	method TEXT NOT NULL CHECK (method IN ('direct_award', 'mini_competition')),
	status TEXT NOT NULL CHECK (status IN ('open', 'placed', 'cancelled')),
	stage INTEGER NOT NULL DEFAULT 0,
	move_from_placement_id BIGINT,
	created_by TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX care_requirements_status ON care_requirements (council_id, status, id);
CREATE TABLE requirement_people (
	requirement_id BIGINT PRIMARY KEY REFERENCES care_requirements(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	full_name TEXT NOT NULL,
	date_of_birth DATE,
	address TEXT NOT NULL,
	postcode TEXT NOT NULL,
	phone TEXT NOT NULL DEFAULT ''
);
CREATE TABLE cascade_steps (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	requirement_id BIGINT NOT NULL REFERENCES care_requirements(id),
	at {{ts}} NOT NULL,
	stage INTEGER NOT NULL,
	kind TEXT NOT NULL,
	location_id BIGINT,
	provider_id BIGINT,
	detail TEXT NOT NULL,
	actor TEXT NOT NULL
);
CREATE INDEX cascade_steps_requirement ON cascade_steps (council_id, requirement_id, id);
CREATE TABLE offers (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	requirement_id BIGINT NOT NULL REFERENCES care_requirements(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	stage INTEGER NOT NULL CHECK (stage IN (1, 2, 3)),
	rank INTEGER NOT NULL,
	lot_id BIGINT REFERENCES lots(id),
	agreement_id BIGINT REFERENCES agreements(id),
	price_pence BIGINT NOT NULL DEFAULT 0 CHECK (price_pence >= 0),
	weekly_cost_pence BIGINT NOT NULL CHECK (weekly_cost_pence >= 0),
	off_contract_reason TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
	offered_at {{ts}} NOT NULL,
	offered_by TEXT NOT NULL,
	expires_at {{ts}} NOT NULL,
	responded_at {{ts}},
	reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX offers_one_pending ON offers (requirement_id) WHERE status = 'pending';
CREATE INDEX offers_provider ON offers (council_id, provider_id, id);
CREATE INDEX offers_requirement ON offers (council_id, requirement_id, id);
CREATE INDEX offers_expiry ON offers (council_id, expires_at) WHERE status = 'pending';
CREATE TABLE competitions (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	requirement_id BIGINT NOT NULL REFERENCES care_requirements(id),
	stage INTEGER NOT NULL CHECK (stage IN (1, 2)),
	lot_id BIGINT REFERENCES lots(id),
	agreement_id BIGINT REFERENCES agreements(id),
	deadline {{ts}} NOT NULL,
	price_weight INTEGER NOT NULL CHECK (price_weight BETWEEN 0 AND 100),
	status TEXT NOT NULL CHECK (status IN ('open', 'awarded', 'cancelled')),
	created_by TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX competitions_one_open ON competitions (requirement_id) WHERE status = 'open';
CREATE TABLE competition_invites (
	competition_id BIGINT NOT NULL REFERENCES competitions(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	quality INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (competition_id, location_id)
);
CREATE INDEX competition_invites_provider ON competition_invites (council_id, provider_id);
CREATE TABLE bids (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	competition_id BIGINT NOT NULL REFERENCES competitions(id),
	requirement_id BIGINT NOT NULL REFERENCES care_requirements(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	basis TEXT NOT NULL CHECK (basis IN ('week', 'hour')),
	price_pence BIGINT NOT NULL CHECK (price_pence > 0),
	weekly_cost_pence BIGINT NOT NULL CHECK (weekly_cost_pence >= 0),
	start_date DATE NOT NULL,
	notes TEXT NOT NULL DEFAULT '',
	submitted_at {{ts}} NOT NULL,
	submitted_by TEXT NOT NULL,
	UNIQUE (competition_id, location_id)
);
CREATE INDEX bids_provider ON bids (council_id, provider_id, id);
CREATE TABLE placements (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	requirement_id BIGINT NOT NULL REFERENCES care_requirements(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	service_type TEXT NOT NULL,
	weekly_cost_pence BIGINT NOT NULL CHECK (weekly_cost_pence >= 0),
	top_up_pence BIGINT NOT NULL DEFAULT 0 CHECK (top_up_pence >= 0),
	top_up_payer TEXT NOT NULL DEFAULT '',
	start_date DATE NOT NULL,
	end_date DATE,
	stage INTEGER NOT NULL,
	agreement_id BIGINT REFERENCES agreements(id),
	lot_id BIGINT REFERENCES lots(id),
	off_contract BOOLEAN NOT NULL,
	off_contract_reason TEXT NOT NULL DEFAULT '',
	review_date DATE,
	status TEXT NOT NULL CHECK (status IN ('active', 'ended', 'handed_back', 'moved')),
	end_reason TEXT NOT NULL DEFAULT '',
	notice_given_on DATE,
	moved_to_placement_id BIGINT,
	offer_id BIGINT REFERENCES offers(id),
	bid_id BIGINT REFERENCES bids(id),
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	CHECK (off_contract = (agreement_id IS NULL)),
	CHECK (NOT off_contract OR off_contract_reason <> '')
);
CREATE UNIQUE INDEX placements_one_active ON placements (requirement_id) WHERE status = 'active';
CREATE INDEX placements_provider ON placements (council_id, provider_id, id);
CREATE INDEX placements_off_contract ON placements (council_id, off_contract, status);
CREATE TABLE placement_prices (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	placement_id BIGINT NOT NULL REFERENCES placements(id),
	weekly_cost_pence BIGINT NOT NULL CHECK (weekly_cost_pence >= 0),
	effective_from DATE NOT NULL,
	reason TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX placement_prices_placement ON placement_prices (council_id, placement_id, effective_from);
`},
	{version: 6, name: "uplifts reach live placements", sql: `
ALTER TABLE uplifts ADD COLUMN apply_placements BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE placement_prices ADD COLUMN uplift_id BIGINT REFERENCES uplifts(id);
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
	// Fresh statistics let SQLite's planner pick the right index (it has no
	// autovacuum to gather them); analysis_limit keeps this quick on a big file.
	if db.dialect.name == "sqlite" {
		if _, err := db.sql.ExecContext(ctx, `PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002`); err != nil {
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

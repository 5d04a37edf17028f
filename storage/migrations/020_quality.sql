-- quality: monitoring frameworks, visits, action plans, complaints and safeguarding counts, risk weights, lot audit minimums, delivered hours
-- quality. A framework's domains and questions, and a visit's answers and
-- domain ratings, are JSON text read and written whole with their row: a
-- framework is not edited once visits use it. The overall rating is a
-- column, so the latest published audit of a location is one indexed read.
CREATE TABLE monitoring_frameworks (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	name TEXT NOT NULL,
	domains TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	created_by TEXT NOT NULL
);
CREATE INDEX monitoring_frameworks_council ON monitoring_frameworks (council_id, id);
CREATE TABLE monitoring_visits (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	framework_id BIGINT NOT NULL REFERENCES monitoring_frameworks(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	announced BOOLEAN NOT NULL,
	visit_date DATE NOT NULL,
	officers TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	answers TEXT NOT NULL,
	domain_ratings TEXT NOT NULL,
	overall TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
	published_at {{ts}},
	response TEXT NOT NULL DEFAULT '',
	responded_at {{ts}},
	created_by TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX monitoring_visits_location ON monitoring_visits (council_id, location_id, status, visit_date);
CREATE INDEX monitoring_visits_provider ON monitoring_visits (council_id, provider_id, id);
CREATE TABLE quality_actions (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	visit_id BIGINT NOT NULL REFERENCES monitoring_visits(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	question_key TEXT NOT NULL DEFAULT '',
	finding TEXT NOT NULL,
	owner TEXT NOT NULL,
	due_date DATE NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('open', 'evidence_submitted', 'accepted')),
	evidence TEXT NOT NULL DEFAULT '',
	evidence_at {{ts}},
	decision_note TEXT NOT NULL DEFAULT '',
	decided_at {{ts}},
	created_at {{ts}} NOT NULL
);
CREATE INDEX quality_actions_provider ON quality_actions (council_id, provider_id, status);
CREATE INDEX quality_actions_visit ON quality_actions (council_id, visit_id);
CREATE TABLE quality_events (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	kind TEXT NOT NULL CHECK (kind IN ('complaint', 'safeguarding')),
	on_date DATE NOT NULL,
	n INTEGER NOT NULL CHECK (n > 0),
	note TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL,
	recorded_at {{ts}} NOT NULL
);
CREATE INDEX quality_events_location ON quality_events (council_id, location_id, on_date);
CREATE TABLE risk_weights (
	council_id BIGINT PRIMARY KEY REFERENCES councils(id),
	weights TEXT NOT NULL,
	updated_at {{ts}} NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE TABLE lot_audit_minimums (
	lot_id BIGINT PRIMARY KEY REFERENCES lots(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	min_rating TEXT NOT NULL CHECK (min_rating IN ('excellent', 'good', 'requires_improvement', 'poor')),
	set_at {{ts}} NOT NULL,
	set_by TEXT NOT NULL
);
CREATE TABLE delivered_hours (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	placement_id BIGINT NOT NULL REFERENCES placements(id),
	lot_id BIGINT REFERENCES lots(id),
	week_start DATE NOT NULL,
	commissioned_minutes INTEGER NOT NULL CHECK (commissioned_minutes >= 0),
	delivered_minutes INTEGER NOT NULL CHECK (delivered_minutes >= 0),
	uploaded_at {{ts}} NOT NULL,
	uploaded_by TEXT NOT NULL,
	UNIQUE (placement_id, week_start)
);
CREATE INDEX delivered_hours_provider ON delivered_hours (council_id, provider_id, week_start);
CREATE INDEX delivered_hours_lot ON delivered_hours (council_id, lot_id, week_start);
CREATE INDEX offers_lot_time ON offers (council_id, lot_id, offered_at);
CREATE INDEX awards_lot ON awards (council_id, lot_id, provider_id);
CREATE INDEX offers_provider_time ON offers (council_id, provider_id, offered_at);
CREATE INDEX placements_lot_start ON placements (council_id, lot_id, start_date);
-- The performance figures read a lot's (or a provider's) offers and
-- placements of a period from these indexes alone.
CREATE INDEX offers_lot_answers ON offers (council_id, lot_id, offered_at, status, provider_id, location_id, responded_at, reason);
CREATE INDEX placements_lot_figures ON placements (council_id, lot_id, start_date, provider_id, location_id, status, off_contract, notice_given_on, end_date);

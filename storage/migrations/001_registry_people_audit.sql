-- councils, market registry, people, audit
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

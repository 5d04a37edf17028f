-- pricing: cost models, guide prices, price rounds, submissions, contracted prices, uplifts
-- pricing. Cost models keep their inputs as JSON (read and
-- written whole); guide and contracted prices are append-only histories
-- (the price in force on a day is the latest that started on or before
-- it), so an uplift or an approval adds rows and never edits one.
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

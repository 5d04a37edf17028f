-- brokerage: requirements, people, cascade steps, offers, competitions, bids, placements, serious concerns
-- brokerage. The person's identity is a table of its own
-- (requirement_people), read only by council staff and by the provider a
-- placement is awarded to. A requirement has at most one pending offer
-- and one active placement at a time (partial unique indexes).
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

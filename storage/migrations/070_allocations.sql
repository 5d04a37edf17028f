-- batch allocations: a broker's plan for many open requirements at once, its lines, and the offers sent from it
CREATE TABLE allocations (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	status TEXT NOT NULL CHECK (status IN ('proposed', 'sent')),
	totals TEXT NOT NULL,
	one_at_a_time_totals TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	sent_by TEXT,
	sent_at {{ts}}
);
CREATE INDEX allocations_council ON allocations (council_id, id);
CREATE TABLE allocation_lines (
	id {{pk}},
	allocation_id BIGINT NOT NULL REFERENCES allocations(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	position INTEGER NOT NULL,
	requirement_id BIGINT NOT NULL REFERENCES care_requirements(id),
	proposed TEXT NOT NULL,
	one_at_a_time TEXT NOT NULL,
	location_id BIGINT REFERENCES locations(id),
	stage INTEGER NOT NULL DEFAULT 0,
	edited BOOLEAN NOT NULL DEFAULT FALSE,
	weekly_cost_pence BIGINT NOT NULL DEFAULT 0 CHECK (weekly_cost_pence >= 0),
	off_contract_reason TEXT NOT NULL DEFAULT '',
	offer_id BIGINT REFERENCES offers(id),
	outcome TEXT NOT NULL DEFAULT '',
	UNIQUE (allocation_id, requirement_id)
);
CREATE INDEX allocation_lines_allocation ON allocation_lines (allocation_id, position);

-- finance: budget lines, budgets, tolerances, actuals, forecast assumptions and scenarios
-- finance. Each service type maps to one budget line at most (the primary
-- key of budget_line_services). A payment line is kept once: its
-- fingerprint is unique per council, so importing the same file again
-- adds nothing.
CREATE TABLE budget_lines (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	name TEXT NOT NULL,
	code TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (council_id, name)
);
CREATE TABLE budget_line_services (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	service_type TEXT NOT NULL,
	budget_line_id BIGINT NOT NULL REFERENCES budget_lines(id),
	PRIMARY KEY (council_id, service_type)
);
CREATE TABLE budgets (
	budget_line_id BIGINT NOT NULL REFERENCES budget_lines(id),
	year INTEGER NOT NULL,
	council_id BIGINT NOT NULL REFERENCES councils(id),
	amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
	set_by TEXT NOT NULL,
	set_at {{ts}} NOT NULL,
	PRIMARY KEY (budget_line_id, year)
);
CREATE INDEX budgets_council ON budgets (council_id, year);
CREATE TABLE finance_settings (
	council_id BIGINT PRIMARY KEY REFERENCES councils(id),
	amber_bp INTEGER NOT NULL,
	red_bp INTEGER NOT NULL,
	scale_note TEXT NOT NULL DEFAULT '',
	scale INTEGER NOT NULL DEFAULT 1 CHECK (scale >= 1),
	updated_at {{ts}} NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE TABLE actual_imports (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	file_name TEXT NOT NULL,
	source TEXT NOT NULL,
	lines INTEGER NOT NULL,
	added INTEGER NOT NULL,
	known INTEGER NOT NULL,
	unmatched INTEGER NOT NULL,
	rejected INTEGER NOT NULL,
	amount_pence BIGINT NOT NULL,
	imported_at {{ts}} NOT NULL,
	imported_by TEXT NOT NULL
);
CREATE INDEX actual_imports_council ON actual_imports (council_id, id);
CREATE TABLE actual_payments (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	import_id BIGINT NOT NULL REFERENCES actual_imports(id),
	line INTEGER NOT NULL,
	placement_id BIGINT NOT NULL REFERENCES placements(id),
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	service_type TEXT NOT NULL,
	period_from DATE NOT NULL,
	period_to DATE NOT NULL,
	amount_pence BIGINT NOT NULL,
	committed_pence BIGINT NOT NULL,
	overpaid_pence BIGINT NOT NULL DEFAULT 0,
	paid_twice BOOLEAN NOT NULL DEFAULT FALSE,
	paid_on DATE NOT NULL,
	fingerprint TEXT NOT NULL,
	UNIQUE (council_id, fingerprint)
);
CREATE INDEX actual_payments_placement ON actual_payments (council_id, placement_id);
CREATE INDEX actual_payments_provider ON actual_payments (council_id, provider_id, period_from);
CREATE INDEX actual_payments_period ON actual_payments (council_id, period_from);
CREATE TABLE assumption_sets (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	name TEXT NOT NULL,
	author TEXT NOT NULL,
	params TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX assumption_sets_council ON assumption_sets (council_id, id);
CREATE TABLE scenarios (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	name TEXT NOT NULL,
	author TEXT NOT NULL,
	a_id BIGINT NOT NULL REFERENCES assumption_sets(id),
	b_id BIGINT NOT NULL REFERENCES assumption_sets(id),
	budget_line_ids TEXT NOT NULL,
	created_at {{ts}} NOT NULL
);
CREATE INDEX scenarios_council ON scenarios (council_id, id);
CREATE INDEX placements_finance ON placements (council_id, start_date);
CREATE TABLE supplier_references (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	reference TEXT NOT NULL,
	provider_id BIGINT NOT NULL REFERENCES providers(id),
	PRIMARY KEY (council_id, reference)
);

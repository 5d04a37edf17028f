-- finance: each placement's stored commitment by year and month, and running totals by day
-- The finance summary reads these instead of every placement (storage/finance_commit.go
-- keeps them, in the transaction of every write that changes a placement's
-- commitment). finance_commitments: a placement's council cost per month
-- (m01 = April ... m12 = March) and top-up in each financial year it has a
-- day in (open-ended ones through the council's finance_horizons year);
-- finance_commitment_totals: their sums by year and the dimensions the
-- summary rolls up by (0 for no agreement or lot); finance_placements: what
-- each placement added to finance_day_totals, the running totals by day
-- (placements live, ended, starting, weekly cost in force) the forecast
-- learns from; finance_start_buckets counts placements by service type, month
-- of their start and weekly cost on their first day in £10 buckets, for the
-- median price of the last twelve months' starts. The Go back-fill at
-- Migrate fills them for existing councils.
CREATE TABLE finance_commitments (
	placement_id BIGINT NOT NULL REFERENCES placements(id),
	year INTEGER NOT NULL,
	council_id BIGINT NOT NULL REFERENCES councils(id),
	service_type TEXT NOT NULL,
	provider_id BIGINT NOT NULL,
	agreement_id BIGINT NOT NULL,
	lot_id BIGINT NOT NULL,
	area_id BIGINT NOT NULL,
	m01 BIGINT NOT NULL,
	m02 BIGINT NOT NULL,
	m03 BIGINT NOT NULL,
	m04 BIGINT NOT NULL,
	m05 BIGINT NOT NULL,
	m06 BIGINT NOT NULL,
	m07 BIGINT NOT NULL,
	m08 BIGINT NOT NULL,
	m09 BIGINT NOT NULL,
	m10 BIGINT NOT NULL,
	m11 BIGINT NOT NULL,
	m12 BIGINT NOT NULL,
	top_up_pence BIGINT NOT NULL,
	PRIMARY KEY (placement_id, year)
);
CREATE TABLE finance_commitment_totals (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	year INTEGER NOT NULL,
	service_type TEXT NOT NULL,
	provider_id BIGINT NOT NULL,
	agreement_id BIGINT NOT NULL,
	lot_id BIGINT NOT NULL,
	area_id BIGINT NOT NULL,
	m01 BIGINT NOT NULL,
	m02 BIGINT NOT NULL,
	m03 BIGINT NOT NULL,
	m04 BIGINT NOT NULL,
	m05 BIGINT NOT NULL,
	m06 BIGINT NOT NULL,
	m07 BIGINT NOT NULL,
	m08 BIGINT NOT NULL,
	m09 BIGINT NOT NULL,
	m10 BIGINT NOT NULL,
	m11 BIGINT NOT NULL,
	m12 BIGINT NOT NULL,
	top_up_pence BIGINT NOT NULL,
	placements INTEGER NOT NULL,
	PRIMARY KEY (council_id, year, service_type, provider_id, agreement_id, lot_id, area_id)
);
CREATE TABLE finance_placements (
	placement_id BIGINT PRIMARY KEY REFERENCES placements(id),
	council_id BIGINT NOT NULL REFERENCES councils(id),
	service_type TEXT NOT NULL,
	start_date DATE NOT NULL,
	start_weekly_pence BIGINT NOT NULL,
	steps TEXT NOT NULL
);
CREATE INDEX finance_placements_starts ON finance_placements (council_id, service_type, start_date, start_weekly_pence);
CREATE TABLE finance_day_totals (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	day DATE NOT NULL,
	service_type TEXT NOT NULL,
	live INTEGER NOT NULL,
	ended INTEGER NOT NULL,
	starts INTEGER NOT NULL,
	weekly_pence BIGINT NOT NULL,
	PRIMARY KEY (council_id, day, service_type)
);
CREATE INDEX finance_placements_prices ON finance_placements (council_id, service_type, start_weekly_pence, start_date);
CREATE TABLE finance_start_buckets (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	service_type TEXT NOT NULL,
	month DATE NOT NULL,
	bucket INTEGER NOT NULL,
	starts INTEGER NOT NULL,
	PRIMARY KEY (council_id, service_type, month, bucket)
);
CREATE TABLE finance_horizons (
	council_id BIGINT PRIMARY KEY REFERENCES councils(id),
	through_year INTEGER NOT NULL
);
CREATE INDEX placements_finance_end ON placements (council_id, end_date);

-- provider performance: monthly totals (the month's first day)
CREATE TABLE perf_months (
	council_id BIGINT NOT NULL,
	lot_id BIGINT NOT NULL,
	provider_id BIGINT NOT NULL,
	month DATE NOT NULL,
	accepted INTEGER NOT NULL,
	declined INTEGER NOT NULL,
	expired INTEGER NOT NULL,
	priced INTEGER NOT NULL,
	price_pence BIGINT NOT NULL,
	guide_pence BIGINT NOT NULL,
	invitations INTEGER NOT NULL,
	bids INTEGER NOT NULL,
	placements INTEGER NOT NULL,
	off_contract INTEGER NOT NULL,
	hand_backs INTEGER NOT NULL,
	ended_early INTEGER NOT NULL,
	-- each accepted or declined offer's answer time in whole minutes, space-separated
	answers TEXT NOT NULL,
	PRIMARY KEY (council_id, lot_id, provider_id, month)
);
-- the days again, in day order within a lot: the days at either end of a period are one range
CREATE TABLE perf_days (
	council_id BIGINT NOT NULL,
	lot_id BIGINT NOT NULL,
	provider_id BIGINT NOT NULL,
	day DATE NOT NULL,
	accepted INTEGER NOT NULL,
	declined INTEGER NOT NULL,
	expired INTEGER NOT NULL,
	priced INTEGER NOT NULL,
	price_pence BIGINT NOT NULL,
	guide_pence BIGINT NOT NULL,
	invitations INTEGER NOT NULL,
	bids INTEGER NOT NULL,
	placements INTEGER NOT NULL,
	off_contract INTEGER NOT NULL,
	hand_backs INTEGER NOT NULL,
	ended_early INTEGER NOT NULL,
	-- each accepted or declined offer's answer time in whole minutes, space-separated
	answers TEXT NOT NULL,
	PRIMARY KEY (council_id, lot_id, day, provider_id)
);

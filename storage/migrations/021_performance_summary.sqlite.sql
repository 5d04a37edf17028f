-- provider performance summary: the tables (SQLite keeps them in key order, WITHOUT ROWID, and days as text, compared as text)
CREATE TABLE perf_days (
	council_id BIGINT NOT NULL,
	lot_id BIGINT NOT NULL,
	provider_id BIGINT NOT NULL,
	day TEXT NOT NULL,
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
	PRIMARY KEY (council_id, lot_id, provider_id, day)
) WITHOUT ROWID;
CREATE TABLE perf_declines (
	council_id BIGINT NOT NULL,
	lot_id BIGINT NOT NULL,
	provider_id BIGINT NOT NULL,
	day TEXT NOT NULL,
	reason TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (council_id, lot_id, provider_id, reason, day)
) WITHOUT ROWID;

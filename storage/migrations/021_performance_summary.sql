-- provider performance: a daily summary per lot and provider
-- A lot's league table adds up days rather than offers: perf_days holds,
-- per council, lot, provider and day (UTC), the counts the figures need,
-- and perf_declines the declines by reason. The write paths of offers,
-- competitions, bids, placements and guide prices keep them in the same
-- transaction (storage/quality_summary.go); existing records are added up
-- once, when the server next starts (perf_state.filled).
CREATE TABLE perf_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	filled BOOLEAN NOT NULL
);
INSERT INTO perf_state (id, filled) VALUES (1, FALSE);

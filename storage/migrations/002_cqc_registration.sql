-- CQC registration, rating history, market alerts
-- locations come from CQC's register and leave it. A location
-- that leaves is marked, never deleted; every rating is kept with its
-- date; commissioners are alerted when a rating drops to Inadequate.
ALTER TABLE locations ADD COLUMN status TEXT NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'deregistered'));
ALTER TABLE locations ADD COLUMN deregistered_at {{ts}};
ALTER TABLE locations ADD COLUMN dormant BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE locations ADD COLUMN local_authority TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE locations ADD COLUMN longitude DOUBLE PRECISION;
CREATE TABLE location_ratings (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	location_id BIGINT NOT NULL REFERENCES locations(id),
	rating TEXT NOT NULL,
	previous_rating TEXT NOT NULL DEFAULT '',
	rating_date DATE,
	recorded_at {{ts}} NOT NULL,
	source TEXT NOT NULL
);
CREATE INDEX location_ratings_location ON location_ratings (council_id, location_id, id);
CREATE TABLE market_alerts (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	location_id BIGINT REFERENCES locations(id),
	kind TEXT NOT NULL,
	message TEXT NOT NULL,
	raised_at {{ts}} NOT NULL,
	acknowledged_by TEXT NOT NULL DEFAULT '',
	acknowledged_at {{ts}}
);
CREATE INDEX market_alerts_council ON market_alerts (council_id, id);

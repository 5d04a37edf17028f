-- cascade cache version: bumped by the database on every change to what the cascade caches
-- The cascade keeps in memory what changes rarely (the register of
-- locations and their services, areas and borders, lots and awards,
-- contracted prices). Every server checks this one row per request; any
-- change to those tables bumps it in the same transaction (triggers), so a
-- second server on the same database sees the change at its next request.
CREATE TABLE cache_versions (
	name TEXT PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO cache_versions (name, version) VALUES ('cascade', 1);

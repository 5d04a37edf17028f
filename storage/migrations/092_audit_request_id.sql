-- the HTTP request behind each audit record
-- An audit record names the request that made the change (X-Request-Id), so
-- a log line and its audit record can be matched. Hashed with the record
-- when set; empty for older records and for the command line.
ALTER TABLE audit_log ADD COLUMN request_id TEXT NOT NULL DEFAULT '';

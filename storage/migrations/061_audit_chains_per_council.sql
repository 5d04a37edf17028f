-- audit chains per council: each council's records are chained on their own, so councils do not queue on one head
-- Records written before this have chain NULL: the one shared chain, kept
-- and still verified. Each council's chain starts from its last record.
ALTER TABLE audit_log ADD COLUMN chain BIGINT;
CREATE TABLE audit_heads (
	council_id BIGINT PRIMARY KEY,
	last_id BIGINT NOT NULL,
	hash TEXT NOT NULL
);

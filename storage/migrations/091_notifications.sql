-- notifications: each person's choices and the outbox of emails to send
-- An email is queued in the same transaction as the change it tells of,
-- and holds what the message says without personal data: the service, the
-- district or the market matter, and the path of the page with the rest.
-- A worker claims due rows (claimed_until), sends, and retries with
-- backoff; dedupe_key stops a scan queueing the same reminder twice.
CREATE TABLE notification_prefs (
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	enabled BOOLEAN NOT NULL,
	PRIMARY KEY (user_id, kind)
);
CREATE TABLE outbox (
	id {{pk}},
	council_id BIGINT NOT NULL REFERENCES councils(id),
	user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
	email TEXT NOT NULL,
	kind TEXT NOT NULL,
	service TEXT NOT NULL DEFAULT '',
	district TEXT NOT NULL DEFAULT '',
	what TEXT NOT NULL DEFAULT '',
	path TEXT NOT NULL,
	urgent BOOLEAN NOT NULL DEFAULT FALSE,
	dedupe_key TEXT,
	status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at {{ts}} NOT NULL,
	claimed_by TEXT NOT NULL DEFAULT '',
	claimed_until {{ts}},
	last_error TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	sent_at {{ts}}
);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (council_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_council ON outbox (council_id, id);

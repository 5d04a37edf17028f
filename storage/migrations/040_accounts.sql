-- accounts: disabled users, named expiring API tokens, a sign-in throttle shared by every server, TOTP and recovery codes, per-council SSO and MFA settings
ALTER TABLE users ADD COLUMN disabled_at {{ts}};
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sso_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_sso_subject ON users (council_id, sso_subject) WHERE sso_subject <> '';
-- A token's public id names it in lists and revocation; the secret is only ever hashed.
ALTER TABLE api_tokens ADD COLUMN token_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at {{ts}};
UPDATE api_tokens SET token_id = substr(token_hash, 1, 16);
CREATE UNIQUE INDEX api_tokens_token_id ON api_tokens (token_id) WHERE token_id <> '';
CREATE INDEX api_tokens_user ON api_tokens (user_id);
-- A session at stage 'mfa' has passed the password and waits for the second factor.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE sign_in_failures (
	key TEXT NOT NULL,
	at {{ts}} NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key, at);
CREATE TABLE recovery_codes (
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	used_at {{ts}},
	PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE council_auth (
	council_id BIGINT PRIMARY KEY REFERENCES councils(id),
	mfa_roles TEXT NOT NULL DEFAULT '',
	sso_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	sso_issuer TEXT NOT NULL DEFAULT '',
	sso_client_id TEXT NOT NULL DEFAULT '',
	sso_client_secret TEXT NOT NULL DEFAULT '',
	sso_groups_claim TEXT NOT NULL DEFAULT 'groups',
	sso_role_map TEXT NOT NULL DEFAULT '',
	updated_at {{ts}} NOT NULL
);
-- Councils already live require a second factor of admins, commissioners and finance staff.
INSERT INTO council_auth (council_id, mfa_roles, updated_at) SELECT id, 'admin,commissioner,finance', created_at FROM councils;

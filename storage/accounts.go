package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

// ChangeOwnPassword sets the caller's own password, clears a one-time
// password's must-change flag and ends every other session of theirs: a
// person who changes their password because it leaked must not leave the
// thief signed in.
func (db *DB) ChangeOwnPassword(ctx context.Context, keepSession, hash string) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_password = FALSE WHERE id = $2 AND council_id = $3 AND disabled_at IS NULL`,
			hash, tx.actor.UserID, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: change password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Account not found")
		}
		ended, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND secret_hash <> $2`, tx.actor.UserID, keepSession)
		if err != nil {
			return fmt.Errorf("storage: end other sessions: %w", err)
		}
		n, _ := ended.RowsAffected()
		return tx.audit(ctx, "user.change_password", "user", tx.actor.UserID, nil, map[string]any{"other_sessions_ended": n})
	})
}

// CreateAPIToken stores the hash of a new API token. The user may make their
// own; an admin may make one for anyone in the council.
func (db *DB) CreateAPIToken(ctx context.Context, userID int64, tokenHash, name string, lifetime time.Duration) (*access.Token, error) {
	t := &access.Token{ID: tokenHash[:min(16, len(tokenHash))], Name: name, UserID: userID}
	err := db.update(ctx, func(tx *Tx) error {
		if tx.actor.UserID != userID {
			if err := tx.actor.Require(caremarket.RoleAdmin); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = $1 AND council_id = $2 AND disabled_at IS NULL`, userID, tx.actor.CouncilID).Scan(&t.UserEmail); err != nil {
			return notFound(err, "Account")
		}
		t.CreatedAt, t.ExpiresAt = tx.now, tx.now.Add(lifetime)
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (token_hash, token_id, user_id, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			tokenHash, t.ID, userID, name, t.CreatedAt, t.ExpiresAt); err != nil {
			return fmt.Errorf("storage: create token: %w", err)
		}
		return tx.audit(ctx, "user.create_token", "user", userID, nil, map[string]any{"token": t.ID, "name": name, "expires_at": t.ExpiresAt})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ListTokens lists live tokens, newest first: the caller's own, or with
// all (admins only) every token in the council.
func (db *DB) ListTokens(ctx context.Context, all bool) ([]access.Token, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if all {
		if err := actor.Require(caremarket.RoleAdmin); err != nil {
			return nil, err
		}
	}
	now := db.now()
	rows, err := db.sql.QueryContext(ctx, `SELECT t.token_id, t.label, t.user_id, u.email, t.created_at, t.expires_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE u.council_id = $1 AND ($2 OR t.user_id = $3) AND (t.expires_at > $4 OR (t.expires_at IS NULL AND t.created_at > $5))
		ORDER BY t.created_at DESC, t.token_id`, actor.CouncilID, all, actor.UserID, now, now.Add(-access.TokenLifetime))
	if err != nil {
		return nil, fmt.Errorf("storage: list tokens: %w", err)
	}
	defer rows.Close()
	out := []access.Token{}
	for rows.Next() {
		var t access.Token
		var expires sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &t.UserID, &t.UserEmail, &t.CreatedAt, &expires); err != nil {
			return nil, fmt.Errorf("storage: list tokens: %w", err)
		}
		t.ExpiresAt = t.CreatedAt.Add(access.TokenLifetime)
		if expires.Valid {
			t.ExpiresAt = expires.Time
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends a token at once: the caller's own, or for an admin any in
// the council. Another council's token is not found.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	return db.update(ctx, func(tx *Tx) error {
		var userID int64
		var name string
		err := tx.QueryRowContext(ctx, `SELECT t.user_id, t.label FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_id = $1 AND u.council_id = $2`, id, tx.actor.CouncilID).Scan(&userID, &name)
		if err != nil {
			return notFound(err, "Token")
		}
		if userID != tx.actor.UserID {
			if !tx.actor.Is(caremarket.RoleAdmin) {
				return caremarket.Errorf(caremarket.ENOTFOUND, "Token not found")
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE token_id = $1`, id); err != nil {
			return fmt.Errorf("storage: revoke token: %w", err)
		}
		return tx.audit(ctx, "user.revoke_token", "user", userID, map[string]any{"token": id, "name": name}, nil)
	})
}

// DisableUser stops an account signing in and ends its sessions and API
// tokens in the same transaction. Admins only, and not their own account
// (a council must not lock out its last admin by a slip).
func (db *DB) DisableUser(ctx context.Context, userID int64) error {
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		if userID == tx.actor.UserID {
			return caremarket.Errorf(caremarket.EINVALID, "You cannot disable your own account")
		}
		var email string
		var disabled sql.NullTime
		if err := tx.QueryRowContext(ctx, `SELECT email, disabled_at FROM users WHERE id = $1 AND council_id = $2`, userID, tx.actor.CouncilID).Scan(&email, &disabled); err != nil {
			return notFound(err, "Account")
		}
		if disabled.Valid {
			return nil // already disabled: nothing to do
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $1 WHERE id = $2`, tx.now, userID); err != nil {
			return fmt.Errorf("storage: disable user: %w", err)
		}
		sessions, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		if err != nil {
			return fmt.Errorf("storage: end sessions: %w", err)
		}
		tokens, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, userID)
		if err != nil {
			return fmt.Errorf("storage: end tokens: %w", err)
		}
		ns, _ := sessions.RowsAffected()
		nt, _ := tokens.RowsAffected()
		return tx.audit(ctx, "user.disable", "user", userID, map[string]any{"email": email},
			map[string]any{"email": email, "disabled": true, "sessions_ended": ns, "tokens_revoked": nt})
	})
}

// SignInFailures counts the failed sign-ins recorded under key since a time,
// with the oldest and newest. Every server reads the same table, so a
// guesser cannot spread attempts over servers.
func (db *DB) SignInFailures(ctx context.Context, key string, since time.Time) (int, time.Time, time.Time, error) {
	var n int
	var oldest, newest time.Time
	since = since.UTC()
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM sign_in_failures WHERE key = $1 AND at > $2`, key, since).Scan(&n)
	if err == nil && n > 0 {
		err = db.sql.QueryRowContext(ctx, `SELECT at FROM sign_in_failures WHERE key = $1 AND at > $2 ORDER BY at LIMIT 1`, key, since).Scan(&oldest)
	}
	if err == nil && n > 0 {
		err = db.sql.QueryRowContext(ctx, `SELECT at FROM sign_in_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT 1`, key, since).Scan(&newest)
	}
	if err != nil {
		return 0, time.Time{}, time.Time{}, fmt.Errorf("storage: count sign-in failures: %w", err)
	}
	return n, oldest, newest, nil
}

// RecordSignInFailure records a failed sign-in under each key, and now and
// then sweeps failures older than a day. A failure changes no one's data, so
// it goes to the log (by the server) rather than the audit chain.
func (db *DB) RecordSignInFailure(ctx context.Context, keys []string) error {
	now := db.now()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	defer tx.Rollback()
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sign_in_failures (key, at) VALUES ($1, $2)`, k, now); err != nil {
			return fmt.Errorf("storage: record sign-in failure: %w", err)
		}
	}
	if now.Nanosecond()/1000%64 == 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE at < $1`, now.Add(-24*time.Hour)); err != nil {
			return fmt.Errorf("storage: sweep sign-in failures: %w", err)
		}
	}
	return tx.Commit()
}

// ClearSignInFailures forgets the failures under key (after a success).
func (db *DB) ClearSignInFailures(ctx context.Context, key string) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE key = $1`, key); err != nil {
		return fmt.Errorf("storage: clear sign-in failures: %w", err)
	}
	return nil
}

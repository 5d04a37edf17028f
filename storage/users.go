package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

// userColumns are read from users u joined to councils c (userJoin).
const userColumns = `u.id, u.council_id, c.slug, u.email, u.name, u.role, COALESCE(u.provider_id, 0), u.password_hash, u.must_change_password, u.created_at,
	u.disabled_at, u.totp_secret, u.totp_enabled, u.totp_last_step, u.sso_subject, COALESCE(ca.mfa_roles, ''), c.name`

// userJoin is what userColumns read from.
const userJoin = ` users u` + userJoinTail

// userJoinTail joins a users u already in the query to what userColumns read.
const userJoinTail = ` JOIN councils c ON c.id = u.council_id LEFT JOIN council_auth ca ON ca.council_id = u.council_id `

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*access.User, error) {
	var u access.User
	var disabled sql.NullTime
	var mfaRoles string
	err := row.Scan(append([]any{&u.ID, &u.CouncilID, &u.CouncilSlug, &u.Email, &u.Name, &u.Role, &u.ProviderID, &u.PasswordHash, &u.MustChangePassword, &u.CreatedAt,
		&disabled, &u.TOTPSecret, &u.TOTPEnabled, &u.TOTPLastStep, &u.SSOSubject, &mfaRoles, &u.CouncilName}, extra...)...)
	u.DisabledAt = timeOf(disabled)
	u.MFARequired = slices.Contains(strings.Split(mfaRoles, ","), string(u.Role))
	return &u, err
}

// CreateUser adds an account to the actor's council. Admins only (the CLI
// acts as the council's system admin).
func (db *DB) CreateUser(ctx context.Context, u *access.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		u.CouncilID, u.CouncilSlug, u.CreatedAt = tx.actor.CouncilID, tx.actor.CouncilSlug, tx.now
		if u.ProviderID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM providers WHERE id = $1 AND council_id = $2`, u.ProviderID, u.CouncilID).Scan(&n); err != nil {
				return fmt.Errorf("storage: check provider: %w", err)
			} else if n == 0 {
				return &caremarket.Error{Code: caremarket.EINVALID, Message: "Provider not found in this council",
					Fields: map[string]string{"provider_id": "Choose a provider of this council"}}
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO users (council_id, email, name, role, provider_id, password_hash, must_change_password, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			u.CouncilID, u.Email, u.Name, string(u.Role), nullInt64(u.ProviderID), u.PasswordHash, u.MustChangePassword, u.CreatedAt).Scan(&u.ID)
		if isUniqueViolation(err) {
			// One answer whether the address is taken in this council or
			// another, so an admin cannot learn who has an account elsewhere.
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: emailUnavailable, Fields: map[string]string{"email": emailUnavailable}}
		} else if err != nil {
			return fmt.Errorf("storage: create user: %w", err)
		}
		return tx.audit(ctx, "user.create", "user", u.ID, nil, map[string]any{"email": u.Email, "role": u.Role, "provider_id": u.ProviderID})
	})
}

// emailUnavailable is the answer when an email address is already used.
const emailUnavailable = "This email address cannot be used for a new account. If the person already has an account, find it in the list of users; otherwise ask them for another address"

// ListUsers lists the council's accounts. Admins only.
func (db *DB) ListUsers(ctx context.Context) ([]access.User, error) {
	actor, err := actorRequire(ctx, caremarket.RoleAdmin)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+userColumns+` FROM`+userJoin+`
		WHERE u.council_id = $1 ORDER BY u.email`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list users: %w", err)
	}
	defer rows.Close()
	var out []access.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// UserByEmail finds an account for sign-in.
func (db *DB) UserByEmail(ctx context.Context, email string) (*access.User, error) {
	u, err := scanUser(db.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM`+userJoin+`WHERE u.email = $1`, email))
	if err != nil {
		return nil, notFound(err, "Account")
	}
	return u, nil
}

// SetPassword replaces a user's password hash. The user in ctx may change
// their own (which clears a one-time password's must-change flag); an admin
// may reset anyone's in the council, which ends that person's sessions.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	return db.update(ctx, func(tx *Tx) error {
		if tx.actor.UserID != userID {
			if err := tx.actor.Require(caremarket.RoleAdmin); err != nil {
				return err
			}
		}
		own := tx.actor.UserID == userID
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3 AND council_id = $4`,
			hash, !own, userID, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Account not found")
		}
		if !own {
			// A reset by an admin signs the person out everywhere.
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
				return fmt.Errorf("storage: end sessions: %w", err)
			}
		}
		return tx.audit(ctx, "user.set_password", "user", userID, nil, nil)
	})
}

// CreateSession starts a session for a user who has just signed in, and
// records the sign-in in the audit log.
func (db *DB) CreateSession(ctx context.Context, userID int64, secretHash string, expires time.Time) error {
	return db.createSession(ctx, userID, secretHash, expires, "", "user.sign_in")
}

// createSession starts a session at a stage: "" signed in with a password,
// "sso" signed in through the council's identity provider, "mfa" waiting
// for the second factor.
func (db *DB) createSession(ctx context.Context, userID int64, secretHash string, expires time.Time, stage, action string) error {
	u, err := scanUser(db.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM`+userJoin+`WHERE u.id = $1`, userID))
	if err != nil {
		return notFound(err, "Account")
	}
	if u.DisabledAt != nil {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "This account has been disabled")
	}
	return db.updateAs(ctx, u.Actor(), func(tx *Tx) error {
		// Sweep expired sessions now and then, so the table does not grow forever.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND expires_at < $2`, userID, tx.now); err != nil {
			return fmt.Errorf("storage: sweep sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (secret_hash, user_id, created_at, expires_at, stage) VALUES ($1, $2, $3, $4, $5)`,
			secretHash, userID, tx.now, expires.UTC(), stage); err != nil {
			return fmt.Errorf("storage: create session: %w", err)
		}
		var after map[string]any
		if stage == "sso" {
			after = map[string]any{"single_sign_on": true}
		}
		return tx.audit(ctx, action, "user", userID, nil, after)
	})
}

// UserBySession returns the user of a live session.
func (db *DB) UserBySession(ctx context.Context, secretHash string, now time.Time) (*access.User, error) {
	var stage string
	u, err := scanUser(db.sql.QueryRowContext(ctx, `SELECT `+userColumns+`, s.stage FROM sessions s JOIN users u ON u.id = s.user_id`+userJoinTail+`
		WHERE s.secret_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL`, secretHash, now.UTC()), &stage)
	u.SessionStage = stage
	if err != nil {
		return nil, notFound(err, "Session")
	}
	return u, nil
}

// DeleteSession ends the session in ctx's request (sign out), and records it.
func (db *DB) DeleteSession(ctx context.Context, secretHash string) error {
	u, err := db.UserBySession(ctx, secretHash, db.now())
	if caremarket.ErrorCode(err) == caremarket.ENOTFOUND {
		return nil // already gone: signing out twice is fine
	} else if err != nil {
		return err
	}
	return db.updateAs(ctx, u.Actor(), func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE secret_hash = $1`, secretHash); err != nil {
			return fmt.Errorf("storage: delete session: %w", err)
		}
		return tx.audit(ctx, "user.sign_out", "user", u.ID, nil, nil)
	})
}

// CreateToken stores the hash of an API token for a user, lasting the
// default TokenLifetime. The user may make their own; an admin may make one
// for anyone in the council.
func (db *DB) CreateToken(ctx context.Context, userID int64, tokenHash, label string) error {
	_, err := db.CreateAPIToken(ctx, userID, tokenHash, label, access.TokenLifetime)
	return err
}

// UserByToken returns the owner of an API token.
func (db *DB) UserByToken(ctx context.Context, tokenHash string) (*access.User, error) {
	now := db.now()
	u, err := scanUser(db.queryRowPrepared(ctx, `SELECT `+userColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id`+userJoinTail+`
		WHERE t.token_hash = $1 AND u.disabled_at IS NULL AND (t.expires_at > $2 OR (t.expires_at IS NULL AND t.created_at > $3))`,
		tokenHash, now, now.Add(-access.TokenLifetime)))
	if err != nil {
		return nil, notFound(err, "Token")
	}
	return u, nil
}

package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

// StartTOTP stores a new authenticator secret for the caller, not yet
// confirmed: enrolment finishes when they type a code from it.
func (db *DB) StartTOTP(ctx context.Context, secret string) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $1, totp_enabled = FALSE, totp_last_step = 0
			WHERE id = $2 AND council_id = $3 AND totp_enabled = FALSE`, secret, tx.actor.UserID, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: start totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return caremarket.Errorf(caremarket.ECONFLICT, "You have already set up an authenticator app")
		}
		return tx.audit(ctx, "user.mfa_start", "user", tx.actor.UserID, nil, nil)
	})
}

// EnableTOTP confirms the caller's authenticator, spends the step of the
// code they typed, and replaces their recovery codes.
func (db *DB) EnableTOTP(ctx context.Context, step int64, recoveryHashes []string) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled = TRUE, totp_last_step = $1
			WHERE id = $2 AND council_id = $3 AND totp_secret <> '' AND totp_enabled = FALSE`, step, tx.actor.UserID, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: enable totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return caremarket.Errorf(caremarket.ECONFLICT, "Start setting up your authenticator app again")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, tx.actor.UserID); err != nil {
			return fmt.Errorf("storage: replace recovery codes: %w", err)
		}
		for _, h := range recoveryHashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, tx.actor.UserID, h); err != nil {
				return fmt.Errorf("storage: store recovery code: %w", err)
			}
		}
		return tx.audit(ctx, "user.mfa_enable", "user", tx.actor.UserID, nil, map[string]any{"recovery_codes": len(recoveryHashes)})
	})
}

// ResetMFA removes a person's authenticator and recovery codes and ends
// their sessions: their own, or anyone's in the council for an admin (for a
// lost phone). If their role requires it they enrol again at next sign-in.
func (db *DB) ResetMFA(ctx context.Context, userID int64) error {
	return db.update(ctx, func(tx *Tx) error {
		if userID != tx.actor.UserID {
			if err := tx.actor.Require(caremarket.RoleAdmin); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = '', totp_enabled = FALSE, totp_last_step = 0 WHERE id = $1 AND council_id = $2`,
			userID, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: reset mfa: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Account not found")
		}
		for _, q := range []string{`DELETE FROM recovery_codes WHERE user_id = $1`, `DELETE FROM sessions WHERE user_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return fmt.Errorf("storage: reset mfa: %w", err)
			}
		}
		return tx.audit(ctx, "user.mfa_reset", "user", userID, nil, nil)
	})
}

// CreatePendingSession starts a session that has passed the password and
// waits for the second factor; it is no sign-in yet.
func (db *DB) CreatePendingSession(ctx context.Context, userID int64, secretHash string, expires time.Time) error {
	return db.createSession(ctx, userID, secretHash, expires, "mfa", "user.sign_in_password")
}

// CompleteMFA finishes a sign-in that waits for its second factor: it spends
// the TOTP step (which must be later than the last one used) or the recovery
// code, replaces the pending session with a signed-in one under a new secret,
// and records the sign-in.
func (db *DB) CompleteMFA(ctx context.Context, pendingHash, newHash string, expires time.Time, step int64, recoveryHash string) error {
	u, err := db.UserBySession(ctx, pendingHash, db.now())
	if err != nil {
		return err
	}
	if u.SessionStage != "mfa" {
		return caremarket.Errorf(caremarket.ECONFLICT, "You are already signed in")
	}
	wrong := &caremarket.Error{Code: caremarket.EINVALID, Message: "Enter a correct security code",
		Fields: map[string]string{"code": "Enter a correct security code"}}
	return db.updateAs(ctx, u.Actor(), func(tx *Tx) error {
		how := "authenticator app"
		if recoveryHash != "" {
			how = "recovery code"
			res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL`, tx.now, u.ID, recoveryHash)
			if err != nil {
				return fmt.Errorf("storage: spend recovery code: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return wrong
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_enabled AND totp_last_step < $1`, step, u.ID)
			if err != nil {
				return fmt.Errorf("storage: spend code: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return wrong // a code already used, even by a racing request
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE secret_hash = $1`, pendingHash); err != nil {
			return fmt.Errorf("storage: end pending session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (secret_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			newHash, u.ID, tx.now, expires.UTC()); err != nil {
			return fmt.Errorf("storage: create session: %w", err)
		}
		return tx.audit(ctx, "user.sign_in", "user", u.ID, nil, map[string]any{"second_factor": how})
	})
}

// CouncilAuth returns how the caller's council signs in. Admins only. The
// client secret is not returned, only whether one is stored.
func (db *DB) CouncilAuth(ctx context.Context) (*access.CouncilAuth, error) {
	actor, err := actorRequire(ctx, caremarket.RoleAdmin)
	if err != nil {
		return nil, err
	}
	a, err := readCouncilAuth(ctx, db.sql, actor.CouncilID)
	if err != nil {
		return nil, err
	}
	a.SSO.HasSecret, a.SSO.ClientSecret = a.SSO.ClientSecret != "", ""
	return a, nil
}

func readCouncilAuth(ctx context.Context, q queryer, councilID int64) (*access.CouncilAuth, error) {
	a := &access.CouncilAuth{SSO: access.SSOConfig{GroupsClaim: "groups"}}
	var roles, roleMap string
	err := q.QueryRowContext(ctx, `SELECT mfa_roles, sso_enabled, sso_issuer, sso_client_id, sso_client_secret, sso_groups_claim, sso_role_map
		FROM council_auth WHERE council_id = $1`, councilID).Scan(&roles, &a.SSO.Enabled, &a.SSO.Issuer, &a.SSO.ClientID, &a.SSO.ClientSecret, &a.SSO.GroupsClaim, &roleMap)
	if err != nil {
		if caremarket.ErrorCode(notFound(err, "")) == caremarket.ENOTFOUND {
			return a, nil // never set: no second factor required, no SSO
		}
		return nil, fmt.Errorf("storage: read council sign-in settings: %w", err)
	}
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			a.MFARoles = append(a.MFARoles, caremarket.Role(r))
		}
	}
	a.SSO.RoleMap, _ = access.ParseRoleMap(roleMap) // checked when saved
	return a, nil
}

// SetCouncilAuth saves how the council signs in. Admins only. An empty
// client secret keeps the stored one; the audit record says whether it
// changed, never what it is.
func (db *DB) SetCouncilAuth(ctx context.Context, a *access.CouncilAuth) error {
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		old, err := readCouncilAuth(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
		}
		secret := a.SSO.ClientSecret
		if secret == "" {
			secret = old.SSO.ClientSecret
		}
		a.SSO.HasSecret = secret != ""
		if err := access.CheckSSOConfig(&a.SSO); err != nil {
			return err
		}
		var roles []string
		for _, r := range a.MFARoles {
			roles = append(roles, string(r))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO council_auth (council_id, mfa_roles, sso_enabled, sso_issuer, sso_client_id, sso_client_secret, sso_groups_claim, sso_role_map, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (council_id) DO UPDATE SET mfa_roles = excluded.mfa_roles, sso_enabled = excluded.sso_enabled, sso_issuer = excluded.sso_issuer,
				sso_client_id = excluded.sso_client_id, sso_client_secret = excluded.sso_client_secret, sso_groups_claim = excluded.sso_groups_claim,
				sso_role_map = excluded.sso_role_map, updated_at = excluded.updated_at`,
			tx.actor.CouncilID, strings.Join(roles, ","), a.SSO.Enabled, a.SSO.Issuer, a.SSO.ClientID, secret, a.SSO.GroupsClaim,
			access.FormatRoleMap(a.SSO.RoleMap), tx.now); err != nil {
			return fmt.Errorf("storage: save council sign-in settings: %w", err)
		}
		summary := func(c *access.CouncilAuth) map[string]any {
			return map[string]any{"mfa_roles": c.MFARoles, "sso_enabled": c.SSO.Enabled, "issuer": c.SSO.Issuer, "client_id": c.SSO.ClientID,
				"groups_claim": c.SSO.GroupsClaim, "role_map": access.FormatRoleMap(c.SSO.RoleMap)}
		}
		after := summary(a)
		after["client_secret_changed"] = a.SSO.ClientSecret != "" && a.SSO.ClientSecret != old.SSO.ClientSecret
		return tx.audit(ctx, "council.sign_in_settings", "council", tx.actor.CouncilID, summary(old), after)
	})
}

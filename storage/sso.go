package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

// SSOCouncils lists the councils whose staff sign in with their council's
// identity provider, with the settings the sign-in needs (secret included:
// only the server reads this, never a page).
func (db *DB) SSOCouncils(ctx context.Context) ([]access.SSOCouncil, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT c.id, c.slug, c.name FROM council_auth a JOIN councils c ON c.id = a.council_id
		WHERE a.sso_enabled ORDER BY c.name`)
	if err != nil {
		return nil, fmt.Errorf("storage: list sso councils: %w", err)
	}
	var out []access.SSOCouncil
	for rows.Next() {
		var c access.SSOCouncil
		if err := rows.Scan(&c.ID, &c.Slug, &c.Name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: list sso councils: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		a, err := readCouncilAuth(ctx, db.sql, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Config = a.SSO
	}
	return out, nil
}

// CreateSSOSession starts a session for someone the council's identity
// provider signed in (which did their second factor).
func (db *DB) CreateSSOSession(ctx context.Context, userID int64, secretHash string, expires time.Time) error {
	return db.createSession(ctx, userID, secretHash, expires, "sso", "user.sign_in")
}

// SSOSignIn finds the council's account for a person the identity provider
// vouched for (by its subject id, else by email), or creates one, and gives
// it the role their groups map to: the identity provider is the source of
// truth for council staff who sign in this way. A disabled account, or a
// provider's, is refused.
func (db *DB) SSOSignIn(ctx context.Context, councilID int64, subject, email, name string, role caremarket.Role) (*access.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	subject = strings.TrimSpace(subject)
	if r, err := caremarket.ParseRole(string(role)); subject == "" || len(subject) > 255 || err != nil || r == caremarket.RoleProvider {
		return nil, caremarket.Errorf(caremarket.EINVALID, "Single sign-on needs the person's subject id and a council staff role")
	}
	var slug string
	if err := db.sql.QueryRowContext(ctx, `SELECT slug FROM councils WHERE id = $1`, councilID).Scan(&slug); err != nil {
		return nil, notFound(err, "Council")
	}
	refused := caremarket.Errorf(caremarket.EFORBIDDEN, "Your account could not be used here. Ask your council's administrator")
	var userID int64
	err := db.updateAs(ctx, caremarket.SystemActor(councilID, slug), func(tx *Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM`+userJoin+`WHERE u.council_id = $1 AND u.sso_subject = $2`, councilID, subject))
		if err != nil && caremarket.ErrorCode(notFound(err, "")) == caremarket.ENOTFOUND {
			u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM`+userJoin+`WHERE u.council_id = $1 AND u.email = $2`, councilID, email))
		}
		switch code := caremarket.ErrorCode(notFound(err, "")); {
		case err == nil:
			if u.DisabledAt != nil {
				return caremarket.Errorf(caremarket.EFORBIDDEN, "This account has been disabled. Ask your council's administrator")
			}
			if u.Role == caremarket.RoleProvider || (u.SSOSubject != "" && u.SSOSubject != subject) {
				return refused
			}
			userID = u.ID
			if u.Role == role && u.SSOSubject == subject {
				return nil
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, sso_subject = $2 WHERE id = $3`, string(role), subject, u.ID); err != nil {
				return fmt.Errorf("storage: update sso user: %w", err)
			}
			return tx.audit(ctx, "user.sso_update", "user", u.ID, map[string]any{"role": u.Role}, map[string]any{"role": role, "single_sign_on": true})
		case code == caremarket.ENOTFOUND:
			nu := &access.User{Email: email, Name: name, Role: role}
			if err := nu.Validate(); err != nil {
				return refused
			}
			err := tx.QueryRowContext(ctx, `INSERT INTO users (council_id, email, name, role, password_hash, must_change_password, created_at, sso_subject)
				VALUES ($1, $2, $3, $4, '', FALSE, $5, $6) RETURNING id`, councilID, nu.Email, nu.Name, string(role), tx.now, subject).Scan(&userID)
			if isUniqueViolation(err) {
				return refused // the address is used elsewhere: say nothing of where
			} else if err != nil {
				return fmt.Errorf("storage: create sso user: %w", err)
			}
			return tx.audit(ctx, "user.create", "user", userID, nil, map[string]any{"email": nu.Email, "role": role, "single_sign_on": true})
		default:
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	u, err := scanUser(db.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM`+userJoin+`WHERE u.id = $1`, userID))
	if err != nil {
		return nil, notFound(err, "Account")
	}
	return u, nil
}

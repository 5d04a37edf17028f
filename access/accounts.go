package access

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caremarket/caremarket"
)

// TokenLifetime is how long an API token lasts unless its maker chooses
// otherwise; MaxTokenLifetime is the longest anyone may choose.
const (
	TokenLifetime    = 90 * 24 * time.Hour
	MaxTokenLifetime = 366 * 24 * time.Hour
)

// Token is an API token as lists show it: never its secret, which only its
// maker saw, once.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	UserID    int64     `json:"user_id"`
	UserEmail string    `json:"user_email"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CheckTokenRequest checks a new token's name and lifetime in days (0 means
// the default) and returns the lifetime.
func CheckTokenRequest(name string, days int) (string, time.Duration, error) {
	name = strings.TrimSpace(name)
	f := map[string]string{}
	switch {
	case name == "":
		f["name"] = "Enter a name for the token, like the script that will use it"
	case utf8.RuneCountInString(name) > 100:
		f["name"] = "Name must be 100 characters or fewer"
	}
	life := TokenLifetime
	switch {
	case days < 0 || time.Duration(days)*24*time.Hour > MaxTokenLifetime:
		f["expires_in_days"] = "A token lasts between 1 and 366 days"
	case days > 0:
		life = time.Duration(days) * 24 * time.Hour
	}
	return name, life, caremarket.Invalid(f)
}

// AccountStore is what storage provides to change passwords, manage
// tokens, disable accounts and share the sign-in throttle between servers.
type AccountStore interface {
	// ChangeOwnPassword sets the caller's password and ends every session
	// of theirs except keepSession (the hash of the one they used).
	ChangeOwnPassword(ctx context.Context, keepSession, hash string) error
	// CreateAPIToken stores a token for a user (their own, or anyone's in
	// the council for an admin).
	CreateAPIToken(ctx context.Context, userID int64, tokenHash, name string, lifetime time.Duration) (*Token, error)
	// ListTokens lists live tokens: the caller's own, or with all (admins
	// only) everyone's in the council.
	ListTokens(ctx context.Context, all bool) ([]Token, error)
	// RevokeToken ends a token: the caller's own, or any in the council for
	// an admin.
	RevokeToken(ctx context.Context, id string) error
	// DisableUser stops an account signing in and ends its sessions and
	// tokens at once. Admins only.
	DisableUser(ctx context.Context, userID int64) error

	ThrottleStore
}

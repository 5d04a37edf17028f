// Package access is about people and what they may do: accounts, password
// hashing (argon2id), API tokens, sessions and throttling of sign-in attempts.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/caremarket/caremarket"
)

// User is a person who signs in. A provider user belongs to exactly one
// provider; everyone else works for the council.
type User struct {
	ID           int64           `json:"id"`
	CouncilID    int64           `json:"-"`
	CouncilSlug  string          `json:"council"`
	CouncilName  string          `json:"-"`
	Email        string          `json:"email"`
	Name         string          `json:"name"`
	Role         caremarket.Role `json:"role"`
	ProviderID   int64           `json:"provider_id,omitempty"`
	PasswordHash string          `json:"-"`
	// MustChangePassword is set for a one-time password: the person must
	// choose their own before doing anything else.
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`

	// DisabledAt is set when an admin disabled the account: it cannot sign
	// in, and its sessions and tokens were ended.
	DisabledAt *time.Time `json:"-"`
	// TOTPSecret is the shared secret of the person's authenticator app;
	// TOTPEnabled says enrolment finished (a code was checked).
	TOTPSecret   string `json:"-"`
	TOTPEnabled  bool   `json:"-"`
	TOTPLastStep int64  `json:"-"`
	// SSOSubject is the council identity provider's id for the person
	// (the id token's "sub"), for staff who sign in with single sign-on.
	SSOSubject string `json:"-"`
	// MFARequired says the council requires a second factor of this role.
	MFARequired bool `json:"-"`
	// SessionStage is the stage of the session the user was found by:
	// "" signed in with a password, "sso" signed in through the council's
	// identity provider, "mfa" waiting for the second factor.
	SessionStage string `json:"-"`
}

// NeedsMFAEnrolment says the person must set up an authenticator before
// doing anything else: their council requires it of their role, they signed
// in with a password (single sign-on leaves the second factor to the
// council's identity provider) and they have not enrolled yet.
func (u *User) NeedsMFAEnrolment() bool {
	return u.MFARequired && !u.TOTPEnabled && u.SessionStage != "sso"
}

// Actor returns the user as the actor of a request.
func (u *User) Actor() *caremarket.Actor {
	return &caremarket.Actor{UserID: u.ID, Email: u.Email, CouncilID: u.CouncilID, CouncilSlug: u.CouncilSlug, CouncilName: u.CouncilName, Role: u.Role, ProviderID: u.ProviderID}
}

// Validate checks a new user: a real email, a known role, and a provider for
// (and only for) provider users.
func (u *User) Validate() error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Name = strings.TrimSpace(u.Name)
	f := map[string]string{}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > 254 {
		f["email"] = "Enter an email address in the correct format, like name@example.com"
	}
	if len(u.Name) > 200 {
		f["name"] = "Name must be 200 characters or fewer"
	}
	if _, err := caremarket.ParseRole(string(u.Role)); err != nil {
		f["role"] = caremarket.ErrorMessage(err)
	}
	switch {
	case u.Role == caremarket.RoleProvider && u.ProviderID <= 0:
		f["provider_id"] = "A provider user must belong to a provider"
	case u.Role != caremarket.RoleProvider && u.ProviderID != 0:
		f["provider_id"] = "Only provider users belong to a provider"
	}
	return caremarket.Invalid(f)
}

// Store is what storage provides for accounts, sessions and tokens.
type Store interface {
	CreateUser(ctx context.Context, u *User) error
	ListUsers(ctx context.Context) ([]User, error)
	// UserByEmail is used only to sign in, before there is an actor.
	UserByEmail(ctx context.Context, email string) (*User, error)
	SetPassword(ctx context.Context, userID int64, hash string) error

	// CreateSession stores the hash of a new session secret for a user.
	CreateSession(ctx context.Context, userID int64, secretHash string, expires time.Time) error
	UserBySession(ctx context.Context, secretHash string, now time.Time) (*User, error)
	DeleteSession(ctx context.Context, secretHash string) error

	// CreateToken stores the hash of a new API token for a user, which
	// expires after TokenLifetime.
	CreateToken(ctx context.Context, userID int64, tokenHash, label string) error
	UserByToken(ctx context.Context, tokenHash string) (*User, error)

	AccountStore
	MFAStore
	SSOStore
}

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash of pw in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt) // never fails (crypto/rand, Go 1.24+)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the PHC-format hash.
func CheckPassword(pw, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil || mem > 1<<20 || iters > 10 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// MinPasswordLen is the shortest password a person may choose (NCSC advice
// favours length over complexity rules).
const MinPasswordLen = 12

// CheckNewPassword says what is wrong with a password a person has chosen
// and typed twice: ValidatePassword's rule (without the person's details:
// call ValidatePassword too with them), then that both match.
func CheckNewPassword(pw, confirm string) error {
	f := map[string]string{}
	switch {
	case passwordProblem(pw, PasswordContext{}) != "":
		f["password"] = passwordProblem(pw, PasswordContext{})
	case pw != confirm:
		f["confirm"] = "The passwords do not match"
	}
	return caremarket.Invalid(f)
}

// NewSecret returns a random secret for a session, token or one-time
// password, and the hash that storage keeps instead of it.
func NewSecret() (secret, hash string) {
	secret = rand.Text() + rand.Text() // 2 x 130 random bits
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a session id or API token: a SHA-256 is
// enough for 260 random bits, and lets us look the secret up by its hash.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// SessionLifetime is how long a sign-in lasts without activity.
const SessionLifetime = 8 * time.Hour

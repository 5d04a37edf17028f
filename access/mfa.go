package access

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/caremarket/caremarket"
)

// MFAStore is what storage provides for the second factor: time-based
// one-time passwords (RFC 6238) from an authenticator app, and recovery
// codes for a lost phone.
type MFAStore interface {
	// StartTOTP stores a new, not yet confirmed, secret for the caller.
	StartTOTP(ctx context.Context, secret string) error
	// EnableTOTP confirms the caller's secret once they have typed a code
	// (whose time step is recorded so it cannot be used again) and replaces
	// their recovery codes with these hashes.
	EnableTOTP(ctx context.Context, step int64, recoveryHashes []string) error
	// ResetMFA removes a person's authenticator and recovery codes (their
	// own, or anyone's in the council for an admin) and ends their sessions.
	ResetMFA(ctx context.Context, userID int64) error
	// CreatePendingSession starts a session that has passed the password
	// and waits for the second factor.
	CreatePendingSession(ctx context.Context, userID int64, secretHash string, expires time.Time) error
	// CompleteMFA turns a pending session into a signed-in one under a new
	// secret, recording the TOTP step used (step > 0) or spending a
	// recovery code (recoveryHash != ""). A spent code or an old step is
	// refused.
	CompleteMFA(ctx context.Context, pendingHash, newHash string, expires time.Time, step int64, recoveryHash string) error
	// CouncilAuth returns the caller's council's sign-in settings (admins).
	CouncilAuth(ctx context.Context) (*CouncilAuth, error)
	// SetCouncilAuth saves them; an empty client secret keeps the old one.
	SetCouncilAuth(ctx context.Context, a *CouncilAuth) error
}

// PendingLifetime is how long a person has to type their code after their
// password.
const PendingLifetime = 10 * time.Minute

// MFARoles are the roles a council may require a second factor of, and
// DefaultMFARoles those required unless the council says otherwise.
var (
	MFARoles        = caremarket.CouncilStaff
	DefaultMFARoles = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner, caremarket.RoleFinance}
)

// totpOpts are the settings every authenticator app understands: 30-second
// steps, six digits, SHA-1.
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Enrolment is what a person needs to set up their authenticator app.
type Enrolment struct {
	Secret string // base32, to type in by hand
	URL    string // otpauth:// URL, which the QR code holds
	QR     string // the QR code as a PNG data: URI
}

// NewEnrolment makes a new TOTP secret for an account.
func NewEnrolment(issuer, account string) (*Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	return EnrolmentFor(issuer, account, key.Secret())
}

// EnrolmentFor rebuilds the enrolment of a stored secret (to show the QR
// code again while enrolment is not finished).
func EnrolmentFor(issuer, account, secret string) (*Enrolment, error) {
	key, err := otp.NewKeyFromURL("otpauth://totp/" + urlPathEscape(issuer) + ":" + urlPathEscape(account) +
		"?secret=" + secret + "&issuer=" + urlPathEscape(issuer) + "&period=30&digits=6&algorithm=SHA1")
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &Enrolment{Secret: secret, URL: key.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

func urlPathEscape(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", ":", "%3A", "/", "%2F", "?", "%3F", "&", "%26", "#", "%23").Replace(s)
}

// CheckTOTP checks a six-digit code against a secret at now, allowing one
// step of clock drift either way. It returns the code's time step, which
// must be later than lastStep: a code, once used, is spent.
func CheckTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || secret == "" {
		return 0, false
	}
	step := now.Unix() / 30
	for _, d := range []int64{0, -1, 1} {
		s := step + d
		if s <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*30, 0), totpOpts)
		if err == nil && want == code {
			return s, true
		}
	}
	return 0, false
}

// RecoveryCodeCount is how many recovery codes a person gets.
const RecoveryCodeCount = 10

// NewRecoveryCodes returns fresh recovery codes to show once, and the
// hashes to store. Each has 80 random bits.
func NewRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		t := strings.ToLower(rand.Text()[:16])
		code := t[:4] + "-" + t[4:8] + "-" + t[8:12] + "-" + t[12:16]
		codes = append(codes, code)
		hashes = append(hashes, HashRecoveryCode(code))
	}
	return codes, hashes
}

// HashRecoveryCode is the stored form of a recovery code, however it was
// typed (case, spaces and dashes do not matter).
func HashRecoveryCode(code string) string {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	return HashSecret("recovery:" + c)
}

// CouncilAuth is how a council's people sign in: which roles need a second
// factor, and single sign-on through the council's identity provider.
type CouncilAuth struct {
	MFARoles []caremarket.Role
	SSO      SSOConfig
}

// RequiresMFA says whether the council requires a second factor of role.
func (a *CouncilAuth) RequiresMFA(role caremarket.Role) bool {
	for _, r := range a.MFARoles {
		if r == role {
			return true
		}
	}
	return false
}

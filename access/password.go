package access

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/caremarket/caremarket"
)

// The password rule follows the NCSC's password guidance: length over
// complexity (at least 12 characters, no rules about symbols or case), and
// a deny-list of the passwords attackers try first, so a person cannot
// choose one that is common, breached, or guessable from who they are
// (their email) or where they are (this service, their council).

// ServiceName is the name of this service, which no password may contain.
const ServiceName = "caremarket"

// MaxPasswordLen bounds what is hashed (argon2id takes any length, but a
// megabyte password is an attack, not a password).
const MaxPasswordLen = 256

// PasswordContext is what a person's password must not be built from.
type PasswordContext struct {
	Email    string   // the person's own email address
	Councils []string // their council's name and slug, e.g. "Kent County Council", "kent"
}

// ValidatePassword says what is wrong with a password a person has chosen,
// as an EINVALID error on the field "password", or nil when it may be used.
func ValidatePassword(pw string, pc PasswordContext) error {
	if err := denyListErr(); err != nil {
		return err
	}
	if msg := passwordProblem(pw, pc); msg != "" {
		return caremarket.Invalid(map[string]string{"password": msg})
	}
	return nil
}

func passwordProblem(pw string, pc PasswordContext) string {
	n := len([]rune(pw))
	switch {
	case n < MinPasswordLen:
		return "Password must be 12 characters or more"
	case len(pw) > MaxPasswordLen:
		return "Password must be 256 characters or fewer"
	case strings.TrimSpace(pw) == "":
		return "Password must not be only spaces"
	case distinctRunes(pw) < 4:
		return "Password must not be one or two characters repeated: choose three or more random words"
	}
	lower := strings.ToLower(pw)
	folded := lettersAndDigits(lower)
	if strings.Contains(folded, ServiceName) {
		return "Password must not contain the name of this service"
	}
	if email := strings.ToLower(strings.TrimSpace(pc.Email)); email != "" {
		local, _, _ := strings.Cut(email, "@")
		if strings.Contains(lower, email) || (len(lettersAndDigits(local)) >= 4 && strings.Contains(folded, lettersAndDigits(local))) {
			return "Password must not contain your email address or its name part"
		}
	}
	for _, c := range pc.Councils {
		if c := lettersAndDigits(strings.ToLower(c)); len(c) >= 4 && strings.Contains(folded, c) {
			return "Password must not contain the name of your council"
		}
	}
	for _, c := range denyCandidates(lower) {
		if denied(c) {
			return "This password is too common: it is on a list of passwords that attackers try first. Choose three or more random words"
		}
	}
	return ""
}

func distinctRunes(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// lettersAndDigits drops spaces, punctuation and symbols, so "care-market"
// and "care market" are caught as "caremarket".
func lettersAndDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// denyCandidates are the forms of a lower-cased password looked up in the
// deny-list: itself; without digits, spaces and symbols added at either end
// ("dragon123456", "!!password2024"); and the unit of a repetition
// ("passwordpassword"). A stem shorter than 4 characters is no evidence.
func denyCandidates(lower string) []string {
	out := []string{lower}
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	if stem := strings.TrimFunc(lower, notLetter); stem != lower && len(stem) >= 4 {
		out = append(out, stem)
	}
	if stem := strings.TrimRightFunc(lower, notLetter); stem != lower && len(stem) >= 4 {
		out = append(out, stem)
	}
	for size := 1; size <= len(lower)/2; size++ {
		if len(lower)%size == 0 && strings.Repeat(lower[:size], len(lower)/size) == lower {
			if size >= 4 {
				out = append(out, lower[:size])
			}
			break
		}
	}
	return out
}

// denylist/passwords.txt.gz: lower-cased, byte-sorted, one per line; see
// denylist/README.md for where it comes from and its licence.
//
//go:embed denylist/passwords.txt.gz
var denylistGz []byte

var (
	denyOnce sync.Once
	denyList []string
	denyErr  error
)

// DenyList returns the deny-list of common and breached passwords, sorted,
// read from the embedded file on first use (nil if it cannot be read; see
// denyListErr).
func DenyList() []string {
	denyOnce.Do(func() { denyList, denyErr = readDenyList(denylistGz) })
	return denyList
}

// denyListErr says why the embedded deny-list could not be read. It is
// part of the build, so this is a broken build, not a bad request; the
// password check then refuses every password rather than pass them
// unchecked.
func denyListErr() error {
	DenyList()
	return denyErr
}

func readDenyList(gz []byte) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("access: the embedded password deny-list is not gzip: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("access: the embedded password deny-list cannot be read: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if !slices.IsSorted(lines) {
		slices.Sort(lines)
	}
	return lines, nil
}

func denied(lower string) bool {
	_, found := slices.BinarySearch(DenyList(), lower)
	return found
}

// NewOneTimePassword returns a random password for a new account, to be
// changed at first sign-in: 26 characters of base32 (130 bits), checked
// against the same rule as a chosen password.
func NewOneTimePassword(pc PasswordContext) string {
	for {
		if pw := rand.Text(); passwordProblem(pw, pc) == "" {
			return pw
		}
	}
}

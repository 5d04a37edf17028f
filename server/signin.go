package server

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

// pendingMFA is a session that has passed the password and waits for the
// second factor.
type pendingMFA struct {
	secret string
	user   *access.User
}

// dummyHash is checked against when no account has the email, so an
// unknown email costs the same argon2id work as a wrong password and the
// answer's timing does not tell who has an account.
var dummyHash = sync.OnceValue(func() string {
	h, _ := access.HashPassword("no account has this password " + time.Now().String())
	return h
})

// wrongPassword is the one answer for an unknown email and a wrong password.
var wrongPassword = &caremarket.Error{Code: caremarket.EINVALID, Message: "Enter a correct email address and password",
	Fields: map[string]string{"email": "Enter a correct email address and password"}}

// signIn checks an email and password and starts a session: a signed-in one,
// or, for a person with an authenticator app, one waiting for their code
// (mfa is then true). Guesses are throttled in the database per account and
// address, with a slower limit per account that delays rather than locks.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, email, password string) (u *access.User, mfa bool, err error) {
	ctx := r.Context()
	email = strings.ToLower(strings.TrimSpace(email))
	fields := map[string]string{}
	if email == "" {
		fields["email"] = "Enter your email address"
	}
	if password == "" {
		fields["password"] = "Enter your password"
	}
	if err := caremarket.Invalid(fields); err != nil {
		return nil, false, err
	}
	keys := access.KeysFor(email, clientIP(r))
	wait, err := s.Throttle.Check(ctx, s.Store, keys, s.Now())
	if err != nil {
		return nil, false, err
	}
	if wait > 0 {
		return nil, false, tooManyAttempts(wait)
	}
	u, err = s.Store.UserByEmail(ctx, email)
	if err != nil && caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
		return nil, false, err
	}
	hash := dummyHash()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok := access.CheckPassword(password, hash) && u != nil && u.PasswordHash != ""
	if !ok {
		if err := s.Throttle.Fail(ctx, s.Store, keys); err != nil {
			return nil, false, err
		}
		// Failed sign-ins change no data, so they go to the log rather than
		// the audit chain; a security team can alert on them.
		s.Logger.WarnContext(ctx, "sign-in failed", "email", email, "remote", clientIP(r))
		return nil, false, wrongPassword
	}
	if u.DisabledAt != nil {
		s.Logger.WarnContext(ctx, "sign-in to a disabled account", "email", email, "remote", clientIP(r))
		return nil, false, caremarket.Errorf(caremarket.EFORBIDDEN, "This account has been disabled. Ask your council's administrator if you need it again.")
	}
	if err := s.Throttle.Succeed(ctx, s.Store, keys); err != nil {
		return nil, false, err
	}
	councils, err := s.Store.SSOCouncils(ctx)
	if err != nil {
		return nil, false, err
	}
	if !access.PasswordAllowed(u, councils) {
		return nil, false, caremarket.Errorf(caremarket.EFORBIDDEN, "Your council signs you in with your council account. Use the button for your council on the sign-in page.")
	}
	secret, sh := access.NewSecret()
	if u.TOTPEnabled {
		expires := s.Now().Add(access.PendingLifetime)
		if err := s.Store.CreatePendingSession(ctx, u.ID, sh, expires); err != nil {
			return nil, false, err
		}
		s.setCookie(w, sessionCookie, secret, expires)
		s.clearCookie(w, csrfCookie)
		return u, true, nil
	}
	if err := s.startSession(w, r, u.ID); err != nil {
		return nil, false, err
	}
	return u, false, nil
}

// startSession signs a person in: a new session and its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	secret, hash := access.NewSecret()
	expires := s.Now().Add(access.SessionLifetime)
	if err := s.Store.CreateSession(r.Context(), userID, hash, expires); err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, secret, expires)
	s.clearCookie(w, csrfCookie)
	return nil
}

func tooManyAttempts(wait time.Duration) error {
	if wait < time.Minute {
		return caremarket.Errorf(caremarket.ERATELIMITED, "Too many failed sign-in attempts. Wait %d seconds and try again.", int(wait.Seconds())+1)
	}
	return caremarket.Errorf(caremarket.ERATELIMITED, "Too many failed sign-in attempts. Wait %d minutes and try again.", int(wait.Minutes())+1)
}

// gate holds a signed-in person to one task before anything else: choosing
// their own password after a one-time one, then setting up an authenticator
// app if their council requires one of their role. Every route refuses
// meanwhile, the API included: 403 with a message that says what to do, or
// a redirect to the task's page. It reports whether it answered.
func (s *Server) gate(w http.ResponseWriter, r *http.Request) bool {
	u, _ := r.Context().Value(keyUser).(*access.User)
	if u == nil {
		return false
	}
	var task, msg string
	switch {
	case u.MustChangePassword:
		task, msg = passwordPath, "Choose your own password before doing anything else: you signed in with a one-time password. Change it at "+passwordPath+" or with PUT /api/v1/me/password."
	case u.NeedsMFAEnrolment() && !isBearer(r):
		task, msg = mfaPath, "Set up an authenticator app before doing anything else: your council requires it for your role. Go to "+mfaPath+"."
	default:
		return false
	}
	if gateAllows(r, task) {
		return false
	}
	if isAPI(r) || r.Method != http.MethodGet {
		s.fail(w, r, caremarket.Errorf(caremarket.EFORBIDDEN, "%s", msg))
		return true
	}
	http.Redirect(w, r, task, http.StatusSeeOther)
	return true
}

// isBearer says the request came with an API token. A token is not held to
// enrolling an authenticator app: the second factor guards a person signing
// in, and the token was made by someone already past it (or by an operator).
func isBearer(r *http.Request) bool {
	b, _ := r.Context().Value(keyBearer).(bool)
	return b
}

// gateAllows lists what a person held by the gate may still do: the task
// itself, sign out, and fetch the pages' assets.
func gateAllows(r *http.Request, task string) bool {
	p := r.URL.Path
	switch {
	case p == task, p == "/sign-out", p == "/healthz", strings.HasPrefix(p, "/assets/"):
		return true
	case task == passwordPath && p == "/api/v1/me/password":
		return true
	case task == mfaPath && strings.HasPrefix(p, mfaPath+"/"):
		return true
	}
	return false
}

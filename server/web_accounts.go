package server

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

const (
	accountPath    = "/account"
	mfaPath        = "/account/mfa"
	signInCodePath = "/sign-in/code"
)

// registerAccountPages registers a person's own account (password, API
// tokens, authenticator app), the second step of sign-in, single sign-on,
// and the admin's pages for tokens, disabling accounts and sign-in settings.
func (s *Server) registerAccountPages() {
	s.route("GET "+signInCodePath, s.signInCodePage)
	s.route("POST "+signInCodePath, s.signInCodePost)
	s.route("GET "+accountPath, s.page(s.accountPage))
	s.route("POST /account/tokens", s.postForm(s.accountTokenPost))
	s.route("POST /account/tokens/{id}/revoke", s.postForm(s.tokenRevokePost))
	s.route("GET "+mfaPath, s.page(s.mfaPage))
	s.route("POST "+mfaPath, s.postForm(s.mfaPost))
	s.route("POST "+mfaPath+"/start", s.postForm(s.mfaStartPost))
	s.route("GET /admin/tokens", s.page(s.adminTokensPage))
	s.route("POST /admin/tokens/{id}/revoke", s.postForm(s.tokenRevokePost))
	s.route("POST /admin/users/{id}/disable", s.postForm(s.userDisablePost))
	s.route("POST /admin/users/{id}/reset-mfa", s.postForm(s.userResetMFAPost))
	s.route("GET /admin/security", s.page(s.securityPage))
	s.route("POST /admin/security", s.postForm(s.securityPost))
	s.registerSSO()
	s.registerAccountAPI()
}

// renderSignIn shows the sign-in form, with a button for each council whose
// staff sign in with their council account.
func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, next string, err error) {
	councils, serr := s.Store.SSOCouncils(r.Context())
	if serr != nil {
		s.errorPage(w, r, serr)
		return
	}
	s.render(w, r, status, "signin", "Sign in", struct {
		Next string
		SSO  []access.SSOCouncil
	}{next, councils}, err)
}

// --- The second step of sign-in

func (s *Server) pending(r *http.Request) (pendingMFA, bool) {
	p, ok := r.Context().Value(keyPendingMFA).(pendingMFA)
	return p, ok
}

func (s *Server) signInCodePage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.pending(r); !ok {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signin_code", "Enter your security code", map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}, nil)
}

// signInCodePost checks the code from the authenticator app, or a recovery
// code, throttled like the password, and signs the person in under a new
// session secret.
func (s *Server) signInCodePost(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pending(r)
	if !ok {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	code := strings.TrimSpace(r.PostFormValue("code"))
	err := s.completeMFA(w, r, p, code)
	if err != nil {
		if statusOf(err) >= 500 {
			s.errorPage(w, r, err)
			return
		}
		r.PostForm.Del("code")
		s.render(w, r, statusOf(err), "signin_code", "Enter your security code", map[string]string{"Next": next}, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) completeMFA(w http.ResponseWriter, r *http.Request, p pendingMFA, code string) error {
	ctx := r.Context()
	if code == "" {
		return caremarket.Invalid(map[string]string{"code": "Enter the 6-digit code from your authenticator app, or a recovery code"})
	}
	keys := access.KeysFor("mfa:"+strconv.FormatInt(p.user.ID, 10), clientIP(r))
	wait, err := s.Throttle.Check(ctx, s.Store, keys, s.Now())
	if err != nil {
		return err
	}
	if wait > 0 {
		return tooManyAttempts(wait)
	}
	var step int64
	var recovery string
	if len(strings.ReplaceAll(code, " ", "")) == 6 {
		var ok bool
		if step, ok = access.CheckTOTP(p.user.TOTPSecret, code, s.Now(), p.user.TOTPLastStep); !ok {
			step = -1
		}
	} else {
		recovery = access.HashRecoveryCode(code)
	}
	secret, hash := access.NewSecret()
	expires := s.Now().Add(access.SessionLifetime)
	if step == -1 {
		err = caremarket.Invalid(map[string]string{"code": "Enter a correct security code"})
	} else {
		err = s.Store.CompleteMFA(ctx, access.HashSecret(p.secret), hash, expires, step, recovery)
	}
	if caremarket.ErrorCode(err) == caremarket.EINVALID {
		if ferr := s.Throttle.Fail(ctx, s.Store, keys); ferr != nil {
			return ferr
		}
		s.Logger.WarnContext(ctx, "security code wrong", "email", p.user.Email, "remote", clientIP(r))
		return err
	} else if err != nil {
		return err
	}
	if err := s.Throttle.Succeed(ctx, s.Store, keys); err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, secret, expires)
	return nil
}

// --- Your account

type accountView struct {
	User     *access.User
	Tokens   []access.Token
	NewToken string // shown once, straight after it is made
	Form     url.Values
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, data accountView, formErr error) error {
	u, _ := r.Context().Value(keyUser).(*access.User)
	tokens, err := s.Store.ListTokens(r.Context(), false)
	if err != nil {
		return err
	}
	data.User, data.Tokens = u, tokens
	if data.Form == nil {
		data.Form = url.Values{}
	}
	s.render(w, r, status, "account", "Your account", data, formErr)
	return nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, http.StatusOK, accountView{}, nil)
}

// accountTokenPost makes an API token for the person and shows it once.
func (s *Server) accountTokenPost(w http.ResponseWriter, r *http.Request) error {
	days := 0
	var err error
	if raw := strings.TrimSpace(r.PostForm.Get("expires_in_days")); raw != "" {
		if days, err = strconv.Atoi(raw); err != nil {
			days = -1
		}
	}
	name, life, err := access.CheckTokenRequest(r.PostForm.Get("name"), days)
	var secret string
	if err == nil {
		var hash string
		secret, hash = access.NewSecret()
		_, err = s.Store.CreateAPIToken(r.Context(), caremarket.ActorFrom(r.Context()).UserID, hash, name, life)
	}
	if hasFormErrors(err) {
		return s.renderAccount(w, r, statusOf(err), accountView{Form: r.PostForm}, err)
	} else if err != nil {
		return err
	}
	return s.renderAccount(w, r, http.StatusOK, accountView{NewToken: secret}, nil)
}

// tokenRevokePost ends a token: one's own from the account page, or any in
// the council from the admin's token list.
func (s *Server) tokenRevokePost(w http.ResponseWriter, r *http.Request) error {
	if err := s.Store.RevokeToken(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	flash(w, "The token has been revoked: it no longer works")
	back := accountPath
	if strings.HasPrefix(r.URL.Path, "/admin/") {
		back = "/admin/tokens"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// --- Authenticator app

type mfaView struct {
	Enrolment     *access.Enrolment
	QR            template.URL // a PNG data: URI, which the CSP's img-src allows
	Enabled       bool
	Required      bool
	RecoveryCodes []string
}

func (v *mfaView) withEnrolment(e *access.Enrolment) {
	v.Enrolment, v.QR = e, template.URL(e.QR) // made here, from a PNG: safe
}

// mfaPage shows the QR code and the secret as text while enrolment is in
// progress, or a button to start it.
func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request) error {
	u, _ := r.Context().Value(keyUser).(*access.User)
	if u == nil {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "Sign in with your password to set up an authenticator app")
	}
	if u.SSOSubject != "" {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "You sign in with your council account: its identity provider asks for your second factor")
	}
	data := mfaView{Enabled: u.TOTPEnabled, Required: u.MFARequired}
	if !u.TOTPEnabled && u.TOTPSecret != "" {
		enrol, err := access.EnrolmentFor("caremarket", u.Email, u.TOTPSecret)
		if err != nil {
			return err
		}
		data.withEnrolment(enrol)
	}
	s.render(w, r, http.StatusOK, "account_mfa", "Set up an authenticator app", data, nil)
	return nil
}

// mfaStartPost makes a new secret for the person (replacing one not yet
// confirmed) and shows its QR code.
func (s *Server) mfaStartPost(w http.ResponseWriter, r *http.Request) error {
	u, _ := r.Context().Value(keyUser).(*access.User)
	if u == nil || u.SSOSubject != "" {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "Sign in with your password to set up an authenticator app")
	}
	enrol, err := access.NewEnrolment("caremarket", u.Email)
	if err != nil {
		return err
	}
	if err := s.Store.StartTOTP(r.Context(), enrol.Secret); err != nil {
		return err
	}
	http.Redirect(w, r, mfaPath, http.StatusSeeOther)
	return nil
}

// mfaPost finishes enrolment with a code from the app, and shows the
// recovery codes once.
func (s *Server) mfaPost(w http.ResponseWriter, r *http.Request) error {
	u, _ := r.Context().Value(keyUser).(*access.User)
	if u == nil || u.TOTPEnabled || u.TOTPSecret == "" {
		http.Redirect(w, r, mfaPath, http.StatusSeeOther)
		return nil
	}
	step, ok := access.CheckTOTP(u.TOTPSecret, r.PostForm.Get("code"), s.Now(), u.TOTPLastStep)
	if !ok {
		enrol, err := access.EnrolmentFor("caremarket", u.Email, u.TOTPSecret)
		if err != nil {
			return err
		}
		r.PostForm.Del("code")
		data := mfaView{Required: u.MFARequired}
		data.withEnrolment(enrol)
		s.render(w, r, http.StatusBadRequest, "account_mfa", "Set up an authenticator app", data,
			caremarket.Invalid(map[string]string{"code": "Enter the 6-digit code your authenticator app shows now"}))
		return nil
	}
	codes, hashes := access.NewRecoveryCodes()
	if err := s.Store.EnableTOTP(r.Context(), step, hashes); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "account_mfa", "Your authenticator app is set up", mfaView{Enabled: true, Required: u.MFARequired, RecoveryCodes: codes}, nil)
	return nil
}

// --- Admin: tokens, disabling accounts, resetting a lost authenticator

func (s *Server) adminTokensPage(w http.ResponseWriter, r *http.Request) error {
	tokens, err := s.Store.ListTokens(r.Context(), true)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_tokens", "API tokens", tokens, nil)
	return nil
}

func (s *Server) userDisablePost(w http.ResponseWriter, r *http.Request) error {
	return s.userActionPost(w, r, s.Store.DisableUser, "The account has been disabled: its sessions and API tokens have ended")
}

func (s *Server) userResetMFAPost(w http.ResponseWriter, r *http.Request) error {
	return s.userActionPost(w, r, s.Store.ResetMFA, "The authenticator app has been removed: the person sets up a new one when they next sign in")
}

// userActionPost does an admin's action to the account in the path and goes
// back to the users page, saying what was done.
func (s *Server) userActionPost(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, userID int64) error, done string) error {
	if _, err := actOnPath(r, do); err != nil {
		return err
	}
	redirectWithFlash(w, r, "/admin/users", done)
	return nil
}

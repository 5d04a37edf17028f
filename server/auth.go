package server

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

const (
	sessionCookie = "caremarket_session"
	csrfCookie    = "caremarket_csrf" // before sign-in only
	csrfField     = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
)

type ctxKey int

const (
	keyBearer ctxKey = iota // the request was authenticated by an API token
	keySession
	keyMustChangePassword
	keyUser       // the signed-in *access.User
	keyPendingMFA // a pendingMFA: the password was right, the code is awaited
)

// authenticate puts the caller's actor in the request context: from an API
// bearer token, or from the session cookie. An unknown or expired credential
// is not an error here (the route decides whether it needs a caller), except a
// malformed or unknown bearer token, which is refused outright so a script
// learns its token is wrong.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			return r, caremarket.Errorf(caremarket.EUNAUTHORIZED, "Send the API token as: Authorization: Bearer TOKEN")
		}
		u, err := s.Store.UserByToken(ctx, access.HashSecret(token))
		if err != nil {
			if caremarket.ErrorCode(err) == caremarket.ENOTFOUND {
				return r, caremarket.Errorf(caremarket.EUNAUTHORIZED, "The API token is not valid")
			}
			return r, err
		}
		ctx = caremarket.NewContext(ctx, u.Actor())
		ctx = withValue(ctx, keyBearer, true)
		ctx = withValue(ctx, keyMustChangePassword, u.MustChangePassword)
		ctx = withValue(ctx, keyUser, u)
		return r.WithContext(ctx), nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		u, err := s.Store.UserBySession(ctx, access.HashSecret(c.Value), s.Now())
		switch caremarket.ErrorCode(err) {
		case "":
			if u.SessionStage == "mfa" {
				// Password right, second factor still to come: not signed in.
				return r.WithContext(withValue(ctx, keyPendingMFA, pendingMFA{secret: c.Value, user: u})), nil
			}
			ctx = caremarket.NewContext(ctx, u.Actor())
			ctx = withValue(ctx, keySession, c.Value)
			ctx = withValue(ctx, keyMustChangePassword, u.MustChangePassword)
			ctx = withValue(ctx, keyUser, u)
			return r.WithContext(ctx), nil
		case caremarket.ENOTFOUND:
			s.clearCookie(w, sessionCookie) // expired: forget it
		default:
			return r, err
		}
	}
	return r, nil
}

// csrfToken is the token a form must echo. Signed in, it is derived from the
// session secret (which script on another site can never read: the cookie is
// HttpOnly); before sign-in it is a random cookie value (double submit).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if secret, ok := r.Context().Value(keySession).(string); ok {
		return access.HashSecret("csrf:" + secret)
	}
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	token, _ := access.NewSecret()
	s.setCookie(w, csrfCookie, token, time.Time{})
	// Make the token visible to checkCSRF on this same request if it posts.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: token})
	return token
}

// checkCSRF refuses a state-changing request that does not carry the token.
// Requests authenticated by a bearer token carry no ambient credential, so a
// forged cross-site request cannot use them and they need no token.
func (s *Server) checkCSRF(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	// A web form is bounded and parsed whoever sends it: a request with an
	// API token, or with the token in a header, returns before reading it
	// below, and an upload page's own parse has no limit.
	if !isAPI(r) {
		if err := parseForm(r); err != nil {
			return err
		}
	}
	if bearer, _ := r.Context().Value(keyBearer).(bool); bearer {
		return nil
	}
	// An anonymous API call carries no credential to forge; the API itself
	// answers it 401.
	if isAPI(r) && caremarket.ActorFrom(r.Context()) == nil {
		return nil
	}
	var want string
	if secret, ok := r.Context().Value(keySession).(string); ok {
		want = access.HashSecret("csrf:" + secret)
	} else if c, err := r.Cookie(csrfCookie); err == nil {
		want = c.Value
	}
	got := r.Header.Get(csrfHeader)
	if got == "" && !isAPI(r) {
		got = r.PostFormValue(csrfField)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "Your form has expired or did not come from this service. Go back, reload the page and try again.")
	}
	return nil
}

// parseForm reads a web form's body, up to maxFormBytes.
func parseForm(r *http.Request) error {
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes(r))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return formError(err)
		}
	} else if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	return nil
}

// maxFormBytes allows file uploads (multipart) more room than a plain form.
func maxFormBytes(r *http.Request) int64 {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return 64 << 20
	}
	return MaxBodyBytes
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", Expires: expires, HttpOnly: true,
		Secure: !s.InsecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: !s.InsecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	secret, ok := r.Context().Value(keySession).(string)
	if p, pending := r.Context().Value(keyPendingMFA).(pendingMFA); pending {
		secret, ok = p.secret, true
	}
	if ok {
		if err := s.Store.DeleteSession(r.Context(), access.HashSecret(secret)); err != nil {
			return err
		}
	}
	s.clearCookie(w, sessionCookie)
	return nil
}

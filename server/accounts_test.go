package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// browser is a person's browser against a server in this process: it keeps
// cookies, comes from one address, and sends the CSRF token with forms.
type browser struct {
	t       testing.TB
	srv     *Server
	addr    string
	cookies map[string]string
}

func newBrowser(t testing.TB, srv *Server, addr string) *browser {
	return &browser{t: t, srv: srv, addr: addr, cookies: map[string]string{}}
}

// request is a request from this browser: from its address, with its
// cookies, and with body as contentType when contentType is set.
func (b *browser) request(method, path, contentType, body string) *http.Request {
	var r *http.Request
	if contentType != "" {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	r.RemoteAddr = b.addr + ":40000"
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	return r
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) *httptest.ResponseRecorder {
	b.t.Helper()
	var contentType, body string
	if form != nil {
		if _, ok := form[csrfField]; !ok {
			form.Set(csrfField, b.csrf())
		}
		contentType, body = "application/x-www-form-urlencoded", form.Encode()
	}
	r := b.request(method, path, contentType, body)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	b.srv.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return w
}

// csrf is the token a form must carry: derived from the session once signed
// in, else the double-submit cookie (fetched from the sign-in page).
func (b *browser) csrf() string {
	if s := b.cookies[sessionCookie]; s != "" && b.signedIn() {
		return access.HashSecret("csrf:" + s)
	}
	if b.cookies[csrfCookie] == "" {
		b.do("GET", "/sign-in", nil, nil)
	}
	return b.cookies[csrfCookie]
}

func (b *browser) signedIn() bool {
	u, err := b.srv.Store.UserBySession(context.Background(), access.HashSecret(b.cookies[sessionCookie]), time.Now())
	return err == nil && u.SessionStage == ""
}

func (b *browser) signIn(email, password, next string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.do("POST", "/sign-in", url.Values{"email": {email}, "password": {password}, "next": {next}}, nil)
}

func (b *browser) api(method, path, body string) *httptest.ResponseRecorder {
	b.t.Helper()
	var contentType string
	if body != "" {
		contentType = "application/json"
	}
	r := b.request(method, path, contentType, body)
	if b.cookies[sessionCookie] != "" {
		r.Header.Set(csrfHeader, access.HashSecret("csrf:"+b.cookies[sessionCookie]))
	}
	w := httptest.NewRecorder()
	b.srv.ServeHTTP(w, r)
	return w
}

const testPassword = "a long and sturdy passphrase"

// testPasswordHash is hashed once: argon2id is slow on purpose.
var testPasswordHash = sync.OnceValue(func() string {
	h, _ := access.HashPassword(testPassword)
	return h
})

// account makes an account with testPassword in ctx's council.
func account(t testing.TB, db *storage.DB, ctx context.Context, email string, role caremarket.Role, providerID int64, oneTime bool) *access.User {
	t.Helper()
	u := &access.User{Email: email, Role: role, ProviderID: providerID, PasswordHash: testPasswordHash(), MustChangePassword: oneTime}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// brokerServer makes council kent with one broker account, email (its
// password testPassword), and a server over db.
func brokerServer(t testing.TB, db *storage.DB, email string) *Server {
	t.Helper()
	kent, _ := storagetest.Council(t, db, "kent")
	account(t, db, kent, email, caremarket.RoleBroker, 0, false)
	return New(db, slog.New(slog.DiscardHandler))
}

func TestSafeNext(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/", "/"},
		{"/providers?page=2", "/providers?page=2"},
		{"/locations/3#vacancies", "/locations/3#vacancies"},
		{"", "/"},
		{"providers", "/"},
		{"//evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"/\\evil.example", "/"},
		{"/x\\y", "/"},
		{"\\\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"/%2F/evil.example", "/"},
		{"/\u2028/evil.example", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	} {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Signing in after GET /sign-in?next=/%09/evil.example stays on this site.
func TestSignInRedirectStaysOnSite(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		srv := brokerServer(t, db, "broker@kent.example")
		b := newBrowser(t, srv, "192.0.2.10")
		page := b.do("GET", "/sign-in?next=/%09/evil.example", nil, nil).Body.String()
		if !strings.Contains(page, `name="next" value="/"`) {
			t.Errorf("the sign-in form kept an off-site next")
		}
		w := b.signIn("broker@kent.example", testPassword, "/\t/evil.example")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Errorf("sign-in answered %d Location %q, want 303 to /", w.Code, w.Header().Get("Location"))
		}
	})
}

// Until a one-time password is changed, every route refuses: the API with
// 403 and a message saying what to do, pages by sending the person to the
// password page. Only the password change and sign-out work.
func TestOneTimePasswordHoldsEveryRoute(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		account(t, db, f.kent, "new@kent.example", caremarket.RoleCommissioner, 0, true)
		b := newBrowser(t, f.srv, "192.0.2.11")
		if w := b.signIn("new@kent.example", testPassword, "/"); w.Code != http.StatusSeeOther {
			t.Fatalf("sign in: %d", w.Code)
		}
		loc := "/api/v1/locations/" + itoa(f.alphaHome.ID)
		for _, req := range []struct{ method, path, body string }{
			{"PUT", loc + "/vacancies", `{"service_type":"nursing","vacancies":3}`},
			{"GET", loc, ""},
			{"GET", "/api/v1/me", ""},
			{"GET", "/api/v1/tokens", ""},
		} {
			w := b.api(req.method, req.path, req.body)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "one-time password") {
				t.Errorf("%s %s = %d %s, want 403 naming the one-time password", req.method, req.path, w.Code, w.Body)
			}
		}
		if w := b.do("GET", "/providers", nil, nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != passwordPath {
			t.Errorf("GET /providers = %d to %q, want a redirect to %s", w.Code, w.Header().Get("Location"), passwordPath)
		}
		if w := b.do("POST", "/providers", url.Values{"name": {"Sneaky Care"}}, nil); w.Code != http.StatusForbidden {
			t.Errorf("POST /providers = %d, want 403", w.Code)
		}
		// The change itself needs the current (one-time) password.
		if w := b.api("PUT", "/api/v1/me/password", `{"current_password":"wrong one","new_password":"another long passphrase"}`); w.Code != http.StatusBadRequest {
			t.Errorf("change with a wrong current password = %d, want 400", w.Code)
		}
		if w := b.api("PUT", "/api/v1/me/password", `{"current_password":"`+testPassword+`","new_password":"another long passphrase"}`); w.Code != http.StatusOK {
			t.Fatalf("change = %d %s", w.Code, w.Body)
		}
		if w := b.api("GET", "/api/v1/me", ""); w.Code != http.StatusOK {
			t.Errorf("after the change GET /api/v1/me = %d", w.Code)
		}
	})
}

// A password change asks for the current password and ends every other
// session of the person's.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		srv := brokerServer(t, db, "p@kent.example")
		laptop, phone := newBrowser(t, srv, "192.0.2.20"), newBrowser(t, srv, "192.0.2.21")
		laptop.signIn("p@kent.example", testPassword, "/")
		phone.signIn("p@kent.example", testPassword, "/")
		w := laptop.do("POST", passwordPath, url.Values{"password": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}}, nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "Enter your current password") {
			t.Errorf("change without the current password = %d", w.Code)
		}
		w = laptop.do("POST", passwordPath, url.Values{"current_password": {testPassword}, "password": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}}, nil)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("change = %d %s", w.Code, w.Body)
		}
		if w := laptop.do("GET", "/", nil, nil); w.Code != http.StatusOK {
			t.Errorf("the session that changed the password ended: %d", w.Code)
		}
		if w := phone.do("GET", "/", nil, nil); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/sign-in") {
			t.Errorf("the other session still works: %d", w.Code)
		}
	})
}

// Tokens have a name and an expiry, are listed, and are revocable by their
// owner and by an admin, through the API and the pages.
func TestTokensListedAndRevocable(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		made := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/tokens", token: f.broker, body: map[string]any{"name": "nightly upload"}})
		secret, _ := made.body["token"].(string)
		id, _ := made.body["id"].(string)
		created, _ := time.Parse(time.RFC3339, made.body["created_at"].(string))
		expires, _ := time.Parse(time.RFC3339, made.body["expires_at"].(string))
		if secret == "" || id == "" || expires.Sub(created).Round(time.Hour) != 90*24*time.Hour {
			t.Fatalf("new token = %s", made.raw)
		}
		f.must(t, 400, apiReq{method: "POST", path: "/api/v1/tokens", token: f.broker, body: map[string]any{"name": ""}})
		f.must(t, 400, apiReq{method: "POST", path: "/api/v1/tokens", token: f.broker, body: map[string]any{"name": "x", "expires_in_days": 5000}})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/me", token: secret})
		mine := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/tokens", token: f.broker})
		if !strings.Contains(string(mine.raw), "nightly upload") || strings.Contains(string(mine.raw), secret) {
			t.Errorf("list = %s", mine.raw)
		}
		f.must(t, 403, apiReq{method: "GET", path: "/api/v1/tokens?all=true", token: f.broker})
		all := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/tokens?all=true", token: f.admin})
		if !strings.Contains(string(all.raw), id) {
			t.Errorf("admin list lacks the broker's token: %s", all.raw)
		}
		// Someone else (even an admin of another council) cannot revoke it.
		f.must(t, 404, apiReq{method: "DELETE", path: "/api/v1/tokens/" + id, token: f.finance})
		f.must(t, 404, apiReq{method: "DELETE", path: "/api/v1/tokens/" + id, token: f.surreyCommissioner})
		// An admin can, and it stops working at once.
		f.must(t, 200, apiReq{method: "DELETE", path: "/api/v1/tokens/" + id, token: f.admin})
		f.must(t, 401, apiReq{method: "GET", path: "/api/v1/me", token: secret})

		// The owner revokes their own from their account page.
		hash := access.HashSecret("page-token")
		tok, err := db.CreateAPIToken(caremarket.NewContext(f.kent, f.commissionerUser.Actor()), f.commissionerUser.ID, hash, "page", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		account(t, db, f.kent, "owner@kent.example", caremarket.RoleBroker, 0, false)
		b := newBrowser(t, f.srv, "192.0.2.30")
		b.signIn("owner@kent.example", testPassword, "/")
		w := b.do("POST", "/account/tokens", url.Values{"name": {"my script"}}, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="new-token"`) {
			t.Fatalf("create on page = %d", w.Code)
		}
		ownerTokens, _ := db.ListTokens(caremarket.NewContext(f.kent, &caremarket.Actor{UserID: mustUser(t, db, "owner@kent.example").ID, CouncilID: caremarket.ActorFrom(f.kent).CouncilID, Role: caremarket.RoleBroker}), false)
		if len(ownerTokens) != 1 {
			t.Fatalf("owner tokens = %v", ownerTokens)
		}
		if w := b.do("POST", "/account/tokens/"+tok.ID+"/revoke", url.Values{}, nil); w.Code != http.StatusNotFound {
			t.Errorf("revoking another person's token from the account page = %d, want 404", w.Code)
		}
		if w := b.do("POST", "/account/tokens/"+ownerTokens[0].ID+"/revoke", url.Values{}, nil); w.Code != http.StatusSeeOther {
			t.Errorf("revoke own = %d", w.Code)
		}
		if left, _ := db.ListTokens(caremarket.NewContext(f.kent, &caremarket.Actor{UserID: ownerTokens[0].UserID, CouncilID: caremarket.ActorFrom(f.kent).CouncilID, Role: caremarket.RoleBroker}), false); len(left) != 0 {
			t.Errorf("after revoke: %v", left)
		}
	})
}

func mustUser(t testing.TB, db *storage.DB, email string) *access.User {
	t.Helper()
	u, err := db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Disabling a user, from the admin page or the API, ends their sessions and
// tokens at once, and they cannot sign in again.
func TestDisableUser(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		leaver := account(t, db, f.kent, "leaver@kent.example", caremarket.RoleBroker, 0, false)
		secret, hash := access.NewSecret()
		if err := db.CreateToken(f.kent, leaver.ID, hash, "script"); err != nil {
			t.Fatal(err)
		}
		them := newBrowser(t, f.srv, "192.0.2.40")
		them.signIn(leaver.Email, testPassword, "/")
		account(t, db, f.kent, "it@kent.example", caremarket.RoleAdmin, 0, false)
		admin := newBrowser(t, f.srv, "192.0.2.41")
		admin.signIn("it@kent.example", testPassword, "/")

		f.must(t, 403, apiReq{method: "POST", path: "/api/v1/users/" + itoa(leaver.ID) + "/disable", token: f.broker})
		f.must(t, 403, apiReq{method: "POST", path: "/api/v1/users/" + itoa(leaver.ID) + "/disable", token: f.surreyCommissioner})
		if w := admin.do("POST", "/admin/users/"+itoa(leaver.ID)+"/disable", url.Values{}, nil); w.Code != http.StatusSeeOther {
			t.Fatalf("disable = %d %s", w.Code, w.Body)
		}
		if w := them.do("GET", "/", nil, nil); w.Code != http.StatusSeeOther {
			t.Errorf("the disabled user's session still works: %d", w.Code)
		}
		f.must(t, 401, apiReq{method: "GET", path: "/api/v1/me", token: secret})
		again := newBrowser(t, f.srv, "192.0.2.42")
		if w := again.signIn(leaver.Email, testPassword, "/"); w.Code != http.StatusForbidden || again.cookies[sessionCookie] != "" {
			t.Errorf("a disabled user signed in: %d", w.Code)
		}
		page := admin.do("GET", "/admin/users", nil, nil).Body.String()
		if !strings.Contains(page, "Disabled") {
			t.Errorf("the users page does not show the account disabled")
		}
		recs, err := db.SearchAudit(f.kent, audit.Filter{Query: "user.disable"})
		if err != nil || len(recs) == 0 {
			t.Errorf("no audit record of the disabling: %v %v", recs, err)
		}
	})
}

// An admin removing a person's authenticator app, from the admin page,
// ends their sessions (they set up a new app when they next sign in), goes
// back to the users page saying so, and is audited; a broker cannot.
func TestAdminResetsAuthenticator(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		person := account(t, db, f.kent, "lostphone@kent.example", caremarket.RoleBroker, 0, false)
		them := newBrowser(t, f.srv, "192.0.2.50")
		them.signIn(person.Email, testPassword, "/")
		account(t, db, f.kent, "it2@kent.example", caremarket.RoleAdmin, 0, false)
		admin := newBrowser(t, f.srv, "192.0.2.51")
		admin.signIn("it2@kent.example", testPassword, "/")
		account(t, db, f.kent, "colleague@kent.example", caremarket.RoleBroker, 0, false)
		colleague := newBrowser(t, f.srv, "192.0.2.52")
		colleague.signIn("colleague@kent.example", testPassword, "/")

		path := "/admin/users/" + itoa(person.ID) + "/reset-mfa"
		if w := colleague.do("POST", path, url.Values{}, nil); w.Code != http.StatusForbidden {
			t.Errorf("a broker reset someone's authenticator: %d", w.Code)
		}
		w := admin.do("POST", path, url.Values{}, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/users" {
			t.Fatalf("reset = %d to %q %s", w.Code, w.Header().Get("Location"), w.Body)
		}
		if page := admin.do("GET", "/admin/users", nil, nil).Body.String(); !strings.Contains(page, "The authenticator app has been removed") {
			t.Errorf("the users page does not say the app was removed")
		}
		if w := them.do("GET", "/", nil, nil); w.Code != http.StatusSeeOther {
			t.Errorf("the person's session still works after the reset: %d", w.Code)
		}
		recs, err := db.SearchAudit(f.kent, audit.Filter{Query: "user.mfa_reset"})
		if err != nil || len(recs) != 1 {
			t.Errorf("audit records of the reset: %v %v", recs, err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

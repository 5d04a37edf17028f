package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/access/oidctest"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// Five wrong passwords from one address must not lock the owner out from
// another; the throttle lives in the database so two servers share it; and
// many failures from everywhere delay the account rather than lock it.
func TestSignInThrottlePerAddressShared(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		kent, _ := storagetest.Council(t, db, "kent")
		u := account(t, db, kent, "owner@kent.example", caremarket.RoleBroker, 0, false)
		one, two := New(db, slog.New(slog.DiscardHandler)), New(db, slog.New(slog.DiscardHandler))
		attacker := newBrowser(t, one, "203.0.113.66")
		for range 5 {
			if w := attacker.signIn(u.Email, "not the password", "/"); w.Code != http.StatusBadRequest {
				t.Fatalf("wrong password = %d", w.Code)
			}
		}
		if w := attacker.signIn(u.Email, testPassword, "/"); w.Code != http.StatusTooManyRequests {
			t.Errorf("6th attempt from the same address = %d, want 429", w.Code)
		}
		// The same address on the other server is refused too.
		if w := newBrowser(t, two, "203.0.113.66").signIn(u.Email, testPassword, "/"); w.Code != http.StatusTooManyRequests {
			t.Errorf("same address on a second server = %d, want 429", w.Code)
		}
		// The owner, elsewhere, signs in on either server.
		if w := newBrowser(t, two, "198.51.100.7").signIn(u.Email, testPassword, "/"); w.Code != http.StatusSeeOther {
			t.Errorf("the owner from another address = %d, want 303", w.Code)
		}

		// Failures spread over many addresses delay the account: each try
		// waits a little after the last failure, and then goes ahead.
		for i := range 5 {
			newBrowser(t, two, "203.0.113."+itoa(int64(10+i))).signIn(u.Email, "guess", "/")
		}
		owner := newBrowser(t, one, "198.51.100.8")
		w := owner.signIn(u.Email, testPassword, "/")
		if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "seconds") {
			t.Errorf("after 10 failures from everywhere = %d, want 429 with a wait in seconds", w.Code)
		}
		one.Now = func() time.Time { return time.Now().Add(31 * time.Second) }
		if w := owner.signIn(u.Email, testPassword, "/"); w.Code != http.StatusSeeOther {
			t.Errorf("after the delay = %d, want 303", w.Code)
		}
	})
}

// An unknown email costs the same password hashing as a wrong password, so
// timing does not tell who has an account. Wall-clock time on a shared
// machine is noisy, so the comparison is made in up to three rounds and
// fails only when every round shows the gap: a real leak (no hashing for an
// unknown email) shows it every time, a busy neighbour rarely three times.
func TestSignInTimingSameForUnknownEmail(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		srv := brokerServer(t, db, "real@kent.example")
		// Fifteen wrong passwords for one account would meet the
		// per-account delay, which is not what this test is about.
		srv.Throttle.AccountMax = 100
		n := 0
		once := func(email string) time.Duration {
			n++
			b := newBrowser(t, srv, "192.0.2."+itoa(int64(100+n)))
			b.csrf()
			start := time.Now()
			if w := b.signIn(email, "wrong password here", "/"); w.Code != http.StatusBadRequest {
				t.Fatalf("sign in as %s = %d", email, w.Code)
			}
			return time.Since(start)
		}
		once("warm@kent.example") // the dummy hash is made once
		var known, unknown time.Duration
		for range 3 {
			known, unknown = signInMedians(once)
			if unknown >= known/2 {
				return
			}
		}
		t.Errorf("unknown email took %v, wrong password %v, in three rounds: the difference reveals who has an account", unknown, known)
	})
}

// signInMedians times five wrong-password sign-ins to a known account and
// five to an unknown email, interleaved so that a noisy machine hurts both
// alike, and returns the median of each.
func signInMedians(once func(email string) time.Duration) (known, unknown time.Duration) {
	var knownT, unknownT []time.Duration
	for range 5 {
		knownT = append(knownT, once("real@kent.example"))
		unknownT = append(unknownT, once("nobody@kent.example"))
	}
	slices.Sort(knownT)
	slices.Sort(unknownT)
	return knownT[2], unknownT[2]
}

var secretRe = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
var recoveryRe = regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`)

// A council that requires a second factor of admins sends an admin to set up
// an authenticator app before anything else; afterwards sign-in asks for a
// code, which is spent once, and a recovery code works once.
func TestMFAEnrolAndSignIn(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		kent, _ := storagetest.Council(t, db, "kent")
		if err := db.SetCouncilAuth(kent, &access.CouncilAuth{MFARoles: access.DefaultMFARoles}); err != nil {
			t.Fatal(err)
		}
		admin := account(t, db, kent, "admin@kent.example", caremarket.RoleAdmin, 0, false)
		account(t, db, kent, "broker@kent.example", caremarket.RoleBroker, 0, false)
		srv := New(db, slog.New(slog.DiscardHandler))
		clock := time.Now()
		srv.Now = func() time.Time { return clock }

		// A broker is not required to.
		if w := newBrowser(t, srv, "192.0.2.50").signIn("broker@kent.example", testPassword, "/"); w.Header().Get("Location") != "/" {
			t.Errorf("broker sent to %q", w.Header().Get("Location"))
		}
		b := newBrowser(t, srv, "192.0.2.51")
		b.signIn(admin.Email, testPassword, "/")
		if w := b.do("GET", "/admin/users", nil, nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != mfaPath {
			t.Fatalf("before enrolment GET /admin/users = %d to %q", w.Code, w.Header().Get("Location"))
		}
		if w := b.api("GET", "/api/v1/me", ""); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "authenticator app") {
			t.Errorf("before enrolment the API answered %d", w.Code)
		}
		// An API token is not held: the second factor guards signing in.
		tokenSecret, tokenHash := access.NewSecret()
		if err := db.CreateToken(kent, admin.ID, tokenHash, "script"); err != nil {
			t.Fatal(err)
		}
		if w := newBrowser(t, srv, "192.0.2.53").api("GET", "/api/v1/me", ""); w.Code != http.StatusUnauthorized {
			t.Fatalf("no credential = %d", w.Code)
		}
		if w := apiWithToken(srv, tokenSecret, "/api/v1/me"); w.Code != http.StatusOK {
			t.Errorf("the admin's API token before enrolment = %d", w.Code)
		}
		b.do("POST", mfaPath+"/start", url.Values{}, nil)
		page := b.do("GET", mfaPath, nil, nil).Body.String()
		m := secretRe.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, `src="data:image/png;base64,`) {
			t.Fatalf("no QR code or secret on the enrolment page:\n%s", page)
		}
		secret := m[1]
		if w := b.do("POST", mfaPath, url.Values{"code": {"000000"}}, nil); w.Code != http.StatusBadRequest {
			t.Errorf("a wrong code finished enrolment: %d", w.Code)
		}
		code, _ := totp.GenerateCode(secret, clock)
		w := b.do("POST", mfaPath, url.Values{"code": {code}}, nil)
		codes := recoveryRe.FindAllStringSubmatch(w.Body.String(), -1)
		if w.Code != http.StatusOK || len(codes) != access.RecoveryCodeCount {
			t.Fatalf("enrol = %d with %d recovery codes", w.Code, len(codes))
		}
		if w := b.do("GET", "/admin/users", nil, nil); w.Code != http.StatusOK {
			t.Errorf("after enrolment GET /admin/users = %d", w.Code)
		}

		// Signing in now needs a code; until then the person is not signed in.
		c := newBrowser(t, srv, "192.0.2.52")
		if w := c.signIn(admin.Email, testPassword, "/admin/users"); !strings.HasPrefix(w.Header().Get("Location"), signInCodePath) {
			t.Fatalf("sign-in sent to %q, want the code page", w.Header().Get("Location"))
		}
		if w := c.do("GET", "/admin/users", nil, nil); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/sign-in") {
			t.Errorf("a pending sign-in reached a page: %d", w.Code)
		}
		if w := c.api("GET", "/api/v1/me", ""); w.Code != http.StatusUnauthorized {
			t.Errorf("a pending sign-in reached the API: %d", w.Code)
		}
		// The code used to enrol is spent.
		if w := c.do("POST", signInCodePath, url.Values{"code": {code}, "next": {"/admin/users"}}, nil); w.Code != http.StatusBadRequest {
			t.Errorf("a spent code = %d, want 400", w.Code)
		}
		clock = clock.Add(30 * time.Second)
		code, _ = totp.GenerateCode(secret, clock)
		if w := c.do("POST", signInCodePath, url.Values{"code": {code}, "next": {"/admin/users"}}, nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/users" {
			t.Fatalf("right code = %d to %q", w.Code, w.Header().Get("Location"))
		}
		if w := c.do("GET", "/admin/users", nil, nil); w.Code != http.StatusOK {
			t.Errorf("after the code GET /admin/users = %d", w.Code)
		}

		// A recovery code works once.
		for i, want := range []int{http.StatusSeeOther, http.StatusBadRequest} {
			d := newBrowser(t, srv, "192.0.2."+itoa(int64(60+i)))
			d.signIn(admin.Email, testPassword, "/")
			if w := d.do("POST", signInCodePath, url.Values{"code": {strings.ToUpper(codes[0][1])}, "next": {"/"}}, nil); w.Code != want {
				t.Errorf("recovery code use %d = %d, want %d", i+1, w.Code, want)
			}
		}

		// Another admin removes a lost app: the person's sessions end, and
		// they set up a new one at their next sign-in.
		account(t, db, kent, "it2@kent.example", caremarket.RoleAdmin, 0, false)
		other := mustUser(t, db, "it2@kent.example")
		if err := db.ResetMFA(caremarket.NewContext(kent, other.Actor()), admin.ID); err != nil {
			t.Fatal(err)
		}
		if w := c.do("GET", "/admin/users", nil, nil); w.Code != http.StatusSeeOther {
			t.Errorf("a session outlived the reset: %d", w.Code)
		}
		if u := mustUser(t, db, admin.Email); u.TOTPEnabled || u.TOTPSecret != "" {
			t.Errorf("after reset: %+v", u)
		}
		recs, err := db.SearchAudit(kent, audit.Filter{Query: "user.mfa", Limit: 10})
		if err != nil || len(recs) < 3 {
			t.Errorf("audit of enrolment and reset: %d records, %v", len(recs), err)
		}
	})
}

// Council staff sign in through their council's OpenID Connect provider
// (here one started by the test), with PKCE; their groups give their role.
func TestSSOSignIn(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		kent, _ := storagetest.Council(t, db, "kent")
		surrey, _ := storagetest.Council(t, db, "surrey")
		account(t, db, surrey, "taken@example.gov.uk", caremarket.RoleBroker, 0, false)
		idp := oidctest.New("caremarket-kent", "s3cret")
		t.Cleanup(idp.Close)
		srv := New(db, slog.New(slog.DiscardHandler))
		account(t, db, kent, "it@kent.example", caremarket.RoleAdmin, 0, false)
		admin := newBrowser(t, srv, "192.0.2.70")
		admin.signIn("it@kent.example", testPassword, "/")
		w := admin.do("POST", "/admin/security", url.Values{"sso_enabled": {"yes"}, "issuer": {idp.Issuer()}, "client_id": {"caremarket-kent"},
			"client_secret": {"s3cret"}, "groups_claim": {"groups"}, "role_map": {"g-brokers = broker\ng-commissioners = commissioner"}}, nil)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("save settings = %d %s", w.Code, w.Body)
		}
		if page := admin.do("GET", "/admin/security", nil, nil).Body.String(); strings.Contains(page, "s3cret") {
			t.Errorf("the settings page shows the client secret")
		}

		signIn := func(who oidctest.Identity, addr string) (*browser, *http.Response) {
			idp.SignIn(who)
			b := newBrowser(t, srv, addr)
			if page := b.do("GET", "/sign-in", nil, nil).Body.String(); !strings.Contains(page, "/sso/kent/start") {
				t.Fatalf("the sign-in page has no single sign-on button")
			}
			start := b.do("GET", "/sso/kent/start?next=/providers", nil, nil)
			if start.Code != http.StatusSeeOther || !strings.HasPrefix(start.Header().Get("Location"), idp.Issuer()+"/authorize") {
				t.Fatalf("start = %d to %q", start.Code, start.Header().Get("Location"))
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(start.Header().Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			back, _ := url.Parse(resp.Header.Get("Location"))
			cb := b.do("GET", back.RequestURI(), nil, nil)
			return b, cb.Result()
		}
		b, resp := signIn(oidctest.Identity{Subject: "sub-1", Email: "Jo.Broker@kent.gov.uk", Name: "Jo Broker", Groups: []string{"g-other", "g-brokers"}}, "192.0.2.71")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/providers" {
			t.Fatalf("callback = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		me := b.api("GET", "/api/v1/me", "")
		if me.Code != http.StatusOK || !strings.Contains(me.Body.String(), `"role": "broker"`) || !strings.Contains(me.Body.String(), "jo.broker@kent.gov.uk") {
			t.Errorf("me = %d %s", me.Code, me.Body)
		}
		if len(idp.Requests) == 0 || idp.Requests[0].Get("code_challenge_method") != "S256" {
			t.Errorf("the authorize request did not use PKCE: %v", idp.Requests)
		}
		// A change of group at the identity provider changes the role.
		b, _ = signIn(oidctest.Identity{Subject: "sub-1", Email: "jo.broker@kent.gov.uk", Groups: []string{"g-commissioners"}}, "192.0.2.72")
		if me := b.api("GET", "/api/v1/me", ""); !strings.Contains(me.Body.String(), `"role": "commissioner"`) {
			t.Errorf("role not updated: %s", me.Body)
		}
		// Someone in no mapped group is refused, and gets no session.
		b, resp = signIn(oidctest.Identity{Subject: "sub-2", Email: "x@kent.gov.uk", Groups: []string{"g-other"}}, "192.0.2.73")
		if resp.StatusCode != http.StatusForbidden || b.cookies[sessionCookie] != "" {
			t.Errorf("unmapped group = %d", resp.StatusCode)
		}
		// An address another council uses is refused without saying so.
		_, resp = signIn(oidctest.Identity{Subject: "sub-3", Email: "taken@example.gov.uk", Groups: []string{"g-brokers"}}, "192.0.2.74")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("address used elsewhere = %d", resp.StatusCode)
		}
		// A callback with a forged state is refused.
		forged := newBrowser(t, srv, "192.0.2.75")
		forged.do("GET", "/sso/kent/start", nil, nil)
		if w := forged.do("GET", "/sso/kent/callback?code=abc&state=forged", nil, nil); w.Code != http.StatusBadRequest || forged.cookies[sessionCookie] != "" {
			t.Errorf("forged state = %d", w.Code)
		}
		// With single sign-on on, the council's staff no longer sign in
		// with a password (disabling them at the identity provider must
		// lock them out here); an admin keeps one for when it fails.
		account(t, db, kent, "local.broker@kent.example", caremarket.RoleBroker, 0, false)
		if w := newBrowser(t, srv, "192.0.2.77").signIn("local.broker@kent.example", testPassword, "/"); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "council account") {
			t.Errorf("a broker's password sign-in in an SSO council = %d", w.Code)
		}
		if w := newBrowser(t, srv, "192.0.2.78").signIn("it@kent.example", testPassword, "/"); w.Code != http.StatusSeeOther {
			t.Errorf("the admin's password sign-in = %d", w.Code)
		}
		// A disabled SSO account cannot sign in.
		u := mustUser(t, db, "jo.broker@kent.gov.uk")
		if err := db.DisableUser(caremarket.NewContext(context.Background(), mustUser(t, db, "it@kent.example").Actor()), u.ID); err != nil {
			t.Fatal(err)
		}
		_, resp = signIn(oidctest.Identity{Subject: "sub-1", Email: "jo.broker@kent.gov.uk", Groups: []string{"g-brokers"}}, "192.0.2.76")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("disabled SSO account = %d", resp.StatusCode)
		}
	})
}

func apiWithToken(srv *Server, token, path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/access/oidctest"
	"github.com/caremarket/caremarket/demo"
)

// TestBrowserSecurity signs a commissioner in through the council's
// identity provider (an OpenID Connect provider started by the test), and
// has the demo admin set up an authenticator app and sign in with a code.
func TestBrowserSecurity(t *testing.T) {
	browser, db, res := loadDemo(t, time.Now())
	freshScreenshots(t)
	idp := oidctest.New("caremarket-demo", "demo-client-secret")
	t.Cleanup(idp.Close)
	sys := systemOf(res)
	if err := db.SetCouncilAuth(sys, &access.CouncilAuth{SSO: access.SSOConfig{Enabled: true, Issuer: idp.Issuer(), ClientID: "caremarket-demo",
		ClientSecret: "demo-client-secret", GroupsClaim: "groups", RoleMap: []access.GroupRole{{Group: "care-commissioning", Role: caremarket.RoleCommissioner}}}}); err != nil {
		t.Fatal(err)
	}
	base := startServer(t, db, serverOptions{public: true})
	browserCtx := startBrowser(t, browser)

	t.Run("single sign-on", func(t *testing.T) {
		idp.SignIn(oidctest.Identity{Subject: "entra-object-id-1", Email: "sam.commissioner@demo.gov.uk", Name: "Sam Commissioner", Groups: []string{"care-commissioning"}})
		p, done := openTab(t, browserCtx, base, "sso", 60*time.Second)
		defer done()
		p.open("/sign-in")
		p.expect("/sign-in", "Sign in")
		p.shot("sign-in-with-sso")
		p.click(`a[href^="/sso/` + res.Council.Slug + `/start"]`)
		p.expect("/", "")
		if who := p.textOf(".app-header__who"); !strings.Contains(who, "sam.commissioner@demo.gov.uk") || !strings.Contains(who, "Commissioner") {
			t.Errorf("signed in as %q, want the commissioner from the identity provider", who)
		}
		p.shot("signed-in-by-sso")
		p.open("/account")
		p.expect("/account", "Your account")
		if got := p.textOf(".govuk-summary-list"); !strings.Contains(got, "single sign-on") {
			t.Errorf("account page says %q", got)
		}
	})

	t.Run("authenticator app", func(t *testing.T) {
		var admin demo.SignIn
		for _, s := range res.SignIns {
			if s.Role == caremarket.RoleAdmin {
				admin = s
			}
		}
		p, done := openTab(t, browserCtx, base, "mfa", 60*time.Second)
		defer done()
		p.open("/sign-in")
		p.signIn(admin, "")
		p.open("/account/mfa")
		p.expect("/account/mfa", "Set up an authenticator app")
		p.click(`#start-mfa`)
		p.expect("/account/mfa", "Set up an authenticator app")
		p.shot("enrol-qr-code")
		secret := p.textOf("#totp-secret")
		code, err := totp.GenerateCode(secret, time.Now())
		if err != nil {
			t.Fatalf("secret %q: %v", secret, err)
		}
		p.do("type the code", chromedp.SendKeys(chromedp.ID("code"), code))
		p.click(`form[action="/account/mfa"] button[type="submit"]`)
		p.expect("/account/mfa", "Your authenticator app is set up")
		if codes := p.textOf("#recovery-codes"); len(strings.Fields(codes)) != access.RecoveryCodeCount {
			t.Errorf("recovery codes shown: %q", codes)
		}
		p.shot("recovery-codes")
		p.click(`form[action="/sign-out"] button[type="submit"]`)
		p.expect("/sign-in", "Sign in")

		// Sign in again: the password, then a code from the app (the next
		// one: the code used to enrol is spent).
		p.do("sign in", chromedp.SendKeys(chromedp.ID("email"), admin.Email), chromedp.SendKeys(chromedp.ID("password"), admin.Password))
		p.click(`form[action="/sign-in"] button[type="submit"]`)
		p.expect("/sign-in/code", "Enter your security code")
		p.shot("enter-code")
		code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		p.do("type the code", chromedp.SendKeys(chromedp.ID("code"), code))
		p.click(`form[action="/sign-in/code"] button[type="submit"]`)
		p.expect("/", "")
		if who := p.textOf(".app-header__who"); !strings.Contains(who, admin.Email) {
			t.Errorf("signed in as %q", who)
		}
	})
}

package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// webServer serves db's pages to a test over plain http, with the server
// set up by configure first when there is one; it closes when the test
// ends.
func webServer(t testing.TB, db *storage.DB, configure func(s *Server)) *httptest.Server {
	s := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// Go's cookie jar will not send Secure cookies over plain http.
	s.InsecureCookies = true
	if configure != nil {
		configure(s)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

// demoWeb loads the demo as of now into a fresh SQLite database and serves
// its pages (see webServer).
func demoWeb(t testing.TB) (*storage.DB, *demo.Result, *httptest.Server) {
	t.Helper()
	db := storagetest.SQLite(t)
	res, err := demo.Load(context.Background(), db, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return db, res, webServer(t, db, nil)
}

// demoBroker acts as a broker of the demo's council.
func demoBroker(res *demo.Result) context.Context {
	return caremarket.NewContext(context.Background(), &caremarket.Actor{Email: "broker@test", CouncilID: res.Council.ID,
		CouncilSlug: res.Council.Slug, Role: caremarket.RoleBroker})
}

// demoSignIn signs the demo's user of role in through the sign-in form.
func demoSignIn(t testing.TB, base string, res *demo.Result, role caremarket.Role) *webClient {
	t.Helper()
	for _, si := range res.SignIns {
		if si.Role == role {
			return homeSignIn(t, base, si.Email, si.Password)
		}
	}
	t.Fatalf("the demo has no %s to sign in", role)
	return nil
}

// homeSignIn signs email in through the real sign-in form.
func homeSignIn(t testing.TB, base, email, password string) *webClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &webClient{t: t, base: base, email: email, http: &http.Client{Jar: jar}}
	_, body := c.get("/sign-in")
	c.csrf = csrfIn(t, body)
	status, body := c.post("/sign-in", url.Values{"email": {email}, "password": {password}})
	if status != http.StatusOK || !strings.Contains(body, "You are signed in as") {
		t.Fatalf("sign in as %s: status %d\n%s", email, status, body)
	}
	c.csrf = csrfIn(t, body)
	return c
}

// panelCount reads the figure of the home page's panel id.
func panelCount(t testing.TB, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("home page has no figure %q", id)
	}
	return m[1]
}

// Each role's home page shows what needs it now; a provider's shows only
// its own figures and nothing of the council's.
func TestWebHomeDashboards(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		now := time.Now().UTC()
		res, err := demo.Load(context.Background(), db, now)
		if err != nil {
			t.Fatal(err)
		}
		srv := webServer(t, db, nil)
		emails := map[caremarket.Role]string{}
		for _, si := range res.SignIns {
			emails[si.Role] = si.Email
		}
		home := func(role caremarket.Role, want ...string) string {
			t.Helper()
			return homeSignIn(t, srv.URL, emails[role], demo.Password).expectPage("/", http.StatusOK, want...)
		}
		staff := []string{`id="panel-providers"`, `id="panel-locations"`}

		home(caremarket.RoleBroker, append(staff, "Open requirements by cascade stage", `id="stage-0"`, `id="stage-1"`, `id="stage-2"`, `id="stage-3"`,
			`href="/requirements?status=open"`, "Offers awaiting providers", `id="pending-offers"`,
			"Off-contract placements due for review", `href="/off-contract"`, "!Weekly committed cost")...)
		body := home(caremarket.RoleCommissioner, append(staff, "Open market alerts", `id="open-alerts"`, "Price submissions awaiting a decision",
			`href="/pricing/rounds"`, "Windows awaiting award", "Active off-contract placements", "Weekly cost of off-contract placements",
			`href="/off-contract/report"`)...)
		if cost := panelCount(t, body, "off-contract-cost"); !strings.HasPrefix(cost, "£") {
			t.Errorf("off-contract weekly cost %q is not money", cost)
		}
		home(caremarket.RoleEvaluator, append(staff, "Applications awaiting your score", `id="awaiting-score"`, "!Open market alerts")...)
		home(caremarket.RoleAdmin, append(staff, "User accounts", `href="/admin/users"`, "Open market alerts", `href="/admin/audit"`, "Search the audit log")...)

		// Finance: live placements and their weekly cost, which is the sum
		// of the live placements' weekly costs.
		admin := caremarket.NewContext(context.Background(), &caremarket.Actor{Email: "home-test@kent.example", CouncilID: res.Council.ID,
			CouncilSlug: res.Council.Slug, Role: caremarket.RoleAdmin})
		live, err := db.ListPlacements(admin, brokerage.PlacementFilter{Status: brokerage.PlacementActive})
		if err != nil {
			t.Fatal(err)
		}
		var weekly money.Money
		for _, p := range live {
			weekly += p.WeeklyCost
		}
		body = home(caremarket.RoleFinance, append(staff, "Live placements", "Weekly committed cost", `href="/placements?status=active"`)...)
		if got := panelCount(t, body, "live-placements"); got != idStr(int64(len(live))) {
			t.Errorf("finance sees %s live placements, want %d", got, len(live))
		}
		if got, want := panelCount(t, body, "weekly-committed"), weekly.String(); got != want {
			t.Errorf("finance sees weekly committed %s, want %s", got, want)
		}

		// A provider with a pending offer: its figures are its own.
		pending, err := db.ListOffers(admin, brokerage.OfferFilter{Status: brokerage.OfferPending})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			t.Fatal("the demo has no pending offers to test with")
		}
		provID := pending[0].ProviderID
		u := &access.User{Email: "home-provider@kent.example", Role: caremarket.RoleProvider, ProviderID: provID, PasswordHash: webPasswordHash()}
		if err := db.CreateUser(admin, u); err != nil {
			t.Fatal(err)
		}
		mine := 0
		for _, o := range pending {
			if o.ProviderID == provID {
				mine++
			}
		}
		pc := homeSignIn(t, srv.URL, u.Email, webPassword)
		body = pc.expectPage("/", http.StatusOK, "Waiting for you", "Offers awaiting your answer", `href="/offers"`, "Mini-competitions awaiting your bid",
			"Open tenders you have not applied to", "Price rounds awaiting your prices", "Stale vacancy figures",
			`!id="panel-providers"`, `!id="panel-locations"`, "!Open market alerts", "!Open requirements", "!Weekly", "!Live placements",
			"!Price submissions awaiting a decision", "!Windows awaiting award", "!User accounts")
		if got := panelCount(t, body, "offers"); got != idStr(int64(mine)) {
			t.Errorf("provider sees %s offers awaiting it, want its own %d (of %d council-wide)", got, mine, len(pending))
		}
		// Its stale figures are its own locations' only.
		pctx := caremarket.NewContext(context.Background(), &caremarket.Actor{Email: u.Email, CouncilID: res.Council.ID, CouncilSlug: res.Council.Slug,
			Role: caremarket.RoleProvider, ProviderID: provID})
		own, err := db.OwnVacancies(pctx)
		if err != nil {
			t.Fatal(err)
		}
		stale := 0
		for _, v := range own {
			if v.Stale(now) {
				stale++
			}
		}
		if got := panelCount(t, body, "stale-vacancies"); got != idStr(int64(stale)) {
			t.Errorf("provider sees %s stale figures, want its own %d", got, stale)
		}
		for _, m := range regexp.MustCompile(`href="/locations/(\d+)"`).FindAllStringSubmatch(body, -1) {
			pc.expectPage("/locations/"+m[1], http.StatusOK) // its own: another's would be not found
		}
	})
}

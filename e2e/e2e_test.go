// Package e2e drives the real service in a real browser: Debian's chromium,
// headless, through the Chrome DevTools Protocol (chromedp). It starts the
// server in-process on a loopback port over a fresh SQLite database loaded
// with the Kent demo, signs in as demo users, follows the service navigation
// and saves a screenshot of every page to e2e/screenshots/ (ignored by git)
// so a person can look at what each role sees.
//
// Without a browser the test skips and says so; with CAREMARKET_E2E=1 (as
// .ci/run sets) a missing browser is a failure, so CI cannot pass by
// skipping. Later issues extend it journey by journey.
package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/demo/pricedemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/storage"
)

// EnvRequire makes a missing browser a failure instead of a skip.
const EnvRequire = "CAREMARKET_E2E"

// EnvBrowser may name the browser binary; otherwise it is looked up on PATH.
const EnvBrowser = "CAREMARKET_BROWSER"

// screenshotDir is relative to this package, where go test runs it.
const screenshotDir = "screenshots"

// navLink is one link of the GOV.UK service navigation.
type navLink struct {
	Label   string `json:"label"`
	Href    string `json:"href"`
	Current bool   `json:"current"`
}

// journey is what one role should see: the links its navigation must have
// (as server/web.go navigation() lists them for the role, in that order),
// links it must not have, and the main heading of the page each link leads
// to. The navigation grows as features land: a link not listed here is
// still followed and must lead to a working page, so a new section is
// covered from the day it appears; list it here to pin its heading.
type journey struct {
	role      caremarket.Role
	nav       []navLink
	forbidden []string          // hrefs this role must not be offered
	headings  map[string]string // by href
}

// errorHeadings head the service's error pages (server/web.go errorPage).
var errorHeadings = []string{"Page not found", "You cannot do this", "Sign in to continue", "Too many attempts",
	"Sorry, there is a problem with the service", "There is a problem"}

func TestBrowserJourneys(t *testing.T) {
	browser, db, res := loadDemo(t, time.Now())
	base := serve(t, db)

	journeys := []journey{
		{
			role: caremarket.RoleBroker,
			nav: []navLink{{Label: "Home", Href: "/"}, {Label: "Areas", Href: "/areas"},
				{Label: "Providers", Href: "/providers"}, {Label: "Locations", Href: "/locations"}},
			forbidden: []string{"/admin/users", "/admin/audit"},
			headings:  map[string]string{"/": "Your care market", "/areas": "Districts", "/providers": "Providers", "/locations": "Locations"},
		},
		{
			role: caremarket.RoleProvider,
			nav: []navLink{{Label: "Home", Href: "/"}, {Label: "Our organisation", Href: "/providers"},
				{Label: "Our locations", Href: "/locations"}},
			// A provider sees its own organisation, never the council's
			// view of the market or its administration.
			forbidden: []string{"/areas", "/admin/users", "/admin/audit"},
			// A provider's home page is headed with its own name.
			headings: map[string]string{"/": providerName(t, db, res), "/providers": "Your organisation", "/locations": "Your locations"},
		},
	}

	// The folder shows the last run only: pages renamed or gone since must
	// not leave old pictures behind. It is ignored by git and holds nothing else.
	if err := os.RemoveAll(screenshotDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	browserCtx := startBrowser(t, browser)
	for _, j := range journeys {
		t.Run(string(j.role), func(t *testing.T) {
			var signIn *demo.SignIn
			for i := range res.SignIns {
				if res.SignIns[i].Role == j.role {
					signIn = &res.SignIns[i]
				}
			}
			if signIn == nil {
				t.Fatalf("the demo has no %s sign-in: %+v", j.role, res.SignIns)
			}
			walk(t, browserCtx, base, *signIn, j)
		})
	}
	t.Run("journey2", func(t *testing.T) { priceRoundJourney(t, browserCtx, base, db, res) })
}

// walk signs in, follows every navigation link, and signs out, in a
// browser context of its own (its own cookies), checking each page.
func walk(t *testing.T, browserCtx context.Context, base string, who demo.SignIn, j journey) {
	p, done := openTab(t, browserCtx, base, string(j.role), 45*time.Second)
	defer done()

	// An anonymous visitor is sent to sign in.
	p.open("/")
	p.expect("/sign-in", "Sign in")
	p.shot("sign-in")
	p.signIn(who, j.headings["/"])
	nav := p.nav()
	if !hasInOrder(nav, j.nav) {
		t.Errorf("%s's navigation = %+v, want these links in this order: %+v", j.role, nav, j.nav)
	}
	for _, l := range nav {
		if slices.Contains(j.forbidden, l.Href) {
			t.Errorf("%s's navigation offers %s (%q), which this role must not see", j.role, l.Href, l.Label)
		}
	}
	if ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.body.classList.contains("govuk-frontend-supported")`)); err != nil || !ok {
		t.Errorf("the page's scripts did not run (blocked by the Content-Security-Policy?): %v", err)
	}
	p.shot("home")

	// Every section, then back home, through the navigation as a person
	// would use it.
	var links []navLink
	for _, l := range nav {
		if l.Href != "/" {
			links = append(links, l)
		}
	}
	links = append(links, navLink{Label: "Home", Href: "/"})
	for _, l := range links {
		p.navigate(l.Href, j.headings[l.Href])
		current := ""
		for _, n := range p.nav() {
			if n.Current {
				current = n.Href
			}
		}
		if current != l.Href {
			t.Errorf("on %s the navigation marks %q as the current page, want %q", l.Href, current, l.Href)
		}
		name := strings.Trim(strings.ReplaceAll(l.Href, "/", "-"), "-")
		if name == "" {
			name = "home-again"
		}
		p.shot(name)
	}

	// Signing out ends the session: a page needs signing in again.
	p.click(`form[action="/sign-out"] button[type="submit"]`)
	p.expect("/sign-in", "Sign in")
	p.open(j.nav[len(j.nav)-1].Href)
	p.expect("/sign-in", "Sign in")
}

// pager runs the steps of one journey, failing the test at the first step
// that goes wrong (later steps would only fail for the same reason).
type pager struct {
	t      *testing.T
	ctx    context.Context
	base   string
	role   string
	n      int
	status int64 // of the last page loaded
}

// signIn fills in the sign-in form the browser is on and expects the
// home page headed home (any page heading when empty).
func (p *pager) signIn(who demo.SignIn, home string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx,
		chromedp.SendKeys(chromedp.ID("email"), who.Email),
		chromedp.SendKeys(chromedp.ID("password"), who.Password),
	); err != nil {
		p.t.Fatalf("fill in the sign-in form: %v", err)
	}
	p.click(`form[action="/sign-in"] button[type="submit"]`)
	p.expect("/", home)
}

func (p *pager) open(path string) {
	p.t.Helper()
	resp, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(p.base+path))
	if err != nil {
		p.t.Fatalf("open %s: %v", path, err)
	}
	p.status = resp.Status
}

// click clicks the element and waits for the page it leads to.
func (p *pager) click(css string) {
	p.t.Helper()
	resp, err := chromedp.RunResponse(p.ctx, chromedp.Click(chromedp.CSS(css)))
	if err != nil {
		p.t.Fatalf("click %s: %v", css, err)
	}
	p.status = resp.Status
}

// navigate clicks the service navigation's link to path and expects its
// page, headed heading.
func (p *pager) navigate(path, heading string) {
	p.t.Helper()
	p.click(`a.govuk-service-navigation__link[href="` + path + `"]`)
	p.expect(path, heading)
}

// follow clicks the link to path in the page's main content and expects
// its page, headed heading.
func (p *pager) follow(path, heading string) {
	p.t.Helper()
	p.click(`main a[href="` + path + `"]`)
	p.expect(path, heading)
}

// expect checks the page the browser is on: its path, that it loaded with
// 200, and its main heading; an empty heading means any that is not an
// error page's.
func (p *pager) expect(path, heading string) {
	p.t.Helper()
	p.expectStatus(path, heading, http.StatusOK)
}

// expectStatus is expect for a page that answers with another status, like
// a form shown again with its errors (400).
func (p *pager) expectStatus(path, heading string, status int64) {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatalf("read the location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		p.t.Fatalf("location %q: %v", loc, err)
	}
	h1, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		p.t.Fatalf("read the heading of %s: %v", loc, err)
	}
	h1 = strings.Join(strings.Fields(h1), " ")
	headingOK := h1 == heading || heading == "" && h1 != "" && !slices.Contains(errorHeadings, h1)
	if u.Path != path || p.status != status || !headingOK {
		want := fmt.Sprintf("%q", heading)
		if heading == "" {
			want = "a page's own heading"
		}
		p.shot("unexpected")
		p.t.Fatalf("the browser is on %s (status %d) headed %q; want %s (status %d) headed %s",
			u.Path, p.status, h1, path, status, want)
	}
}

// nav reads the service navigation's links.
func (p *pager) nav() []navLink {
	p.t.Helper()
	links, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]navLink](`[...document.querySelectorAll("a.govuk-service-navigation__link")].map(a => ({
		label: a.textContent.trim(), href: a.getAttribute("href"), current: a.getAttribute("aria-current") === "page"}))`))
	if err != nil {
		p.t.Fatalf("read the navigation: %v", err)
	}
	return links
}

// shot saves a full-page PNG named after the role, the step and the page.
func (p *pager) shot(name string) {
	p.t.Helper()
	p.screenshot(name, chromedp.FullScreenshot(100))
}

// screenshot takes the next screenshot with capture and saves it as a PNG,
// named after the role, the step and the page.
func (p *pager) screenshot(name string, capture chromedp.Action[[]byte]) {
	p.t.Helper()
	p.n++
	png, err := chromedp.Run(p.ctx, capture)
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(screenshotDir, fmt.Sprintf("%s-%02d-%s.png", p.role, p.n, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Errorf("save %s: %v", file, err)
	}
}

// hasInOrder reports whether every link of want is in got, in want's order
// (other links may come between).
func hasInOrder(got, want []navLink) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g.Label == want[i].Label && g.Href == want[i].Href {
			i++
		}
	}
	return i == len(want)
}

// watchConsole collects uncaught exceptions and console errors of the tab;
// the returned func reports them. A page that throws is broken even when
// it looks right.
func watchConsole(t *testing.T, tab context.Context) func() []string {
	var mu sync.Mutex
	var msgs []string
	err := chromedp.Listen(tab, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error()
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			msg = "console.error: " + strings.Join(parts, " ")
		default:
			return
		}
		mu.Lock()
		msgs = append(msgs, msg)
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("listen to the browser console: %v", err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(msgs)
	}
}

// findBrowser returns the browser to drive, or skips the test (fails it
// under CAREMARKET_E2E=1) when there is none.
func findBrowser(t *testing.T) string {
	t.Helper()
	required := os.Getenv(EnvRequire) == "1"
	if testing.Short() && !required {
		t.Skip("e2e: browser test skipped in -short mode")
	}
	if p := os.Getenv(EnvBrowser); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("e2e: %s=%s: %v", EnvBrowser, p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "e2e: no chromium or chrome found on PATH: install Debian's chromium (apt-get install chromium) or set " + EnvBrowser
	if required {
		t.Fatalf("%s (%s=1 makes this a failure, not a skip)", msg, EnvRequire)
	}
	t.Skip(msg + "; browser test SKIPPED")
	return ""
}

// startBrowser starts one headless browser for the whole test, with a
// fresh profile, and nothing that talks to the network on its own.
func startBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // running as root in CI, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // /dev/shm is small in containers
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// Start the browser now, with no deadline: the browser lives as long as
	// the context of its first action.
	start := time.Now()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	version, _ := chromedp.Run(browserCtx, chromedp.Evaluate[string](`navigator.userAgent`))
	t.Logf("browser %s started in %s: %s", path, time.Since(start).Round(time.Millisecond), version)
	return browserCtx
}

// providerName is the name of the demo provider user's provider, which
// heads that user's home page.
func providerName(t *testing.T, db *storage.DB, res *demo.Result) string {
	t.Helper()
	ctx := systemOf(res)
	for _, s := range res.SignIns {
		if s.Role != caremarket.RoleProvider {
			continue
		}
		u, err := db.UserByEmail(ctx, s.Email)
		if err != nil {
			t.Fatalf("the demo provider user %s: %v", s.Email, err)
		}
		p, err := db.Provider(ctx, u.ProviderID)
		if err != nil {
			t.Fatalf("the demo provider user's provider %d: %v", u.ProviderID, err)
		}
		// The page shows the name HTML-escaped and whitespace-collapsed,
		// which Text reads back as the plain name.
		return regexp.MustCompile(`\s+`).ReplaceAllString(strings.TrimSpace(p.Name), " ")
	}
	t.Fatalf("the demo has no provider sign-in: %+v", res.SignIns)
	return ""
}

// priceRoundJourney is journey 2 of DOMAIN.md: a provider submits its
// spring price; a price outside the guide band needs a reason; the
// commissioner decides it; price variation shows by service type and area.
func priceRoundJourney(t *testing.T, browserCtx context.Context, base string, db *storage.DB, res *demo.Result) {
	sys, who := systemOf(res), byRole(res)
	// What the provider will price: its first home in the open round.
	u, err := db.UserByEmail(sys, who[caremarket.RoleProvider].Email)
	if err != nil {
		t.Fatal(err)
	}
	locs, _, err := db.ListLocations(sys, market.LocationFilter{ProviderID: u.ProviderID})
	if err != nil {
		t.Fatal(err)
	}
	var loc *market.Location
	var st market.ServiceType
	for i := range locs {
		for _, s := range locs[i].ServiceTypes {
			if loc == nil && slices.Contains(pricedemo.RoundServices, s) {
				loc, st = &locs[i], s
			}
		}
	}
	if loc == nil {
		t.Fatalf("the demo provider %d has no care home priced under %s", u.ProviderID, pricedemo.Agreement)
	}
	rounds, err := db.ListPriceRounds(sys)
	if err != nil {
		t.Fatal(err)
	}
	var round *pricing.Round
	for i := range rounds {
		if round == nil && rounds[i].Status == pricing.RoundOpen {
			round = &rounds[i]
		}
	}
	if round == nil {
		t.Fatalf("the demo has no open price round: %+v", rounds)
	}
	roundPath := fmt.Sprintf("/pricing/rounds/%d", round.ID)

	p, done := openTab(t, browserCtx, base, "journey2", 90*time.Second)
	defer done()
	ctx, run, text := p.ctx, p.do, p.textOf

	// The provider finds the open round from the pricing page.
	p.open("/")
	p.expect("/sign-in", "Sign in")
	p.signIn(who[caremarket.RoleProvider], "")
	p.navigate("/pricing", "Pricing")
	p.shot("provider-pricing")
	p.follow("/pricing/rounds", "Price rounds")
	p.shot("provider-rounds")
	p.click(`a[href="` + roundPath + `"]`)
	p.expect(roundPath, round.Name)
	p.shot("provider-round")

	// A price far above the guide band, with no reason: refused, saying why.
	form := `form[action="` + roundPath + `/prices"]`
	run("fill in the price form",
		chromedp.SetValue(chromedp.ID("location_id"), fmt.Sprint(loc.ID)),
		chromedp.SetValue(chromedp.ID("service_type"), string(st)),
		chromedp.SendKeys(chromedp.ID("price"), "2500.00"))
	p.click(form + ` button[type="submit"]`)
	// The form comes back, with its errors, from the address it was posted to.
	p.expectStatus(roundPath+"/prices", round.Name, http.StatusBadRequest)
	if got := text(".govuk-error-summary"); !strings.Contains(got, "outside the guide band") || !strings.Contains(got, "give a reason") {
		t.Errorf("error summary = %q, want it to say the price is outside the guide band and needs a reason", got)
	}
	p.shot("provider-price-needs-reason")

	// With a reason it is accepted; the form kept what was typed.
	run("give a reason", chromedp.SendKeys(chromedp.ID("reason"), "Dementia specialist unit with one-to-one staffing at night"))
	p.click(form + ` button[type="submit"]`)
	p.expect(roundPath, round.Name)
	if got := text(".govuk-notification-banner"); !strings.Contains(got, "£2,500.00 has been submitted") {
		t.Errorf("after submitting, the banner says %q", got)
	}
	p.shot("provider-price-submitted")
	p.click(`form[action="/sign-out"] button[type="submit"]`)
	p.expect("/sign-in", "Sign in")

	subs, err := db.ListSubmissions(sys, pricing.SubmissionFilter{RoundID: round.ID, LocationID: loc.ID, Status: pricing.SubmissionSubmitted})
	if err != nil || len(subs) != 1 || subs[0].Price != money.Pounds(2500) || subs[0].Check.Within {
		t.Fatalf("the provider's submission: %+v %v", subs, err)
	}
	sub := subs[0]

	// The commissioner rejects it, with a reason, from the round page.
	p.signIn(who[caremarket.RoleCommissioner], "")
	p.navigate("/pricing", "Pricing")
	p.follow("/pricing/rounds", "Price rounds")
	p.click(`a[href="` + roundPath + `"]`)
	p.expect(roundPath, round.Name)
	p.viewShot("commissioner-round")
	p.click(`main a[href="` + roundPath + `?status=submitted"]`)
	p.expect(roundPath, round.Name)
	// The round lists its prices a page at a time: the commissioner finds
	// the home by name.
	run("find the home", chromedp.SendKeys(chromedp.ID("q"), loc.Name))
	p.click(`main form[method="get"][action="` + roundPath + `"] button[type="submit"]`)
	p.expect(roundPath, round.Name)
	if got := text("main table tbody"); strings.Contains(got, "Approved") || strings.Contains(got, "Rejected") {
		t.Errorf("the prices awaiting a decision include decided ones: %.200s", got)
	}
	p.viewShot("commissioner-awaiting-decision")
	decision := fmt.Sprintf(`form[action="/pricing/submissions/%d/decision"]`, sub.ID)
	run("give the decision's reason", chromedp.ScrollIntoView(chromedp.CSS(decision)),
		chromedp.SendKeys(chromedp.ID(fmt.Sprintf("reason-%d", sub.ID)), "No evidence of one-to-one staffing: send your rota and resubmit"))
	p.viewShot("commissioner-decision")
	p.click(decision + ` button[value="reject"]`)
	p.expect(roundPath, round.Name)
	if got := text(".govuk-notification-banner"); !strings.Contains(got, loc.Name) || !strings.Contains(got, "rejected") {
		t.Errorf("after rejecting, the banner says %q", got)
	}
	p.viewShot("commissioner-rejected")
	if s, err := db.Submission(sys, sub.ID); err != nil || s.Status != pricing.SubmissionRejected || !strings.Contains(s.DecisionReason, "rota") {
		t.Errorf("after rejecting: %+v %v", s, err)
	}

	// Price variation: by service type and district, a table and a chart;
	// for one service type, its trend over the rounds.
	p.open("/pricing/variation")
	p.expect("/pricing/variation", "Price variation")
	checkVariation := func(what string) {
		t.Helper()
		counts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](`({rows: document.querySelectorAll("main table tbody tr").length,
			charts: document.querySelectorAll("main svg").length})`))
		if err != nil {
			t.Fatalf("read the variation page: %v", err)
		}
		if counts["rows"] < 10 || counts["charts"] < 1 {
			t.Errorf("%s: %d table rows and %d charts, want a table of service types by district and a chart", what, counts["rows"], counts["charts"])
		}
	}
	checkVariation("price variation")
	p.shot("variation")
	p.open("/pricing/variation?service_type=" + string(market.Nursing))
	p.expect("/pricing/variation", "Price variation")
	checkVariation("nursing price variation")
	p.shot("variation-nursing")
}

// viewShot saves what the window shows (a long page's full screenshot is
// too tall to look at), named as shot names them.
func (p *pager) viewShot(name string) {
	p.t.Helper()
	p.screenshot(name, chromedp.CaptureScreenshot())
}

// tab opens a browser tab with its own cookies and a pager over it; the
// returned func closes the tab and reports the console's errors.
func openTab(t *testing.T, browserCtx context.Context, base, role string, limit time.Duration) (*pager, func()) {
	tab, closeTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	// Open the tab before setting a deadline: chromedp ties a tab's life to
	// the context of its first action.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	problems := watchConsole(t, tab)
	ctx, cancel := context.WithTimeout(tab, limit)
	return &pager{t: t, ctx: ctx, base: base, role: role}, func() {
		for _, msg := range problems() {
			t.Errorf("browser console: %s", msg)
		}
		cancel()
		closeTab()
	}
}

// do runs browser actions, failing the test (with a screenshot) on error.
func (p *pager) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.shot("unexpected")
		p.t.Fatalf("%s: %v", what, err)
	}
}

// textOf reads the whitespace-collapsed text of the first element css matches.
func (p *pager) textOf(css string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		p.shot("unexpected")
		p.t.Fatalf("read %s: %v", css, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

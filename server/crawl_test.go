package server

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// The crawl signs in as each demo role and follows, breadth-first and with
// GET only, every same-origin link reachable from the home page. A link shown
// to a role must work for that role, and every page must be well-formed
// enough for assistive technology: one h1, unique ids, and labels and
// descriptions that point at something.
const (
	crawlMaxPaths    = 400 // distinct URLs fetched per role
	crawlMaxIDs      = 10  // paths kept per pattern of numeric ids ("/providers/{id}")
	crawlMaxVariants = 3   // query strings kept per path, so pagination does not explode
)

// TestCrawl runs against SQLite and, when CAREMARKET_TEST_POSTGRES is set,
// PostgreSQL too: the demo load plus six crawls stay well under a minute on
// either.
func TestCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the full demo")
	}
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx := context.Background()
		res, err := demo.Load(ctx, db, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// As behind a TLS-terminating proxy: every page must send HSTS.
		srv := webServer(t, db, func(s *Server) { s.TrustProxy = true })

		tt := t.(*testing.T)
		for _, si := range res.SignIns {
			tt.Run(string(si.Role), func(t *testing.T) {
				c := homeSignIn(t, srv.URL, si.Email, si.Password)
				c.http.Transport = forwardedHTTPS{}
				var forbidden []string
				if si.Role == caremarket.RoleProvider {
					forbidden = otherProviderNames(t, db, res.Council, si.Email)
				}
				crawl(t, c, forbidden)
			})
		}
	})
}

// otherProviderNames lists, HTML-escaped as a page would show them, the names
// of every provider in the council other than the provider user's own.
func otherProviderNames(t testing.TB, db *storage.DB, council market.Council, email string) []string {
	t.Helper()
	ctx := caremarket.NewContext(context.Background(), caremarket.SystemActor(council.ID, council.Slug))
	u, err := db.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	var own string
	var all []market.Provider
	for page := 1; ; page++ {
		ps, total, err := db.ListProviders(ctx, market.ProviderFilter{Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ps...)
		if len(ps) == 0 || len(all) >= total {
			break
		}
	}
	for _, p := range all {
		if p.ID == u.ProviderID {
			own = p.Name
		}
	}
	if own == "" {
		t.Fatalf("provider user %s has no provider", email)
	}
	var names []string
	for _, p := range all {
		// A name contained in the provider's own would match its own pages.
		if p.ID == u.ProviderID || strings.Contains(own, p.Name) {
			continue
		}
		names = append(names, html.EscapeString(p.Name))
	}
	if len(names) == 0 {
		t.Fatal("the demo has no other providers to look for")
	}
	return names
}

var (
	crawlLinkRe     = regexp.MustCompile(`(?is)<a\b[^>]*?\shref="([^"]*)"`)
	crawlH1Re       = regexp.MustCompile(`(?i)<h1[\s>]`)
	crawlFormRe     = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	crawlPostRe     = regexp.MustCompile(`(?i)\smethod="post"`)
	crawlCSRFRe     = regexp.MustCompile(`<input type="hidden" name="csrf_token" value="[^"]+"`)
	crawlIDRe       = regexp.MustCompile(`(?i)<[a-z][a-z0-9]*\b[^>]*?\sid="([^"]*)"`)
	crawlForRe      = regexp.MustCompile(`(?i)<label\b[^>]*?\sfor="([^"]*)"`)
	crawlDescRe     = regexp.MustCompile(`(?i)\saria-describedby="([^"]*)"`)
	crawlSummaryRe  = regexp.MustCompile(`(?is)govuk-error-summary__list"?[^>]*>(.*?)</ul>`)
	crawlFragmentRe = regexp.MustCompile(`(?i)href="#([^"]*)"`)
	crawlNumRe      = regexp.MustCompile(`^[0-9]+$`)
	// A page quotes a rule; it never cites the papers it came from.
	crawlSourceRefRe = regexp.MustCompile(`(?i)\bseed 0[0-9][0-9]\b`)
)

// crawlMaxBytes is the most HTML one page may weigh.
const crawlMaxBytes = 1 << 20

// crawlSkip says whether a link is not a page to crawl: signing out, static
// assets and file downloads.
func crawlSkip(u *url.URL) bool {
	p := u.Path
	if p == "/sign-out" || strings.HasPrefix(p, "/assets/") || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/api/") {
		return true
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".csv", ".xlsx", ".json", ".ocds", ".svg", ".ico", ".css", ".js", ".png":
		return true
	}
	switch strings.ToLower(u.Query().Get("format")) {
	case "csv", "xlsx", "json", "ocds":
		return true
	}
	return false
}

// crawlPattern folds numeric path segments, so a pattern stands for a kind
// of page ("/providers/{id}").
func crawlPattern(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if crawlNumRe.MatchString(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

func crawl(t *testing.T, c *webClient, forbidden []string) {
	type item struct{ url, from string }
	seen := map[string]bool{"/": true}   // URLs queued
	paths := map[string]bool{"/": true}  // paths queued, without query
	perPattern := map[string]int{"/": 1} // paths queued per pattern
	variants := map[string]int{}         // query strings queued per path
	queue := []item{{"/", "(start)"}}
	fetched := 0
	for len(queue) > 0 && fetched < crawlMaxPaths {
		it := queue[0]
		queue = queue[1:]
		fetched++
		req, err := http.NewRequest(http.MethodGet, c.base+it.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		what := fmt.Sprintf("GET %s (linked from %s)", it.url, it.from)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", what, resp.StatusCode)
			continue
		}
		if resp.Request.URL.Path == "/sign-in" {
			t.Errorf("%s: redirected to sign in", what)
			continue
		}
		for _, p := range securityHeaderProblems(resp) {
			t.Errorf("%s: %s", what, p)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, p := range crawlCheckPage(body) {
			t.Errorf("%s: %s", what, p)
		}
		for _, name := range forbidden {
			if strings.Contains(body, name) {
				t.Errorf("%s: page shows another provider, %q", what, name)
				break
			}
		}
		for _, m := range crawlLinkRe.FindAllStringSubmatch(body, -1) {
			href := html.UnescapeString(m[1])
			if !strings.HasPrefix(href, "/") || strings.HasPrefix(href, "//") {
				continue
			}
			u, err := url.Parse(href)
			if err != nil {
				t.Errorf("%s: bad link %q: %v", what, href, err)
				continue
			}
			u.Fragment = ""
			if crawlSkip(u) {
				continue
			}
			u.RawQuery = u.Query().Encode() // one spelling per query
			key := u.String()
			if seen[key] {
				continue
			}
			if !paths[u.Path] {
				pat := crawlPattern(u.Path)
				if perPattern[pat] >= crawlMaxIDs {
					continue
				}
				perPattern[pat]++
				paths[u.Path] = true
			}
			if u.RawQuery != "" {
				if variants[u.Path] >= crawlMaxVariants {
					continue
				}
				variants[u.Path]++
			}
			seen[key] = true
			queue = append(queue, item{key, it.url})
		}
	}
	t.Logf("%s: fetched %d pages of %d patterns (%d links left unvisited)", c.email, fetched, len(perPattern), len(queue))
}

// crawlCheckPage says what the page gets wrong of what every page must get
// right.
func crawlCheckPage(body string) (problems []string) {
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, bad := range []string{"<no value>", "ZgotmplZ"} {
		if strings.Contains(body, bad) {
			fail("page contains %q", bad)
		}
	}
	if len(body) > crawlMaxBytes {
		fail("%d bytes of HTML, more than %d", len(body), crawlMaxBytes)
	}
	if m := crawlSourceRefRe.FindString(body); m != "" {
		fail("cites a source document (%q): quote the rule instead", m)
	}
	if n := len(crawlH1Re.FindAllString(body, -1)); n != 1 {
		fail("%d <h1> elements, want exactly 1", n)
	}
	for _, f := range crawlFormRe.FindAllStringSubmatch(body, -1) {
		if crawlPostRe.MatchString(f[1]) && !crawlCSRFRe.MatchString(f[2]) {
			fail("POST form <form%s> has no csrf_token field", f[1])
		}
	}
	ids := map[string]bool{}
	var dups []string
	for _, m := range crawlIDRe.FindAllStringSubmatch(body, -1) {
		id := html.UnescapeString(m[1])
		if ids[id] && !slices.Contains(dups, id) {
			dups = append(dups, id)
		}
		ids[id] = true
	}
	if len(dups) > 0 {
		fail("duplicate ids %q", dups)
	}
	for _, m := range crawlForRe.FindAllStringSubmatch(body, -1) {
		if id := html.UnescapeString(m[1]); !ids[id] {
			fail("<label for=%q> names no element", id)
		}
	}
	for _, m := range crawlDescRe.FindAllStringSubmatch(body, -1) {
		for _, id := range strings.Fields(html.UnescapeString(m[1])) {
			if !ids[id] {
				fail("aria-describedby %q names no element", id)
			}
		}
	}
	for _, s := range crawlSummaryRe.FindAllStringSubmatch(body, -1) {
		for _, m := range crawlFragmentRe.FindAllStringSubmatch(s[1], -1) {
			if id := html.UnescapeString(m[1]); !ids[id] {
				fail("error summary links to #%s, which is not on the page", id)
			}
		}
	}
	return problems
}

// TestCrawlCheckPage makes sure the crawl's checks catch what they are for,
// so a clean crawl means something.
func TestCrawlCheckPage(t *testing.T) {
	good := `<h1 class="x">T</h1>
<div class="govuk-error-summary"><ul class="govuk-list govuk-error-summary__list"><li><a href="#name">Enter a name</a></li></ul></div>
<form method="post" action="/x"><input type="hidden" name="csrf_token" value="abc">
<label class="govuk-label" for="name">Name</label><div id="name-hint">h</div>
<input id="name" name="name" aria-describedby="name-hint"></form>
<form method="get" action="/search"><input id="q" name="q"></form>`
	if p := crawlCheckPage(good); len(p) != 0 {
		t.Errorf("a good page has problems: %q", p)
	}
	bad := `<h1>One</h1><h1>Two</h1><p><no value></p><a href="#ZgotmplZ">x</a><p>(seed 004, 5.4)</p>
<div class="govuk-error-summary"><ul class="govuk-list govuk-error-summary__list"><li><a href="#gone">Enter it</a></li></ul></div>
<form class="f" method="post" action="/x"><input id="a"><input data-id="a"></form>
<label for="nowhere">L</label><input id="a" aria-describedby="a missing-hint">`
	p := strings.Join(crawlCheckPage(bad), "\n")
	for _, want := range []string{`"<no value>"`, `"ZgotmplZ"`, "2 <h1>", "no csrf_token", `duplicate ids ["a"]`,
		`<label for="nowhere">`, `aria-describedby "missing-hint"`, "#gone", "cites a source document"} {
		if !strings.Contains(p, want) {
			t.Errorf("problems lack %s:\n%s", want, p)
		}
	}
}

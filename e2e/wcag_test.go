package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caremarket/caremarket/demo"
)

// axeSource is axe-core (Deque Systems, MPL-2.0; licence beside it in
// testdata), pinned in web/package.json and copied here by
// scripts/build-assets.sh, so the test needs no network.
//
//go:embed testdata/axe.min.js
var axeSource string

// axeTags are the rules run on every page: WCAG 2.0, 2.1 and 2.2, levels A
// and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

const (
	phoneWidth      = 320     // the narrowest screen WCAG 2.2 asks a page to reflow to (1.4.10)
	maxPageBytes    = 1 << 20 // no page of the demo is larger than this
	a11yMaxPages    = 120     // pages checked per role
	a11yMaxPerShape = 2       // pages checked per kind of page ("/providers/{id}")
)

// axeViolation is one rule a page breaks, with where.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// pageCheck is what the browser measures of a page at phone width.
type pageCheck struct {
	ScrollWidth int            `json:"scrollWidth"`
	HTMLBytes   int            `json:"htmlBytes"`
	Links       []string       `json:"links"`
	Violations  []axeViolation `json:"violations"`
}

// TestAccessibility signs in as every demo role and, in a browser 320 CSS
// pixels wide, opens every kind of page the role can reach by following
// links from its home page: each must have no WCAG 2.2 AA violation that
// axe-core finds, must not scroll sideways, and must be under 1 MB of HTML.
// The sections of the service navigation are photographed at phone width.
func TestAccessibility(t *testing.T) {
	browser, db, res := loadDemo(t, time.Now())
	base := serve(t, db)
	freshScreenshots(t, "phone-*.png")
	browserCtx := startBrowser(t, browser)
	for _, si := range res.SignIns {
		t.Run(string(si.Role), func(t *testing.T) { a11yCrawl(t, browserCtx, base, si) })
	}
}

// wideElements names the innermost elements that reach past the screen's
// right edge, outside any scroll container: what makes a page scroll sideways.
const wideElements = `(() => {
	const w = document.documentElement.clientWidth, out = [];
	const scrolls = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll") return true } return false };
	for (const el of document.body.querySelectorAll("*")) {
		if (el.getBoundingClientRect().right <= w + 1 || scrolls(el)) continue;
		if ([...el.children].some(c => c.getBoundingClientRect().right > w + 1)) continue;
		out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && el.className.baseVal === undefined ? "." + el.className.trim().split(/\s+/).join(".") : "") + " " + (el.textContent || "").trim().slice(0, 40));
		if (out.length >= 5) break;
	}
	return out;
})()`

var a11yNumRe = regexp.MustCompile(`/[0-9]+`)

// a11yShape folds ids and the query, so a shape stands for a kind of page.
func a11yShape(u *url.URL) string {
	keys := []string{}
	for k := range u.Query() {
		if k != "page" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return a11yNumRe.ReplaceAllString(u.Path, "/{id}") + "?" + strings.Join(keys, "&")
}

func a11ySkip(u *url.URL) bool {
	p := u.Path
	if p == "/sign-out" || strings.HasPrefix(p, "/assets/") || strings.HasPrefix(p, "/api/") {
		return true
	}
	switch strings.ToLower(filepath.Ext(p)) {
	case ".csv", ".xlsx", ".json", ".svg", ".png":
		return true
	}
	switch u.Query().Get("format") {
	case "csv", "xlsx", "json", "ocds":
		return true
	}
	return false
}

func a11yCrawl(t *testing.T, browserCtx context.Context, base string, who demo.SignIn) {
	p, done := openTab(t, browserCtx, base, "phone-"+string(who.Role), 10*time.Minute)
	defer done()
	p.open("/")
	p.signIn(who, "")
	p.do("narrow the window to a phone's", chromedp.EmulateViewport(phoneWidth, 800))
	navHrefs := map[string]bool{}
	for _, l := range p.nav() {
		navHrefs[l.Href] = true
	}
	tags, _ := json.Marshal(axeTags)
	runAxe := fmt.Sprintf(`(async () => {
		const r = await axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]});
		return r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").split("\n").slice(0, 2).join(" "))}));
	})()`, tags)
	measure := `({scrollWidth: document.documentElement.scrollWidth,
		htmlBytes: new Blob([document.documentElement.outerHTML]).size,
		links: [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href")).filter(h => h.startsWith("/") && !h.startsWith("//")),
		violations: []})`

	queue := []string{"/"}
	seen := map[string]bool{"/": true}
	shapes := map[string]int{a11yShape(&url.URL{Path: "/"}): 1}
	checked := 0
	for len(queue) > 0 && checked < a11yMaxPages {
		path := queue[0]
		queue = queue[1:]
		checked++
		p.open(path)
		if p.status != 200 {
			t.Errorf("%s: status %d", path, p.status)
			continue
		}
		c, err := chromedp.Run(p.ctx, chromedp.Evaluate[pageCheck](measure))
		if err != nil {
			t.Fatalf("%s: measure the page: %v", path, err)
		}
		if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
			t.Fatalf("%s: load axe-core: %v", path, err)
		}
		vs, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]axeViolation](runAxe, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: run axe-core: %v", path, err)
		}
		for _, v := range vs {
			b, _ := json.Marshal(v.Nodes)
			t.Errorf("%s: axe %s (%s): %s at %s", path, v.ID, v.Impact, v.Help, b)
		}
		if c.ScrollWidth > phoneWidth {
			wide, _ := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](wideElements))
			t.Errorf("%s: scrolls sideways at %d px: the page is %d px wide; too wide: %q", path, phoneWidth, c.ScrollWidth, wide)
		}
		if c.HTMLBytes > maxPageBytes {
			t.Errorf("%s: %d bytes of HTML, more than %d", path, c.HTMLBytes, maxPageBytes)
		}
		if u, _ := url.Parse(path); navHrefs[u.Path] && u.RawQuery == "" {
			p.viewShot(strings.Trim(strings.ReplaceAll(u.Path, "/", "-"), "-") + "-phone")
		}
		for _, href := range c.Links {
			u, err := url.Parse(href)
			if err != nil || a11ySkip(u) {
				continue
			}
			u.Fragment = ""
			u.RawQuery = u.Query().Encode()
			key := u.String()
			if seen[key] {
				continue
			}
			seen[key] = true
			if shapes[a11yShape(u)] >= a11yMaxPerShape {
				continue
			}
			shapes[a11yShape(u)]++
			queue = append(queue, key)
		}
	}
	t.Logf("%s: checked %d pages at %d px (%d kinds; %d left unvisited)", who.Role, checked, phoneWidth, len(shapes), len(queue))
}

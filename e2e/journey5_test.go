package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
)

// TestFinanceJourney drives journey 5 of DOMAIN.md over the Kent demo:
// finance signs in, sees this year's commitment against budget by budget
// line (with the chart of spend by month), opens a variance to see the
// forecast by year with its working, and exports it as CSV.
func TestFinanceJourney(t *testing.T) {
	now := time.Now()
	browser, db, res := loadDemo(t, now)
	base := serve(t, db)
	freshScreenshots(t, "journey5-*.png")
	who := byRole(res)[caremarket.RoleFinance]
	browserCtx := startBrowser(t, browser)
	p, done := openTab(t, browserCtx, base, "journey5", 2*time.Minute)
	defer done()
	p.open("/sign-in")
	p.signIn(who, "")

	// This year's commitment against budget.
	year := finance.YearOf(now)
	p.navigate("/finance", "Finance "+year.String())
	table := p.textOf("#summary-table")
	for _, want := range []string{"Older people residential", "Older people nursing", "Home care", "Total"} {
		if !strings.Contains(table, want) {
			t.Errorf("the summary lacks %q: %s", want, table)
		}
	}
	if got := p.textOf(".govuk-inset-text"); !strings.Contains(got, "scale factor 10") {
		t.Errorf("the scale factor is not stated: %q", got)
	}
	if n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg rect").length`)); err != nil || n < 12 {
		t.Errorf("the chart of spend by month has %d bars (%v)", n, err)
	}
	p.shot("summary")

	// The variance: its forecast by year, with the working.
	p.click(`a.app-variance`)
	p.expect("/finance/forecast", "Forecast")
	if got := p.textOf("main"); !strings.Contains(got, "Variance") || !strings.Contains(got, (year+4).String()) || !strings.Contains(got, "Working for") {
		t.Errorf("the forecast page lacks the variance by year: %.300s", got)
	}
	p.shot("forecast")

	// Export it.
	href := p.hrefOf(`a[href*="format=csv"]`)
	csv, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`fetch(`+"`"+href+"`"+`).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download %s: %v", href, err)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if !strings.HasPrefix(lines[0], "Budget line,Year,") || !strings.Contains(lines[0], "Variance") || len(lines) < 10 || !strings.Contains(csv, year.String()) {
		t.Errorf("the export is not the forecast by year: %.400s", csv)
	}
}

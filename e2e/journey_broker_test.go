package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
)

// TestBrokerWork drives the broker's daily work as a person clicks it: the
// offer made from the ranked list, a reason asked for passing over the
// top-ranked home, the offer withdrawn, the requirement marked urgent, the
// offer sent again (shorter, as urgent) and given more time, a note, the
// board searched; then commissioning sees the home passed over.
func TestBrokerWork(t *testing.T) {
	f, browserCtx, base := startJ34(t)
	thanet := f.area("Thanet")
	p, done := openTab(t, browserCtx, base, "broker-work", 2*time.Minute)
	defer done()
	const caseRef = "MOS-778001"

	p.open("/")
	p.signIn(f.who[caremarket.RoleBroker], "")
	reqPath := f.recordRequirement(p, requirementForm{caseRef: caseRef, service: string(market.Nursing), areaID: thanet.ID,
		name: "Hilda Workday", address: "2 Harbour Street, Ramsgate", postcode: "CT11 8HA"})
	reqID := idAfter(t, reqPath)
	view, err := f.db.RequirementView(f.broker, reqID)
	if err != nil {
		t.Fatal(err)
	}
	eligible := view.Cascade.Stage(view.Cascade.Current).Eligible
	if len(eligible) < 2 {
		t.Fatalf("stage %d has %d eligible homes; the journey needs two to choose between", view.Cascade.Current, len(eligible))
	}
	top, second := eligible[0], eligible[1]
	form := `form[action="` + reqPath + `/offer"]`
	secondButton := form + ` table tbody tr:nth-child(2) button[name="location_id"]`

	// Offering to the second-ranked home needs a reason.
	p.click(secondButton)
	p.expectStatus(reqPath+"/offer", "Requirement "+caseRef, http.StatusBadRequest)
	if got := p.textOf(".govuk-error-summary"); !strings.Contains(got, "Say why "+second.LocationName) {
		t.Errorf("passing over %s without a reason: the error summary says %q", top.LocationName, got)
	}
	p.viewShot("skip-needs-reason")
	p.do("give the reason", chromedp.SendKeys(chromedp.ID("skip_reason"), "The person's husband lives at "+second.LocationName))
	p.click(secondButton)
	p.expect(reqPath, "Requirement "+caseRef)
	if got := p.textOf("main .govuk-inset-text"); !strings.Contains(got, "Offered to "+second.LocationName) {
		t.Errorf("after choosing the second-ranked, the requirement says %q", got)
	}

	// folded opens the requirement page's folded form that posts to the
	// path ending action, types value into its field and presses its button
	// (found by the CSS selector button); the requirement's page comes back.
	folded := func(step, action, field, value, button string) {
		t.Helper()
		p.do(step, chromedp.Click(chromedp.CSS(`details:has(form[action$="/`+action+`"]) summary`)),
			chromedp.SendKeys(chromedp.ID(field), value))
		p.click(`form[action$="/` + action + `"] ` + button)
		p.expect(reqPath, "Requirement "+caseRef)
	}

	// Withdraw it.
	folded("open the withdraw form", "withdraw", "withdraw_reason", "The husband has moved", `button[type="submit"]`)
	if got := p.textOf(".govuk-notification-banner"); !strings.Contains(got, "withdrawn") {
		t.Errorf("after withdrawing, the banner says %q", got)
	}

	// Urgent: a hospital discharge.
	folded("mark it urgent", "urgency", "urgent_reason", "Hospital discharge from the QEQM", "button.govuk-button--warning")
	if got := p.textOf("main .govuk-warning-text"); !strings.Contains(got, "Urgent") {
		t.Errorf("the urgent requirement says %q", got)
	}
	if got, _ := chromedp.Run(p.ctx, chromedp.Value(chromedp.ID("expires_in_hours"))); got != "2" {
		t.Errorf("an urgent requirement's offer form starts at %q hours, want 2", got)
	}

	// Send the withdrawn offer again: still passing over the top-ranked.
	p.do("give the reason again", chromedp.SendKeys(chromedp.ID("skip_reason"), "The husband is back at "+second.LocationName))
	p.click(`button[formaction$="/resend"]`)
	p.expect(reqPath, "Requirement "+caseRef)
	pending, err := f.db.ListOffers(f.broker, brokerage.OfferFilter{RequirementID: reqID, Status: brokerage.OfferPending})
	if err != nil || len(pending) != 1 || pending[0].LocationID != second.LocationID {
		t.Fatalf("after sending again: %+v %v", pending, err)
	}
	if open := pending[0].ExpiresAt.Sub(pending[0].OfferedAt); open > brokerage.MaxUrgentOfferExpiry {
		t.Errorf("the urgent offer stays open %s, want at most %s", open, brokerage.MaxUrgentOfferExpiry)
	}

	// More time, then a note.
	folded("give more time", "extend", "extend_hours", "1", `button[type="submit"]`)
	if got := p.textOf(".govuk-notification-banner"); !strings.Contains(got, "to answer") {
		t.Errorf("after extending, the banner says %q", got)
	}
	p.do("write a note", chromedp.SendKeys(chromedp.ID("body"), "Daughter is the contact: call after 5pm"))
	p.click(`form[action$="/notes"] button[type="submit"]`)
	if got := p.textOf("main"); !strings.Contains(got, "Daughter is the contact") {
		t.Errorf("the note is not on the requirement's page")
	}
	p.shot("requirement-worked")

	// The board: found by the start of its case reference, urgent only.
	p.navigate("/requirements", "Care requirements")
	p.do("search the board", chromedp.SendKeys(chromedp.ID("case_reference"), "MOS-7780"),
		chromedp.Click(chromedp.CSS(`input[name="urgent"][value="yes"]`)))
	p.click(`form[action="/requirements"] button[type="submit"]`)
	p.expect("/requirements", "Care requirements")
	if got := p.textOf("main table tbody"); !strings.Contains(got, caseRef) || !strings.Contains(got, "Urgent") {
		t.Errorf("the board searched for %s, urgent only, shows %q", caseRef, got)
	}
	p.viewShot("board-search")
	p.signOut()

	// Commissioning sees the top-ranked home passed over, and why.
	p.signIn(f.who[caremarket.RoleCommissioner], "")
	p.open("/off-contract/report")
	p.follow("/off-contract/skips", "Higher-ranked providers passed over")
	if got := p.textOf("main table tbody"); !strings.Contains(got, top.LocationName) || !strings.Contains(got, "husband") {
		t.Errorf("the report of providers passed over shows %q, want %s and the reason", got, top.LocationName)
	}
	p.shot("skips")
}

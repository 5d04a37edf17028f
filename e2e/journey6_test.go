package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/quality"
)

// TestMonitoringJourney drives journey 6 of DOMAIN.md over the Kent demo:
// an officer (a commissioner) records an unannounced visit to one of the
// demo provider's homes, finds poor practice, raises an action and
// publishes the report; the home's risk level rises. The provider reads
// the report, responds and sends evidence; the officer accepts it and the
// overdue action no longer counts against the home.
func TestMonitoringJourney(t *testing.T) {
	browser, db, res := loadDemo(t, time.Now())
	base := serve(t, db)
	freshScreenshots(t, "journey6-*.png")
	who, sys := byRole(res), systemOf(res)
	puser, err := db.UserByEmail(sys, who[caremarket.RoleProvider].Email)
	if err != nil {
		t.Fatal(err)
	}
	// A home of the demo provider at Low risk.
	risk, err := db.ProviderRisk(sys, puser.ProviderID)
	if err != nil {
		t.Fatal(err)
	}
	var home *quality.LocationRisk
	for i := range risk.Locations {
		if risk.Locations[i].Level == quality.RiskLow {
			home = &risk.Locations[i]
			break
		}
	}
	if home == nil {
		t.Fatalf("the demo provider has no home at Low risk: %+v", risk.Locations)
	}
	fws, err := db.ListFrameworks(sys)
	if err != nil || len(fws) == 0 {
		t.Fatalf("no monitoring framework: %v", err)
	}
	fw := fws[0]
	riskPath := "/providers/" + strconv.FormatInt(puser.ProviderID, 10) + "/risk"
	riskTag := "#location-" + strconv.FormatInt(home.LocationID, 10) + "-risk"

	browserCtx := startBrowser(t, browser)
	p, done := openTab(t, browserCtx, base, "journey6", 120*time.Second)
	defer done()

	// The officer records the visit.
	p.open("/")
	p.expect("/sign-in", "Sign in")
	p.signIn(who[caremarket.RoleCommissioner], "")
	p.open(riskPath)
	p.expect(riskPath, home.ProviderName)
	before := p.textOf(riskTag)
	if before != "Low" {
		t.Fatalf("before the visit the home's risk is %q", before)
	}
	p.navigate("/monitoring", "Contract monitoring")
	p.follow("/monitoring/visits/new", "Record a monitoring visit")
	day := time.Now().AddDate(0, 0, -1)
	p.do("fill in the visit",
		chromedp.SetValue(chromedp.ID("location_id"), strconv.FormatInt(home.LocationID, 10)),
		chromedp.Click(chromedp.CSS(`input[name="announced"][value="no"]`)),
		chromedp.SendKeys(chromedp.ID("visit_date"), strconv.Itoa(day.Day())),
		chromedp.SendKeys(chromedp.ID("visit_date-month"), strconv.Itoa(int(day.Month()))),
		chromedp.SendKeys(chromedp.ID("visit_date-year"), strconv.Itoa(day.Year())),
		chromedp.SendKeys(chromedp.ID("officers"), "Priya Shah, Tom Evans"))
	// Medication and Safeguarding are Poor; everything else Good.
	for _, d := range fw.Domains {
		answer := "good"
		if d.Name == "Medication" || d.Name == "Safeguarding" {
			answer = "poor"
		}
		for _, q := range d.Questions {
			p.do("answer "+q.Key, chromedp.Click(chromedp.CSS(`input[name="answer-`+q.Key+`"][value="`+answer+`"]`)))
		}
	}
	p.viewShot("visit-form")
	p.click(`form[action="/monitoring/visits"] button[type="submit"]`)
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	visitPath := strings.TrimPrefix(loc, base)
	p.expect(visitPath, home.LocationName)
	// Two of six domains Poor is a third: Requires improvement overall.
	if got := p.textOf("#overall-rating"); got != "Requires improvement" {
		t.Errorf("overall rating %q", got)
	}
	due := time.Now().AddDate(0, 0, -1)
	p.do("raise an action",
		chromedp.SendKeys(chromedp.ID("finding"), "Medicines administration records have gaps"),
		chromedp.SendKeys(chromedp.ID("owner"), "Registered manager"),
		chromedp.SendKeys(chromedp.ID("due_date"), strconv.Itoa(due.Day())),
		chromedp.SendKeys(chromedp.ID("due_date-month"), strconv.Itoa(int(due.Month()))),
		chromedp.SendKeys(chromedp.ID("due_date-year"), strconv.Itoa(due.Year())))
	p.click(`form[action="` + visitPath + `/actions"] button[type="submit"]`)
	p.expect(visitPath, home.LocationName)
	p.click(`#publish`)
	p.expect(visitPath, home.LocationName)
	if got := p.textOf("#report-status"); !strings.HasPrefix(got, "Published") {
		t.Errorf("after publishing the report says %q", got)
	}
	p.shot("published")
	p.open(riskPath)
	p.expect(riskPath, home.ProviderName)
	after := p.textOf(riskTag)
	if after == before {
		t.Errorf("the home's risk is still %q after a Requires improvement audit and an overdue action", after)
	}
	working := p.textOf("#location-" + strconv.FormatInt(home.LocationID, 10))
	if !strings.Contains(working, "Overdue actions: 1 × 3 = 3") || !strings.Contains(working, "Latest audit Requires improvement") {
		t.Errorf("the working does not show the audit and the overdue action: %s", working)
	}
	p.shot("risk-raised")
	p.signOut()

	// The provider reads the report, responds and sends evidence.
	p.signIn(who[caremarket.RoleProvider], "")
	p.navigate("/monitoring", "Monitoring reports")
	p.follow(visitPath, home.LocationName)
	p.do("respond", chromedp.SendKeys(chromedp.ID("response"), "We accept the findings: all staff giving medicines are being reassessed this week."))
	p.click(`form[action="` + visitPath + `/response"] button[type="submit"]`)
	p.expect(visitPath, home.LocationName)
	if got := p.textOf("#provider-response"); !strings.Contains(got, "reassessed") {
		t.Errorf("response shown as %q", got)
	}
	actionID, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector('div.govuk-summary-card[id^="action-"]').id.replace("action-", "")`))
	if err != nil || actionID == "" {
		t.Fatalf("no action on the report: %v", err)
	}
	p.do("send evidence", chromedp.SendKeys(chromedp.ID("evidence-"+actionID), "Medicines audit for the last four weeks and competency sign-off for every nurse attached."))
	p.click(`form[action="/monitoring/actions/` + actionID + `/evidence"] button[type="submit"]`)
	p.expect(visitPath, home.LocationName)
	p.shot("evidence-sent")
	p.signOut()

	// The officer accepts the evidence: the overdue action no longer counts.
	p.signIn(who[caremarket.RoleCommissioner], "")
	p.open(visitPath)
	p.expect(visitPath, home.LocationName)
	p.do("accept", chromedp.Click(chromedp.ID("decision-"+actionID)))
	p.click(`form[action="/monitoring/actions/` + actionID + `/decision"] button[type="submit"]`)
	p.expect(visitPath, home.LocationName)
	if got := p.textOf("#action-" + actionID + "-status"); got != "Accepted" {
		t.Errorf("after acceptance the action is %q", got)
	}
	p.open(riskPath)
	p.expect(riskPath, home.ProviderName)
	working = p.textOf("#location-" + strconv.FormatInt(home.LocationID, 10))
	if strings.Contains(working, "Overdue actions: 1") || !strings.Contains(working, "Overdue actions 0") {
		t.Errorf("the accepted action still counts: %s", working)
	}
	if got := p.textOf(riskTag); got == before {
		t.Errorf("the home's risk went back to %q: the audit still counts", got)
	}
	p.shot("risk-after-acceptance")
	p.signOut()
}

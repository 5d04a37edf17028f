package e2e

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

// TestBrowserJourney1 is journey 1 of DOMAIN.md in the browser: the
// commissioner sets up an open framework with a lot and opens a window
// with a selection criterion and a quality question; the demo provider
// applies and submits; after the deadline the evaluator declares and
// scores; the commissioner, as moderator, agrees the marks, awards the
// place and publishes the assessment summaries and the award notice; the
// provider reads its summary; the lot shows the admitted provider; the
// OCDS notices can be downloaded.
//
// It has a server of its own, whose clock (the server's and the
// database's) the test moves past the window's deadline, as
// server/web_procurement_test.go does.
func TestBrowserJourney1(t *testing.T) {
	browser, db, res := loadDemo(t, time.Now())
	var shift atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	db.Now = now
	base := startServer(t, db, serverOptions{now: now})
	freshScreenshots(t, "journey1-*.png")

	sys, who := systemOf(res), byRole(res)
	evaluator, err := db.UserByEmail(sys, who[caremarket.RoleEvaluator].Email)
	if err != nil {
		t.Fatalf("the demo evaluator: %v", err)
	}
	provider := providerName(t, db, res)

	p, done := openTab(t, startBrowser(t, browser), base, "journey1", 60*time.Second)
	defer done()
	ctx, run, text := p.ctx, p.do, p.textOf
	banner := func(want string) {
		t.Helper()
		if got := text(".govuk-notification-banner"); !strings.Contains(got, want) {
			p.shot("unexpected")
			t.Fatalf("the banner says %q, want %q", got, want)
		}
	}
	// Fields are found by name: the form's ids carry dots.
	field := func(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }
	set := func(name, value string) chromedp.Action[chromedp.Void] { return chromedp.SetValue(field(name), value) }
	choose := func(name, value string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`input[name="` + name + `"][value="` + value + `"]`))
	}
	date := func(name string, d time.Time) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{set(name+"-day", strconv.Itoa(d.Day())),
			set(name+"-month", strconv.Itoa(int(d.Month()))), set(name+"-year", strconv.Itoa(d.Year()))}
	}
	signOut := func() {
		t.Helper()
		p.click(`form[action="/sign-out"] button[type="submit"]`)
		p.expect("/sign-in", "Sign in")
	}
	// providerWindows signs the demo provider in and goes, by the
	// navigation, to its open windows and applications.
	providerWindows := func() {
		t.Helper()
		p.signIn(who[caremarket.RoleProvider], provider)
		p.navigate("/agreements", "Agreements")
		p.follow("/windows", "Open windows and your applications")
	}
	pathID := func(prefix string) int64 {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		id, err := strconv.ParseInt(strings.TrimPrefix(u.Path, prefix), 10, 64)
		if err != nil {
			t.Fatalf("the browser is on %s, want %s and an id", u.Path, prefix)
		}
		return id
	}

	// --- The commissioner sets up the open framework.
	const ref, title = "E2E-OF-1", "Older People's Residential and Nursing, E2E"
	p.open("/")
	p.expect("/sign-in", "Sign in")
	p.signIn(who[caremarket.RoleCommissioner], "")
	p.navigate("/agreements", "Agreements")
	p.follow("/agreements/new", "Set up an agreement")
	acts := []chromedp.Action[chromedp.Void]{set("reference", ref), set("title", title),
		choose("type", string(procurement.OpenFramework)), set("annual_value_pence", "89,700,000"), set("lifetime_value_pence", "700,000,000")}
	acts = append(acts, date("start", procurement.Date(2027, 4, 1))...)
	acts = append(acts, date("end", procurement.Date(2035, 3, 31))...)
	acts = append(acts, date("reopenings.0", procurement.Date(2030, 3, 31))...)
	run("fill in the agreement", acts...)
	p.viewShot("agreement-form")
	p.click(`main form button[type="submit"]`)
	agreementID := pathID("/agreements/")
	agreementPath := fmt.Sprintf("/agreements/%d", agreementID)
	p.expect(agreementPath, title)
	banner(ref + " has been set up")

	// A lot by service type and district.
	p.follow(agreementPath+"/lots/new", "Add a lot")
	run("fill in the lot", set("title", "Residential and nursing, first district"),
		choose("service_types", "residential"), choose("service_types", "nursing"),
		chromedp.Click(chromedp.CSS(`input[name="area_ids"]`)), // the first district
		choose("call_off", string(procurement.DirectAward)),
		set("ranking-1", string(procurement.RankPrice)), set("ranking-2", string(procurement.RankQuality)),
		set("call_off_terms", "The council's call-off contract for care home placements"),
		set("mechanism", "Offered in order: lowest price, then highest quality score"))
	p.click(`main form button[type="submit"]`)
	p.expect(agreementPath, title)
	banner("Lot 1 has been added")
	p.viewShot("agreement-with-lot")

	// A window whose deadline is a couple of minutes after the server's now.
	london := now().In(procurement.London)
	deadline := london.Truncate(time.Minute).Add(2 * time.Minute)
	p.follow(agreementPath+"/windows/new", "Open a window")
	acts = []chromedp.Action[chromedp.Void]{choose("kind", string(procurement.Tender)), set("title", "E2E first framework")}
	acts = append(acts, date("opens", london.Add(-time.Hour))...)
	acts = append(acts, set("opens-time", london.Add(-time.Hour).Format("15:04")))
	acts = append(acts, date("deadline", deadline)...)
	acts = append(acts, set("deadline-time", deadline.Format("15:04")),
		set("questions.0.kind", "selection"), set("questions.0.text", "Are you registered with the CQC for accommodation with nursing or personal care?"),
		chromedp.Click(field("questions.0.evidence_required")),
		set("questions.1.kind", "quality"), set("questions.1.text", "How will you keep residents safe from falls?"),
		set("questions.1.weight", "100"), set("questions.1.max_score", "5"), set("questions.1.pass_mark", "3"))
	run("fill in the window", acts...)
	p.shot("window-form")
	p.click(`main form button[value="open"]`)
	windowID := pathID("/windows/")
	windowPath := fmt.Sprintf("/windows/%d", windowID)
	p.expect(windowPath, "E2E first framework")
	banner("E2E first framework has been set up")
	w, err := db.Window(sys, windowID)
	if err != nil || len(w.Questions) != 2 || !w.Deadline.Equal(deadline) {
		t.Fatalf("the window: %+v %v (want its deadline %s)", w, err, deadline)
	}
	qSel, qQual := strconv.FormatInt(w.Questions[0].ID, 10), strconv.FormatInt(w.Questions[1].ID, 10)

	// The evaluator is assigned; the commissioner will moderate.
	p.follow(windowPath+"/evaluators", "Evaluators")
	run("choose the evaluator", set("user_id", strconv.FormatInt(evaluator.ID, 10)))
	p.click(`main form button[type="submit"]`)
	p.expect(windowPath+"/evaluators", "Evaluators")
	if got := text("main table tbody"); !strings.Contains(got, evaluator.Email) {
		t.Errorf("assigned evaluators: %q, want %s", got, evaluator.Email)
	}
	p.viewShot("evaluators")
	signOut()

	// --- The provider finds the open window and applies.
	providerWindows()
	p.viewShot("provider-windows")
	p.follow(windowPath+"/apply", "")
	run("answer the questions", chromedp.Click(chromedp.CSS(`input[name="lot_ids"]`)),
		set("answers."+qSel, "Yes: registered for accommodation with nursing and personal care since 2012"),
		set("answers."+qSel+".evidence", "CQC registration 1-101234567"),
		set("answers."+qQual, "Falls risk assessed on admission and monthly; sensor mats; physiotherapist visits weekly"))
	p.shot("provider-apply")
	p.click(`main form button[value="submit"]`)
	appID := pathID("/applications/")
	appPath := fmt.Sprintf("/applications/%d", appID)
	p.expect(appPath, provider)
	banner("Your application has been submitted")
	p.viewShot("provider-submitted")
	signOut()

	// --- The deadline passes on the server's clock.
	shift.Store(int64(time.Until(deadline) + time.Minute))
	if got := w.Status(now()); got != "closed" {
		t.Fatalf("after moving the clock the window is %s", got)
	}

	// --- The evaluator declares no conflict, then scores.
	p.signIn(who[caremarket.RoleEvaluator], "")
	p.navigate("/agreements", "Agreements")
	p.follow(agreementPath, title)
	p.follow(windowPath, "E2E first framework")
	p.follow(windowPath+"/declaration", "")
	run("declare", set("statement", "I have no links with any applicant"))
	p.viewShot("evaluator-declaration")
	p.click(`main form button[type="submit"]`)
	p.expect(windowPath, "E2E first framework")
	banner("Your declaration has been recorded")
	p.follow(appPath+"/scoring", "Application from "+provider)
	selKey, qualKey := "s-"+qSel+"-1-", "s-"+qQual+"-1-"

	// mark fills in one question's marks on the scoring page, submits that
	// question's form (the one holding the field named textField) with its
	// button, and expects the scoring page back with the banner done.
	mark := func(step, textField, button, done string, fields ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(step, fields...)
		p.click(`form:has([name="` + textField + `"]) button[` + button + `]`)
		p.expect(appPath+"/scoring", "Application from "+provider)
		banner(done)
	}
	mark("score the selection criterion", selKey+"comment", `value="submit"`, "Your score has been submitted",
		choose(selKey+"pass", "yes"), set(selKey+"comment", "Registration checked on the CQC register"))
	mark("score the quality question", qualKey+"comment", `value="submit"`, "Your score has been submitted",
		set(qualKey+"points", "4"), set(qualKey+"comment", "A clear falls plan with named responsibilities"))
	p.shot("evaluator-scored")
	signOut()

	// --- The commissioner, as moderator, agrees the marks.
	p.signIn(who[caremarket.RoleCommissioner], "")
	p.open(windowPath)
	p.expect(windowPath, "E2E first framework")
	p.follow(appPath+"/scoring", "Application from "+provider)
	selKey, qualKey = "m-"+qSel+"-1-", "m-"+qQual+"-1-"
	mark("agree the selection mark", selKey+"reason", `type="submit"`, "The agreed mark has been recorded",
		choose(selKey+"pass", "yes"), set(selKey+"reason", "Registration confirmed on the CQC register"))
	mark("agree the quality mark", qualKey+"reason", `type="submit"`, "The agreed mark has been recorded",
		set(qualKey+"points", "4"), set(qualKey+"reason", "A credible falls plan, well evidenced"))
	p.shot("moderated")

	// --- Awards, then the summaries and the notice.
	p.open(windowPath)
	p.expect(windowPath, "E2E first framework")
	p.follow(windowPath+"/awards", "Award decisions")
	lotField := fmt.Sprintf("lot-%d", w.LotIDs[0])
	run("admit the provider", choose(lotField, strconv.FormatInt(appID, 10)))
	p.viewShot("awards")
	p.click(`form:has([name="` + lotField + `"]) button[type="submit"]`)
	p.expect(windowPath+"/awards", "Award decisions")
	banner("1 provider awarded a place")
	p.click(`form[action="` + windowPath + `/award-notice"] button[type="submit"]`)
	p.expect(windowPath+"/awards", "Award decisions")
	banner("The assessment summaries and the contract award notice have been published")
	if got := text("main"); !strings.Contains(got, "Notice published") || !strings.Contains(got, "Contracts may be entered from") {
		t.Errorf("after publishing, the awards page does not give the notice and the standstill: %.300s", got)
	}
	p.shot("published")

	// The lot shows the admitted provider; the notices can be downloaded.
	p.open(agreementPath)
	p.expect(agreementPath, title)
	if got := text("main table tbody"); !strings.Contains(got, provider) {
		t.Errorf("the lot does not show the admitted provider %q: %q", provider, got)
	}
	ocds := agreementPath + "/ocds.json"
	release, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const a = document.querySelector('main a[href="`+ocds+`"][download]');
		if (!a) return "no link";
		const r = await fetch(a.href);
		return r.status + " " + (await r.text());
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(release, "200 ") || !strings.Contains(release, ref) || !strings.Contains(release, "award") {
		t.Errorf("the OCDS download: %v %.300s", err, release)
	}
	p.shot("agreement-awarded")
	signOut()

	// --- The provider reads its assessment summary.
	providerWindows()
	p.follow(appPath, provider)
	if got := text("main"); !strings.Contains(got, "Assessment summary") || !strings.Contains(got, "Successful.") ||
		!strings.Contains(got, "A credible falls plan, well evidenced") {
		t.Errorf("the provider's assessment summary: %.500s", got)
	}
	p.shot("provider-summary")
	p.open(agreementPath)
	p.expect(agreementPath, title)
	if got := text("main table tbody"); !strings.Contains(got, provider) {
		t.Errorf("the provider does not see itself on the lot: %q", got)
	}
	signOut()
}

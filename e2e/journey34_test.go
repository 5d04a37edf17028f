package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
)

// TestBrokerageJourneys drives journeys 3 and 4 of DOMAIN.md through the
// brokerage pages, over the Kent demo (with its brokerage demo loaded):
// a nursing requirement in Thanet placed through the cascade, and a home
// care package no contracted agency can take, placed off contract.
func TestBrokerageJourneys(t *testing.T) {
	f, browserCtx, base := startJ34(t, "journey3-*.png", "journey4-*.png")
	t.Run("journey3", func(t *testing.T) { f.t = t; f.nursingInThanet(browserCtx, base) })
	t.Run("journey4", func(t *testing.T) { f.t = t; f.homecareOffContract(browserCtx, base) })
}

// j34 holds what journeys 3 and 4 share: the database (to look up what the
// pages should show) and the demo's sign-ins.
type j34 struct {
	t      *testing.T
	db     *storage.DB
	sys    context.Context // the council's system actor
	broker context.Context // broker@kent.example
	who    map[caremarket.Role]demo.SignIn
	areas  []market.Area
}

// startJ34 is where each journey over the demo's brokerage begins: the
// Kent demo loaded and served, the earlier run's screenshots matching
// globs removed, and the browser started.
func startJ34(t *testing.T, globs ...string) (f *j34, browserCtx context.Context, base string) {
	t.Helper()
	browser, db, res := loadDemo(t, time.Now())
	base = serve(t, db)
	freshScreenshots(t, globs...)
	browserCtx = startBrowser(t, browser)
	return newJ34(t, db, res), browserCtx, base
}

func newJ34(t *testing.T, db *storage.DB, res *demo.Result) *j34 {
	f := &j34{t: t, db: db, who: byRole(res), sys: systemOf(res)}
	u, err := db.UserByEmail(f.sys, f.who[caremarket.RoleBroker].Email)
	if err != nil {
		t.Fatal(err)
	}
	f.broker = caremarket.NewContext(context.Background(), u.Actor())
	if f.areas, err = db.ListAreas(f.sys); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *j34) area(name string) market.Area {
	for _, a := range f.areas {
		if a.Name == name {
			return a
		}
	}
	f.t.Fatalf("the demo has no district %q", name)
	return market.Area{}
}

// hrefOf reads the href of the first link css matches.
func (p *pager) hrefOf(css string) string {
	p.t.Helper()
	h, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute("href")`, css)))
	if err != nil || h == "" {
		p.shot("unexpected")
		p.t.Fatalf("no link %s on the page: %v", css, err)
	}
	return h
}

// signOut signs out from any page.
func (p *pager) signOut() {
	p.t.Helper()
	p.click(`form[action="/sign-out"] button[type="submit"]`)
	p.expect("/sign-in", "Sign in")
}

// idAfter is the number at the end of a path like /offers/12.
func idAfter(t *testing.T, path string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
	if err != nil {
		t.Fatalf("no id at the end of %q", path)
	}
	return id
}

// requirementForm is what the broker types into "Record a care requirement".
type requirementForm struct {
	caseRef, service string
	areaID           int64
	hours, visits    string // home care only
	needs            string
	name, address    string
	postcode         string
}

// recordRequirement fills in and sends the requirement form from the
// board, and returns the new requirement's path.
func (f *j34) recordRequirement(p *pager, r requirementForm) string {
	t := f.t
	t.Helper()
	p.navigate("/requirements", "Care requirements")
	p.follow("/requirements/new", "Record a care requirement")
	start := time.Now().AddDate(0, 0, 7)
	p.do("fill in the requirement",
		chromedp.SendKeys(chromedp.ID("case_reference"), r.caseRef),
		chromedp.SetValue(chromedp.ID("service_type"), r.service),
		chromedp.SendKeys(chromedp.ID("start_date"), strconv.Itoa(start.Day())),
		chromedp.SendKeys(chromedp.ID("start_date-month"), strconv.Itoa(int(start.Month()))),
		chromedp.SendKeys(chromedp.ID("start_date-year"), strconv.Itoa(start.Year())),
		chromedp.SetValue(chromedp.ID("area_id"), strconv.FormatInt(r.areaID, 10)),
		chromedp.SendKeys(chromedp.ID("full_name"), r.name),
		chromedp.SendKeys(chromedp.ID("address"), r.address),
		chromedp.SendKeys(chromedp.ID("postcode"), r.postcode))
	if r.hours != "" {
		p.do("fill in the hours", chromedp.SendKeys(chromedp.ID("hours_per_week"), r.hours), chromedp.SendKeys(chromedp.ID("visit_pattern"), r.visits))
	}
	if r.needs != "" {
		p.do("fill in the needs", chromedp.SendKeys(chromedp.ID("specialist_needs"), r.needs))
	}
	if ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="method"][value="direct_award"]').checked`)); err != nil || !ok {
		t.Errorf("the requirement form does not default to direct award: %v", err)
	}
	p.viewShot("requirement-form")
	p.click(`form[action="/requirements"] button[type="submit"]`)
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(loc, p.base)
	if !strings.HasPrefix(path, "/requirements/") {
		p.shot("unexpected")
		t.Fatalf("after recording the requirement the browser is on %s", path)
	}
	p.expect(path, "Requirement "+r.caseRef)
	if got := p.textOf(".govuk-notification-banner"); !strings.Contains(got, "Requirement recorded") {
		t.Errorf("after recording, the banner says %q", got)
	}
	return path
}

// currentStage reads the cascade stage the requirement page marks current.
func (p *pager) currentStage() string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("main h3")].filter(h => h.querySelector(".govuk-tag")).map(h => h.textContent.replace("current", "").trim()).join("|")`))
	if err != nil {
		p.t.Fatalf("read the current stage: %v", err)
	}
	return s
}

// nursingInThanet is journey 3: a broker posts a nursing requirement in
// Thanet; the cascade offers it to a contracted home in Thanet (stage 1,
// ranked by the framework lot's rule); the home accepts; the last vacancy
// cannot be given twice; the placement starts. Spend and forecasts (the
// journey's last step) belong to the finance feature, not built yet.
func (f *j34) nursingInThanet(browserCtx context.Context, base string) {
	t := f.t
	p, done := openTab(f.t, browserCtx, base, "journey3", 75*time.Second)
	defer done()
	thanet := f.area("Thanet")
	const caseRef, name, address, postcode = "MOS-777301", "Winifred Journey", "12 Northdown Road, Margate", "CT9 2RN"

	// The broker records the requirement and starts the cascade.
	p.open("/")
	p.expect("/sign-in", "Sign in")
	p.signIn(f.who[caremarket.RoleBroker], "")
	reqPath := f.recordRequirement(p, requirementForm{caseRef: caseRef, service: string(market.Nursing), areaID: thanet.ID,
		needs: "Diabetes; insulin twice a day", name: name, address: address, postcode: postcode})
	if got := p.textOf("main .govuk-caption-l"); got != "Nursing · Thanet (CT9)" {
		t.Errorf("requirement caption = %q, want the service, district and postcode district", got)
	}
	if got := p.currentStage(); !strings.HasPrefix(got, "1.") {
		t.Errorf("the cascade's current stage is %q, want stage 1 (contracted homes in Thanet)", got)
	}
	p.shot("requirement-cascade")
	// The broker chooses from the ranked list: a button on each row of the
	// current stage, never a typed id.
	if ok, _ := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`!!document.querySelector('input[name="location_id"]')`)); ok {
		t.Errorf("the offer form asks for a location id to be typed")
	}
	p.click(`form[action="` + reqPath + `/offer"] table tbody tr:first-child button[name="location_id"]`)
	p.expect(reqPath, "Requirement "+caseRef)
	offerPath := p.hrefOf(`main .govuk-inset-text a[href^="/offers/"]`)
	offer, err := f.db.Offer(f.broker, idAfter(t, offerPath))
	if err != nil {
		t.Fatal(err)
	}
	loc, err := f.db.Location(f.sys, offer.LocationID)
	if err != nil {
		t.Fatal(err)
	}
	if offer.Stage != brokerage.StageLocal || loc.AreaID != thanet.ID || offer.Rank != 1 {
		t.Errorf("the offer went to %s in area %d at stage %d, rank %d; want the top-ranked contracted home in Thanet (%d) at stage 1",
			loc.Name, loc.AreaID, offer.Stage, offer.Rank, thanet.ID)
	}
	if got := p.textOf("main .govuk-inset-text"); !strings.Contains(got, "Offered to "+offer.LocationName) || !strings.Contains(got, "stage 1") {
		t.Errorf("the requirement says %q, want it offered to %s at stage 1", got, offer.LocationName)
	}
	p.shot("offered")
	p.signOut()

	// The last vacancy: the home has one nursing bed left, and a second
	// Thanet requirement is offered to it too (set up directly, not through
	// the pages, which the first requirement has just shown).
	if err := f.db.SetVacancy(f.sys, &market.Vacancy{LocationID: loc.ID, ServiceType: market.Nursing, Vacancies: 1}); err != nil {
		t.Fatal(err)
	}
	second := &brokerage.Requirement{CaseReference: "MOS-777302", ServiceType: market.Nursing, StartDate: time.Now().AddDate(0, 0, 7).Truncate(24 * time.Hour),
		AreaID: thanet.ID, Method: brokerage.ByDirectAward}
	if err := f.db.CreateRequirement(f.broker, second, &brokerage.Person{FullName: "Albert Second", Address: "3 Cliff Road, Broadstairs", Postcode: "CT10 1AA"}); err != nil {
		t.Fatal(err)
	}
	secondOffer, err := f.db.MakeOffer(f.broker, second.ID, brokerage.OfferRequest{LocationID: loc.ID, ExpiresIn: 24 * time.Hour})
	if err != nil {
		t.Fatalf("offer the second requirement to %s: %v", loc.Name, err)
	}

	// Someone at the home signs in: the demo's provider user when the home
	// is its provider's; otherwise the admin makes an account for the home.
	provider := f.who[caremarket.RoleProvider]
	demoUser, err := f.db.UserByEmail(f.sys, provider.Email)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("offered to %s (%s), rank 1 of stage 1 in Thanet", offer.LocationName, offer.ProviderName)
	if demoUser.ProviderID == offer.ProviderID {
		// The home hears of the offer by email: the service, the district
		// and a link, nobody's name.
		mail := mailTo(t, p.base, provider.Email, "New offer: Nursing in Thanet")
		if link := linkIn(mail); link != p.base+offerPath {
			t.Errorf("the email links to %q, want %s", link, p.base+offerPath)
		}
		for _, secret := range []string{name, postcode, caseRef} {
			if strings.Contains(mail, secret) {
				t.Errorf("the offer's email names %q", secret)
			}
		}
		p.signIn(provider, "")
	} else {
		t.Logf("the demo provider user is another provider's: the admin makes an account for %s", offer.ProviderName)
		f.newProviderUser(p, offer.ProviderID, offer.ProviderName)
	}

	// The inbox and the offer show the requirement anonymised.
	p.navigate("/offers", "Offers inbox")
	secrets := []string{name, "Northdown", postcode, caseRef}
	f.expectAbsent(p, "the provider's inbox", secrets)
	p.shot("provider-inbox")
	p.follow(offerPath, brokerage.OfferTitle(market.Nursing, offer.LocationName))
	if got := p.textOf("main .govuk-caption-l"); got != "Nursing in Thanet (CT9)" {
		t.Errorf("the offer's caption = %q, want the service, district and postcode district", got)
	}
	f.expectAbsent(p, "the offer before acceptance", secrets)
	if ok, _ := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`!!document.querySelector('a[href^="/placements/"]')`)); ok {
		t.Errorf("the offer links to a placement before it is accepted")
	}
	p.shot("provider-offer")

	// The home accepts: the placement is theirs, and with it the person.
	plPath := p.acceptOffer(offerPath)
	p.expect(plPath, offer.LocationName)
	if got := p.textOf(".govuk-notification-banner"); !strings.Contains(got, "Accepted") {
		t.Errorf("after accepting, the banner says %q", got)
	}
	if got := p.textOf("main .govuk-summary-list"); !strings.Contains(got, name) || !strings.Contains(got, postcode) {
		t.Errorf("after the award the placement shows %q, want the person's name and postcode", got)
	}
	p.shot("provider-placement")
	p.click(`main .govuk-back-link, a.govuk-back-link[href="/placements"]`)
	p.expect("/placements", "Placements")
	if got := p.textOf("main table tbody"); !strings.Contains(got, offer.LocationName) || !strings.Contains(got, "Thanet (CT9)") {
		t.Errorf("the provider's placements = %q, want the new Thanet placement", got)
	}
	if ok, _ := chromedp.Run(p.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector('main a[href=%q]')`, plPath))); !ok {
		t.Errorf("the provider's placements do not link to %s", plPath)
	}
	p.shot("provider-placements")

	// The second offer to the same home cannot take the bed it no longer has.
	secondPath := fmt.Sprintf("/offers/%d", secondOffer.ID)
	p.open(secondPath)
	p.expect(secondPath, brokerage.OfferTitle(market.Nursing, offer.LocationName))
	if got := p.textOf("main .govuk-caption-l"); got != "Nursing in Thanet (CT10)" {
		t.Errorf("the second offer's caption = %q, want Thanet (CT10)", got)
	}
	p.click(`form[action="` + secondPath + `/accept"] button[type="submit"]`)
	if p.status < 400 {
		p.shot("unexpected")
		t.Fatalf("accepting a second placement into the last bed answered %d", p.status)
	}
	if got := p.textOf("main"); !strings.Contains(got, "no vacancy left") {
		t.Errorf("accepting a second placement into the last bed says %.300q, want it to say there is no vacancy left", got)
	}
	p.viewShot("provider-last-bed-taken")
	if ps, err := f.db.ListPlacements(f.sys, brokerage.PlacementFilter{RequirementID: second.ID}); err != nil || len(ps) != 0 {
		t.Errorf("the second requirement's placements: %+v %v; want none, the last bed is taken", ps, err)
	}
	p.signOut()

	// The broker sees the requirement placed.
	p.signIn(f.who[caremarket.RoleBroker], "")
	p.open(reqPath)
	p.expect(reqPath, "Requirement "+caseRef)
	if got := p.textOf("main .govuk-summary-list"); !strings.Contains(got, "Placed") {
		t.Errorf("the requirement after acceptance: %q, want it placed", got)
	}
	p.shot("broker-placed")
}

// newProviderUser has the admin make an account for the provider on the
// Users page, then signs in with the one-time password shown once and
// chooses a new password, as the person would at first sign-in.
func (f *j34) newProviderUser(p *pager, providerID int64, providerName string) demo.SignIn {
	t := f.t
	t.Helper()
	p.signIn(f.who[caremarket.RoleAdmin], "")
	p.open("/admin/users")
	p.expect("/admin/users", "Users")
	email := fmt.Sprintf("placements@provider-%d.example", providerID)
	p.do("fill in the new user",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("name"), "Placements team"),
		chromedp.Click(chromedp.CSS(`input[name="role"][value="provider"]`)),
		chromedp.SetValue(chromedp.ID("provider_id"), strconv.FormatInt(providerID, 10)))
	p.click(`form[action="/admin/users"] button[type="submit"]`)
	p.expect("/admin/users", "Users")
	otp := p.textOf("#one-time-password")
	if otp == "" {
		t.Fatal("no one-time password shown")
	}
	p.viewShot("admin-user-created")
	p.signOut()

	p.do("sign in with the one-time password",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), otp))
	p.click(`form[action="/sign-in"] button[type="submit"]`)
	p.expect("/account/password", "Choose a new password")
	const pw = "harbour lantern seagull pebble"
	p.do("choose a password", chromedp.SendKeys(chromedp.ID("current_password"), otp),
		chromedp.SendKeys(chromedp.ID("password"), pw), chromedp.SendKeys(chromedp.ID("confirm"), pw))
	p.click(`form[action="/account/password"] button[type="submit"]`)
	p.expect("/", "")
	if got := p.textOf("h1"); !strings.Contains(got, strings.Join(strings.Fields(providerName), " ")) {
		t.Logf("the new provider user's home page is headed %q (provider %q)", got, providerName)
	}
	return demo.SignIn{Role: caremarket.RoleProvider, Email: email, Password: pw}
}

// expectAbsent fails when the page's text shows any of secrets.
func (f *j34) expectAbsent(p *pager, where string, secrets []string) {
	f.t.Helper()
	body := p.textOf("body")
	for _, s := range secrets {
		if strings.Contains(body, s) {
			f.t.Errorf("%s shows %q before the placement is awarded", where, s)
		}
	}
}

// homecareOffContract is journey 4: no contracted agency can take a home
// care package; the cascade reaches stage 3; an off-contract agency takes
// it temporarily; it is on the off-contract register, offered a move to a
// framework provider.
func (f *j34) homecareOffContract(browserCtx context.Context, base string) {
	t := f.t
	p, done := openTab(f.t, browserCtx, base, "journey4", 60*time.Second)
	defer done()

	// Every contracted agency in one district and its neighbours reports
	// no capacity for home care (a vacancy figure of 0), so none can take
	// the package. (The demo admits agencies by provider, so every district
	// has contracted home care; the district chosen is the one with fewest
	// contracted agencies around it and some off-contract agency in it.)
	preview := func(a market.Area) *brokerage.Result {
		t.Helper()
		c, err := f.db.CascadePreview(f.broker, &brokerage.Requirement{ServiceType: market.Homecare, AreaID: a.ID, StartDate: time.Now().AddDate(0, 0, 7)})
		if err != nil {
			t.Fatalf("cascade preview in %s: %v", a.Name, err)
		}
		return c
	}
	var area market.Area
	var full []brokerage.Ranked
	for _, a := range f.areas {
		c := preview(a)
		contracted := append(slices.Clone(c.Stage(brokerage.StageLocal).Eligible), c.Stage(brokerage.StageNeighbours).Eligible...)
		if len(c.Stage(brokerage.StageOffContract).Eligible) > 0 && (area.ID == 0 || len(contracted) < len(full)) {
			area, full = a, contracted
		}
	}
	if area.ID == 0 {
		t.Fatal("the demo has no district with an off-contract home care agency")
	}
	for _, c := range full {
		if err := f.db.SetVacancy(f.sys, &market.Vacancy{LocationID: c.LocationID, ServiceType: market.Homecare, Vacancies: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if c := preview(area); c.Current != brokerage.StageOffContract {
		t.Fatalf("with %d contracted agencies around %s at no capacity, home care there is at stage %d, want 3", len(full), area.Name, c.Current)
	}
	t.Logf("home care in %s: %d contracted agencies there and in its neighbours report no capacity", area.Name, len(full))
	locs, _, err := f.db.ListLocations(f.sys, market.LocationFilter{AreaID: area.ID, Page: market.Page{PerPage: 1}})
	if err != nil || len(locs) == 0 {
		t.Fatalf("a location in %s: %v", area.Name, err)
	}
	postcode := market.Outcode(locs[0].Postcode) + " 4XY"
	const caseRef, name = "MOS-777401", "Percival Offcontract"

	p.open("/")
	p.expect("/sign-in", "Sign in")
	p.signIn(f.who[caremarket.RoleBroker], "")
	reqPath := f.recordRequirement(p, requirementForm{caseRef: caseRef, service: string(market.Homecare), areaID: area.ID,
		hours: "10.5", visits: "3 calls a day, 7 days a week", name: name, address: "8 High Street, " + area.Name, postcode: postcode})
	if got := p.currentStage(); !strings.HasPrefix(got, "3.") {
		t.Errorf("the cascade's current stage is %q, want stage 3 (off contract)", got)
	}
	p.shot("requirement-off-contract")

	// Offered off contract, at a weekly cost agreed with the agency, saying why.
	form := `form[action="` + reqPath + `/offer"]`
	// Each agency is offered from its row of the ranked list.
	if got := p.textOf(form + ` table tbody tr:first-child button[name="location_id"]`); !strings.HasPrefix(got, "Offer off contract") {
		t.Errorf("the offer button says %q, want \"Offer off contract\"", got)
	}
	p.do("fill in the off-contract offer", chromedp.ScrollIntoView(chromedp.CSS(form)),
		chromedp.SendKeys(chromedp.ID("weekly_cost"), "315.00"),
		chromedp.SendKeys(chromedp.ID("off_contract_reason"), "No contracted agency covers "+area.Name+" or its neighbours"))
	p.viewShot("off-contract-offer-form")
	p.click(form + ` table tbody tr:first-child button[name="location_id"]`)
	p.expect(reqPath, "Requirement "+caseRef)
	offerPath := p.hrefOf(`main .govuk-inset-text a[href^="/offers/"]`)
	offer, err := f.db.Offer(f.broker, idAfter(t, offerPath))
	if err != nil {
		t.Fatal(err)
	}
	if offer.Stage != brokerage.StageOffContract {
		t.Errorf("the offer is at stage %d, want 3 (off contract)", offer.Stage)
	}

	// The agency has no account: it agrees by phone, and the broker records
	// its acceptance on the offer.
	p.click(`main .govuk-inset-text a[href="` + offerPath + `"]`)
	p.expect(offerPath, brokerage.OfferTitle(market.Homecare, offer.LocationName))
	if got := p.textOf("main .govuk-caption-l"); got != market.Homecare.Label()+" in "+area.Name+" ("+market.Outcode(postcode)+")" {
		t.Errorf("the off-contract offer's caption = %q", got)
	}
	if got := p.textOf("main .govuk-summary-list"); !strings.Contains(got, "Off contract, temporary") {
		t.Errorf("the offer's basis: %q, want off contract and temporary", got)
	}
	p.shot("off-contract-offer")
	plPath := p.acceptOffer(offerPath)
	p.expect(plPath, offer.LocationName)
	if got := p.textOf("main .govuk-warning-text"); !strings.Contains(got, "Off contract and temporary") {
		t.Errorf("the placement's warning says %q", got)
	}
	p.shot("off-contract-placement")
	p.signOut()

	// The commissioner finds it on the off-contract register.
	p.signIn(f.who[caremarket.RoleCommissioner], "")
	p.navigate("/off-contract", "Off-contract register")
	row := fmt.Sprintf(`main table tbody tr:has(a[href=%q])`, plPath)
	if got := p.textOf(row); !strings.Contains(got, offer.LocationName) || !strings.Contains(got, "No contracted agency covers") || !strings.Contains(got, "£315.00") {
		t.Errorf("the register's row for the placement = %q", got)
	}
	p.shot("commissioner-register")
	p.signOut()

	// The broker is offered the move to a framework provider.
	p.signIn(f.who[caremarket.RoleBroker], "")
	p.navigate("/requirements", "Care requirements")
	p.follow("/off-contract", "Off-contract register")
	move := fmt.Sprintf(`form[action="/off-contract/%d/move"] button[type="submit"]`, idAfter(t, plPath))
	if got := p.textOf(move); !strings.Contains(got, "Move to contract") {
		t.Errorf("the move button says %q", got)
	}
	p.do("scroll to the placement", chromedp.ScrollIntoView(chromedp.CSS(move)))
	p.viewShot("broker-register-move")
	// Still no contracted agency has capacity there: the move says so, as
	// a problem rather than a confirmation, and the placement stays on the
	// register.
	movePath := fmt.Sprintf("/off-contract/%d/move", idAfter(t, plPath))
	p.click(move)
	p.expectStatus(movePath, "Off-contract register", http.StatusConflict)
	if got := p.textOf(".govuk-error-summary"); !strings.Contains(got, "No contracted provider in "+area.Name) {
		t.Errorf("Move to contract with nobody contracted able says %q", got)
	}
	if ok, _ := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`!!document.querySelector(".govuk-notification-banner--success")`)); ok {
		t.Errorf("a move that could not be made is confirmed as a success")
	}
	if got := p.textOf(row); !strings.Contains(got, offer.LocationName) {
		t.Errorf("after the failed move the register's row = %q", got)
	}
	p.viewShot("broker-move")
}

// acceptOffer presses the accept button of the offer page at offerPath and
// answers the path of the placement page the browser lands on.
func (p *pager) acceptOffer(offerPath string) string {
	p.t.Helper()
	p.click(`form[action="` + offerPath + `/accept"] button[type="submit"]`)
	plPath := strings.TrimPrefix(p.location(), p.base)
	plPath, _, _ = strings.Cut(plPath, "?") // ?reason=arranging: accepting opens the person's details
	if !strings.HasPrefix(plPath, "/placements/") {
		p.shot("unexpected")
		p.t.Fatalf("after accepting the browser is on %s", plPath)
	}
	return plPath
}

// location is the address the browser is on.
func (p *pager) location() string {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatalf("read the location: %v", err)
	}
	return loc
}

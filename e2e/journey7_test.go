package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
)

// TestBrowserJourney7 drives journey 7 of DOMAIN.md, a hospital discharge
// wave, over the Kent demo: the broker plans ten open requirements in one
// batch, sees the plan beside one at a time, changes one line to another
// location the cascade allows, sends the offers in one action, and a
// provider accepts one of them as it would any offer.
func TestBrowserJourney7(t *testing.T) {
	f, browserCtx, base := startJ34(t, "journey7-*.png")

	// The morning's wave: ten requirements from the hospital's districts,
	// recorded directly (journey 3 shows the form).
	var ids []int64
	districts := []string{"Thanet", "Thanet", "Thanet", "Canterbury", "Canterbury", "Thanet", "Dover", "Thanet", "Canterbury", "Thanet"}
	for i, d := range districts {
		st := market.Nursing
		if i%3 == 2 {
			st = market.Residential
		}
		r := &brokerage.Requirement{CaseReference: fmt.Sprintf("MOS-7700%02d", i+1), ServiceType: st, AreaID: f.area(d).ID, Method: brokerage.ByDirectAward,
			StartDate: time.Now().AddDate(0, 0, 2).Truncate(24 * time.Hour)}
		if err := f.db.CreateRequirement(f.broker, r, &brokerage.Person{FullName: fmt.Sprintf("Discharge Person %d", i+1), Address: "1 Hospital Road",
			Postcode: "CT9 4AN"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}

	p, done := openTab(t, browserCtx, base, "journey7", 90*time.Second)
	defer done()
	p.open("/")
	p.expect("/sign-in", "Sign in")
	p.signIn(f.who[caremarket.RoleBroker], "")
	p.open("/allocations")
	p.expect("/allocations", "Allocate a batch of requirements")
	for _, id := range ids {
		p.do("choose a requirement", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="requirement_id"][value="%d"]`, id))))
	}
	p.shot("choose")
	p.click(`form[action="/allocations"] button[type="submit"]:not([name])`)
	path := strings.TrimPrefix(p.location(), p.base)
	if !strings.HasPrefix(path, "/allocations/") {
		p.shot("unexpected")
		t.Fatalf("after planning the browser is on %s", path)
	}
	batchID := idAfter(t, path)
	p.expect(path, fmt.Sprintf("Batch allocation %d", batchID))
	if got := p.textOf("main table"); !strings.Contains(got, "Contracted providers in the person's area") || !strings.Contains(got, "One at a time") {
		t.Errorf("the comparison table = %q", got)
	}
	b, err := f.db.Allocation(f.broker, batchID)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Lines) != 10 {
		t.Fatalf("the batch has %d lines, want 10", len(b.Lines))
	}
	if b.Totals.Better(b.OneAtATimeTotals) < 0 {
		t.Errorf("the plan %+v is behind one at a time %+v", b.Totals, b.OneAtATimeTotals)
	}
	p.shot("plan")

	// Change one line: to another location its cascade offers, or, when no
	// line has another, to no offer for now.
	edit, to := b.Lines[0].RequirementID, int64(0)
	for _, l := range b.Lines {
		_, choices, err := f.db.AllocationChoices(f.broker, batchID, l.RequirementID)
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(choices, func(c brokerage.Ranked) bool { return c.LocationID != l.LocationID }); i >= 0 && l.LocationID != 0 {
			edit, to = l.RequirementID, choices[i].LocationID
			break
		}
	}
	linePath := fmt.Sprintf("/allocations/%d/lines/%d", batchID, edit)
	p.click(fmt.Sprintf(`a[href=%q]`, linePath))
	p.expect(linePath, "")
	p.do("choose another location", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="location_id"][value="%d"]`, to))))
	p.shot("change-line")
	p.click(fmt.Sprintf(`form[action=%q] button[type="submit"]`, linePath))
	p.expect(path, fmt.Sprintf("Batch allocation %d", batchID))
	if b, err = f.db.Allocation(f.broker, batchID); err != nil {
		t.Fatal(err)
	}
	for _, l := range b.Lines {
		if l.RequirementID == edit && (l.LocationID != to || (to != 0 && !l.Edited)) {
			t.Errorf("the changed line = %+v, want location %d", l, to)
		}
	}

	// Send every offer in one action.
	p.click(fmt.Sprintf(`form[action="/allocations/%d/send"] button[type="submit"]`, batchID))
	p.expect(path, fmt.Sprintf("Batch allocation %d", batchID))
	if got := p.textOf("main"); !strings.Contains(got, "Sent ") {
		t.Errorf("after sending the page says %.300q", got)
	}
	p.shot("sent")
	if b, err = f.db.Allocation(f.broker, batchID); err != nil {
		t.Fatal(err)
	}
	var offer *brokerage.Offer
	sent := 0
	for _, l := range b.Lines {
		if l.OfferID == 0 {
			t.Logf("%s not sent: %s", l.CaseReference, l.Outcome)
			continue
		}
		sent++
		o, err := f.db.Offer(f.broker, l.OfferID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != brokerage.OfferPending || o.LocationID != l.LocationID || o.Stage != l.Stage {
			t.Errorf("line %s: offer %+v, want a pending offer to location %d at stage %d", l.CaseReference, o, l.LocationID, l.Stage)
		}
		if offer == nil && o.Stage != brokerage.StageOffContract {
			offer = o
		}
	}
	if sent < 5 || offer == nil {
		t.Fatalf("%d offers sent, none on contract", sent)
	}
	p.signOut()

	// Someone at the home signs in and accepts: a normal offer.
	hash, err := access.HashPassword("harbour lantern seagull pebble")
	if err != nil {
		t.Fatal(err)
	}
	u := &access.User{Email: fmt.Sprintf("placements@provider-%d.example", offer.ProviderID), Name: "Placements", Role: caremarket.RoleProvider,
		ProviderID: offer.ProviderID, PasswordHash: hash}
	if err := f.db.CreateUser(f.sys, u); err != nil {
		t.Fatal(err)
	}
	p.signIn(demo.SignIn{Role: caremarket.RoleProvider, Email: u.Email, Password: "harbour lantern seagull pebble"}, "")
	offerPath := "/offers/" + strconv.FormatInt(offer.ID, 10)
	p.open(offerPath)
	p.expect(offerPath, "")
	p.shot("provider-offer")
	p.acceptOffer(offerPath)
	p.shot("accepted")
	if o, err := f.db.Offer(f.broker, offer.ID); err != nil || o.Status != brokerage.OfferAccepted {
		t.Errorf("the offer after acceptance: %+v %v", o, err)
	}
	p.signOut()

	// A commissioner compares one at a time with a daily batch over a
	// simulated fortnight of the council's market.
	p.signIn(f.who[caremarket.RoleCommissioner], "")
	p.open("/allocations/simulation?days=14&seed=7")
	p.expect("/allocations/simulation", "Allocation simulation")
	if got := p.textOf("main table"); !strings.Contains(got, "Off-contract providers (temporary)") || !strings.Contains(got, "Daily batch") {
		t.Errorf("the simulation table = %.300q", got)
	}
	p.shot("simulation")
}

package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// placeBy makes a nursing requirement and has the cascade's first offer
// accepted: a placement from 9 March 2026.
func (f *brokerFixture) placeBy(t testing.TB) *brokerage.Placement {
	t.Helper()
	r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
	o, err := f.db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.db.AcceptOffer(storagetest.As(f.sys, caremarket.RoleProvider, o.ProviderID), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// priceOn is a placement's weekly cost in force on a day, from its history.
func priceOn(p *brokerage.Placement, on string) money.Money {
	var m money.Money
	for _, c := range p.Prices {
		if c.EffectiveFrom.Format("2006-01-02") <= on {
			m = c.WeeklyCost
		}
	}
	return m
}

// TestUpliftReachesPlacements: an uplift's preview includes the placements
// live on its date (weekly cost x uplift, x 52 a year, by service type) and
// applying it changes exactly those through the placement price history in
// the same audited transaction; a placement that ended before the date and
// a top-up are untouched; a second uplift for the date is refused; a failure
// midway leaves nothing changed.
func TestUpliftReachesPlacements(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		beta := f.placeBy(t)  // Beta, £950 a week
		alpha := f.placeBy(t) // Alpha, £1,100 a week
		gamma := f.placeBy(t) // Gamma (the neighbour), £900 a week
		if beta.LocationID != f.beta.ID || alpha.LocationID != f.alpha.ID || gamma.LocationID != f.gamma.ID {
			t.Fatalf("placements at %d, %d, %d", beta.LocationID, alpha.LocationID, gamma.LocationID)
		}
		if _, err := db.SetTopUp(f.broker, beta.ID, 75_00, "Daughter"); err != nil {
			t.Fatal(err)
		}
		// Alpha's ends before the uplift date.
		if _, err := db.EndPlacement(f.broker, alpha.ID, procurement.Date(2026, 3, 31), "Returned home"); err != nil {
			t.Fatal(err)
		}
		finance := storagetest.As(f.sys, caremarket.RoleFinance, 0)
		u := &pricing.Uplift{Name: "NLW April 2026", EffectiveFrom: procurement.Date(2026, 4, 6), Placements: true,
			Rule: pricing.UpliftRule{Kind: pricing.UpliftPercent, Percent: 350}}
		preview, err := db.PreviewUplift(finance, u)
		if err != nil {
			t.Fatal(err)
		}
		// By hand: £950 x 1.035 = £983.25 (+£33.25); £900 x 1.035 = £931.50
		// (+£31.50); +£64.75 a week, x 52 = £3,367.00 a year.
		if len(preview.Items) != 2 || preview.Items[0].ID != beta.ID || preview.Items[0].New != 983_25 || preview.Items[1].ID != gamma.ID ||
			preview.Items[1].New != 931_50 || preview.Items[0].Kind != pricing.UpliftPlacement {
			t.Fatalf("preview items %+v", preview.Items)
		}
		want := pricing.PlacementUplift{ServiceType: market.Nursing, Placements: 2, WeeklyBefore: 1850_00, WeeklyAfter: 1914_75,
			WeeklyChange: 64_75, AnnualChange: 3367_00}
		if len(preview.Placements) != 1 || preview.Placements[0] != want || preview.PlacementsAnnualChange != 3367_00 ||
			preview.TotalAnnualChange != 3367_00 {
			t.Fatalf("preview by service type %+v, total %s", preview.Placements, preview.PlacementsAnnualChange)
		}
		// With contracted prices too: the placements' part is the same.
		u.Contracted = true
		both, err := db.PreviewUplift(finance, u)
		if err != nil || both.PlacementsAnnualChange != 3367_00 || len(both.Items) != 5 {
			t.Fatalf("preview with contracted prices %+v %v", both, err)
		}

		auditBefore, _ := db.SearchAudit(f.sys, audit.Filter{Limit: 1000})
		// A failure midway (the second placement's price) leaves nothing
		// changed: no contracted price, no first placement price, no uplift.
		fault(t, db, gamma.ID)
		_, err = db.ApplyUplift(f.comm, u)
		if err == nil || !strings.Contains(err.Error(), "injected fault") {
			t.Fatalf("the uplift with a fault midway: %v", err)
		}
		if p, _ := db.Placement(f.broker, beta.ID); len(p.Prices) != 1 {
			t.Fatalf("after a failed uplift Beta's prices are %+v", p.Prices)
		}
		if cps, _ := db.ContractedPrices(f.comm, pricing.ContractedFilter{History: true}); len(cps) != 3 {
			t.Fatalf("after a failed uplift there are %d contracted prices", len(cps))
		}
		if ups, _ := db.ListUplifts(f.comm); len(ups) != 0 {
			t.Fatalf("after a failed uplift: %+v", ups)
		}
		if recs, _ := db.SearchAudit(f.sys, audit.Filter{Limit: 1000}); len(recs) != len(auditBefore) {
			t.Fatalf("a failed uplift left %d audit records", len(recs)-len(auditBefore))
		}
		unfault(t, db)

		applied, err := db.ApplyUplift(f.comm, u)
		if err != nil {
			t.Fatal(err)
		}
		if applied.PlacementsAnnualChange != both.PlacementsAnnualChange || applied.TotalAnnualChange != both.TotalAnnualChange ||
			fmt.Sprint(applied.Placements) != fmt.Sprint(both.Placements) {
			t.Errorf("applied %+v, previewed %+v", applied, both)
		}
		// The weekly cost in force from the date is the preview's, item for
		// item; the history keeps the old price; the top-up is untouched.
		for _, e := range both.Items {
			if e.Kind != pricing.UpliftPlacement {
				continue
			}
			p, err := db.Placement(f.broker, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			last := p.Prices[len(p.Prices)-1]
			if len(p.Prices) != 2 || priceOn(p, "2026-04-06") != e.New || priceOn(p, "2026-04-05") != e.Price || last.Reason == "" {
				t.Errorf("placement %d prices %+v, previewed %+v", e.ID, p.Prices, e)
			}
			if e.ID == beta.ID && (p.TopUp != 75_00 || p.TopUpPayer != "Daughter") {
				t.Errorf("the top-up changed: %+v", p)
			}
		}
		if p, _ := db.Placement(f.broker, alpha.ID); len(p.Prices) != 1 || p.WeeklyCost != 1100_00 {
			t.Errorf("a placement that ended before the uplift changed: %+v", p.Prices)
		}
		if ups, _ := db.ListUplifts(f.comm); len(ups) != 1 || !ups[0].Placements || ups[0].Items != 5 {
			t.Errorf("uplifts = %+v", ups)
		}
		if recs, _ := db.SearchAudit(f.sys, audit.Filter{EntityType: "placement", EntityID: fmt.Sprint(beta.ID)}); len(recs) == 0 || recs[0].Action != "placement.price" {
			t.Errorf("placement audit %+v", recs)
		}
		_, err = db.ApplyUplift(f.comm, u)
		mustCode(t, err, caremarket.ECONFLICT)
		if p, _ := db.Placement(f.broker, beta.ID); len(p.Prices) != 2 {
			t.Errorf("a refused uplift changed prices: %+v", p.Prices)
		}
	})
}

// fault makes recording a price for placement id fail, as a database
// failure would midway through an uplift.
func fault(t testing.TB, db *storage.DB, id int64) {
	t.Helper()
	stmts := []string{fmt.Sprintf(`CREATE TRIGGER uplift_fault BEFORE INSERT ON placement_prices WHEN NEW.placement_id = %d
		BEGIN SELECT RAISE(ABORT, 'injected fault'); END`, id)}
	if db.Driver() == "postgres" {
		stmts = []string{fmt.Sprintf(`CREATE FUNCTION uplift_fault() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.placement_id = %d THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`, id),
			`CREATE TRIGGER uplift_fault BEFORE INSERT ON placement_prices FOR EACH ROW EXECUTE FUNCTION uplift_fault()`}
	}
	for _, s := range stmts {
		if _, err := db.SQL().Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func unfault(t testing.TB, db *storage.DB) {
	t.Helper()
	s := `DROP TRIGGER uplift_fault`
	if db.Driver() == "postgres" {
		s = `DROP TRIGGER uplift_fault ON placement_prices`
	}
	if _, err := db.SQL().Exec(s); err != nil {
		t.Fatal(err)
	}
}

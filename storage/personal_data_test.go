package storage_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestPersonalData: the identity view log needs a reason; a subject access
// export holds every record about one person and nothing about another;
// the retention purge removes identities that are due, leaves the others,
// keeps the anonymised records, and the audit chain still verifies.
func TestPersonalData(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		ctx := context.Background()
		admin := storagetest.As(f.sys, caremarket.RoleAdmin, 0)

		// Edith is placed with Alpha, and the placement ends; Walter's need
		// is cancelled; Agnes is placed and still in her home.
		edith := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		o, err := db.MakeOffer(f.broker, edith.ID, brokerage.OfferRequest{ExpiresIn: 4 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		placed, err := db.AcceptOffer(f.provider(o2LocationOf(f, o)), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.EndPlacement(f.broker, placed.ID, procurement.Date(2026, 6, 1), "Returned home"); err != nil {
			t.Fatal(err)
		}
		walter := &brokerage.Requirement{CaseReference: "MOS-200002", ServiceType: market.Nursing, StartDate: procurement.Date(2026, 3, 9),
			AreaID: f.thanet.ID, Method: brokerage.ByDirectAward}
		if err := db.CreateRequirement(f.broker, walter, &brokerage.Person{FullName: "Walter Hale", Address: "9 Cliff Road, Broadstairs", Postcode: "CT10 1AA"}); err != nil {
			t.Fatal(err)
		}
		if err := db.CancelRequirement(f.broker, walter.ID, "Moved to live with family"); err != nil {
			t.Fatal(err)
		}
		agnes := &brokerage.Requirement{CaseReference: "MOS-300003", ServiceType: market.Nursing, StartDate: procurement.Date(2026, 3, 9),
			AreaID: f.thanet.ID, Method: brokerage.ByDirectAward}
		if err := db.CreateRequirement(f.broker, agnes, &brokerage.Person{FullName: "Agnes Bell", Address: "1 High Street, Ramsgate", Postcode: "CT11 9AA"}); err != nil {
			t.Fatal(err)
		}
		o2, err := db.MakeOffer(f.broker, agnes.ID, brokerage.OfferRequest{ExpiresIn: 4 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AcceptOffer(f.provider(o2LocationOf(f, o2)), o2.ID); err != nil {
			t.Fatal(err)
		}

		// Viewing needs a reason, and is logged.
		if _, err := db.ViewPerson(f.broker, edith.ID, ""); caremarket.ErrorCode(err) != caremarket.EINVALID {
			t.Fatalf("view without a reason: %v, want invalid", err)
		}
		if p, err := db.ViewPerson(f.broker, edith.ID, brokerage.ViewReview); err != nil || p.FullName != "Edith Crawley" {
			t.Fatalf("view with a reason: %+v %v", p, err)
		}
		views, err := db.IdentityViews(admin, brokerage.IdentityViewFilter{CaseReference: "MOS-100001"})
		if err != nil || len(views) != 1 || views[0].Reason != brokerage.ViewReview || views[0].RequirementID != edith.ID {
			t.Fatalf("identity view log: %+v %v", views, err)
		}
		if _, err := db.IdentityViews(f.broker, brokerage.IdentityViewFilter{}); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Fatalf("a broker searching the view log: %v, want forbidden", err)
		}

		// Subject access: found by name or date-free search, exported whole.
		found, err := db.FindPeople(admin, brokerage.SubjectQuery{Name: "crawley"})
		if err != nil || len(found) != 1 || found[0].CaseReference != "MOS-100001" {
			t.Fatalf("find by name: %+v %v", found, err)
		}
		sar, err := db.SubjectAccessExport(admin, "MOS-100001")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(sar)
		for _, want := range []string{"Edith Crawley", "4 Marine Parade", `"placement.end"`, `"requirement.create"`, `"review"`} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("subject access export lacks %s", want)
			}
		}
		for _, other := range []string{"Walter", "Agnes", "MOS-200002", "MOS-300003", "Cliff Road"} {
			if strings.Contains(string(raw), other) {
				t.Errorf("subject access export for Edith mentions %s", other)
			}
		}
		if len(sar.Placements) != 1 || len(sar.Offers) != 1 || len(sar.Requirements) != 1 {
			t.Errorf("export: %d placements, %d offers, %d requirements, want 1 each", len(sar.Placements), len(sar.Offers), len(sar.Requirements))
		}

		// The purge: rules of 1 month either way; a year on, Edith (ended
		// 1 June 2026) and Walter (cancelled) are due, Agnes (still placed) is not.
		if err := db.SetRetentionRules(f.broker, brokerage.RetentionRules{UnplacedMonths: 1, EndedPlacementMonths: 1}); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Fatalf("a broker setting retention: %v, want forbidden", err)
		}
		if err := db.SetRetentionRules(admin, brokerage.RetentionRules{UnplacedMonths: 1, EndedPlacementMonths: 1}); err != nil {
			t.Fatal(err)
		}
		purged, err := db.PurgeIdentities(admin, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, p := range purged {
			got[p.CaseReference] = p.Rule
		}
		if len(got) != 2 || got["MOS-100001"] == "" || got["MOS-200002"] == "" {
			t.Fatalf("purged %+v, want Edith and Walter", purged)
		}
		if p, err := db.Person(f.broker, edith.ID); err != nil || p.FullName != brokerage.PurgedMarker || p.Postcode != "" || p.DateOfBirth != nil {
			t.Errorf("Edith after the purge: %+v %v", p, err)
		}
		if p, err := db.Person(f.broker, agnes.ID); err != nil || p.FullName != "Agnes Bell" {
			t.Errorf("Agnes after the purge: %+v %v", p, err)
		}
		if r, err := db.Requirement(f.broker, edith.ID); err != nil || r.CaseReference != "MOS-100001" {
			t.Errorf("the anonymised requirement must stay: %+v %v", r, err)
		}
		if again, err := db.PurgeIdentities(admin, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(again) != 0 {
			t.Errorf("a second purge: %+v %v, want nothing", again, err)
		}
		if n, broken, err := db.VerifyAudit(ctx); err != nil || broken != nil {
			t.Fatalf("audit chain after the purge: %d records, break %+v, %v", n, broken, err)
		}
	})
}

// o2LocationOf returns the fixture location an offer went to.
func o2LocationOf(f *brokerFixture, o *brokerage.Offer) *market.Location {
	for _, l := range []*market.Location{f.alpha, f.beta, f.gamma, f.delta} {
		if l.ID == o.LocationID {
			return l
		}
	}
	return f.alpha
}

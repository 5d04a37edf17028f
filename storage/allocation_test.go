package storage_test

import (
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestAllocationBatch: the last contracted bed in Thanet (Beta) is wanted
// by a Canterbury person who came first (Beta is their neighbouring
// area's) and a Thanet person (their own area's). One at a time, the first
// takes it and the second goes off contract to Delta; the batch gives the
// bed to the Thanet person. The broker enters the off-contract cost, sends
// both offers as normal offers, and Beta accepts.
func TestAllocationBatch(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		for _, l := range []*market.Location{f.alpha, f.gamma} {
			if err := db.SetVacancy(f.sys, &market.Vacancy{LocationID: l.ID, ServiceType: market.Nursing, Vacancies: 0}); err != nil {
				t.Fatal(err)
			}
		}
		first := &brokerage.Requirement{CaseReference: "MOS-1", ServiceType: market.Nursing, StartDate: f.now.AddDate(0, 0, 7), AreaID: f.canterbury.ID}
		if err := db.CreateRequirement(f.broker, first, &brokerage.Person{FullName: "Ann Smith", Address: "1 High Street", Postcode: "CT1 1AA"}); err != nil {
			t.Fatal(err)
		}
		f.requirement(t, market.Nursing, brokerage.ByDirectAward)

		// Only brokers plan; a provider sees nothing of it.
		_, err := db.PreviewAllocation(f.comm, nil)
		mustCode(t, err, caremarket.EFORBIDDEN)
		_, err = db.PreviewAllocation(f.broker, []int64{first.ID, first.ID})
		mustCode(t, err, caremarket.EINVALID)

		b, err := db.PreviewAllocation(f.broker, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Lines) != 2 || b.Lines[0].RequirementID != first.ID {
			t.Fatalf("lines %+v", b.Lines)
		}
		if b.Totals.OwnArea != 1 || b.Totals.OffContract != 1 || b.OneAtATimeTotals.OwnArea != 0 || b.OneAtATimeTotals.Neighbouring != 1 {
			t.Fatalf("plan %+v, one at a time %+v", b.Totals, b.OneAtATimeTotals)
		}
		if l := b.Lines[1]; l.LocationID != f.beta.ID || l.Stage != brokerage.StageLocal {
			t.Fatalf("second %+v", l)
		}
		if l := b.Lines[0]; l.LocationID != f.delta.ID || l.Stage != brokerage.StageOffContract || !strings.Contains(l.Proposed.Why, "MOS-100001") {
			t.Fatalf("first %+v", l)
		}
		if _, err := db.Allocation(f.provider(f.beta), b.ID); caremarket.ErrorCode(err) == "" {
			t.Fatal("a provider read a batch")
		}
		other, _ := storagetest.Council(t, db, "surrey", "Elmbridge")
		if _, err := db.Allocation(storagetest.As(other, caremarket.RoleBroker, 0), b.ID); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
			t.Fatalf("another council: %v", err)
		}

		// The first person may only go to Delta while the second holds Beta.
		st, choices, err := db.AllocationChoices(f.broker, b.ID, first.ID)
		if err != nil || st != brokerage.StageOffContract || len(choices) != 1 || choices[0].LocationID != f.delta.ID {
			t.Fatalf("choices %v %+v %v", st, choices, err)
		}
		_, err = db.EditAllocation(f.broker, b.ID, brokerage.LineEdit{RequirementID: first.ID, LocationID: f.beta.ID})
		mustCode(t, err, caremarket.EINVALID)
		b, err = db.EditAllocation(f.broker, b.ID, brokerage.LineEdit{RequirementID: first.ID, LocationID: f.delta.ID, WeeklyCost: 1250_00})
		if err != nil {
			t.Fatal(err)
		}
		if !b.Lines[0].Edited || b.Lines[0].WeeklyCost != 1250_00 {
			t.Fatalf("edited %+v", b.Lines[0])
		}

		b, err = db.SendAllocation(f.broker, b.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != brokerage.BatchSent || b.Lines[0].OfferID == 0 || b.Lines[1].OfferID == 0 {
			t.Fatalf("sent %+v", b.Lines)
		}
		_, err = db.SendAllocation(f.broker, b.ID, nil)
		mustCode(t, err, caremarket.ECONFLICT)
		o, err := db.Offer(f.broker, b.Lines[0].OfferID)
		if err != nil || o.Stage != brokerage.StageOffContract || o.WeeklyCost != 1250_00 || !strings.Contains(o.OffContractReason, "batch") {
			t.Fatalf("off-contract offer %+v %v", o, err)
		}
		// A normal offer: Beta accepts, the bed is taken.
		p, err := db.AcceptOffer(f.provider(f.beta), b.Lines[1].OfferID)
		if err != nil {
			t.Fatal(err)
		}
		if p.LocationID != f.beta.ID || vacanciesOf(t, db, f.sys, f.beta.ID, market.Nursing) != 0 {
			t.Fatalf("placement %+v", p)
		}
		// Nothing is waiting any more.
		_, err = db.PreviewAllocation(f.broker, nil)
		mustCode(t, err, caremarket.EINVALID)
	})
}

// TestAllocationSendRefusesStaleLines: a line whose requirement got an
// offer meanwhile is left unsent with the reason; the others go.
func TestAllocationSendRefusesStaleLines(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		r1 := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		r2 := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		b, err := db.PreviewAllocation(f.broker, []int64{r2.ID, r1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if b.Totals.OwnArea != 2 {
			t.Fatalf("plan %+v", b.Totals)
		}
		if _, err := db.MakeOffer(f.broker, r1.ID, brokerage.OfferRequest{}); err != nil {
			t.Fatal(err)
		}
		b, err = db.SendAllocation(f.broker, b.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b.Lines[0].OfferID != 0 || !strings.HasPrefix(b.Lines[0].Outcome, "Not sent") || b.Lines[1].OfferID == 0 {
			t.Fatalf("lines %+v", b.Lines)
		}
	})
}

package storage_test

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestBrokerWorkflow: the broker chooses who is offered the care (a
// reason when passing over a higher-ranked home, reported to
// commissioning), withdraws, sends again and extends offers; urgency
// shortens offers; notes stay with the council; the board is searched.
func TestBrokerWorkflow(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		// Stage 1 in Thanet ranks Beta (cheaper) above Alpha.
		_, err := db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{LocationID: f.alpha.ID})
		if caremarket.ErrorFields(err)["skip_reason"] == "" {
			t.Fatalf("offering to Alpha over Beta without a reason: %v", err)
		}
		o, err := db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{LocationID: f.alpha.ID, SkipReason: "Husband lives at Alpha"})
		if err != nil || o.LocationID != f.alpha.ID || o.Rank != 2 {
			t.Fatalf("offer to Alpha: %+v %v", o, err)
		}
		skips, err := db.SkipReports(f.comm, 0)
		if err != nil || len(skips) != 1 || skips[0].LocationID != f.beta.ID || skips[0].CaseReference != r.CaseReference {
			t.Fatalf("skips reported to commissioning: %+v %v", skips, err)
		}
		if _, err := db.SkipReports(f.provider(f.beta), 0); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a provider reads the skip report: %v", err)
		}

		// Extend, then withdraw.
		ext, err := db.ExtendOffer(f.broker, o.ID, 24*time.Hour)
		if err != nil || !ext.ExpiresAt.Equal(o.OfferedAt.Add(48*time.Hour)) {
			t.Fatalf("extend: %+v %v", ext, err)
		}
		if _, err := db.ExtendOffer(f.provider(f.alpha), o.ID, time.Hour); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a provider extends its own offer: %v", err)
		}
		if _, err := db.WithdrawOffer(f.broker, o.ID, " "); caremarket.ErrorFields(err)["withdraw_reason"] == "" {
			t.Errorf("withdraw without a reason: %v", err)
		}
		w, err := db.WithdrawOffer(f.broker, o.ID, "Family changed their mind")
		if err != nil || w.Status != brokerage.OfferWithdrawn {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
		if got, err := db.Offer(f.provider(f.alpha), o.ID); err != nil || got.Status != brokerage.OfferWithdrawn {
			t.Errorf("Alpha sees its offer as %+v %v", got, err)
		}
		if _, err := db.WithdrawOffer(f.broker, o.ID, "again"); caremarket.ErrorCode(err) != caremarket.ECONFLICT {
			t.Errorf("withdraw twice: %v", err)
		}

		// Send it again to Alpha: still passing over Beta, so a reason again.
		if _, err := db.ResendOffer(f.broker, o.ID, brokerage.OfferRequest{}); caremarket.ErrorFields(err)["skip_reason"] == "" {
			t.Fatalf("re-send over Beta without a reason: %v", err)
		}
		again, err := db.ResendOffer(f.broker, o.ID, brokerage.OfferRequest{SkipReason: "Family want Alpha after all"})
		if err != nil || again.LocationID != f.alpha.ID || again.Status != brokerage.OfferPending || again.ID == o.ID {
			t.Fatalf("re-send: %+v %v", again, err)
		}
		if _, err := db.ResendOffer(f.broker, again.ID, brokerage.OfferRequest{}); caremarket.ErrorCode(err) != caremarket.ECONFLICT {
			t.Errorf("re-sending a pending offer: %v", err)
		}
		if _, err := db.WithdrawOffer(f.broker, again.ID, "Urgent now: ask the top-ranked first"); err != nil {
			t.Fatal(err)
		}

		// Urgent: offers default to 2 hours and stay under 4.
		past := f.now.Add(-time.Hour)
		if err := db.SetUrgency(f.broker, &brokerage.Urgency{RequirementID: r.ID, Urgent: true, Reason: "Discharge", NeededBy: &past}); caremarket.ErrorFields(err)["needed_by"] == "" {
			t.Errorf("needed by in the past: %v", err)
		}
		by := f.now.Add(6 * time.Hour)
		if err := db.SetUrgency(f.broker, &brokerage.Urgency{RequirementID: r.ID, Urgent: true, Reason: "Hospital discharge", NeededBy: &by}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetUrgency(f.provider(f.beta), &brokerage.Urgency{RequirementID: r.ID}); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a provider sets urgency: %v", err)
		}
		if _, err := db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{ExpiresIn: 24 * time.Hour}); caremarket.ErrorFields(err)["expires_in_hours"] == "" {
			t.Errorf("an urgent offer open for a day: %v", err)
		}
		top, err := db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{})
		if err != nil || top.LocationID != f.beta.ID || !top.ExpiresAt.Equal(top.OfferedAt.Add(2*time.Hour)) {
			t.Fatalf("urgent offer to the top-ranked: %+v %v", top, err)
		}
		if _, err := db.ExtendOffer(f.broker, top.ID, 3*time.Hour); caremarket.ErrorFields(err)["extend_hours"] == "" {
			t.Errorf("an urgent offer extended past 4 hours: %v", err)
		}
		// Beta sees that it is urgent and by when, not the broker's reason;
		// Gamma, not offered it, sees nothing.
		u, err := db.Urgencies(f.provider(f.beta), []int64{r.ID})
		if err != nil || !u[r.ID].Urgent || u[r.ID].NeededBy == nil || u[r.ID].Reason != "" {
			t.Errorf("Beta's view of the urgency: %+v %v", u, err)
		}
		if u, err := db.Urgencies(f.provider(f.gamma), []int64{r.ID}); err != nil || len(u) != 0 {
			t.Errorf("Gamma's view of the urgency: %+v %v", u, err)
		}

		// Notes: the council's only.
		if _, err := db.AddNote(f.broker, r.ID, ""); caremarket.ErrorFields(err)["body"] == "" {
			t.Errorf("an empty note: %v", err)
		}
		if _, err := db.AddNote(f.broker, r.ID, "Daughter is the contact: call after 5pm"); err != nil {
			t.Fatal(err)
		}
		if ns, err := db.Notes(f.comm, r.ID); err != nil || len(ns) != 1 || ns[0].CreatedBy == "" {
			t.Errorf("the commissioner reads the notes: %+v %v", ns, err)
		}
		if _, err := db.Notes(f.provider(f.beta), r.ID); err == nil {
			t.Error("a provider offered the requirement reads its notes")
		}
		if _, err := db.AddNote(f.provider(f.beta), r.ID, "hello"); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a provider adds a note: %v", err)
		}

		// The board: urgent first; filters; paging.
		r2 := f.requirement(t, market.Homecare, brokerage.ByMiniCompetition)
		page, err := db.SearchRequirements(f.broker, brokerage.RequirementQuery{PerPage: 1})
		if err != nil || page.Total != 2 || len(page.Requirements) != 1 || page.Requirements[0].ID != r.ID || !page.Urgency[0].Urgent {
			t.Fatalf("board page 1: %+v %v", page, err)
		}
		if page, err := db.SearchRequirements(f.broker, brokerage.RequirementQuery{Page: 2, PerPage: 1}); err != nil || len(page.Requirements) != 1 || page.Requirements[0].ID != r2.ID {
			t.Errorf("board page 2: %+v %v", page, err)
		}
		for _, c := range []struct {
			q    brokerage.RequirementQuery
			want int
		}{
			{brokerage.RequirementQuery{Urgent: true}, 1},
			{brokerage.RequirementQuery{ServiceType: market.Homecare}, 1},
			{brokerage.RequirementQuery{AreaID: f.maid.ID}, 0},
			{brokerage.RequirementQuery{CaseReference: "mos-1000"}, 2},
			{brokerage.RequirementQuery{CaseReference: "MOS_"}, 0},
			{brokerage.RequirementQuery{Status: brokerage.StatusPlaced}, 0},
		} {
			page, err := db.SearchRequirements(f.broker, c.q)
			if err != nil || page.Total != c.want {
				t.Errorf("search %+v: %d found, %v; want %d", c.q, page.Total, err, c.want)
			}
		}
		if _, err := db.SearchRequirements(f.provider(f.beta), brokerage.RequirementQuery{}); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a provider searches the board: %v", err)
		}
	})
}

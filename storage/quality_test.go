package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/quality"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func qualityFramework(t testing.TB, db *storage.DB, f *brokerFixture) *quality.Framework {
	t.Helper()
	fw := &quality.Framework{Name: "Kent contract monitoring", Domains: []quality.Domain{
		{Name: "Safeguarding", Questions: []quality.Question{{Text: "Staff know how to raise a safeguarding concern", Evidence: "Training records; staff interviews"}}},
		{Name: "Medication", Questions: []quality.Question{{Text: "Medicines are stored and recorded safely", Evidence: "MAR charts"}}},
	}}
	mustCode(t, db.CreateFramework(f.provider(f.alpha), fw), caremarket.EFORBIDDEN)
	if err := db.CreateFramework(f.comm, fw); err != nil {
		t.Fatal(err)
	}
	return fw
}

func answers(r1, r2 quality.Rating) []quality.Answer {
	return []quality.Answer{{QuestionKey: "D1Q1", Rating: r1, Note: "seen"}, {QuestionKey: "D2Q1", Rating: r2}}
}

// TestQualityVisitsActionsRisk: an officer records a visit to Beta and
// publishes it with an overdue action; Beta sees and answers it, Alpha sees
// nothing of Beta's (404); the evidence is returned then accepted and Beta's
// risk falls; the lot's minimum audit rating takes Beta out of the cascade.
func TestQualityVisitsActionsRisk(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		fw := qualityFramework(t, db, f)
		beta, alpha := f.provider(f.beta), f.provider(f.alpha)

		v := &quality.Visit{FrameworkID: fw.ID, LocationID: f.beta.ID, VisitDate: procurement.Date(2026, 2, 10), Officers: "J. Smith", Answers: answers(quality.Poor, quality.Good)}
		mustCode(t, db.CreateVisit(beta, v), caremarket.EFORBIDDEN)
		bad := &quality.Visit{FrameworkID: fw.ID, LocationID: f.beta.ID, VisitDate: procurement.Date(2026, 2, 10), Officers: "J. Smith", Answers: answers(quality.Poor, "")}
		mustCode(t, db.CreateVisit(f.comm, bad), caremarket.EINVALID)
		if err := db.CreateVisit(f.comm, v); err != nil {
			t.Fatal(err)
		}
		// Safeguarding Poor (1), Medication Good (3): 1 of 2 domains Poor is half: Poor.
		if v.Overall != quality.Poor || v.ProviderID != f.beta.ProviderID || v.Status != quality.VisitDraft {
			t.Fatalf("visit %+v", v)
		}
		x := &quality.Action{VisitID: v.ID, QuestionKey: "D1Q1", Finding: "Safeguarding training out of date", Owner: "Registered manager", DueDate: procurement.Date(2026, 2, 24)}
		if err := db.AddAction(f.comm, x); err != nil {
			t.Fatal(err)
		}
		if x.Status != quality.ActionOverdue {
			t.Errorf("action due 24 February on 2 March: %s", x.Status)
		}
		// A draft is the council's: the provider does not see it yet.
		_, err := db.Visit(beta, v.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.Action(beta, x.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		if vs, _ := db.ListVisits(beta, quality.VisitFilter{}); len(vs) != 0 {
			t.Errorf("draft listed to provider: %d", len(vs))
		}
		if _, err := db.PublishVisit(f.comm, v.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.PublishVisit(f.comm, v.ID)
		mustCode(t, err, caremarket.ECONFLICT)
		got, err := db.Visit(beta, v.ID)
		if err != nil || len(got.Actions) != 1 || len(got.Working) != 3 {
			t.Fatalf("provider's report: %+v %v", got, err)
		}
		if _, err := db.RespondToVisit(beta, v.ID, "We have booked refresher training for all staff."); err != nil {
			t.Fatal(err)
		}

		// Alpha sees none of Beta's reports, actions, risk or performance.
		_, err = db.Visit(alpha, v.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.RespondToVisit(alpha, v.ID, "not ours")
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.Action(alpha, x.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.SubmitEvidence(alpha, x.ID, "ours?")
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.ProviderRisk(alpha, f.beta.ProviderID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.ProviderPerformance(alpha, f.beta.ProviderID, procurement.Date(2025, 3, 1), procurement.Date(2026, 3, 3))
		mustCode(t, err, caremarket.ENOTFOUND)
		if vs, _ := db.ListVisits(alpha, quality.VisitFilter{ProviderID: f.beta.ProviderID}); len(vs) != 0 {
			t.Errorf("alpha lists beta's visits: %d", len(vs))
		}
		if xs, _ := db.ListActions(alpha, quality.ActionFilter{}); len(xs) != 0 {
			t.Errorf("alpha lists beta's actions: %d", len(xs))
		}

		// Risk: Good CQC (0), audit Poor (2 x 10), 1 overdue action (3) = 23, Medium.
		risk, err := db.ProviderRisk(beta, f.beta.ProviderID)
		if err != nil {
			t.Fatal(err)
		}
		if risk.Score != 23 || risk.Level != quality.RiskMedium {
			t.Errorf("risk %d %s: %v", risk.Score, risk.Level, risk.Locations[0].Working)
		}
		overdue, _ := db.ListActions(f.comm, quality.ActionFilter{Status: quality.ActionOverdue})
		if len(overdue) != 1 {
			t.Errorf("overdue %d", len(overdue))
		}

		// Evidence: returned with a note, sent again, accepted.
		_, err = db.DecideAction(f.comm, x.ID, quality.Decision{Accept: true})
		mustCode(t, err, caremarket.ECONFLICT)
		if _, err := db.SubmitEvidence(beta, x.ID, "Training certificates for 14 of 20 staff"); err != nil {
			t.Fatal(err)
		}
		_, err = db.DecideAction(f.comm, x.ID, quality.Decision{Accept: false})
		mustCode(t, err, caremarket.EINVALID)
		if y, err := db.DecideAction(f.comm, x.ID, quality.Decision{Note: "Send the remaining 6"}); err != nil || y.Stored != quality.ActionOpen {
			t.Fatalf("returned: %+v %v", y, err)
		}
		if _, err := db.SubmitEvidence(beta, x.ID, "All 20 certificates attached"); err != nil {
			t.Fatal(err)
		}
		y, err := db.DecideAction(f.comm, x.ID, quality.Decision{Accept: true, Note: "Thank you"})
		if err != nil || y.Status != quality.ActionAccepted {
			t.Fatalf("accepted: %+v %v", y, err)
		}
		// Complaints counted by date: 2 x 2 = 4; overdue gone: 20 + 4 = 24, Medium.
		mustCode(t, db.RecordEvent(f.comm, &quality.Event{LocationID: f.beta.ID, Kind: "gossip", Date: procurement.Date(2026, 2, 1), Count: 1}), caremarket.EINVALID)
		if err := db.RecordEvent(f.comm, &quality.Event{LocationID: f.beta.ID, Kind: quality.EventComplaint, Date: procurement.Date(2026, 2, 1), Count: 2}); err != nil {
			t.Fatal(err)
		}
		if events, err := db.ListEvents(f.comm, f.beta.ProviderID); err != nil || len(events) != 1 || events[0].Count != 2 {
			t.Errorf("events %+v %v", events, err)
		}
		// Another council's provider is not found, as its other pages are.
		surrey, _ := storagetest.Council(t, db, "surrey")
		_, err = db.ListEvents(storagetest.As(surrey, caremarket.RoleCommissioner, 0), f.beta.ProviderID)
		mustCode(t, err, caremarket.ENOTFOUND)
		risk, _ = db.ProviderRisk(f.comm, f.beta.ProviderID)
		if risk.Score != 24 || risk.Locations[0].Overdue != 0 || risk.Locations[0].Complaints != 2 {
			t.Errorf("risk after: %d %+v", risk.Score, risk.Locations[0].RiskInput)
		}
		watch, err := db.WatchList(f.comm, quality.RiskMedium)
		if err != nil || len(watch) == 0 || watch[0].ProviderID != f.beta.ProviderID {
			t.Errorf("watch list %+v %v", watch, err)
		}
		_, err = db.WatchList(beta, quality.RiskLow)
		mustCode(t, err, caremarket.EFORBIDDEN)
		// Heavier weights move the level.
		w := quality.DefaultWeights
		w.AuditRating = 20
		if err := db.SetRiskWeights(f.comm, w); err != nil {
			t.Fatal(err)
		}
		if risk, _ = db.ProviderRisk(f.comm, f.beta.ProviderID); risk.Score != 44 || risk.Level != quality.RiskVeryHigh {
			t.Errorf("reweighted %d %s", risk.Score, risk.Level)
		}

		// A lot's minimum audit rating takes Beta (Poor) out of the cascade,
		// with the reason, as CQC Inadequate does.
		r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		res, _ := db.Cascade(f.broker, r.ID)
		if res.Top().LocationID != f.beta.ID {
			t.Fatalf("before the minimum: top %d", res.Top().LocationID)
		}
		mustCode(t, db.SetLotMinimum(beta, f.nursingLot.ID, quality.Good), caremarket.EFORBIDDEN)
		if err := db.SetLotMinimum(f.comm, f.nursingLot.ID, quality.Good); err != nil {
			t.Fatal(err)
		}
		res, _ = db.Cascade(f.broker, r.ID)
		if res.Top().LocationID != f.alpha.ID {
			t.Errorf("after the minimum: top %d", res.Top().LocationID)
		}
		found := false
		for _, e := range res.Stage(1).Excluded {
			found = found || (e.LocationID == f.beta.ID && strings.Contains(e.Reason, "minimum audit rating"))
		}
		if !found {
			t.Errorf("beta not excluded with the reason: %+v", res.Stage(1).Excluded)
		}
	})
}

// TestQualityPerformance: offers answered and placements made give the
// provider's figures; a provider sees only its own row of the lot's table.
func TestQualityPerformance(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		r := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		o, err := db.MakeOffer(f.broker, r.ID, brokerage.OfferRequest{})
		if err != nil || o.LocationID != f.beta.ID {
			t.Fatalf("offer %+v %v", o, err)
		}
		f.now = f.now.Add(40 * time.Minute)
		if _, err := db.DeclineOffer(f.provider(f.beta), o.ID, "No nurse cover"); err != nil {
			t.Fatal(err)
		}
		pending, err := db.ListOffers(f.broker, brokerage.OfferFilter{RequirementID: r.ID, Status: "pending"})
		if err != nil || len(pending) != 1 || pending[0].LocationID != f.alpha.ID {
			t.Fatalf("the decline moved on to %+v %v", pending, err)
		}
		o2 := pending[0]
		f.now = f.now.Add(90 * time.Minute)
		if _, err := db.AcceptOffer(f.provider(f.alpha), o2.ID); err != nil {
			t.Fatal(err)
		}
		from, to := procurement.Date(2026, 1, 1), procurement.Date(2026, 4, 1)
		pp, err := db.ProviderPerformance(f.provider(f.beta), f.beta.ProviderID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if pp.Offers != 1 || pp.Declined != 1 || pp.MedianResponseMinutes != 40 || pp.AcceptanceRateBP != 0 || pp.DeclineReasons[0].Reason != "No nurse cover" {
			t.Errorf("beta %+v", pp.Figures)
		}
		if len(pp.Lots) != 1 || pp.Lots[0].Ranks[3].Key != "acceptance" || pp.Lots[0].Ranks[3].Rank != 2 {
			t.Errorf("beta's ranks %+v", pp.Lots)
		}
		// Staff see the whole table; alpha first on acceptance (100%).
		lp, err := db.LotPerformance(f.comm, f.nursingLot.ID, from, to, "acceptance")
		if err != nil || len(lp.Rows) != 3 || lp.Rows[0].ProviderID != f.alpha.ProviderID || lp.Rows[0].AcceptanceRateBP != 10000 || lp.Rows[0].MedianResponseMinutes != 90 {
			t.Fatalf("lot table %+v %v", lp, err)
		}
		own, err := db.LotPerformance(f.provider(f.beta), f.nursingLot.ID, from, to, "")
		if err != nil || len(own.Rows) != 1 || own.Rows[0].ProviderID != f.beta.ProviderID || len(own.Ranks) == 0 {
			t.Fatalf("beta's view %+v %v", own, err)
		}
		// The table is kept while nothing changes and worked out afresh
		// after any change: a new offer declined counts at once.
		r2 := f.requirement(t, market.Nursing, brokerage.ByDirectAward)
		o3, err := db.MakeOffer(f.broker, r2.ID, brokerage.OfferRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeclineOffer(f.provider(f.beta), o3.ID, "No bed after all"); err != nil {
			t.Fatal(err)
		}
		again, _ := db.LotPerformance(f.comm, f.nursingLot.ID, from, to, "offers")
		if again.Rows[0].ProviderID != f.beta.ProviderID || again.Rows[0].Offers != 2 {
			t.Errorf("after a new offer, the table still says %+v", again.Rows[0])
		}
		// Delta is not on the lot: not found.
		_, err = db.LotPerformance(f.provider(f.delta), f.nursingLot.ID, from, to, "")
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.LotPerformance(f.comm, f.nursingLot.ID, to, from, "")
		mustCode(t, err, caremarket.EINVALID)

		// Home care delivered hours from a call monitoring export.
		rows := []quality.Delivered{{Line: 2, PlacementID: 99999, WeekStart: procurement.Date(2026, 3, 2), Minutes: 600}}
		_, err = db.UploadDelivered(f.provider(f.alpha), rows)
		mustCode(t, err, caremarket.EINVALID)
		ps, _ := db.ListPlacements(f.broker, brokerage.PlacementFilter{})
		rows = []quality.Delivered{{Line: 2, PlacementID: ps[0].ID, WeekStart: procurement.Date(2026, 3, 2), Minutes: 600}}
		_, err = db.UploadDelivered(f.provider(f.beta), rows)
		mustCode(t, err, caremarket.EINVALID) // not beta's placement
	})
}

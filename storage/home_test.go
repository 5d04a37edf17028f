package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// The home page's evaluator list: submitted applications in the windows the
// evaluator scores, with an answer still to score, less conflicts.
func TestAwaitingMyScore(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		sys, areas := storagetest.Council(t, db, "kent", "Thanet")
		p1, _ := seedProvider(t, db, sys, "Seaview Care", "0000001", areas[0], market.Homecare)
		p2, _ := seedProvider(t, db, sys, "Harbour Homes", "0000002", areas[0], market.Homecare)
		comm := user(t, db, sys, "comm@kent.example", caremarket.RoleCommissioner, 0)
		evalA := user(t, db, sys, "eva@kent.example", caremarket.RoleEvaluator, 0)
		evalB := user(t, db, sys, "evb@kent.example", caremarket.RoleEvaluator, 0)
		evalC := user(t, db, sys, "evc@kent.example", caremarket.RoleEvaluator, 0)
		prov1 := user(t, db, sys, "p1@seaview.example", caremarket.RoleProvider, p1.ID)
		prov2 := user(t, db, sys, "p2@harbour.example", caremarket.RoleProvider, p2.ID)
		now := time.Date(2025, 8, 21, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }

		a := &procurement.Agreement{Reference: "AAHC-2027", Title: "All Age Home Care", Type: procurement.OpenFramework, Regime: procurement.PA2023,
			AnnualValuePence: 8_970_000_000, LifetimeValuePence: 80_700_000_000,
			Start: procurement.Date(2025, 8, 1), End: procurement.Date(2033, 7, 31), Reopenings: []time.Time{procurement.Date(2028, 7, 31), procurement.Date(2031, 7, 31)},
			Lots: []procurement.Lot{{Number: 1, Title: "Homecare Thanet", ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{areas[0].ID},
				CallOff: procurement.DirectAward, Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality}, CallOffTerms: "Terms", Mechanism: "Price then quality"}}}
		if err := db.CreateAgreement(comm, a); err != nil {
			t.Fatal(err)
		}
		w := &procurement.Window{AgreementID: a.ID, Kind: procurement.Tender, Title: "First framework", Opens: now.Add(-24 * time.Hour), Deadline: now.Add(time.Hour),
			LotIDs: []int64{a.Lots[0].ID}, Questions: []procurement.Question{
				{Kind: procurement.Selection, Text: "CQC registration", EvidenceRequired: true},
				{Kind: procurement.Quality, Text: "Safeguarding", Weight: 100, MaxScore: 5, PassMark: 3},
			}}
		if err := db.CreateWindow(comm, w); err != nil {
			t.Fatal(err)
		}
		qSel, qQual := w.Questions[0].ID, w.Questions[1].ID
		var apps []int64
		for _, pctx := range []context.Context{prov1, prov2} {
			app := &procurement.Application{WindowID: w.ID, LotIDs: []int64{a.Lots[0].ID}, Answers: []procurement.Answer{
				{QuestionID: qSel, Text: "Registered", Evidence: "1-200000001"}, {QuestionID: qQual, Text: "Our safeguarding policy"}}}
			if err := db.SaveApplication(pctx, app); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SubmitApplication(pctx, app.ID); err != nil {
				t.Fatal(err)
			}
			apps = append(apps, app.ID)
		}
		now = w.Deadline.Add(time.Hour)
		for _, ev := range []context.Context{evalA, evalB} {
			if err := db.AssignEvaluator(comm, w.ID, caremarket.ActorFrom(ev).UserID, false); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeclareInterests(evalA, w.ID, []int64{p2.ID}, "I used to work for Harbour Homes"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeclareInterests(evalB, w.ID, nil, "No conflicts"); err != nil {
			t.Fatal(err)
		}
		ids := func(ctx context.Context) []int64 {
			t.Helper()
			got, err := db.AwaitingMyScore(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := []int64{}
			for _, g := range got {
				out = append(out, g.ID)
			}
			return out
		}
		if got := ids(evalA); !slices.Equal(got, apps[:1]) {
			t.Fatalf("evaluator A (conflicted with provider 2) awaits %v, want %v", got, apps[:1])
		}
		if got := ids(evalB); !slices.Equal(got, apps) {
			t.Fatalf("evaluator B awaits %v, want %v", got, apps)
		}
		if got := ids(evalC); len(got) != 0 {
			t.Fatalf("unassigned evaluator C awaits %v, want none", got)
		}
		score := func(app, q int64, pass *bool, points int, submit bool) {
			t.Helper()
			s := &procurement.Score{ApplicationID: app, QuestionID: q, Attempt: 1, Pass: pass, Points: points, Comment: "reason"}
			if submit {
				s.SubmittedAt = &now
			}
			if err := db.SaveScore(evalA, s); err != nil {
				t.Fatal(err)
			}
		}
		// A draft score does not take an application off the list; all
		// answers scored and submitted does.
		score(apps[0], qSel, yes(), 0, true)
		score(apps[0], qQual, nil, 4, false)
		if got := ids(evalA); !slices.Equal(got, apps[:1]) {
			t.Fatalf("with a draft score evaluator A awaits %v, want %v", got, apps[:1])
		}
		score(apps[0], qQual, nil, 4, true)
		if got := ids(evalA); len(got) != 0 {
			t.Fatalf("after scoring everything evaluator A awaits %v, want none", got)
		}
		if got := ids(evalB); !slices.Equal(got, apps) {
			t.Fatalf("evaluator B still awaits %v, want %v", got, apps)
		}
		_, err := db.AwaitingMyScore(prov1)
		mustCode(t, err, caremarket.EFORBIDDEN)
	})
}

// A provider's own vacancy figures, and no one else's.
func TestOwnVacancies(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		sys, areas := storagetest.Council(t, db, "kent", "Thanet")
		p1, l1 := seedProvider(t, db, sys, "Seaview Care", "0000001", areas[0], market.Homecare)
		p2, l2 := seedProvider(t, db, sys, "Harbour Homes", "0000002", areas[0], market.Homecare)
		prov1 := user(t, db, sys, "p1@seaview.example", caremarket.RoleProvider, p1.ID)
		prov2 := user(t, db, sys, "p2@harbour.example", caremarket.RoleProvider, p2.ID)
		for _, x := range []struct {
			ctx context.Context
			loc int64
			n   int
		}{{prov1, l1.ID, 3}, {prov2, l2.ID, 5}} {
			if err := db.SetVacancy(x.ctx, &market.Vacancy{LocationID: x.loc, ServiceType: market.Homecare, Vacancies: x.n}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.OwnVacancies(prov1)
		if err != nil || len(got) != 1 || got[0].LocationID != l1.ID || got[0].Vacancies != 3 || got[0].UpdatedAt.IsZero() {
			t.Fatalf("provider 1's own vacancies: %+v (%v)", got, err)
		}
		_, err = db.OwnVacancies(storagetest.As(sys, caremarket.RoleBroker, 0))
		mustCode(t, err, caremarket.EFORBIDDEN)
	})
}

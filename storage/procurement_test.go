package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/procurement/ocdstest"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// user creates an account and returns a context acting as it.
func user(t testing.TB, db *storage.DB, sys context.Context, email string, role caremarket.Role, providerID int64) context.Context {
	t.Helper()
	u := &access.User{Email: email, Role: role, ProviderID: providerID}
	if err := db.CreateUser(sys, u); err != nil {
		t.Fatal(err)
	}
	a := caremarket.ActorFrom(sys)
	u.CouncilID, u.CouncilSlug = a.CouncilID, a.CouncilSlug
	return caremarket.NewContext(context.Background(), u.Actor())
}

func yes() *bool { b := true; return &b }

// TestProcurementJourney runs an open framework from set-up to contract on
// each database: the law on set-up, the deadline by the server clock, blind
// scoring, moderation, resubmission, awards, assessment summaries, the
// standstill across the August bank holiday, provider isolation (404s), the
// audit trail and a valid OCDS export.
func TestProcurementJourney(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		sys, areas := storagetest.Council(t, db, "kent", "Thanet", "Dover")
		p1, _ := seedProvider(t, db, sys, "Seaview Care", "0000001", areas[0], market.Homecare)
		p2, _ := seedProvider(t, db, sys, "Harbour Homes", "0000002", areas[1], market.Homecare)
		comm := user(t, db, sys, "comm@kent.example", caremarket.RoleCommissioner, 0)
		evalA := user(t, db, sys, "eva@kent.example", caremarket.RoleEvaluator, 0)
		evalB := user(t, db, sys, "evb@kent.example", caremarket.RoleEvaluator, 0)
		prov1 := user(t, db, sys, "p1@seaview.example", caremarket.RoleProvider, p1.ID)
		prov2 := user(t, db, sys, "p2@harbour.example", caremarket.RoleProvider, p2.ID)
		broker := storagetest.As(sys, caremarket.RoleBroker, 0)

		// Thursday 21 August 2025, 10:00 London: the clock the server trusts.
		now := time.Date(2025, 8, 21, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }

		a := &procurement.Agreement{Reference: "AAHC-2027", Title: "All Age Home Care", Type: procurement.OpenFramework, Regime: procurement.PA2023,
			AllowResubmission: true, AnnualValuePence: 8_970_000_000, LifetimeValuePence: 80_700_000_000,
			Start: procurement.Date(2025, 8, 1), End: procurement.Date(2033, 7, 31), Reopenings: []time.Time{procurement.Date(2028, 7, 31), procurement.Date(2031, 7, 31)},
			Lots: []procurement.Lot{{Number: 1, Title: "Homecare Thanet", ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{areas[0].ID},
				CallOff: procurement.DirectAward, Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality}, CallOffTerms: "Terms", Mechanism: "Price then quality"}}}
		// Only commissioners and admins set up; the law is checked.
		mustCode(t, db.CreateAgreement(broker, a), caremarket.EFORBIDDEN)
		nine := *a
		nine.End = procurement.Date(2034, 7, 31)
		mustCode(t, db.CreateAgreement(comm, &nine), caremarket.EINVALID)
		if err := db.CreateAgreement(comm, a); err != nil {
			t.Fatal(err)
		}
		lot := a.Lots[0]
		got, err := db.AgreementByReference(prov1, "aahc-2027")
		if err != nil || len(got.Lots) != 1 || len(got.Reopenings) != 2 || !got.End.Equal(a.End) {
			t.Fatalf("agreement read back: %+v %v", got, err)
		}
		// A change that breaks s.49(2) is refused; the first reopening moves to year 4.
		bad := *got
		bad.Reopenings = []time.Time{procurement.Date(2029, 7, 31), procurement.Date(2031, 7, 31)}
		mustCode(t, db.UpdateAgreement(comm, &bad), caremarket.EINVALID)
		// Adding a lot without call-off terms for direct award is refused (s.45(4)).
		mustCode(t, db.AddLot(comm, a.ID, &procurement.Lot{Title: "Prisons", ServiceTypes: []market.ServiceType{market.Prisons},
			AreaIDs: []int64{areas[1].ID}, CallOff: procurement.DirectAward}), caremarket.EINVALID)

		w := &procurement.Window{AgreementID: a.ID, Kind: procurement.Tender, Title: "First framework", Opens: now.Add(-24 * time.Hour), Deadline: now.Add(time.Hour),
			LotIDs: []int64{lot.ID}, Questions: []procurement.Question{
				{Kind: procurement.Selection, Text: "CQC registration", EvidenceRequired: true},
				{Kind: procurement.Quality, Text: "Safeguarding", Weight: 100, MaxScore: 5, PassMark: 3},
			}}
		mustCode(t, db.CreateWindow(evalA, w), caremarket.EFORBIDDEN)
		if err := db.CreateWindow(comm, w); err != nil {
			t.Fatal(err)
		}
		qSel, qQual := w.Questions[0].ID, w.Questions[1].ID

		// Providers draft and submit before the deadline.
		app1 := &procurement.Application{WindowID: w.ID, LotIDs: []int64{lot.ID}, Answers: []procurement.Answer{
			{QuestionID: qSel, Text: "Registered", Evidence: "1-200000001"}, {QuestionID: qQual, Text: "Our safeguarding policy"}}}
		mustCode(t, db.SaveApplication(comm, app1), caremarket.EFORBIDDEN)
		if err := db.SaveApplication(prov1, app1); err != nil {
			t.Fatal(err)
		}
		app2 := &procurement.Application{WindowID: w.ID, LotIDs: []int64{lot.ID}, Answers: []procurement.Answer{{QuestionID: qSel, Text: "Registered"}}}
		if err := db.SaveApplication(prov2, app2); err != nil {
			t.Fatal(err)
		}
		// Incomplete: evidence and an answer missing.
		_, err = db.SubmitApplication(prov2, app2.ID)
		mustCode(t, err, caremarket.EINVALID)
		app2.Answers = []procurement.Answer{{QuestionID: qSel, Text: "Registered", Evidence: "1-200000002"}, {QuestionID: qQual, Text: "Thin answer"}}
		if err := db.SaveApplication(prov2, app2); err != nil {
			t.Fatal(err)
		}
		// Drafts are the provider's own: staff do not see them; another provider gets 404.
		_, err = db.Application(comm, app1.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.Application(prov2, app1.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		// Submission on the deadline is in time.
		now = w.Deadline
		if _, err := db.SubmitApplication(prov1, app1.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.SubmitApplication(prov1, app1.ID)
		mustCode(t, err, caremarket.ECONFLICT)
		// A second after the deadline the server refuses, whatever the browser thinks.
		now = w.Deadline.Add(time.Second)
		_, err = db.SubmitApplication(prov2, app2.ID)
		mustCode(t, err, caremarket.ECONFLICT)
		mustCode(t, db.SaveApplication(prov2, app2), caremarket.ECONFLICT)
		now = w.Deadline.Add(-time.Minute) // (test only) let provider 2 in, to score both
		if _, err := db.SubmitApplication(prov2, app2.ID); err != nil {
			t.Fatal(err)
		}
		now = w.Deadline.Add(time.Hour)
		apps, err := db.ListApplications(prov2, procurement.ApplicationFilter{})
		if err != nil || len(apps) != 1 || apps[0].ID != app2.ID {
			t.Fatalf("provider 2 lists %+v (%v), want only its own", apps, err)
		}
		if apps, _ := db.ListApplications(comm, procurement.ApplicationFilter{WindowID: w.ID}); len(apps) != 2 {
			t.Fatalf("commissioner lists %d applications, want 2", len(apps))
		}

		// Evaluation: assign, declare, score blind, moderate.
		uA, uB := caremarket.ActorFrom(evalA).UserID, caremarket.ActorFrom(evalB).UserID
		mustCode(t, db.AssignEvaluator(evalA, w.ID, uA, false), caremarket.EFORBIDDEN)
		if err := db.AssignEvaluator(comm, w.ID, uA, false); err != nil {
			t.Fatal(err)
		}
		if err := db.AssignEvaluator(comm, w.ID, uB, true); err != nil {
			t.Fatal(err)
		}
		score := func(ctx context.Context, app, q int64, pass *bool, points int, submit bool) error {
			s := &procurement.Score{ApplicationID: app, QuestionID: q, Attempt: 1, Pass: pass, Points: points, Comment: "reason"}
			if submit {
				s.SubmittedAt = &now
			}
			return db.SaveScore(ctx, s)
		}
		mustCode(t, score(evalA, app1.ID, qQual, nil, 4, false), caremarket.ECONFLICT) // no declaration yet
		if err := db.DeclareInterests(evalA, w.ID, []int64{p2.ID}, "I used to work for Harbour Homes"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeclareInterests(evalB, w.ID, nil, "No conflicts"); err != nil {
			t.Fatal(err)
		}
		mustCode(t, score(evalA, app2.ID, qQual, nil, 4, false), caremarket.EFORBIDDEN) // conflicted
		mustCode(t, score(prov1, app1.ID, qQual, nil, 5, true), caremarket.ENOTFOUND)
		if err := score(evalA, app1.ID, qQual, nil, 4, false); err != nil {
			t.Fatal(err)
		}
		if err := score(evalB, app1.ID, qQual, nil, 3, true); err != nil {
			t.Fatal(err)
		}
		// A has not submitted: sees only its own draft, not B's submitted score.
		sheet, err := db.ScoreSheet(evalA, app1.ID)
		if err != nil || len(sheet.Scores) != 1 || sheet.Scores[0].EvaluatorID != uA {
			t.Fatalf("blind: evaluator A sees %+v (%v)", sheet, err)
		}
		if err := score(evalA, app1.ID, qQual, nil, 4, true); err != nil {
			t.Fatal(err)
		}
		mustCode(t, score(evalA, app1.ID, qQual, nil, 5, true), caremarket.ECONFLICT) // submitted scores are final
		if sheet, _ := db.ScoreSheet(evalA, app1.ID); len(sheet.Scores) != 2 {
			t.Fatalf("after submitting, evaluator A sees %d scores, want 2", len(sheet.Scores))
		}
		for _, x := range []struct {
			ctx    context.Context
			app, q int64
			pass   *bool
			points int
		}{{evalA, app1.ID, qSel, yes(), 0}, {evalB, app1.ID, qSel, yes(), 0}, {evalB, app2.ID, qSel, yes(), 0}, {evalB, app2.ID, qQual, nil, 2}} {
			if err := score(x.ctx, x.app, x.q, x.pass, x.points, true); err != nil {
				t.Fatal(err)
			}
		}
		mod := func(ctx context.Context, app, q int64, attempt int, pass *bool, points int) error {
			return db.Moderate(ctx, &procurement.Moderation{ApplicationID: app, QuestionID: q, Attempt: attempt, Pass: pass, Points: points, Reason: "Agreed at moderation"})
		}
		mustCode(t, mod(evalA, app1.ID, qQual, 1, nil, 4), caremarket.EFORBIDDEN) // not the moderator
		admin := user(t, db, sys, "admin@kent.example", caremarket.RoleAdmin, 0)
		mustCode(t, mod(admin, app1.ID, qQual, 1, nil, 4), caremarket.EFORBIDDEN) // an admin runs the service, not the evaluation
		for _, x := range []struct {
			app, q int64
			pass   *bool
			points int
		}{{app1.ID, qSel, yes(), 0}, {app1.ID, qQual, nil, 4}, {app2.ID, qSel, yes(), 0}, {app2.ID, qQual, nil, 2}} {
			if err := mod(evalB, x.app, x.q, 1, x.pass, x.points); err != nil {
				t.Fatal(err)
			}
		}
		res, err := db.WindowResults(comm, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Funnel != (procurement.Funnel{Submitted: 2, PassedSelection: 2, PassedQualityFirst: 1, PassedQuality: 1}) {
			t.Fatalf("funnel = %+v", res.Funnel)
		}
		_, err = db.WindowResults(prov1, w.ID)
		mustCode(t, err, caremarket.EFORBIDDEN)

		// Provider 2 failed quality: one resubmission, then no more.
		mustCode(t, db.ResubmitAnswer(prov1, app2.ID, qQual, "x", ""), caremarket.ENOTFOUND)
		if err := db.ResubmitAnswer(prov2, app2.ID, qQual, "A much better answer", ""); err != nil {
			t.Fatal(err)
		}
		mustCode(t, db.ResubmitAnswer(prov2, app2.ID, qQual, "Again", ""), caremarket.ECONFLICT)
		s2 := &procurement.Score{ApplicationID: app2.ID, QuestionID: qQual, Attempt: 2, Points: 3, Comment: "Now meets the standard", SubmittedAt: &now}
		if err := db.SaveScore(evalB, s2); err != nil {
			t.Fatal(err)
		}
		if err := mod(evalB, app2.ID, qQual, 2, nil, 3); err != nil {
			t.Fatal(err)
		}
		res, _ = db.WindowResults(comm, w.ID)
		if res.Funnel.PassedQuality != 2 || res.Funnel.PassedQualityFirst != 1 || res.Results[0].ApplicationID != app1.ID {
			t.Fatalf("after resubmission: %+v", res)
		}

		// Award lot 1 to both; publish on Thursday 21 August 2025.
		mustCode(t, func() error { _, err := db.AwardLot(evalB, w.ID, lot.ID, []int64{app1.ID}); return err }(), caremarket.EFORBIDDEN)
		// Nothing is awarded while the window still takes applications: up
		// to and including its deadline.
		now = w.Deadline
		mustCode(t, func() error { _, err := db.AwardLot(comm, w.ID, lot.ID, []int64{app1.ID}); return err }(), caremarket.ECONFLICT)
		now = w.Deadline.Add(time.Minute)
		awards, err := db.AwardLot(comm, w.ID, lot.ID, []int64{app1.ID, app2.ID})
		if err != nil || len(awards) != 2 {
			t.Fatalf("award: %v", err)
		}
		now = w.Deadline.Add(-40 * time.Minute)
		_, err = db.PublishAwards(comm, w.ID)
		mustCode(t, err, caremarket.ECONFLICT)
		now = time.Date(2025, 8, 21, 10, 30, 0, 0, time.UTC)
		if _, err := db.PublishAwards(comm, w.ID); err != nil {
			t.Fatal(err)
		}
		// The notice is out: the marks are final, the window is closed.
		mustCode(t, mod(evalB, app1.ID, qSel, 1, yes(), 0), caremarket.ECONFLICT)
		mustCode(t, mod(comm, app1.ID, qQual, 1, nil, 1), caremarket.ECONFLICT)
		mustCode(t, db.SaveApplication(prov2, app2), caremarket.ECONFLICT)
		// Summaries: each provider reads its own; another's is not found.
		sum, err := db.AssessmentSummary(prov2, app2.ID)
		if err != nil || sum.ProviderID != p2.ID || sum.SuccessfulScore != 8000 || len(sum.Lines) != 2 {
			t.Fatalf("summary: %+v %v", sum, err)
		}
		_, err = db.AssessmentSummary(prov1, app2.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		_, err = db.ScoreSheet(prov1, app2.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		if sheet, err := db.ScoreSheet(prov2, app2.ID); err != nil || len(sheet.Scores) != 0 || len(sheet.Moderations) != 3 {
			t.Fatalf("provider's own sheet: %+v %v (moderated marks only, no evaluator's scores)", sheet, err)
		}
		if aws, _ := db.ListAwards(prov1, procurement.AwardFilter{}); len(aws) != 1 || aws[0].ProviderID != p1.ID {
			t.Fatalf("provider 1 sees awards %+v", aws)
		}

		// Standstill: PA 2023 s.51, 8 working days from Thu 21 Aug across
		// the August bank holiday weekend: ends Tue 2 Sep.
		ag, _ := db.Agreement(comm, a.ID)
		if ag.Lots[0].Admitted != 2 {
			t.Errorf("lot shows %d admitted providers, want 2", ag.Lots[0].Admitted)
		}
		enter := func(day int) error {
			now = time.Date(2025, 9, day, 9, 0, 0, 0, time.UTC)
			return db.CreateContract(comm, &procurement.Contract{AwardID: awards[0].ID, Reference: "AAHC-2027-1", Title: "Homecare Thanet",
				Start: procurement.Date(2025, 10, 1), InitialEnd: procurement.Date(2028, 7, 31), LifetimeValuePence: 100_000_00})
		}
		mustCode(t, enter(1), caremarket.ECONFLICT)
		mustCode(t, enter(2), caremarket.ECONFLICT)
		if err := enter(3); err != nil {
			t.Fatal(err)
		}
		mustCode(t, enter(4), caremarket.ECONFLICT) // one contract per award

		// The 2019 Care and Support in the Home contract, extended: a 2019 contract's history recorded and read back.
		c := &procurement.Contract{ProviderID: p2.ID, Reference: "CSIH-2019", Title: "Care and Support in the Home",
			Start: procurement.Date(2019, 4, 8), InitialEnd: procurement.Date(2023, 4, 7), Extensions: []procurement.Extension{{Months: 12, Taken: true}, {Months: 36}},
			BreakClauses:     []procurement.BreakClause{{From: procurement.Date(2025, 4, 1), NoticeMonths: 3, Description: "To fit the new service"}},
			AnnualValuePence: 11_000_000_000, LifetimeValuePence: 88_000_000_000, ValueSoFarPence: 7_600_000_000, EnteredOn: procurement.Date(2019, 4, 1)}
		if err := db.CreateContract(comm, c); err != nil {
			t.Fatal(err)
		}
		now = time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC)
		if _, err := db.TakeExtension(comm, c.ID); err != nil {
			t.Fatal(err)
		}
		back, err := db.Contract(prov2, c.ID)
		if err != nil || !back.End.Equal(procurement.Date(2027, 4, 7)) || back.ExtensionMonthsRemaining() != 0 || len(back.BreakClauses) != 1 || back.ValueSoFarPence != 7_600_000_000 {
			t.Fatalf("contract read back: %+v %v", back, err)
		}
		_, err = db.Contract(prov1, c.ID)
		mustCode(t, err, caremarket.ENOTFOUND)

		// Every change is audited.
		checkAudited(t, db, sys, 200, "agreement.create", "window.create", "application.create", "application.submit", "window.declare_interests",
			"score.submit", "moderation.save", "application.resubmit_answer", "award.create", "award.publish_notice", "contract.create", "contract.extend")
		if n, brk, err := db.VerifyAudit(context.Background()); err != nil || brk != nil {
			t.Fatalf("audit chain broken after %d: %+v %v", n, brk, err)
		}

		// The OCDS export validates against the official schema.
		_, err = db.Notices(prov1, a.ID)
		mustCode(t, err, caremarket.EFORBIDDEN)
		n, err := db.Notices(comm, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		pkg := procurement.ReleasePackage(*n, procurement.OCDSOptions{}, now)
		ocdstest.Validate(t, pkg)
		if len(pkg.Releases) != 3 { // tender, award, contract (the 2019 one is outside the agreement)
			t.Errorf("%d releases, want 3", len(pkg.Releases))
		}
	})
}

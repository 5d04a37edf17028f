package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// residentialModel is the worked example of pricing/costmodel_test.go: its
// urban guide price is £751.17 a week (band ±10%: £676.05 to £826.29).
func residentialModel() *pricing.CostModel {
	return &pricing.CostModel{Name: "Residential 2025/26", ServiceType: market.Residential, EffectiveFrom: day(2025, 4, 1),
		PayPremium: 50, OnCosts: pricing.OnCosts{EmployerNI: 1000, Pension: 300, Holiday: 1207, Training: 200, Sickness: 150},
		Overheads: 1000, Return: 500, Bands: []pricing.NeedBand{{Code: "standard", Label: "Standard", CareHoursPerWeek: 245000}},
		Urban: pricing.SettingCosts{NonStaffPerWeek: 25000}, Rural: pricing.SettingCosts{NonStaffPerWeek: 23000}}
}

// adoptModel creates the cost model and adopts it, which sets its guide
// prices.
func adoptModel(t testing.TB, db *storage.DB, ctx context.Context, m *pricing.CostModel) {
	t.Helper()
	if err := db.CreateCostModel(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AdoptCostModel(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
}

// twoHomes is the pricing tests' market: Kent, with Seaview Care
// (residential and nursing, in Thanet) and Harbour Homes (residential, in
// Dover), each with one home.
func twoHomes(t testing.TB, db *storage.DB) (sys context.Context, p1 *market.Provider, l1 *market.Location, p2 *market.Provider, l2 *market.Location) {
	t.Helper()
	sys, areas := storagetest.Council(t, db, "kent", "Thanet", "Dover")
	p1, l1 = seedProvider(t, db, sys, "Seaview Care", "0000001", areas[0], market.Residential, market.Nursing)
	p2, l2 = seedProvider(t, db, sys, "Harbour Homes", "0000002", areas[1], market.Residential)
	return sys, p1, l1, p2, l2
}

// oprnDPS adds the agreement a price round is for, "OPRN DPS", straight
// into the table: a round needs only its id and title.
func oprnDPS(t testing.TB, db *storage.DB, sys context.Context) int64 {
	t.Helper()
	var id int64
	if err := db.SQL().QueryRow(`INSERT INTO agreements (council_id, reference, title, type, regime, start_date, end_date, created_at, updated_at)
		VALUES ($1, 'OPRN-DPS', 'OPRN DPS', 'dps', 'pcr2015', '2016-04-01', '2026-12-31', $2, $2) RETURNING id`,
		caremarket.ActorFrom(sys).CouncilID, time.Now().UTC()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPricingJourney(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		db.Now = func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }
		sys, p1, l1, p2, l2 := twoHomes(t, db)
		comm := storagetest.As(sys, caremarket.RoleCommissioner, 0)
		prov1 := storagetest.As(sys, caremarket.RoleProvider, p1.ID)
		prov2 := storagetest.As(sys, caremarket.RoleProvider, p2.ID)
		finance := storagetest.As(sys, caremarket.RoleFinance, 0)

		// Cost model: draft, adopt, then it is history.
		m := residentialModel()
		mustCode(t, db.CreateCostModel(prov1, m), caremarket.EFORBIDDEN)
		if err := db.CreateCostModel(comm, m); err != nil {
			t.Fatal(err)
		}
		m.PayPremium = 50
		if err := db.UpdateCostModel(comm, m); err != nil {
			t.Fatal(err)
		}
		gs, err := db.AdoptCostModel(comm, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != 2 || gs[0].Price != 75117 || gs[1].Price != 72807 {
			t.Fatalf("adopted guide prices = %+v", gs)
		}
		_, err = db.AdoptCostModel(comm, m.ID)
		mustCode(t, err, caremarket.ECONFLICT)
		mustCode(t, db.UpdateCostModel(comm, m), caremarket.ECONFLICT)
		_, err = db.ListCostModels(prov1, "")
		mustCode(t, err, caremarket.EFORBIDDEN)
		got, err := db.CostModel(comm, m.ID)
		if err != nil || got.Status != pricing.ModelAdopted || got.Bands[0].CareHoursPerWeek != 245000 || !got.EffectiveFrom.Equal(day(2025, 4, 1)) {
			t.Fatalf("cost model read back = %+v, %v", got, err)
		}
		// Providers see guide prices (they price against them), with working.
		guide, err := db.GuidePrices(prov1, pricing.GuideFilter{ServiceType: market.Residential})
		if err != nil || len(guide) != 2 || len(guide[1].Working) == 0 {
			t.Fatalf("guide prices for a provider = %+v, %v", guide, err)
		}
		if before, _ := db.GuidePrices(comm, pricing.GuideFilter{On: day(2025, 3, 31)}); len(before) != 0 {
			t.Errorf("guide prices before their date: %+v", before)
		}

		// A round for an agreement; only Seaview is invited.
		agreementID := oprnDPS(t, db, sys)
		r := &pricing.Round{AgreementID: agreementID, Name: "Spring 2026", OpensOn: day(2026, 3, 1), ClosesOn: day(2026, 3, 31), EffectiveFrom: day(2026, 4, 6)}
		mustCode(t, db.OpenPriceRound(comm, r), caremarket.EINVALID) // no contracted providers to invite
		r.ProviderIDs = []int64{p1.ID}
		if err := db.OpenPriceRound(comm, r); err != nil {
			t.Fatal(err)
		}
		if r.Tolerance != pricing.DefaultTolerance || r.AgreementTitle != "OPRN DPS" {
			t.Errorf("round = %+v", r)
		}
		_, err = db.PriceRound(prov2, r.ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		if rs, _ := db.ListPriceRounds(prov2); len(rs) != 0 {
			t.Errorf("uninvited provider lists rounds %+v", rs)
		}
		if rs, _ := db.ListPriceRounds(prov1); len(rs) != 1 {
			t.Errorf("invited provider lists rounds %+v", rs)
		}

		// A file with errors saves nothing and says which lines.
		bad := []pricing.SubmissionRow{
			{Line: 2, LocationID: l1.ID, ServiceType: market.Residential, Band: "standard", Price: 76000},
			{Line: 3, LocationID: l1.ID, ServiceType: market.Nursing, Band: "standard", Price: 90000},         // no guide, no reason
			{Line: 4, LocationID: l2.ID, ServiceType: market.Residential, Band: "standard", Price: 76000},     // not theirs
			{Line: 5, LocationID: l1.ID, ServiceType: market.ResidentialHigh, Band: "standard", Price: 80000}, // not registered
		}
		_, lineErrs, err := db.SubmitPrices(prov1, r.ID, bad, "csv")
		mustCode(t, err, caremarket.EINVALID)
		if len(lineErrs) != 3 || lineErrs[0].Line != 3 || lineErrs[1].Line != 4 || lineErrs[2].Line != 5 {
			t.Fatalf("line errors = %+v", lineErrs)
		}
		if subs, _ := db.ListSubmissions(comm, pricing.SubmissionFilter{RoundID: r.ID}); len(subs) != 0 {
			t.Fatalf("a file with errors saved %d submissions", len(subs))
		}
		_, _, err = db.SubmitPrices(prov2, r.ID, bad[:1], "form")
		mustCode(t, err, caremarket.ENOTFOUND)

		// Out of band needs a reason: £830 is above £826.29.
		_, _, err = db.SubmitPrices(prov1, r.ID, []pricing.SubmissionRow{{LocationID: l1.ID, ServiceType: market.Residential, Price: 83000}}, "form")
		mustCode(t, err, caremarket.EINVALID)
		subs, lineErrs, err := db.SubmitPrices(prov1, r.ID, []pricing.SubmissionRow{
			{Line: 2, CQCLocationID: l1.CQCLocationID, ServiceType: market.Residential, Price: 83000, Reason: "agency nurses"},
			{Line: 3, LocationID: l1.ID, ServiceType: market.Nursing, Band: "standard", Price: 90000, Reason: "no guide price for nursing yet"},
		}, "csv")
		if err != nil || len(lineErrs) > 0 || len(subs) != 2 {
			t.Fatalf("submit = %+v %+v %v", subs, lineErrs, err)
		}
		if subs[0].Check.Within || subs[0].Check.Guide != 75117 || subs[0].Basis != pricing.PerBedWeek {
			t.Errorf("band check = %+v", subs[0].Check)
		}
		_, err = db.Submission(prov2, subs[0].ID)
		mustCode(t, err, caremarket.ENOTFOUND)
		if own, _ := db.ListSubmissions(prov2, pricing.SubmissionFilter{}); len(own) != 0 {
			t.Errorf("another provider sees %d submissions", len(own))
		}

		// Decisions.
		_, err = db.DecideSubmission(prov1, subs[0].ID, true, "")
		mustCode(t, err, caremarket.EFORBIDDEN)
		_, err = db.DecideSubmission(comm, subs[0].ID, false, "")
		mustCode(t, err, caremarket.EINVALID)
		_, err = db.DecideSubmission(comm, subs[0].ID, true, "")
		mustCode(t, err, caremarket.EINVALID) // outside the band: approving needs a reason too
		if _, err := db.DecideSubmission(comm, subs[0].ID, false, "agency use is falling; resubmit within the band"); err != nil {
			t.Fatal(err)
		}
		_, err = db.DecideSubmission(comm, subs[0].ID, true, "changed my mind")
		mustCode(t, err, caremarket.ECONFLICT)
		if _, err := db.DecideSubmission(comm, subs[1].ID, true, "matches the nursing market"); err != nil {
			t.Fatal(err)
		}
		// The provider resubmits within the band; approving needs no reason.
		_, _, err = db.SubmitPrices(prov1, r.ID, []pricing.SubmissionRow{{LocationID: l1.ID, ServiceType: market.Residential, Price: 78000}}, "form")
		if err != nil {
			t.Fatal(err)
		}
		// And once more before a decision: the earlier one is superseded.
		again, _, err := db.SubmitPrices(prov1, r.ID, []pricing.SubmissionRow{{LocationID: l1.ID, ServiceType: market.Residential, Price: 77500}}, "form")
		if err != nil {
			t.Fatal(err)
		}
		if hist, _ := db.ListSubmissions(comm, pricing.SubmissionFilter{RoundID: r.ID, Status: pricing.SubmissionSuperseded}); len(hist) != 1 || hist[0].Price != 78000 {
			t.Errorf("superseded history = %+v", hist)
		}
		if _, err := db.DecideSubmission(comm, again[0].ID, true, ""); err != nil {
			t.Fatal(err)
		}
		_, _, err = db.SubmitPrices(prov1, r.ID, []pricing.SubmissionRow{{LocationID: l1.ID, ServiceType: market.Residential, Price: 77000}}, "form")
		mustCode(t, err, caremarket.EINVALID) // already approved in this round

		// Approved prices are contracted from the round's effective date.
		if cps, _ := db.ContractedPrices(comm, pricing.ContractedFilter{On: day(2026, 4, 5)}); len(cps) != 0 {
			t.Errorf("contracted before the effective date: %+v", cps)
		}
		cps, err := db.ContractedPrices(comm, pricing.ContractedFilter{On: day(2026, 4, 6)})
		if err != nil || len(cps) != 2 {
			t.Fatalf("contracted = %+v %v", cps, err)
		}
		if own, _ := db.ContractedPrices(prov2, pricing.ContractedFilter{On: day(2026, 4, 6)}); len(own) != 0 {
			t.Errorf("another provider sees contracted prices %+v", own)
		}

		// Uplift: the preview is what applying does.
		u := &pricing.Uplift{Name: "NLW April 2026", EffectiveFrom: day(2026, 4, 6), Guide: true, Contracted: true,
			Rule: pricing.UpliftRule{Kind: pricing.UpliftPercent, Percent: 350}}
		_, err = db.PreviewUplift(prov1, u)
		mustCode(t, err, caremarket.EFORBIDDEN)
		preview, err := db.PreviewUplift(finance, u)
		if err != nil {
			t.Fatal(err)
		}
		if len(preview.Items) != 4 {
			t.Fatalf("preview items = %+v", preview.Items)
		}
		_, err = db.ApplyUplift(finance, u)
		mustCode(t, err, caremarket.EFORBIDDEN)
		applied, err := db.ApplyUplift(comm, u)
		if err != nil {
			t.Fatal(err)
		}
		if applied.TotalAnnualChange != preview.TotalAnnualChange {
			t.Errorf("applied total %s, preview %s", applied.TotalAnnualChange, preview.TotalAnnualChange)
		}
		// The prices in force from the uplift's date are exactly the
		// preview's new prices, item for item (guide prices first).
		var inForce, previewed []money.Money
		newGuide, _ := db.GuidePrices(comm, pricing.GuideFilter{On: day(2026, 4, 6)})
		for _, g := range newGuide {
			inForce = append(inForce, g.Price)
		}
		newCPs, _ := db.ContractedPrices(comm, pricing.ContractedFilter{On: day(2026, 4, 6)})
		for _, c := range newCPs {
			inForce = append(inForce, c.Price)
		}
		for _, it := range preview.Items {
			previewed = append(previewed, it.New)
		}
		if !slices.Equal(inForce, previewed) {
			t.Errorf("applied prices %v, previewed %v", inForce, previewed)
		}
		// 75117 x 1.035 = 77746.095 -> 77746 (pricing/analysis_test.go).
		if newGuide[1].Setting != market.Urban || newGuide[1].Price != 77746 || newGuide[1].Source != "uplift" {
			t.Errorf("urban guide after uplift: %+v", newGuide[1])
		}
		if old, _ := db.GuidePrices(comm, pricing.GuideFilter{On: day(2026, 4, 5)}); old[1].Price != 75117 {
			t.Errorf("the day before the uplift the guide was %s", old[1].Price)
		}
		_, err = db.ApplyUplift(comm, u)
		mustCode(t, err, caremarket.ECONFLICT)
		if ups, _ := db.ListUplifts(comm); len(ups) != 1 || ups[0].Items != 4 {
			t.Errorf("uplifts = %+v", ups)
		}
		recs, err := db.SearchAudit(sys, audit.Filter{EntityType: "uplift"})
		if err != nil || len(recs) != 1 {
			t.Errorf("uplift audit = %+v %v", recs, err)
		}

		// Variation inputs: the round's live submissions; staff only.
		obs, err := db.PriceObservations(comm, pricing.ObservationFilter{RoundID: r.ID})
		if err != nil || len(obs) != 2 || obs[0].AreaName != "Thanet" || obs[0].Setting != market.Urban {
			t.Errorf("observations = %+v %v", obs, err)
		}
		obs, err = db.PriceObservations(comm, pricing.ObservationFilter{On: day(2026, 4, 6), ServiceType: market.Residential})
		if err != nil || len(obs) != 1 || obs[0].Price != u.Rule.Apply(77500) {
			t.Errorf("contracted observations = %+v %v", obs, err)
		}
		_, err = db.PriceObservations(prov1, pricing.ObservationFilter{})
		mustCode(t, err, caremarket.EFORBIDDEN)
		if err := db.ClosePriceRound(comm, r.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = db.SubmitPrices(prov1, r.ID, []pricing.SubmissionRow{{LocationID: l1.ID, ServiceType: market.Nursing, Price: 90000, Reason: "x"}}, "form")
		mustCode(t, err, caremarket.ECONFLICT)
	})
}

package storage_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func fday(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// TestFinance: budget lines (each service type on one line), budgets, the
// year's commitment from placement history, actuals imported twice (the
// second adds nothing) with unmatched lines and a period paid twice, a
// provider seeing only its own payments, drill-down, forecast, scenario
// and agreement spend; and who may do what.
func TestFinance(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		f.now = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
		admin := storagetest.As(f.sys, caremarket.RoleAdmin, 0)
		fin := storagetest.As(f.sys, caremarket.RoleFinance, 0)
		nursing := &finance.BudgetLine{Name: "Older people nursing", Code: "OPN", ServiceTypes: []market.ServiceType{market.Nursing, market.NursingHigh}}
		home := &finance.BudgetLine{Name: "Home care", ServiceTypes: []market.ServiceType{market.Homecare}}
		mustCode(t, db.SaveBudgetLine(f.comm, nursing), caremarket.EFORBIDDEN)
		for _, b := range []*finance.BudgetLine{nursing, home} {
			if err := db.SaveBudgetLine(admin, b); err != nil {
				t.Fatal(err)
			}
		}
		mustCode(t, db.SaveBudgetLine(admin, &finance.BudgetLine{Name: "Again", ServiceTypes: []market.ServiceType{market.Nursing}}), caremarket.EINVALID)
		mustCode(t, db.SetBudgets(f.comm, []finance.Budget{{BudgetLineID: nursing.ID, Year: 2026, Amount: 100}}), caremarket.EFORBIDDEN)
		if err := db.SetBudgets(fin, []finance.Budget{{BudgetLineID: nursing.ID, Year: 2026, Amount: 5_000_000}, {BudgetLineID: home.ID, Year: 2026, Amount: 100_000}}); err != nil {
			t.Fatal(err)
		}
		mustCode(t, db.SetBudgets(fin, []finance.Budget{{BudgetLineID: 99999, Year: 2026, Amount: 1}}), caremarket.EINVALID)

		// History: one nursing placement all year at £700 (3,650,000p in
		// 2026/27), one ended 15 June at £700 then £735 from 1 May
		// (30 days x 70,000 + 46 days x 73,500) / 7 = 783,000p, one ended
		// last year, one home care at £350 a week from 1 March 2027.
		end1, end2 := fday("2026-06-15"), fday("2025-05-01")
		hs := []storage.HistoryPlacement{
			{CaseRef: "H-1", ServiceType: market.Nursing, ProviderID: f.alpha.ProviderID, LocationID: f.alpha.ID, AreaID: f.thanet.ID, Outcode: "CT9",
				AgreementID: f.nursingLot.AgreementID, LotID: f.nursingLot.ID, Start: fday("2025-01-01"), Prices: []finance.Price{{Weekly: 70000, From: fday("2025-01-01")}}},
			{CaseRef: "H-2", ServiceType: market.Nursing, ProviderID: f.beta.ProviderID, LocationID: f.beta.ID, AreaID: f.thanet.ID, Outcode: "CT9",
				Start: fday("2025-01-01"), End: &end1, Prices: []finance.Price{{Weekly: 70000, From: fday("2025-01-01")}, {Weekly: 73500, From: fday("2026-05-01")}}},
			{CaseRef: "H-3", ServiceType: market.Nursing, ProviderID: f.beta.ProviderID, LocationID: f.beta.ID, AreaID: f.thanet.ID, Outcode: "CT9",
				Start: fday("2024-05-01"), End: &end2, Prices: []finance.Price{{Weekly: 70000, From: fday("2024-05-01")}}},
			{CaseRef: "H-4", ServiceType: market.Homecare, ProviderID: f.echo.ProviderID, LocationID: f.echo.ID, AreaID: f.thanet.ID, Outcode: "CT9",
				Start: fday("2027-03-01"), Prices: []finance.Price{{Weekly: 35000, From: fday("2027-03-01")}}, MinutesWeek: 600},
		}
		if _, err := storage.LoadPlacementHistory(f.sys, db, hs); err != nil {
			t.Fatal(err)
		}
		mustCode(t, func() error { _, err := db.FinanceSummary(f.broker, 2026); return err }(), caremarket.EFORBIDDEN)
		s, err := db.FinanceSummary(f.comm, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Items) != 2 || s.Items[1].Name != "Older people nursing" || s.Items[1].Committed != 3650000+783000 || s.Items[1].Budget != 5_000_000 {
			t.Fatalf("summary = %+v", s.Items)
		}
		if s.Items[0].Committed != 155000 || s.Months[11] != 155000+310000 {
			t.Errorf("home care = %+v, months %v", s.Items[0], s.Months)
		}
		// This year's forecast: the cost to date (H-1 249 days, 2,490,000p;
		// H-2 783,000p) and H-1 continuing. Stays are learned from the last
		// three years: 2 nursing placements ended, and the three lived 704
		// + 531 + 366 = 1,601 days in them, a mean of 800.5 days; H-1 is
		// expected to stay 800.5 x (1 - e^(-116/800.5)) = 107.99 of the
		// year's last 116 days: 70,000 x 107.99 / 7 = 1,079,869p.
		if s.Items[1].Forecast != 2490000+783000+1079869 || s.Total.Budget != 5_100_000 {
			t.Errorf("forecast = %+v total %+v", s.Items[1], s.Total)
		}

		// Actuals. Placement ids are found through the drill-down.
		d, err := db.DrillDown(fin, finance.DrillFilter{Year: 2026, BudgetLineID: nursing.ID})
		if err != nil {
			t.Fatal(err)
		}
		if d.Count != 2 || d.Total != 3650000+783000 || d.Rows[0].CaseRef != "H-1" || len(d.Rows[1].Working) != 2 {
			t.Fatalf("drill = %+v", d)
		}
		p1, p2 := d.Rows[0], d.Rows[1]
		if err := db.SetSupplierReference(fin, f.alpha.ProviderID, "SUP-ALPHA"); err != nil {
			t.Fatal(err)
		}
		csv := fmt.Sprintf(`Supplier Reference,Placement ID,Client ID,Period From,Period To,Net Amount,Payment Date
SUP-ALPHA,%d,,01/04/2026,07/04/2026,700.00,14/04/2026
SUP-ALPHA,%d,,01/04/2026,07/04/2026,700.00,14/04/2026
1-100000002,,H-2,2026-04-01,2026-04-07,800.00,2026-04-14
SUP-ALPHA,%d,,01/04/2026,07/04/2026,700.00,14/04/2026
NOBODY,1,,01/04/2026,07/04/2026,700.00,14/04/2026
`, p1.ID, p1.ID, p2.ID)
		mustCode(t, func() error { _, err := db.ImportActuals(f.comm, "r.csv", "test", strings.NewReader(csv)); return err }(), caremarket.EFORBIDDEN)
		rep, err := db.ImportActuals(fin, "r.csv", "test", strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 3 || len(rep.Unmatched) != 2 || len(rep.PaidTwice) != 1 || len(rep.Overpaid) != 1 || rep.Unmatched[0].Line != 5 {
			t.Fatalf("report = %+v", rep)
		}
		again, err := db.ImportActuals(fin, "r.csv", "test", strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		if again.Added != 0 || again.Known != 3 {
			t.Errorf("again = %+v", again)
		}
		ps, n, err := db.ListActuals(fin, finance.ActualFilter{})
		if err != nil || n != 3 || len(ps) != 3 {
			t.Fatalf("actuals = %d %v", n, err)
		}
		own, n, err := db.ListActuals(f.provider(f.alpha), finance.ActualFilter{})
		if err != nil || n != 2 || own[0].ProviderID != f.alpha.ProviderID {
			t.Errorf("alpha sees %d: %v", n, err)
		}
		if _, n, _ := db.ListActuals(f.provider(f.gamma), finance.ActualFilter{}); n != 0 {
			t.Errorf("gamma sees %d", n)
		}
		imps, err := db.ListImports(fin)
		if err != nil || len(imps) != 2 {
			t.Errorf("imports = %v %v", imps, err)
		}
		s, _ = db.FinanceSummary(fin, 2026)
		if s.Items[1].Actual != 70000*2+80000 || s.Actuals[0] != 220000 {
			t.Errorf("actual = %+v", s.Items[1])
		}

		// Roll-up, a placement's commitment, forecast, scenario, spend.
		gs, names, err := db.CommitmentRollup(fin, 2026, finance.ByProvider)
		if err != nil || len(gs) != 3 || names[gs[0].Key] != "Alpha" {
			t.Errorf("by provider = %+v %v %v", gs, names, err)
		}
		pc, err := db.PlacementCommitment(f.broker, p1.ID, 2026)
		if err != nil || pc.Cost != 3650000 {
			t.Errorf("placement commitment = %+v %v", pc, err)
		}
		fs, a, err := db.Forecasts(fin, 0)
		if err != nil || len(fs) != 2 || a.Years != 4 || len(fs[1].Years) != 5 || fs[1].StayBasis != 2 {
			t.Fatalf("forecasts = %+v %v", fs, err)
		}
		sq := finance.DefaultAssumptions()
		sq.Name, sq.DriftBP = "Status quo DPS", 500
		fw := finance.DefaultAssumptions()
		fw.Name, fw.NewPricing, fw.GuideBP = "Open Framework", finance.AtGuidePrice, 9000
		mustCode(t, db.SaveAssumptions(f.comm, &sq), caremarket.EFORBIDDEN)
		for _, x := range []*finance.Assumptions{&sq, &fw} {
			if err := db.SaveAssumptions(fin, x); err != nil {
				t.Fatal(err)
			}
		}
		sc := &finance.Scenario{Name: "DPS against framework", AID: sq.ID, BID: fw.ID, BudgetLineIDs: []int64{nursing.ID}}
		if err := db.SaveScenario(fin, sc); err != nil {
			t.Fatal(err)
		}
		res, err := db.ScenarioResult(f.comm, sc.ID)
		if err != nil || len(res.Years) != 5 || res.A.Name != "Status quo DPS" || res.Years[0].Budget != 5_000_000 {
			t.Fatalf("scenario = %+v %v", res, err)
		}
		sp, err := db.AgreementSpend(fin, f.nursingLot.AgreementID)
		if err != nil || sp.Committed == 0 || len(sp.Years) == 0 {
			t.Errorf("spend = %+v %v", sp, err)
		}

		// Another council sees none of it.
		other, _ := storagetest.Council(t, db, "surrey", "Guildford")
		ofin := storagetest.As(other, caremarket.RoleFinance, 0)
		if ls, _ := db.ListBudgetLines(ofin); len(ls) != 0 {
			t.Errorf("surrey sees %v", ls)
		}
		mustCode(t, func() error { _, err := db.ScenarioResult(ofin, sc.ID); return err }(), caremarket.ENOTFOUND)
		mustCode(t, func() error { _, err := db.AgreementSpend(ofin, f.nursingLot.AgreementID); return err }(), caremarket.ENOTFOUND)
		mustCode(t, func() error { _, err := db.PlacementCommitment(ofin, p1.ID, 2026); return err }(), caremarket.ENOTFOUND)
		_ = procurement.Date
	})
}

package financedemo_test

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/demo/demotest"
	"github.com/caremarket/caremarket/demo/financedemo"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func loadFinanceDemo(t testing.TB, db *storage.DB, now time.Time) (context.Context, *financedemo.Result) {
	t.Helper()
	sys, _ := demotest.LoadUpTo(t, db, now, demo.StageBrokerage)
	start := time.Now()
	fr, err := financedemo.LoadDemo(sys, db, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("finance demo: %d placements, %d payment lines in %s", fr.Placements, fr.Report.Lines, time.Since(start))
	return sys, fr
}

// TestDemoScenario: the demo's scenario is calibrated so the care home
// budget (£222m at Kent's scale) shows a year-1 variance near £15.8m
// rising to near £50.3m in year 4 under the status quo, and far less
// under the framework; the payments file has unmatched and duplicated
// lines; CSIH-2020 shows £110m a year advertised against about £76m spent
// in 2022/23.
func TestDemoScenario(t *testing.T) {
	db := storagetest.SQLite(t)
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	sys, fr := loadFinanceDemo(t, db, now)
	fin := storagetest.As(sys, caremarket.RoleFinance, 0)
	r, err := db.ScenarioResult(fin, fr.ScenarioID)
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range r.Years {
		t.Logf("%s budget %s: status quo %s (variance %s), framework %s (variance %s)", y.Label, (y.Budget * financedemo.Scale).WholePounds(),
			(y.A.Forecast * financedemo.Scale).WholePounds(), (y.A.Variance * financedemo.Scale).WholePounds(),
			(y.B.Forecast * financedemo.Scale).WholePounds(), (y.B.Variance * financedemo.Scale).WholePounds())
	}
	near := func(got, want, tol finance.Money) bool {
		d := got*financedemo.Scale - want
		return d <= tol && d >= -tol
	}
	y1, y4 := r.Years[0], r.Years[3]
	if !near(y1.A.Variance, 1_580_000_000, 150_000_000) || !near(y4.A.Variance, 5_030_000_000, 300_000_000) {
		t.Errorf("status quo variance: year 1 %s, year 4 %s (at Kent's scale)", (y1.A.Variance * financedemo.Scale), (y4.A.Variance * financedemo.Scale))
	}
	if y4.B.Variance*2 > y4.A.Variance {
		t.Errorf("framework year 4 variance %s is not far less than %s", y4.B.Variance, y4.A.Variance)
	}
	if len(fr.Report.Unmatched) < 2 || len(fr.Report.PaidTwice) < 2 || len(fr.Report.Overpaid) < 1 {
		t.Errorf("payments report: %d unmatched, %d paid twice, %d overpaid", len(fr.Report.Unmatched), len(fr.Report.PaidTwice), len(fr.Report.Overpaid))
	}
	ag, err := db.AgreementByReference(fin, "CSIH-2020")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := db.AgreementSpend(fin, ag.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range sp.Years {
		t.Logf("CSIH %s advertised %s committed %s (×10 %s)", y.Label, y.Advertised.WholePounds(), y.Committed.WholePounds(), (y.Committed * financedemo.Scale).WholePounds())
		if y.Year == 2022 && (!near(y.Committed, 7_600_000_000, 500_000_000) || y.Advertised != financedemo.CSIHAdvertised) {
			t.Errorf("2022/23: advertised %s, committed %s at scale", y.Advertised, y.Committed*financedemo.Scale)
		}
	}
	s, err := db.FinanceSummary(fin, 2026)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range s.Items {
		t.Logf("%s: budget %s committed %s actual %s forecast %s variance %s %s", it.Name, it.Budget, it.Committed, it.Actual, it.Forecast, it.Variance, it.Status)
	}
}

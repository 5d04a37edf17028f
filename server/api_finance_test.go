package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// newFinanceFixture is the pricing fixture on 5 December 2026 with an
// admin's token and one nursing placement of Alpha at £700 a week since
// 1 January 2025.
func newFinanceFixture(t testing.TB) (*pricingFixture, string, *storage.DB) {
	t.Helper()
	db := storagetest.SQLite(t)
	db.Now = func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) }
	f := newPricingFixture(t, db)
	f.srv.Now = db.Now
	kent := caremarket.NewContext(context.Background(), &caremarket.Actor{CouncilID: 1, CouncilSlug: "kent", Role: caremarket.RoleAdmin, Email: "system"})
	u := &access.User{Email: "fin-admin@kent.example", Role: caremarket.RoleAdmin}
	if err := db.CreateUser(kent, u); err != nil {
		t.Fatal(err)
	}
	secret, hash := access.NewSecret()
	if err := db.CreateToken(kent, u.ID, hash, "test"); err != nil {
		t.Fatal(err)
	}
	admin := secret
	areas, _ := db.ListAreas(kent)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := storage.LoadPlacementHistory(kent, db, []storage.HistoryPlacement{{CaseRef: "C-1", ServiceType: market.Nursing, ProviderID: f.alpha.ID,
		LocationID: f.alphaHome.ID, AreaID: areas[0].ID, Outcode: "CT9", Start: start, Prices: []finance.Price{{Weekly: 70000, From: start}}}}); err != nil {
		t.Fatal(err)
	}
	return f, admin, db
}

// TestFinanceAPI: budget lines (admins), budgets by JSON and CSV (finance),
// the summary with its figures, drill-down, an actuals CSV import twice,
// a provider seeing only its own actuals, forecasts, a scenario with
// years and both sides, agreement spend; commissioners read only; another
// council sees nothing. Every answer is checked against the OpenAPI schema.
func TestFinanceAPI(t *testing.T) {
	f, admin, _ := newFinanceFixture(t)

	f.must(t, 403, preq{method: "POST", path: "/api/v1/budget-lines", token: f.finance, body: `{"name": "Nursing", "service_types": ["nursing"]}`})
	line := f.must(t, 201, preq{method: "POST", path: "/api/v1/budget-lines", token: admin, body: `{"name": "Older people nursing", "code": "OPN", "service_types": ["nursing"]}`})
	lineID := int64(line.body["id"].(float64))
	f.must(t, 400, preq{method: "POST", path: "/api/v1/budget-lines", token: admin, body: `{"name": "Again", "service_types": ["nursing"]}`})
	f.must(t, 200, preq{method: "PUT", path: fmt.Sprintf("/api/v1/budget-lines/%d", lineID), token: admin, body: `{"name": "Older people nursing", "code": "OPN", "service_types": ["nursing", "nursing_high"]}`})
	f.must(t, 200, preq{method: "GET", path: "/api/v1/budget-lines", token: f.commissioner})
	f.must(t, 403, preq{method: "POST", path: "/api/v1/budgets", token: f.commissioner, body: fmt.Sprintf(`{"items": [{"budget_line_id": %d, "year": "2026/27", "amount_pence": 1}]}`, lineID)})
	f.must(t, 200, preq{method: "POST", path: "/api/v1/budgets", token: f.finance, body: fmt.Sprintf(`{"items": [{"budget_line_id": %d, "year": "2026/27", "amount_pence": 3000000}]}`, lineID)})
	bad := f.must(t, 400, preq{method: "POST", path: "/api/v1/budgets", token: f.finance, body: "Budget line,Year,Amount\nOPN,2027/28,40000\nNope,2027/28,1\n", header: map[string]string{"Content-Type": "text/csv"}})
	if bad.errField("line 3") == "" {
		t.Errorf("bad CSV = %s", bad.raw)
	}
	f.must(t, 200, preq{method: "POST", path: "/api/v1/budgets", token: f.finance, body: "Budget line,Year,Amount\nOPN,2027/28,40000\n", header: map[string]string{"Content-Type": "text/csv"}})
	bs := f.must(t, 200, preq{method: "GET", path: "/api/v1/budgets", token: f.commissioner})
	if bs.body["total"].(float64) != 2 {
		t.Errorf("budgets = %s", bs.raw)
	}

	sum := f.must(t, 200, preq{method: "GET", path: "/api/v1/finance/summary?year=2026", token: f.commissioner})
	item := plookup(sum.body, "items").([]any)[0].(map[string]any)
	// £700 a week all year: 70,000 x 365 / 7 = 3,650,000p committed against a
	// £30,000 budget. The forecast: 249 days to date (2,490,000p) and,
	// with no ended placements to learn from, a two-year mean stay: of the
	// year's last 116 days 730 x (1 - e^(-116/730)) = 107.26 are expected,
	// 1,072,529p. 3,562,529p is over 5% above budget: red.
	if item["committed_pence"].(float64) != 3650000 || item["budget_pence"].(float64) != 3000000 || item["forecast_pence"].(float64) != 3562529 ||
		item["status"] != "red" {
		t.Errorf("summary item = %v", item)
	}
	for _, k := range []string{"budget_pence", "committed_pence", "actual_pence", "forecast_pence", "variance_pence"} {
		if _, ok := item[k]; !ok {
			t.Errorf("summary item lacks %s", k)
		}
	}
	f.must(t, 400, preq{method: "GET", path: "/api/v1/finance/summary?year=twenty", token: f.finance})
	f.must(t, 403, preq{method: "GET", path: "/api/v1/finance/summary", token: f.alphaPU})
	f.must(t, 200, preq{method: "GET", path: "/api/v1/finance/commitments?by=provider", token: f.finance})
	f.must(t, 400, preq{method: "GET", path: "/api/v1/finance/commitments?by=colour", token: f.finance})
	dr := f.must(t, 200, preq{method: "GET", path: fmt.Sprintf("/api/v1/finance/placements?year=2026&month=1&budget_line_id=%d", lineID), token: f.finance})
	rows := dr.body["rows"].([]any)
	if len(rows) != 1 || dr.body["total_pence"].(float64) != 300000 {
		t.Fatalf("drill = %s", dr.raw)
	}
	pid := int64(rows[0].(map[string]any)["id"].(float64))
	f.must(t, 200, preq{method: "GET", path: fmt.Sprintf("/api/v1/placements/%d/commitment", pid), token: f.finance})
	f.must(t, 404, preq{method: "GET", path: fmt.Sprintf("/api/v1/placements/%d/commitment", pid), token: f.surreyCommissioner})
	f.must(t, 200, preq{method: "GET", path: "/api/v1/finance/settings", token: f.finance})
	f.must(t, 200, preq{method: "PUT", path: "/api/v1/finance/settings", token: f.finance, body: `{"amber_bp": 200, "red_bp": 600}`})
	f.must(t, 400, preq{method: "PUT", path: "/api/v1/finance/settings", token: f.finance, body: `{"amber_bp": 700, "red_bp": 600}`})

	csv := fmt.Sprintf("CQC Provider ID,Placement ID,Period From,Period To,Amount,Payment Date\n1-100000001,%d,01/04/2026,07/04/2026,700.00,14/04/2026\n1-100000001,999,01/04/2026,07/04/2026,700.00,14/04/2026\n", pid)
	f.must(t, http.StatusUnsupportedMediaType, preq{method: "POST", path: "/api/v1/actuals", token: f.finance, body: csv})
	f.must(t, 403, preq{method: "POST", path: "/api/v1/actuals", token: f.commissioner, body: csv, header: map[string]string{"Content-Type": "text/csv"}})
	imp := f.must(t, 200, preq{method: "POST", path: "/api/v1/actuals?source=remittance.csv", token: f.finance, body: csv, header: map[string]string{"Content-Type": "text/csv"}})
	if imp.body["added"].(float64) != 1 || len(imp.body["unmatched"].([]any)) != 1 {
		t.Errorf("import = %s", imp.raw)
	}
	again := f.must(t, 200, preq{method: "POST", path: "/api/v1/actuals", token: f.finance, body: csv, header: map[string]string{"Content-Type": "text/csv"}})
	if again.body["added"].(float64) != 0 || again.body["already_imported"].(float64) != 1 {
		t.Errorf("again = %s", again.raw)
	}
	f.must(t, 200, preq{method: "GET", path: "/api/v1/actual-imports", token: f.finance})
	own := f.must(t, 200, preq{method: "GET", path: "/api/v1/actuals", token: f.alphaPU})
	if own.body["total"].(float64) != 1 {
		t.Errorf("provider's actuals = %s", own.raw)
	}
	f.must(t, 200, preq{method: "PUT", path: fmt.Sprintf("/api/v1/providers/%d/supplier-reference", f.alpha.ID), token: f.finance, body: `{"reference": "SUP-1"}`})

	f.must(t, 200, preq{method: "GET", path: "/api/v1/forecasts", token: f.commissioner})
	a := f.must(t, 201, preq{method: "POST", path: "/api/v1/assumptions", token: f.finance, body: `{"name": "Status quo DPS", "demand_growth_bp": 200, "inflation_bp": 300, "staff_share_bp": 6000, "drift_bp": 500}`})
	b := f.must(t, 201, preq{method: "POST", path: "/api/v1/assumptions", token: f.finance, body: `{"name": "Open Framework", "demand_growth_bp": 200, "inflation_bp": 300, "staff_share_bp": 6000, "new_pricing": "guide_price", "guide_bp": 9000}`})
	f.must(t, 400, preq{method: "POST", path: "/api/v1/assumptions", token: f.finance, body: `{"name": ""}`})
	f.must(t, 200, preq{method: "GET", path: "/api/v1/assumptions", token: f.commissioner})
	sc := f.must(t, 201, preq{method: "POST", path: "/api/v1/scenarios", token: f.finance,
		body: fmt.Sprintf(`{"name": "DPS or framework", "a_id": %v, "b_id": %v, "budget_line_ids": [%d]}`, a.body["id"], b.body["id"], lineID)})
	f.must(t, 200, preq{method: "GET", path: "/api/v1/scenarios", token: f.commissioner})
	res := f.must(t, 200, preq{method: "GET", path: fmt.Sprintf("/api/v1/scenarios/%v", sc.body["id"]), token: f.commissioner})
	years := res.body["years"].([]any)
	y0 := years[0].(map[string]any)
	if len(years) != 5 || y0["year"].(float64) != 2026 || plookup(y0, "a", "forecast_pence") == nil || plookup(y0, "b", "variance_pence") == nil {
		t.Errorf("scenario years = %v", years)
	}
	f.must(t, 404, preq{method: "GET", path: fmt.Sprintf("/api/v1/scenarios/%v", sc.body["id"]), token: f.surreyCommissioner})
	f.must(t, 404, preq{method: "GET", path: "/api/v1/agreements/9999/spend", token: f.finance})
}

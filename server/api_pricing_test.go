package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// pricingFixture is the pricing tests' own small world (kept apart from the
// shared API fixture so the two can change independently): Kent with Alpha
// (a Thanet care home) and a token per caller; Surrey's commissioner to
// prove isolation.
type pricingFixture struct {
	srv                                                *Server
	alpha                                              *market.Provider
	alphaHome                                          *market.Location
	commissioner, finance, alphaPU, surreyCommissioner string
}

func newPricingFixture(t testing.TB, db *storage.DB) *pricingFixture {
	t.Helper()
	f := &pricingFixture{srv: New(db, slog.New(slog.DiscardHandler))}
	kent, areas := storagetest.Council(t, db, "kent", "Thanet")
	surrey, _ := storagetest.Council(t, db, "surrey", "Woking")
	f.alpha = &market.Provider{Name: "Alpha Care", CQCProviderID: "1-100000001"}
	if err := db.CreateProvider(kent, f.alpha); err != nil {
		t.Fatal(err)
	}
	f.alphaHome = &market.Location{ProviderID: f.alpha.ID, CQCLocationID: "1-200000001", Name: "Alpha House", Postcode: "CT9 1AA",
		AreaID: areas[0].ID, ServiceTypes: []market.ServiceType{market.Residential, market.Nursing}, RegisteredBeds: 40, Rating: market.Good}
	if err := db.CreateLocation(kent, f.alphaHome); err != nil {
		t.Fatal(err)
	}
	token := func(ctx context.Context, role caremarket.Role, provider int64) string {
		secret, _ := apiToken(t, db, ctx, fmt.Sprintf("pricing-%s%d@%s.example", role, provider, caremarket.ActorFrom(ctx).CouncilSlug), role, provider)
		return secret
	}
	f.commissioner = token(kent, caremarket.RoleCommissioner, 0)
	f.finance = token(kent, caremarket.RoleFinance, 0)
	f.alphaPU = token(kent, caremarket.RoleProvider, f.alpha.ID)
	f.surreyCommissioner = token(surrey, caremarket.RoleCommissioner, 0)
	return f
}

type preq struct {
	method, path, token string
	body                any // string or []byte
	header              map[string]string
}

type presp struct {
	status int
	raw    []byte
	body   map[string]any
}

func (r presp) errField(name string) string {
	e, _ := r.body["error"].(map[string]any)
	fs, _ := e["fields"].(map[string]any)
	s, _ := fs[name].(string)
	return s
}

func plookup(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// must sends r through the whole server, checks the answer against
// server/openapi/*.json and fails unless the status is want.
func (f *pricingFixture) must(t testing.TB, want int, r preq) presp {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Authorization", "Bearer "+r.token)
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, hr)
	out := presp{status: w.Code, raw: w.Body.Bytes()}
	json.Unmarshal(out.raw, &out.body)
	checkResponse(t, f.srv, r.method, r.path, out.status, out.raw)
	if out.status != want {
		t.Fatalf("%s %s = %d, want %d\n%s", r.method, r.path, out.status, want, out.raw)
	}
	return out
}

// residentialModelJSON is the worked example of pricing/costmodel_test.go:
// urban £751.17 a week, rural £728.07.
const residentialModelJSON = `{"name": "Residential 2025/26", "service_type": "residential", "effective_from": "2025-04-01",
	"pay_premium_pence": 50, "on_costs": {"employer_ni_bp": 1000, "pension_bp": 300, "holiday_bp": 1207, "training_bp": 200, "sickness_bp": 150},
	"bands": [{"code": "standard", "label": "Standard", "care_hours_per_week": "24.5"}],
	"urban": {"non_staff_per_week_pence": 25000}, "rural": {"non_staff_per_week_pence": 23000},
	"overheads_bp": 1000, "return_bp": 500}`

func TestAPIPricing(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPricingFixture(t, db)
		comm := f.commissioner

		// Cost model: preview, save, adopt.
		prev := f.must(t, http.StatusOK, preq{method: "POST", path: "/api/v1/cost-models/preview", token: comm, body: residentialModelJSON})
		if p := plookup(prev.body, "guide_prices"); p == nil || prev.body["guide_prices"].([]any)[0].(map[string]any)["price_pence"] != float64(75117) {
			t.Fatalf("preview = %s", prev.raw)
		}
		f.must(t, http.StatusForbidden, preq{method: "POST", path: "/api/v1/cost-models", token: f.alphaPU, body: residentialModelJSON})
		created := f.must(t, http.StatusCreated, preq{method: "POST", path: "/api/v1/cost-models", token: comm, body: residentialModelJSON})
		mid := pid(int64(plookup(created.body, "model", "id").(float64)))
		bad := f.must(t, http.StatusBadRequest, preq{method: "PUT", path: "/api/v1/cost-models/" + mid, token: comm,
			body: strings.Replace(residentialModelJSON, `"24.5"`, `"169"`, 1)})
		if bad.errField("bands") == "" {
			t.Errorf("bad band not named: %s", bad.raw)
		}
		adopted := f.must(t, http.StatusOK, preq{method: "POST", path: "/api/v1/cost-models/" + mid + "/adopt", token: comm})
		if adopted.body["total"] != float64(2) {
			t.Errorf("adopted = %s", adopted.raw)
		}
		f.must(t, http.StatusConflict, preq{method: "POST", path: "/api/v1/cost-models/" + mid + "/adopt", token: comm})
		f.must(t, http.StatusForbidden, preq{method: "GET", path: "/api/v1/cost-models", token: f.alphaPU})
		if g := f.must(t, http.StatusOK, preq{method: "GET", path: "/api/v1/guide-prices?service_type=residential", token: f.alphaPU}); g.body["total"] != float64(2) {
			t.Errorf("provider guide prices = %s", g.raw)
		}
		f.must(t, http.StatusOK, preq{method: "GET", path: "/api/v1/nlw-rates", token: f.alphaPU})

		// A round inviting Alpha.
		today := time.Now().UTC()
		d := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
		round := f.must(t, http.StatusCreated, preq{method: "POST", path: "/api/v1/price-rounds", token: comm,
			body: `{"name": "Spring", "opens_on": "` + d(-1) + `", "closes_on": "` + d(30) + `", "effective_from": "` + d(31) + `", "provider_ids": [` + pid(f.alpha.ID) + `]}`})
		rid := pid(int64(round.body["id"].(float64)))
		f.must(t, http.StatusNotFound, preq{method: "GET", path: "/api/v1/price-rounds/" + rid, token: f.surreyCommissioner})
		f.must(t, http.StatusOK, preq{method: "GET", path: "/api/v1/price-rounds/" + rid, token: f.alphaPU})

		// A CSV with a wrong line saves nothing and names the line.
		csvBad := "cqc_location_id,service_type,band,price,reason\n" + f.alphaHome.CQCLocationID + ",residential,standard,760.00,\n" +
			f.alphaHome.CQCLocationID + ",nursing,standard,abc,\n"
		resp := f.must(t, http.StatusBadRequest, preq{method: "POST", path: "/api/v1/price-rounds/" + rid + "/submissions", token: f.alphaPU, body: csvBad,
			header: map[string]string{"Content-Type": "text/csv"}})
		if resp.errField("line 3") == "" {
			t.Errorf("line 3 not named: %s", resp.raw)
		}
		outOfBand := "cqc_location_id,service_type,price\n" + f.alphaHome.CQCLocationID + ",residential,900\n"
		resp = f.must(t, http.StatusBadRequest, preq{method: "POST", path: "/api/v1/price-rounds/" + rid + "/submissions", token: f.alphaPU, body: outOfBand,
			header: map[string]string{"Content-Type": "text/csv"}})
		if !strings.Contains(resp.errField("line 2"), "outside the guide band") {
			t.Errorf("band check: %s", resp.raw)
		}
		good := "cqc_location_id,service_type,price,reason\n" + f.alphaHome.CQCLocationID + ",residential,760.00,\n" +
			f.alphaHome.CQCLocationID + ",nursing,950,no nursing guide yet\n"
		subs := f.must(t, http.StatusCreated, preq{method: "POST", path: "/api/v1/price-rounds/" + rid + "/submissions", token: f.alphaPU, body: good,
			header: map[string]string{"Content-Type": "text/csv"}})
		sid := pid(int64(subs.body["items"].([]any)[0].(map[string]any)["id"].(float64)))
		f.must(t, http.StatusNotFound, preq{method: "GET", path: "/api/v1/price-submissions/" + sid, token: f.surreyCommissioner})
		f.must(t, http.StatusForbidden, preq{method: "POST", path: "/api/v1/price-submissions/" + sid + "/decision", token: f.alphaPU, body: `{"decision": "approve"}`})
		f.must(t, http.StatusOK, preq{method: "POST", path: "/api/v1/price-submissions/" + sid + "/decision", token: comm, body: `{"decision": "approve"}`})
		if cp := f.must(t, http.StatusOK, preq{method: "GET", path: "/api/v1/contracted-prices?on=" + d(31), token: f.alphaPU}); cp.body["total"] != float64(1) {
			t.Errorf("contracted = %s", cp.raw)
		}

		// Variation of the round, and its exports.
		v := f.must(t, http.StatusOK, preq{method: "GET", path: "/api/v1/price-variation?round_id=" + rid + "&service_type=residential", token: f.finance})
		if g := v.body["groups"].([]any); len(g) != 1 || g[0].(map[string]any)["median_pence"] != float64(76000) || g[0].(map[string]any)["guide_pence"] != float64(75117) {
			t.Errorf("variation = %s", v.raw)
		}
		f.must(t, http.StatusForbidden, preq{method: "GET", path: "/api/v1/price-variation", token: f.alphaPU})
		f.must(t, http.StatusBadRequest, preq{method: "GET", path: "/api/v1/price-variation?format=pdf", token: f.finance})
		for format, want := range map[string]string{"csv": "service_type,service,area", "xlsx": "PK"} {
			hr := httptest.NewRequest("GET", "/api/v1/price-variation?format="+format+"&round_id="+rid, nil)
			hr.Header.Set("Authorization", "Bearer "+f.finance)
			w := httptest.NewRecorder()
			f.srv.ServeHTTP(w, hr)
			if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), want) || !strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
				t.Errorf("%s export = %d %q %q", format, w.Code, w.Header(), w.Body.String()[:min(80, w.Body.Len())])
			}
		}

		// Uplift: preview then apply; the applied total is the previewed one.
		body := `{"name": "3.5% from ` + d(40) + `", "kind": "percent", "percent_bp": 350, "effective_from": "` + d(40) + `", "apply_to_guide_prices": true, "apply_to_contracted_prices": true}`
		p := f.must(t, http.StatusOK, preq{method: "POST", path: "/api/v1/uplifts/preview", token: f.finance, body: body})
		f.must(t, http.StatusForbidden, preq{method: "POST", path: "/api/v1/uplifts", token: f.finance, body: body})
		a := f.must(t, http.StatusCreated, preq{method: "POST", path: "/api/v1/uplifts", token: comm, body: body})
		if plookup(a.body, "effect", "total_annual_change_pence") != p.body["total_annual_change_pence"] || p.body["total_annual_change_pence"] == float64(0) {
			t.Errorf("applied %s, previewed %s", a.raw, p.raw)
		}
		f.must(t, http.StatusConflict, preq{method: "POST", path: "/api/v1/uplifts", token: comm, body: body})

		// The 16 homes on legacy terms that move to the cost model.
		fixture, err := os.ReadFile("../pricing/testdata/legacy_seed001.csv")
		if err != nil {
			t.Fatal(err)
		}
		li := f.must(t, http.StatusOK, preq{method: "POST", path: "/api/v1/legacy-impact", token: f.finance, body: fixture, header: map[string]string{"Content-Type": "text/csv"}})
		if li.body["new_year_pence"] != float64(719878484) || li.body["change_year_pence"] != float64(12391184) || li.body["down"] != float64(24) || li.body["homes"] != float64(16) {
			t.Errorf("legacy impact = %v", li.body)
		}
		f.must(t, http.StatusForbidden, preq{method: "POST", path: "/api/v1/legacy-impact", token: f.alphaPU, body: fixture, header: map[string]string{"Content-Type": "text/csv"}})
	})
}

func pid(v int64) string { return fmt.Sprint(v) }

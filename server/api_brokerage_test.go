package server

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestBrokerageAPI drives a requirement through the API on both databases:
// a provider sees nothing before an offer, the anonymised requirement with
// one, the person only after acceptance; another provider gets 404 for all
// of it; bids are private and refused after the deadline; off-contract use
// reaches the register and the report. Every answer is checked against
// server/openapi/*.json.
func TestBrokerageAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPlacementsFixture(t, db)
		gammaHome := f.gammaNursing(t, f.thanet)
		delta, deltaHome := f.seed(t, f.kent, "Delta Home Care", "0000008", f.thanet, market.Homecare)
		echo, echoHome := f.seed(t, f.kent, "Echo Home Care", "0000009", f.thanet, market.Homecare)
		gammaPU, _ := f.user(t, f.kent, caremarket.RoleProvider, gammaHome.ProviderID)
		deltaPU, _ := f.user(t, f.kent, caremarket.RoleProvider, delta.ID)
		echoPU, _ := f.user(t, f.kent, caremarket.RoleProvider, echo.ID)
		setVacancies(t, db, f.kent, market.Vacancy{LocationID: f.alphaHome.ID, ServiceType: market.Residential, Vacancies: 1})
		f.placementsFramework(t, db, "KENT-DPS", []procurement.Lot{nursingLot(f.thanet.ID, f.dover.ID),
			{Number: 2, Title: "Home care", ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{f.thanet.ID, f.dover.ID},
				CallOff: procurement.MiniCompetition}},
			[]brokerdemo.Admission{{LotID: 1, ProviderID: f.alpha.ID, Mark: 4}, {LotID: 1, ProviderID: gammaHome.ProviderID, Mark: 5},
				{LotID: 2, ProviderID: delta.ID, Mark: 3}, {LotID: 2, ProviderID: echo.ID, Mark: 5}},
			f.alphaGammaPrices(gammaHome))
		id := func(r apiResponse) string { return idOf(int64(r.body["id"].(float64))) }
		person := map[string]any{"full_name": "Edith Crawley", "address": "4 Marine Parade, Margate", "postcode": "CT9 1XY", "date_of_birth": "1938-05-04"}

		// A nursing requirement in Thanet, by direct award.
		req := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{
			"case_reference": "MOS-500001", "service_type": "nursing", "start_date": "2026-03-09", "area_id": f.thanet.ID, "person": person}})
		rid := id(req)
		f.must(t, 403, apiReq{method: "POST", path: "/api/v1/requirements", token: f.alphaPU, body: map[string]any{
			"case_reference": "MOS-500002", "service_type": "nursing", "start_date": "2026-03-09", "area_id": f.thanet.ID, "person": person}})
		f.must(t, 400, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{"service_type": "nursing"}})
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/requirements/" + rid, token: f.alphaPU})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/requirements", token: f.broker})
		f.must(t, 403, apiReq{method: "GET", path: "/api/v1/requirements", token: f.alphaPU})

		offer := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements/" + rid + "/offers", token: f.broker, body: map[string]any{"expires_in_hours": 12}})
		if offer.body["location_id"].(float64) != float64(f.alphaHome.ID) || offer.body["weekly_cost_pence"].(float64) != 900_00 {
			t.Fatalf("offer went to %v at %v, want Alpha at 90000", offer.body["location_id"], offer.body["weekly_cost_pence"])
		}
		oid := id(offer)
		// Gamma: nothing of it.
		for _, p := range []string{"/api/v1/offers/" + oid, "/api/v1/requirements/" + rid, "/api/v1/requirements/" + rid + "/person?reason=arranging", "/offers/" + oid} {
			f.must(t, 404, apiReq{method: "GET", path: p, token: gammaPU})
		}
		f.must(t, 404, apiReq{method: "POST", path: "/api/v1/offers/" + oid + "/accept", token: gammaPU})
		if l := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/offers", token: gammaPU}); len(l.body["items"].([]any)) != 0 {
			t.Fatalf("Gamma's inbox holds %v", l.body["items"])
		}
		// Alpha: the anonymised requirement, no person yet.
		inbox := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/offers", token: f.alphaPU})
		anon := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/requirements/" + rid, token: f.alphaPU})
		for _, raw := range [][]byte{inbox.raw, anon.raw} {
			for _, secret := range []string{"Edith", "Marine Parade", "CT9 1XY", "MOS-500001"} {
				if strings.Contains(string(raw), secret) {
					t.Fatalf("a provider sees %q before an award: %s", secret, raw)
				}
			}
		}
		if anon.body["outcode"] != "CT9" {
			t.Errorf("anonymised outcode %v", anon.body["outcode"])
		}
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/requirements/" + rid + "/person?reason=arranging", token: f.alphaPU})
		f.must(t, 200, apiReq{method: "GET", path: "/offers/" + oid, token: f.alphaPU})
		// Alpha accepts: the person is visible to Alpha only.
		pl := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/offers/" + oid + "/accept", token: f.alphaPU})
		pid := id(pl)
		f.must(t, 409, apiReq{method: "POST", path: "/api/v1/offers/" + oid + "/accept", token: f.alphaPU})
		who := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/requirements/" + rid + "/person?reason=arranging", token: f.alphaPU})
		if who.body["full_name"] != "Edith Crawley" {
			t.Fatalf("person after award: %s", who.raw)
		}
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/requirements/" + rid + "/person?reason=arranging", token: gammaPU})
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/placements/" + pid, token: gammaPU})
		f.must(t, 404, apiReq{method: "GET", path: "/placements/" + pid, token: gammaPU})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/placements/" + pid, token: f.alphaPU})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/requirements/" + rid + "/cascade", token: f.broker})
		f.must(t, 200, apiReq{method: "POST", path: "/api/v1/placements/" + pid + "/price-changes", token: f.broker, body: map[string]any{
			"weekly_cost_pence": 925_00, "effective_from": "2026-04-01", "reason": "NLW uplift April 2026"}})
		f.must(t, 200, apiReq{method: "PUT", path: "/api/v1/placements/" + pid + "/top-up", token: f.broker, body: map[string]any{"top_up_pence": 50_00, "top_up_payer": "Her son"}})
		// Amounts are bounded, the bound named: the largest int64 a
		// penetration test sent, and a penny over £100,000 a week.
		for wc, bound := range map[int64]string{math.MaxInt64: "£10,000,000,000.00", 100_000_01: "£100,000.00"} {
			resp := f.must(t, 400, apiReq{method: "POST", path: "/api/v1/placements/" + pid + "/price-changes", token: f.broker, body: map[string]any{
				"weekly_cost_pence": wc, "effective_from": "2026-04-01", "reason": "Typo"}})
			if !strings.Contains(resp.errMessage(), bound) {
				t.Errorf("weekly cost %d: %s, want the bound %s named", wc, resp.raw, bound)
			}
		}
		if resp := f.must(t, 400, apiReq{method: "PUT", path: "/api/v1/placements/" + pid + "/top-up", token: f.broker, body: map[string]any{"top_up_pence": 100_000_01, "top_up_payer": "Her son"}}); !strings.Contains(resp.errField("top_up_pence"), "£100,000.00") {
			t.Errorf("top-up over the bound: %s", resp.raw)
		}
		f.must(t, 403, apiReq{method: "POST", path: "/api/v1/placements/" + pid + "/end", token: f.alphaPU, body: map[string]any{"end_date": "2026-05-01", "reason": "x"}})

		// A home care mini-competition in Thanet.
		hc := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{
			"case_reference": "MOS-500003", "service_type": "homecare", "minutes_per_week": 14 * 60, "visit_pattern": "4 calls a day",
			"start_date": "2026-03-16", "area_id": f.thanet.ID, "method": "mini_competition", "person": person}})
		hid := id(hc)
		comp := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements/" + hid + "/competitions", token: f.broker, body: map[string]any{
			"deadline": f.now.Add(48 * time.Hour).Format(time.RFC3339)}})
		cid := id(comp)
		if n := len(comp.body["invited"].([]any)); n != 2 {
			t.Fatalf("%d invited, want Delta and Echo", n)
		}
		bd := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/bids", token: deltaPU, body: map[string]any{
			"competition_id": comp.body["id"], "location_id": deltaHome.ID, "price_pence": 23_50, "start_date": "2026-03-16", "notes": "Carers in CT9"}})
		be := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/bids", token: echoPU, body: map[string]any{
			"competition_id": comp.body["id"], "location_id": echoHome.ID, "price_pence": 25_00, "start_date": "2026-03-16"}})
		f.must(t, 404, apiReq{method: "POST", path: "/api/v1/bids", token: f.alphaPU, body: map[string]any{
			"competition_id": comp.body["id"], "location_id": f.alphaHome.ID, "price_pence": 1, "start_date": "2026-03-16"}})
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/bids/" + id(be), token: deltaPU})
		mine := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/competitions/" + cid, token: deltaPU})
		if bids := mine.body["bids"].([]any); len(bids) != 1 || strings.Contains(string(mine.raw), "Echo") {
			t.Fatalf("Delta sees %s", mine.raw)
		}
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/competitions/" + cid, token: f.alphaPU})
		f.must(t, 200, apiReq{method: "GET", path: "/competitions/" + cid, token: deltaPU})
		f.must(t, 409, apiReq{method: "POST", path: "/api/v1/competitions/" + cid + "/award", token: f.broker, body: map[string]any{"bid_id": bd.body["id"]}})
		f.now = f.now.Add(48 * time.Hour)
		f.must(t, 409, apiReq{method: "POST", path: "/api/v1/bids", token: deltaPU, body: map[string]any{
			"competition_id": comp.body["id"], "location_id": deltaHome.ID, "price_pence": 20_00, "start_date": "2026-03-16"}})
		scored := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/bids?competition_id=" + cid, token: f.broker})
		if len(scored.body["items"].([]any)) != 2 {
			t.Fatalf("broker sees %s", scored.raw)
		}
		f.must(t, 200, apiReq{method: "GET", path: "/competitions/" + cid, token: f.broker})
		f.must(t, 201, apiReq{method: "POST", path: "/api/v1/competitions/" + cid + "/award", token: f.broker, body: map[string]any{"bid_id": be.body["id"]}})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/requirements/" + hid + "/person?reason=arranging", token: echoPU})
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/requirements/" + hid + "/person?reason=arranging", token: deltaPU})

		// Residential: nobody contracted, so stage 3 straight away.
		res := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{
			"case_reference": "MOS-500004", "service_type": "residential", "start_date": "2026-03-10", "area_id": f.thanet.ID, "person": person}})
		resID := id(res)
		f.must(t, 400, apiReq{method: "POST", path: "/api/v1/requirements/" + resID + "/offers", token: f.broker, body: map[string]any{}})
		oc := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements/" + resID + "/offers", token: f.broker, body: map[string]any{
			"weekly_cost_pence": 1150_00, "off_contract_reason": "No residential lot covers Thanet"}})
		ocp := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/offers/" + id(oc) + "/accept", token: f.alphaPU})
		reg := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/off-contract-placements", token: f.commissioner})
		if len(reg.body["items"].([]any)) != 1 {
			t.Fatalf("register %s", reg.raw)
		}
		f.must(t, 409, apiReq{method: "POST", path: "/api/v1/off-contract-placements/" + id(ocp) + "/move", token: f.broker})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/off-contract-report", token: f.commissioner})
		f.must(t, 403, apiReq{method: "GET", path: "/api/v1/off-contract-placements", token: f.alphaPU})

		// Serious concerns.
		c := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/serious-concerns", token: f.commissioner, body: map[string]any{"provider_id": f.alpha.ID, "reason": "Safeguarding enquiry"}})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/serious-concerns?open=true", token: f.broker})
		f.must(t, 200, apiReq{method: "POST", path: "/api/v1/serious-concerns/" + id(c) + "/end", token: f.commissioner})

		// A yearly uplift reaches every live placement (Alpha's nursing, Echo's
		// home care, Alpha's off-contract residential): the preview by service
		// type, on the page and in the API, is what applying does.
		ub := map[string]any{"name": "Uplift April 2026", "kind": "percent", "percent_bp": 350, "effective_from": "2026-04-06", "apply_to_placements": true}
		up := f.must(t, 200, apiReq{method: "POST", path: "/api/v1/uplifts/preview", token: f.commissioner, body: ub})
		if groups := up.body["placements"].([]any); len(groups) != 3 || up.body["placements_annual_change_pence"] == float64(0) {
			t.Fatalf("uplift preview %s", up.raw)
		}
		form := url.Values{"name": {"Uplift April 2026"}, "kind": {"percent"}, "percent": {"3.5"}, "apply_placements": {"yes"},
			"effective_from-day": {"6"}, "effective_from-month": {"4"}, "effective_from-year": {"2026"}}
		pg := f.must(t, 200, apiReq{method: "POST", path: "/pricing/uplifts", token: f.commissioner, body: form.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		for _, want := range []string{"Effect on live placements by service type", "Nursing", "Homecare"} {
			if !strings.Contains(string(pg.raw), want) {
				t.Errorf("uplift preview page lacks %q", want)
			}
		}
		ua := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/uplifts", token: f.commissioner, body: ub})
		if fmt.Sprint(ua.body["effect"]) != fmt.Sprint(up.body) {
			t.Errorf("applied %s, previewed %s", ua.raw, up.raw)
		}
		for _, it := range up.body["items"].([]any) {
			it := it.(map[string]any)
			got := f.must(t, 200, apiReq{method: "GET", path: fmt.Sprintf("/api/v1/placements/%v", it["id"]), token: f.broker})
			prices := got.body["prices"].([]any)
			last := prices[len(prices)-1].(map[string]any)
			if it["kind"] != "placement" || last["weekly_cost_pence"] != it["new_price_pence"] || !strings.HasPrefix(last["effective_from"].(string), "2026-04-06") {
				t.Errorf("placement %v after the uplift: %s", it["id"], got.raw)
			}
		}
		f.must(t, 409, apiReq{method: "POST", path: "/api/v1/uplifts", token: f.commissioner, body: ub})

		// Legacy migration impact from the brokerage data: no guide prices
		// are in force here, so all three live placements are left out, said so.
		f.now = time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
		li := f.must(t, 200, apiReq{method: "POST", path: "/pricing/legacy-impact/brokerage", token: f.commissioner, body: "",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		if !strings.Contains(string(li.raw), "3 live placements have no guide price") {
			t.Errorf("legacy impact from placements:\n%s", li.raw)
		}
		f.must(t, 403, apiReq{method: "POST", path: "/pricing/legacy-impact/brokerage", token: f.alphaPU, body: "",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})

		// The pages render.
		for _, p := range []struct{ tok, path string }{{f.broker, "/requirements"}, {f.broker, "/requirements?status=all"}, {f.broker, "/requirements/new"},
			{f.broker, "/requirements/" + rid}, {f.broker, "/requirements/" + resID}, {f.broker, "/placements"}, {f.broker, "/placements/" + pid},
			{f.alphaPU, "/placements/" + pid}, {f.alphaPU, "/offers"}, {f.broker, "/off-contract"}, {f.commissioner, "/off-contract/report"}} {
			f.must(t, 200, apiReq{method: "GET", path: p.path, token: p.tok})
		}
	})
}

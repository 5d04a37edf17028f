package server

import (
	"testing"

	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestAllocationAPI: two Thanet people want Alpha's one contracted bed; the
// batch gives one the bed and the other Gamma, off contract in Dover, whose
// weekly cost the broker gives when sending. Alpha accepts its offer.
// Every answer is checked against server/openapi/allocation.json.
func TestAllocationAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPlacementsFixture(t, db)
		gamma := f.gammaNursing(t, f.dover)
		f.placementsFramework(t, db, "KENT-DPS", []procurement.Lot{{Number: 1, Title: "Nursing", ServiceTypes: []market.ServiceType{market.Nursing}, AreaIDs: []int64{f.thanet.ID},
			CallOff: procurement.DirectAward, Ranking: []procurement.RankBy{procurement.RankPrice}, CallOffTerms: "Terms", Mechanism: "Price"}},
			[]brokerdemo.Admission{{LotID: 1, ProviderID: f.alpha.ID, Mark: 4}},
			[]brokerdemo.Price{{ProviderID: f.alpha.ID, LocationID: f.alphaHome.ID, ServiceType: market.Nursing, Price: 900_00}})
		var ids []any
		for _, ref := range []string{"MOS-1", "MOS-2"} {
			r := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{
				"case_reference": ref, "service_type": "nursing", "start_date": "2026-03-09", "area_id": f.thanet.ID,
				"person": map[string]any{"full_name": "Edith Crawley", "address": "4 Marine Parade, Margate", "postcode": "CT9 1XY"}}})
			ids = append(ids, r.body["id"])
		}

		f.must(t, 403, apiReq{method: "POST", path: "/api/v1/allocations/preview", token: f.alphaPU, body: map[string]any{"all_waiting": true}})
		f.must(t, 403, apiReq{method: "POST", path: "/api/v1/allocations/preview", token: f.commissioner, body: map[string]any{"all_waiting": true}})
		bad := f.must(t, 400, apiReq{method: "POST", path: "/api/v1/allocations/preview", token: f.broker, body: map[string]any{"requirement_ids": []any{}}})
		if bad.errField("requirement_ids") == "" {
			t.Fatalf("no field message: %s", bad.raw)
		}
		f.must(t, 400, apiReq{method: "POST", path: "/api/v1/allocations/preview", token: f.broker, body: map[string]any{"requirement_ids": []any{ids[0], ids[0]}}})
		f.must(t, 404, apiReq{method: "POST", path: "/api/v1/allocations/preview", token: f.broker, body: map[string]any{"requirement_ids": []any{999999}}})
		f.must(t, 400, apiReq{method: "POST", path: "/api/v1/allocations/preview", token: f.broker, body: map[string]any{"requirement_ids": "all"}})

		p := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/allocations/preview", token: f.broker, body: map[string]any{"requirement_ids": ids}})
		bid := idOf(int64(p.body["id"].(float64)))
		lines := p.body["lines"].([]any)
		first, second := lines[0].(map[string]any), lines[1].(map[string]any)
		if first["stage"].(float64) != 1 || second["stage"].(float64) != 3 || int64(second["location_id"].(float64)) != gamma.ID {
			t.Fatalf("plan %s", p.raw)
		}
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/allocations/" + bid, token: f.commissioner})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/allocations", token: f.broker})
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/allocations/" + bid, token: f.surreyCommissioner})
		f.must(t, 403, apiReq{method: "GET", path: "/api/v1/allocations/" + bid, token: f.alphaPU})
		ch := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/allocations/" + bid + "/choices?requirement_id=" + idOf(int64(ids[1].(float64))), token: f.broker})
		if len(ch.body["locations"].([]any)) != 1 {
			t.Fatalf("choices %s", ch.raw)
		}
		f.must(t, 400, apiReq{method: "GET", path: "/api/v1/allocations/" + bid + "/choices", token: f.broker})

		// A location the cascade does not allow, then a commissioner: refused.
		f.must(t, 400, apiReq{method: "POST", path: "/api/v1/allocations/" + bid + "/send", token: f.broker, body: map[string]any{
			"lines": []any{map[string]any{"requirement_id": ids[1], "location_id": f.alphaHome.ID}}}})
		f.must(t, 403, apiReq{method: "POST", path: "/api/v1/allocations/" + bid + "/send", token: f.commissioner})
		sent := f.must(t, 200, apiReq{method: "POST", path: "/api/v1/allocations/" + bid + "/send", token: f.broker, body: map[string]any{
			"lines": []any{map[string]any{"requirement_id": ids[1], "location_id": gamma.ID, "weekly_cost_pence": 1300_00}}}})
		if sent.body["status"] != "sent" {
			t.Fatalf("sent %s", sent.raw)
		}
		var alphaOffer string
		for _, l := range sent.body["lines"].([]any) {
			m := l.(map[string]any)
			if m["offer_id"] == nil {
				t.Fatalf("line not sent: %v", m)
			}
			if int64(m["location_id"].(float64)) == f.alphaHome.ID {
				alphaOffer = idOf(int64(m["offer_id"].(float64)))
			}
		}
		f.must(t, 409, apiReq{method: "POST", path: "/api/v1/allocations/" + bid + "/send", token: f.broker})
		f.must(t, 201, apiReq{method: "POST", path: "/api/v1/offers/" + alphaOffer + "/accept", token: f.alphaPU})
	})
}

package server

import (
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestBrokerWorkflowAPI: the broker's daily work through the API on both
// databases, every answer checked against server/openapi/*.json: urgency,
// a reason for passing over the top-ranked home, extend, withdraw and
// re-send, the board searched, notes kept from providers, and the report of
// homes passed over.
func TestBrokerWorkflowAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPlacementsFixture(t, db)
		gammaHome := f.gammaNursing(t, f.thanet)
		gammaPU, _ := f.user(t, f.kent, caremarket.RoleProvider, gammaHome.ProviderID)
		f.placementsFramework(t, db, "KENT-FW", []procurement.Lot{nursingLot(f.thanet.ID, f.dover.ID)},
			[]brokerdemo.Admission{{LotID: 1, ProviderID: f.alpha.ID, Mark: 4}, {LotID: 1, ProviderID: gammaHome.ProviderID, Mark: 5}},
			f.alphaGammaPrices(gammaHome))
		id := func(r apiResponse) string { return idOf(int64(r.body["id"].(float64))) }
		req := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{
			"case_reference": "MOS-600001", "service_type": "nursing", "start_date": "2026-03-09", "area_id": f.thanet.ID,
			"person": map[string]any{"full_name": "Edith Crawley", "address": "4 Marine Parade, Margate", "postcode": "CT9 1XY"}}})
		rid := id(req)
		base := "/api/v1/requirements/" + rid

		// Urgent: a hospital discharge.
		f.must(t, 400, apiReq{method: "PUT", path: base + "/urgency", token: f.broker, body: map[string]any{"urgent": true}})
		f.must(t, 403, apiReq{method: "PUT", path: base + "/urgency", token: gammaPU, body: map[string]any{"urgent": true, "reason": "x"}})
		f.must(t, 200, apiReq{method: "PUT", path: base + "/urgency", token: f.broker, body: map[string]any{"urgent": true,
			"reason": "Hospital discharge", "needed_by": "2026-03-02T17:00:00Z"}})

		// Gamma ranks second: offering to it needs a reason.
		f.must(t, 400, apiReq{method: "POST", path: base + "/offers", token: f.broker, body: map[string]any{"location_id": gammaHome.ID}})
		offer := f.must(t, 201, apiReq{method: "POST", path: base + "/offers", token: f.broker, body: map[string]any{"location_id": gammaHome.ID,
			"skip_reason": "Husband lives at Gamma"}})
		oid := "/api/v1/offers/" + id(offer)
		if got, want := offer.body["expires_at"], "2026-03-02T11:00:00Z"; got != want {
			t.Errorf("an urgent offer expires at %v, want %s", got, want)
		}
		u := f.must(t, 200, apiReq{method: "GET", path: base + "/urgency", token: gammaPU})
		if u.body["urgent"] != true || u.body["reason"] != "" {
			t.Errorf("Gamma's view of the urgency: %v", u.body)
		}
		f.must(t, 404, apiReq{method: "GET", path: base + "/urgency", token: f.alphaPU})
		f.must(t, 200, apiReq{method: "POST", path: oid + "/extend", token: f.broker, body: map[string]any{"hours": 1}})
		f.must(t, 400, apiReq{method: "POST", path: oid + "/extend", token: f.broker, body: map[string]any{"hours": 5}})
		f.must(t, 403, apiReq{method: "POST", path: oid + "/withdraw", token: gammaPU, body: map[string]any{"reason": "no"}})
		f.must(t, 400, apiReq{method: "POST", path: oid + "/withdraw", token: f.broker, body: map[string]any{"reason": ""}})
		f.must(t, 200, apiReq{method: "POST", path: oid + "/withdraw", token: f.broker, body: map[string]any{"reason": "Family changed their mind"}})
		f.must(t, 400, apiReq{method: "POST", path: oid + "/resend", token: f.broker, body: map[string]any{}})
		f.must(t, 201, apiReq{method: "POST", path: oid + "/resend", token: f.broker, body: map[string]any{"skip_reason": "Family want Gamma after all"}})
		f.must(t, 409, apiReq{method: "POST", path: oid + "/resend", token: f.broker, body: map[string]any{"skip_reason": "again"}})

		// The board, notes and the report.
		found := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/requirements/search?urgent=true&case_reference=mos-6", token: f.broker})
		if found.body["total"] != float64(1) {
			t.Errorf("search found %v", found.body)
		}
		f.must(t, 400, apiReq{method: "GET", path: "/api/v1/requirements/search?service_type=beds", token: f.broker})
		f.must(t, 403, apiReq{method: "GET", path: "/api/v1/requirements/search", token: gammaPU})
		f.must(t, 201, apiReq{method: "POST", path: base + "/notes", token: f.broker, body: map[string]any{"body": "Daughter is the contact"}})
		f.must(t, 400, apiReq{method: "POST", path: base + "/notes", token: f.broker, body: map[string]any{"body": " "}})
		notes := f.must(t, 200, apiReq{method: "GET", path: base + "/notes", token: f.commissioner})
		if notes.body["total"] != float64(1) {
			t.Errorf("notes = %v", notes.body)
		}
		f.must(t, 403, apiReq{method: "GET", path: base + "/notes", token: gammaPU})
		skips := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/cascade-skips", token: f.commissioner})
		if skips.body["total"] != float64(2) {
			t.Errorf("skips = %v", skips.body)
		}
		f.must(t, 403, apiReq{method: "GET", path: "/api/v1/cascade-skips", token: gammaPU})
	})
}

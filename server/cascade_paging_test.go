package server

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestCascadePagingAPI: the cascade takes offset and limit, refuses ones
// out of range with a message, and the response (checked against the
// OpenAPI document) says how distance was measured and how far each stage
// goes; the requirement page says it too.
func TestCascadePagingAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		start := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
		req := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{
			"case_reference": "MOS-600001", "service_type": "nursing", "start_date": start, "area_id": f.thanet.ID,
			"person": map[string]any{"full_name": "Ada Page", "address": "1 Marine Parade", "postcode": "CT9 1XY"}}})
		rid := idOf(int64(req.body["id"].(float64)))
		path := "/api/v1/requirements/" + rid + "/cascade"
		if r := f.must(t, 400, apiReq{method: "GET", path: path + "?limit=0", token: f.broker}); r.errField("limit") == "" {
			t.Fatalf("limit=0: %s", r.raw)
		}
		if r := f.must(t, 400, apiReq{method: "GET", path: path + "?offset=-1", token: f.broker}); r.errField("offset") == "" {
			t.Fatalf("offset=-1: %s", r.raw)
		}
		r := f.must(t, 200, apiReq{method: "GET", path: path + "?offset=0&limit=1", token: f.broker})
		if basis, _ := jsonAt(r.body, "cascade", "distance_basis").(string); basis != "district steps" {
			t.Fatalf("distance basis %q: %s", basis, r.raw)
		}
		f.must(t, 404, apiReq{method: "GET", path: path + "?limit=5", token: f.alphaPU})
	})
}

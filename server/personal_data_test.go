package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestPersonalDataAPI: a person's details need a reason, and the look is
// logged; admins set retention, purge, search the log and export everything
// held about one person; nobody else may.
func TestPersonalDataAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		person := map[string]any{"full_name": "Edith Crawley", "address": "4 Marine Parade, Margate", "postcode": "CT9 1XY", "date_of_birth": "1938-05-04"}
		req := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{
			"case_reference": "MOS-500001", "service_type": "nursing", "start_date": "2026-03-09", "area_id": f.thanet.ID, "person": person}})
		rid := idOf(int64(req.body["id"].(float64)))
		f.must(t, 201, apiReq{method: "POST", path: "/api/v1/requirements", token: f.broker, body: map[string]any{
			"case_reference": "MOS-500002", "service_type": "nursing", "start_date": "2026-03-09", "area_id": f.thanet.ID,
			"person": map[string]any{"full_name": "Walter Hale", "address": "9 Cliff Road", "postcode": "CT10 1AA"}}})

		if r := f.must(t, 400, apiReq{method: "GET", path: "/api/v1/requirements/" + rid + "/person", token: f.broker}); r.errField("reason") == "" {
			t.Errorf("no reason: %s", r.raw)
		}
		f.must(t, 400, apiReq{method: "GET", path: "/api/v1/requirements/" + rid + "/person?reason=curiosity", token: f.broker})
		if r := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/requirements/" + rid + "/person?reason=safeguarding", token: f.broker}); r.body["full_name"] != "Edith Crawley" {
			t.Errorf("person = %s", r.raw)
		}

		// Only admins reach the governance endpoints.
		for _, p := range []string{"/api/v1/retention-rules", "/api/v1/identity-views", "/api/v1/people?name=edith", "/api/v1/subject-access/MOS-500001"} {
			f.must(t, 403, apiReq{method: "GET", path: p, token: f.broker})
			f.must(t, 403, apiReq{method: "GET", path: p, token: f.alphaPU})
		}
		f.must(t, 403, apiReq{method: "POST", path: "/api/v1/retention-rules/purge", token: f.commissioner})

		views := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/identity-views?case_reference=MOS-500001", token: f.admin})
		items := views.body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["reason"] != "safeguarding" {
			t.Errorf("identity views = %s", views.raw)
		}
		found := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/people?date_of_birth=1938-05-04", token: f.admin})
		if items := found.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["case_reference"] != "MOS-500001" {
			t.Errorf("people by date of birth = %s", found.raw)
		}
		f.must(t, 400, apiReq{method: "GET", path: "/api/v1/people", token: f.admin})
		f.must(t, 400, apiReq{method: "GET", path: "/api/v1/people?date_of_birth=4/5/1938", token: f.admin})
		sar := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/subject-access/MOS-500001", token: f.admin})
		if !strings.Contains(string(sar.raw), "Edith Crawley") || strings.Contains(string(sar.raw), "Walter") {
			t.Errorf("subject access export = %s", sar.raw)
		}
		f.must(t, 404, apiReq{method: "GET", path: "/api/v1/subject-access/MOS-999999", token: f.admin})
		f.must(t, 403, apiReq{method: "GET", path: "/api/v1/subject-access/MOS-500001", token: f.surreyCommissioner})

		// Retention: defaults, validation, a change, and a purge.
		if r := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/retention-rules", token: f.admin}); r.body["ended_placement_months"] != float64(84) {
			t.Errorf("default rules = %s", r.raw)
		}
		f.must(t, 400, apiReq{method: "PUT", path: "/api/v1/retention-rules", token: f.admin, body: map[string]any{"unplaced_months": 12}})
		f.must(t, 400, apiReq{method: "PUT", path: "/api/v1/retention-rules", token: f.admin, body: map[string]any{"unplaced_months": 0, "ended_placement_months": 84}})
		f.must(t, 200, apiReq{method: "PUT", path: "/api/v1/retention-rules", token: f.admin, body: map[string]any{"unplaced_months": 6, "ended_placement_months": 60}})
		if r := f.must(t, 200, apiReq{method: "POST", path: "/api/v1/retention-rules/purge", token: f.admin}); r.body["total"] != float64(0) {
			t.Errorf("nothing is due yet, purge = %s", r.raw)
		}
	})
}

// TestPersonalDataPages: the admin pages render, and the subject access
// page holds the person.
func TestPersonalDataPages(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		broker := storagetest.As(e.kent, caremarket.RoleBroker, 0)
		r := &brokerage.Requirement{CaseReference: "MOS-700007", ServiceType: "nursing", StartDate: time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC), AreaID: e.thanet.ID, Method: brokerage.ByDirectAward}
		if err := db.CreateRequirement(broker, r, &brokerage.Person{FullName: "Ada Lovelace", Address: "1 Marine Drive", Postcode: "CT9 2AA"}); err != nil {
			t.Fatal(err)
		}
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		admin.expectPage("/admin/personal-data", http.StatusOK, "Retention rules", "Remove details due under the rules")
		admin.expectPage("/admin/subject-access?name=ada", http.StatusOK, "MOS-700007", "Ada Lovelace")
		admin.expectPage("/admin/subject-access/MOS-700007", http.StatusOK, "Everything held about case MOS-700007", "1 Marine Drive", "being sourced")
		admin.expectPage("/admin/identity-views?case_reference=MOS-700007", http.StatusOK, "Subject access request")
		if status, _ := admin.post("/admin/personal-data", map[string][]string{"unplaced_months": {"x"}, "ended_placement_months": {"84"}}); status != http.StatusBadRequest {
			t.Errorf("a non-number: %d", status)
		}
		e.signIn(e.kent, caremarket.RoleBroker, 0).expectPage("/admin/personal-data", http.StatusForbidden)
	})
}

// TestAuditNamesTheRequest: a change's audit record carries the request id
// its answer did, so a log line and an audit record can be matched.
func TestAuditNamesTheRequest(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		f.must(t, 200, apiReq{method: "PUT", path: "/api/v1/retention-rules", token: f.admin, body: map[string]any{"unplaced_months": 6, "ended_placement_months": 60},
			header: map[string]string{"X-Request-Id": "lb-req-42"}})
		recs := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/audit?q=retention.set", token: f.admin}).body["items"].([]any)
		if len(recs) != 1 || recs[0].(map[string]any)["request_id"] != "lb-req-42" {
			t.Fatalf("audit records = %v, want one naming request lb-req-42", recs)
		}
		if n, broken, err := db.VerifyAudit(context.Background()); err != nil || broken != nil || n == 0 {
			t.Fatalf("audit chain with request ids: %d, %+v, %v", n, broken, err)
		}
	})
}

package server

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func TestAPICQC(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		f.srv.DistrictFor = fixtureDistrict
		csvType := map[string]string{"Content-Type": "text/csv"}
		v1, _ := os.ReadFile(cqcFixtures + "directory_v1.csv")
		v2, _ := os.ReadFile(cqcFixtures + "directory_v2.csv")

		// Bulk vacancies first, while Alpha House is still registered (the
		// fixture's own homes are not in the CQC files, so an import marks
		// them deregistered).
		before := f.counts(t)
		good := "cqc_location_id,service_type,vacancies\n" + f.alphaHome.CQCLocationID + ",nursing,2\n" + f.alphaHome.CQCLocationID + ",Residential,0\n"
		resp := f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/vacancies", token: f.alphaPU, body: good, header: csvType})
		if n, _ := resp.body["saved"].(float64); n != 2 {
			t.Errorf("saved %v", resp.body)
		}
		if after := f.counts(t); after["vacancies"] != before["vacancies"]+2 {
			t.Errorf("vacancies %d -> %d", before["vacancies"], after["vacancies"])
		}
		// A line for another provider's location: nothing is saved.
		before = f.counts(t)
		bad := good + f.betaHome.CQCLocationID + ",homecare,1\n"
		resp = f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/vacancies", token: f.alphaPU, body: bad, header: csvType})
		if !strings.Contains(resp.errField("line 4"), "is not one of yours") {
			t.Errorf("another provider's location: %s", resp.raw)
		}
		resp = f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/vacancies", token: f.alphaPU,
			body: "cqc_location_id,service_type,vacancies\n" + f.alphaHome.CQCLocationID + ",nursing,many\n", header: csvType})
		if !strings.Contains(resp.errField("line 2"), "not a whole number") {
			t.Errorf("bad figure: %s", resp.raw)
		}
		f.must(t, http.StatusUnsupportedMediaType, apiReq{method: "POST", path: "/api/v1/vacancies", token: f.alphaPU, body: map[string]any{"vacancies": 1}})
		if after := f.counts(t); after["vacancies"] != before["vacancies"] || after["audit_log"] != before["audit_log"] {
			t.Errorf("refused uploads changed data: %v -> %v", before, after)
		}

		// Only admins import, and only CSV or a multipart file.
		for _, tok := range []string{f.commissioner, f.broker, f.alphaPU} {
			f.must(t, http.StatusForbidden, apiReq{method: "POST", path: "/api/v1/cqc-imports", token: tok, body: v1, header: csvType})
		}
		f.must(t, http.StatusUnsupportedMediaType, apiReq{method: "POST", path: "/api/v1/cqc-imports", token: f.admin, body: map[string]any{}})
		resp = f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/cqc-imports", token: f.admin, body: "a,b\n1,2\n", header: csvType})
		if !strings.Contains(resp.errField("file"), "not CQC's directory") {
			t.Errorf("not the directory: %s", resp.raw)
		}

		// Kent has Thanet and Dover: Seaview and Harbour View (CT9, CT11)
		// and Cliff Top (CT16) are added, rows elsewhere rejected.
		resp = f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/cqc-imports?source=v1.csv", token: f.admin, body: v1, header: csvType})
		if resp.body["added"].(float64) != 3 || resp.body["deregistered"].(float64) != 2 || len(resp.body["rejections"].([]any)) == 0 {
			t.Errorf("first import: %s", resp.raw)
		}
		// As a multipart file, the same again: unchanged.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "directory_v1.csv")
		fw.Write(v1)
		mw.Close()
		resp = f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/cqc-imports", token: f.admin, body: buf.Bytes(),
			header: map[string]string{"Content-Type": mw.FormDataContentType()}})
		if resp.body["unchanged"].(float64) != 3 || resp.body["added"].(float64) != 0 {
			t.Errorf("re-import: %s", resp.raw)
		}
		resp = f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/cqc-imports?source=v2.csv", token: f.admin, body: v2, header: csvType})
		if resp.body["rating_changes"].(float64) != 2 || resp.body["alerts"].(float64) != 1 {
			t.Errorf("newer file: %s", resp.raw)
		}

		// Rating history, newest first.
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/locations?q=1-1000000001", token: f.broker})
		seaview := int64(jsonAt(resp.body, "items").([]any)[0].(map[string]any)["id"].(float64))
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/locations/" + idOf(seaview) + "/ratings", token: f.broker})
		items := resp.body["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["rating"] != "inadequate" || items[0].(map[string]any)["previous"] != "good" ||
			items[0].(map[string]any)["source"] != "cqc-directory v2.csv" {
			t.Errorf("history: %s", resp.raw)
		}
		f.must(t, http.StatusNotFound, apiReq{method: "GET", path: "/api/v1/locations/" + idOf(seaview) + "/ratings", token: f.alphaPU})
		f.must(t, http.StatusNotFound, apiReq{method: "GET", path: "/api/v1/locations/" + idOf(seaview) + "/ratings", token: f.surreyCommissioner})

		// Deregistered locations are listed only when asked for.
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/locations?q=Alpha", token: f.broker})
		if resp.body["total"].(float64) != 0 {
			t.Errorf("deregistered location listed: %s", resp.raw)
		}
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/locations?q=Alpha&include_deregistered=true", token: f.broker})
		if resp.body["total"].(float64) != 1 {
			t.Errorf("include_deregistered: %s", resp.raw)
		}

		// Alerts: Alpha House and Beta House left the register, Seaview
		// was rated Inadequate.
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/alerts", token: f.commissioner})
		alerts := resp.body["items"].([]any)
		if len(alerts) != 3 {
			t.Fatalf("alerts: %s", resp.raw)
		}
		first := int64(alerts[0].(map[string]any)["id"].(float64))
		f.must(t, http.StatusForbidden, apiReq{method: "GET", path: "/api/v1/alerts", token: f.alphaPU})
		f.must(t, http.StatusForbidden, apiReq{method: "POST", path: "/api/v1/alerts/" + idOf(first) + "/acknowledge", token: f.broker})
		f.must(t, http.StatusNotFound, apiReq{method: "POST", path: "/api/v1/alerts/" + idOf(first) + "/acknowledge", token: f.surreyCommissioner})
		resp = f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/alerts/" + idOf(first) + "/acknowledge", token: f.commissioner})
		if resp.body["acknowledged_by"] != f.commissionerUser.Email || resp.body["acknowledged_at"] == nil {
			t.Errorf("acknowledged: %s", resp.raw)
		}
		f.must(t, http.StatusNotFound, apiReq{method: "POST", path: "/api/v1/alerts/" + idOf(first) + "/acknowledge", token: f.commissioner})
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/alerts", token: f.broker})
		if len(resp.body["items"].([]any)) != 2 {
			t.Errorf("open alerts after one acknowledged: %s", resp.raw)
		}
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/alerts?include_acknowledged=true", token: f.broker})
		if len(resp.body["items"].([]any)) != 3 {
			t.Errorf("all alerts: %s", resp.raw)
		}

		// A server without a table of postcode districts refuses imports.
		f.srv.DistrictFor = nil
		f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/cqc-imports", token: f.admin, body: v1, header: csvType})
	})
}

package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestAPIQuality: an officer sets a framework, records a visit to Beta's
// home and publishes it with an action; Alpha's user sees none of it, nor
// Beta's risk or performance (404); Alpha's own report it answers and
// evidences, and the officer accepts; the figures and league table answer
// in the documented shapes.
func TestAPIQuality(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		fw := map[string]any{"name": "Kent monitoring", "domains": []any{
			map[string]any{"name": "Safeguarding", "questions": []any{map[string]any{"text": "Staff know how to raise a concern", "evidence_notes": "Training records"}}},
			map[string]any{"name": "Medication", "questions": []any{map[string]any{"text": "Medicines are stored safely"}}},
		}}
		f.must(t, http.StatusForbidden, apiReq{method: "POST", path: "/api/v1/monitoring-frameworks", token: f.alphaPU, body: fw})
		f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/monitoring-frameworks", token: f.commissioner, body: map[string]any{"name": "x"}})
		resp := f.must(t, http.StatusCreated, apiReq{method: "POST", path: "/api/v1/monitoring-frameworks", token: f.commissioner, body: fw})
		fwID := int64(resp.body["id"].(float64))
		f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/monitoring-frameworks", token: f.broker})
		f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/monitoring-frameworks/" + idOf(fwID), token: f.alphaPU})

		visit := func(loc int64, r1, r2 string) map[string]any {
			return map[string]any{"framework_id": fwID, "location_id": loc, "announced": false, "visit_date": "2026-01-15", "officers": "J. Smith",
				"answers": []any{map[string]any{"question_key": "D1Q1", "rating": r1}, map[string]any{"question_key": "D2Q1", "rating": r2, "note": "MAR charts complete"}}}
		}
		bad := visit(f.betaHome.ID, "great", "good")
		resp = f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/monitoring-visits", token: f.commissioner, body: bad})
		if resp.errField("answer-D1Q1") == "" {
			t.Errorf("bad answer: %s", resp.raw)
		}
		resp = f.must(t, http.StatusCreated, apiReq{method: "POST", path: "/api/v1/monitoring-visits", token: f.commissioner, body: visit(f.betaHome.ID, "poor", "good")})
		betaVisit := idOf(int64(resp.body["id"].(float64)))
		if resp.body["overall"] != "poor" || len(resp.body["working"].([]any)) != 3 {
			t.Errorf("beta visit %s", resp.raw)
		}
		resp = f.must(t, http.StatusCreated, apiReq{method: "POST", path: "/api/v1/monitoring-visits", token: f.commissioner, body: visit(f.alphaHome.ID, "good", "excellent")})
		alphaVisit := idOf(int64(resp.body["id"].(float64)))
		f.must(t, http.StatusOK, apiReq{method: "PUT", path: "/api/v1/monitoring-visits/" + alphaVisit, token: f.commissioner, body: visit(f.alphaHome.ID, "requires_improvement", "good")})
		resp = f.must(t, http.StatusCreated, apiReq{method: "POST", path: "/api/v1/actions", token: f.commissioner,
			body: map[string]any{"visit_id": mustInt(alphaVisit), "question_key": "D1Q1", "finding": "Training out of date", "owner": "Manager", "due_date": "2099-01-31"}})
		action := idOf(int64(resp.body["id"].(float64)))
		f.must(t, http.StatusCreated, apiReq{method: "POST", path: "/api/v1/actions", token: f.commissioner,
			body: map[string]any{"visit_id": mustInt(betaVisit), "finding": "Medicines audit", "owner": "Manager", "due_date": "2026-01-20"}})
		// A draft is not the provider's to see.
		f.must(t, http.StatusNotFound, apiReq{method: "GET", path: "/api/v1/monitoring-visits/" + alphaVisit, token: f.alphaPU})
		for _, v := range []string{alphaVisit, betaVisit} {
			f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/monitoring-visits/" + v + "/publish", token: f.commissioner})
		}
		f.must(t, http.StatusConflict, apiReq{method: "POST", path: "/api/v1/monitoring-visits/" + alphaVisit + "/publish", token: f.commissioner})
		f.must(t, http.StatusConflict, apiReq{method: "PUT", path: "/api/v1/monitoring-visits/" + alphaVisit, token: f.commissioner, body: visit(f.alphaHome.ID, "good", "good")})

		// Alpha sees its own and nothing of Beta's.
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/monitoring-visits", token: f.alphaPU})
		if resp.body["total"].(float64) != 1 {
			t.Errorf("alpha lists %s", resp.raw)
		}
		f.must(t, http.StatusNotFound, apiReq{method: "GET", path: "/api/v1/monitoring-visits/" + betaVisit, token: f.alphaPU})
		f.must(t, http.StatusNotFound, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.beta.ID) + "/risk", token: f.alphaPU})
		f.must(t, http.StatusNotFound, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.beta.ID) + "/performance", token: f.alphaPU})
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/actions", token: f.alphaPU})
		if resp.body["total"].(float64) != 1 {
			t.Errorf("alpha's actions %s", resp.raw)
		}
		f.must(t, http.StatusNotFound, apiReq{method: "GET", path: "/api/v1/monitoring-visits/" + alphaVisit, token: f.surreyCommissioner})

		f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/monitoring-visits/" + alphaVisit + "/response", token: f.alphaPU, body: map[string]any{"response": "Training booked"}})
		f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/actions/" + action + "/evidence", token: f.alphaPU, body: map[string]any{"evidence": " "}})
		f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/actions/" + action + "/evidence", token: f.alphaPU, body: map[string]any{"evidence": "Certificates attached"}})
		f.must(t, http.StatusForbidden, apiReq{method: "POST", path: "/api/v1/actions/" + action + "/decision", token: f.alphaPU, body: map[string]any{"accept": true}})
		resp = f.must(t, http.StatusOK, apiReq{method: "POST", path: "/api/v1/actions/" + action + "/decision", token: f.commissioner, body: map[string]any{"accept": true}})
		if resp.body["status"] != "accepted" {
			t.Errorf("decision %s", resp.raw)
		}
		f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/actions/" + action, token: f.alphaPU})

		// Risk, weights, complaints, the watch list.
		f.must(t, http.StatusCreated, apiReq{method: "POST", path: "/api/v1/quality-events", token: f.commissioner,
			body: map[string]any{"location_id": f.betaHome.ID, "kind": "safeguarding", "date": "2026-01-10", "count": 1}})
		f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/quality-events", token: f.commissioner,
			body: map[string]any{"location_id": f.betaHome.ID, "kind": "safeguarding", "date": "2026-01-10", "count": 0}})
		f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.beta.ID) + "/quality-events", token: f.commissioner})
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.beta.ID) + "/risk", token: f.commissioner})
		// Beta: Good CQC, audit Poor 2 x 10, 1 overdue action 3, 1 safeguarding 4 = 27, High.
		if resp.body["score"].(float64) != 27 || resp.body["level"] != "high" {
			t.Errorf("beta risk %s", resp.raw)
		}
		f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.alpha.ID) + "/risk", token: f.alphaPU})
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/watch-list?level=high", token: f.commissioner})
		if resp.body["total"].(float64) != 1 {
			t.Errorf("watch list %s", resp.raw)
		}
		f.must(t, http.StatusBadRequest, apiReq{method: "GET", path: "/api/v1/watch-list?level=scary", token: f.commissioner})
		f.must(t, http.StatusForbidden, apiReq{method: "GET", path: "/api/v1/watch-list", token: f.alphaPU})
		f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/risk-weights", token: f.alphaPU})
		f.must(t, http.StatusBadRequest, apiReq{method: "PUT", path: "/api/v1/risk-weights", token: f.commissioner, body: map[string]any{"cqc_rating": -1}})
		f.must(t, http.StatusOK, apiReq{method: "PUT", path: "/api/v1/risk-weights", token: f.commissioner, body: map[string]any{"complaints": 3}})

		// Performance.
		resp = f.must(t, http.StatusOK, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.alpha.ID) + "/performance?from=2025-01-01&to=2026-12-31", token: f.alphaPU})
		for _, k := range []string{"offers", "median_response_minutes", "acceptance_rate_bp", "hand_backs_28d"} {
			if _, ok := resp.body[k]; !ok {
				t.Errorf("performance lacks %s: %s", k, resp.raw)
			}
		}
		f.must(t, http.StatusBadRequest, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.alpha.ID) + "/performance?from=soon", token: f.alphaPU})
		f.must(t, http.StatusBadRequest, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.alpha.ID) + "/performance?from=2026-05-01&to=2026-01-01", token: f.commissioner})
		f.must(t, http.StatusNotFound, apiReq{method: "GET", path: "/api/v1/lots/999999/performance", token: f.commissioner})
		f.must(t, http.StatusNotFound, apiReq{method: "PUT", path: "/api/v1/lots/999999/audit-minimum", token: f.commissioner, body: map[string]any{"minimum_audit_rating": "good"}})

		// Delivered hours: CSV only, every bad line named.
		csvType := map[string]string{"Content-Type": "text/csv"}
		f.must(t, http.StatusUnsupportedMediaType, apiReq{method: "POST", path: "/api/v1/delivered-hours", token: f.alphaPU, body: map[string]any{}})
		resp = f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/delivered-hours", token: f.alphaPU,
			body: "placement_id,week_commencing,delivered_hours\n1,2026-01-05,x\n", header: csvType})
		if !strings.Contains(resp.errField("line 2"), "delivered_hours") {
			t.Errorf("bad hours: %s", resp.raw)
		}
		resp = f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: "/api/v1/delivered-hours", token: f.alphaPU,
			body: "placement_id,week_commencing,delivered_hours\n424242,2026-01-05,10\n", header: csvType})
		if !strings.Contains(resp.errField("line 2"), "not one of yours") {
			t.Errorf("unknown placement: %s", resp.raw)
		}
	})
}

func mustInt(s string) int64 {
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}

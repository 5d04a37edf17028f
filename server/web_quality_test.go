package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/quality"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestWebQualityForms: an officer sets up a framework from the form's text,
// a visit with unanswered questions comes back with a message per question
// and nothing saved, a complete one is saved as a draft with its working;
// the provider sees nothing until it is published, and another provider
// never sees it.
func TestWebQualityForms(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		comm := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		acorn := e.signIn(e.kent, caremarket.RoleProvider, e.acorn.ID)
		birch := e.signIn(e.kent, caremarket.RoleProvider, e.birch.ID)

		// No framework yet: no "Record a visit" button.
		comm.expectPage("/monitoring", http.StatusOK, "Contract monitoring", "!/monitoring/visits/new")
		status, body := comm.post("/monitoring/frameworks", url.Values{"name": {"Kent"}, "domains": {"- a question without a domain"}})
		if status != http.StatusBadRequest || !strings.Contains(body, "govuk-error-summary") {
			t.Fatalf("framework without a domain name: %d", status)
		}
		status, _ = comm.post("/monitoring/frameworks", url.Values{"name": {"Kent monitoring"},
			"domains": {"Safeguarding\n- Staff know how to raise a concern | training records\nMedication\n- Medicines are stored safely"}})
		if status != http.StatusOK {
			t.Fatalf("save framework: %d", status)
		}
		acorn.expectPage("/monitoring/frameworks", http.StatusForbidden)
		fws, _ := db.ListFrameworks(e.kent)
		form := url.Values{"framework_id": {idStr(fws[0].ID)}, "location_id": {idStr(e.acornHouse.ID)}, "announced": {"no"}, "officers": {"J. Smith"},
			"visit_date-day": {"2"}, "visit_date-month": {"1"}, "visit_date-year": {"2026"}, "answer-D1Q1": {"poor"}}
		comm.expectPage("/monitoring/visits/new", http.StatusOK, "Record a monitoring visit", `name="answer-D2Q1"`)
		status, body = comm.post("/monitoring/visits", form)
		if status != http.StatusBadRequest || !strings.Contains(body, `href="#answer-D2Q1"`) || !strings.Contains(body, `value="poor" checked`) {
			t.Fatalf("unanswered question: %d\n%s", status, body[strings.Index(body, "<main"):])
		}
		if vs, _ := db.ListVisits(e.kent, qualityVisitFilter()); len(vs) != 0 {
			t.Fatalf("a refused visit was saved")
		}
		form.Set("answer-D2Q1", "good")
		status, body = comm.post("/monitoring/visits", form)
		if status != http.StatusOK || !strings.Contains(body, "Draft: not yet seen by the provider") || !strings.Contains(body, "Safeguarding: (1) / 1 = 1.00, Poor") {
			t.Fatalf("save visit: %d", status)
		}
		vs, _ := db.ListVisits(e.kent, qualityVisitFilter())
		path := "/monitoring/visits/" + idStr(vs[0].ID)
		acorn.expectPage(path, http.StatusNotFound)
		acorn.expectPage("/monitoring", http.StatusOK, "Monitoring reports", "!Acorn House")
		status, _ = comm.post(path+"/publish", nil)
		if status != http.StatusOK {
			t.Fatalf("publish: %d", status)
		}
		acorn.expectPage(path, http.StatusOK, "Acorn House", "Respond to the report")
		birch.expectPage(path, http.StatusNotFound)
		birch.expectPage("/providers/"+idStr(e.acorn.ID)+"/risk", http.StatusNotFound)
		birch.expectPage("/providers/"+idStr(e.acorn.ID)+"/performance", http.StatusNotFound)
		acorn.expectPage("/providers/"+idStr(e.acorn.ID)+"/risk", http.StatusOK, "Latest audit Poor: 2 × 10 = 20")
		comm.expectPage("/risk?level=medium", http.StatusOK, "Acorn Care Ltd")
		comm.expectPage("/risk/weights", http.StatusOK, "Save the weights")
		status, body = comm.post("/risk/weights", url.Values{"cqc_rating": {"x"}})
		if status != http.StatusBadRequest || !strings.Contains(body, "Enter a whole number") {
			t.Errorf("bad weights: %d", status)
		}
		comm.expectPage("/performance", http.StatusOK, "League tables by lot")
		acorn.expectPage("/performance", http.StatusOK, "Your lots")
	})
}
func qualityVisitFilter() quality.VisitFilter { return quality.VisitFilter{} }

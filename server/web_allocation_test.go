package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestAllocationSimulationPage: a commissioner runs the simulation on the
// council's market and sees the three sides and the chart; a bad number is
// a form error, not a failure; a provider cannot see the page.
func TestAllocationSimulationPage(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		if err := db.SetVacancy(f.kent, &market.Vacancy{LocationID: f.alphaHome.ID, ServiceType: market.Nursing, Vacancies: 2}); err != nil {
			t.Fatal(err)
		}
		get := func(role caremarket.Role, provider int64, path string) (int, string) {
			ctx := storagetest.As(f.kent, role, provider)
			r := httptest.NewRequest("GET", path, nil).WithContext(ctx)
			w := httptest.NewRecorder()
			f.srv.page(f.srv.allocationSimulationPage).ServeHTTP(w, r)
			b, _ := io.ReadAll(w.Result().Body)
			return w.Code, string(b)
		}
		code, body := get(caremarket.RoleCommissioner, 0, "/allocations/simulation?days=10&seed=3")
		if code != http.StatusOK || !strings.Contains(body, "<svg") || !strings.Contains(body, "Daily batch, on contract first") {
			t.Fatalf("simulation page %d\n%.500s", code, body)
		}
		if code, body = get(caremarket.RoleCommissioner, 0, "/allocations/simulation?days=400"); code != http.StatusBadRequest || !strings.Contains(body, "from 1 to 90") {
			t.Fatalf("bad days: %d", code)
		}
		if code, _ = get(caremarket.RoleProvider, f.alpha.ID, "/allocations/simulation"); code != http.StatusNotFound {
			t.Fatalf("provider: %d", code)
		}
	})
}

// TestWebAllocationBatch drives the batch pages over the demo (its
// discharge wave waits for offers): nothing chosen is a form error; all
// waiting are planned; a line is changed to no offer; a commissioner may
// read but not change; the offers go out in one action.
func TestWebAllocationBatch(t *testing.T) {
	db, res, srv := demoWeb(t)
	broker := demoSignIn(t, srv.URL, res, caremarket.RoleBroker)
	comm := demoSignIn(t, srv.URL, res, caremarket.RoleCommissioner)
	ctx := demoBroker(res)

	status, body := broker.post("/allocations", url.Values{})
	if status != http.StatusBadRequest {
		t.Fatalf("nothing chosen: %d", status)
	}
	checkBody(t, "nothing chosen", body, `href="#requirement_id"`, `id="requirement_id-error"`, "Choose at least one open requirement")

	status, body = broker.post("/allocations", url.Values{"all": {"1"}})
	if status != http.StatusOK {
		t.Fatalf("plan all: %d\n%s", status, body)
	}
	// Every open requirement waiting for an offer: the demo's discharge
	// wave of 16 and whatever else the demo leaves waiting.
	m := regexp.MustCompile(`Planned (\d+) requirements together`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("plan: no count of requirements planned")
	}
	planned, _ := strconv.Atoi(m[1])
	if planned < 16 {
		t.Errorf("planned %d requirements, want at least the demo's wave of 16", planned)
	}
	checkBody(t, "plan", body, "Contracted providers in the person&#39;s area", fmt.Sprintf("Send %d offers", planned))
	bs, err := db.ListAllocations(ctx)
	if err != nil || len(bs) != 1 {
		t.Fatalf("batches %d %v", len(bs), err)
	}
	b, err := db.Allocation(ctx, bs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	batch := "/allocations/" + idStr(b.ID)
	line := batch + "/lines/" + idStr(b.Lines[0].RequirementID)
	if status, _ := comm.get(line); status != http.StatusForbidden {
		t.Fatalf("a commissioner changing a line: %d", status)
	}
	comm.expectPage(batch, http.StatusOK, "Batch allocation "+idStr(b.ID))
	broker.expectPage(line, http.StatusOK, "Change the line for "+b.Lines[0].CaseReference, "No offer for now")
	status, body = broker.post(line, url.Values{"location_id": {"0"}})
	if status != http.StatusOK {
		t.Fatalf("change a line: %d\n%s", status, body)
	}
	checkBody(t, "changed", body, "Changed the line", fmt.Sprintf("Send %d offers", planned-1))

	status, body = broker.post(batch+"/send", url.Values{})
	if status != http.StatusOK {
		t.Fatalf("send: %d\n%s", status, body)
	}
	checkBody(t, "sent", body, "Sent ", "Not sent: no location chosen")
	if b, err = db.Allocation(ctx, b.ID); err != nil || b.Status != brokerage.BatchSent || b.Lines[0].OfferID != 0 || b.Lines[1].OfferID == 0 {
		t.Fatalf("after sending: %+v %v", b, err)
	}
}

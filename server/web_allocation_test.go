package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
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

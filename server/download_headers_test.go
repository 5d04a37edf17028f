package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestDownloadsNotCached: a file download (CSV, workbook) says
// Cache-Control: no-store, as every page and API answer does: finance and
// performance tables name providers and placements, and a shared computer's
// browser cache must not keep them.
func TestDownloadsNotCached(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPricingFixture(t, db)
		for path, token := range map[string]string{"/finance?format=csv": f.finance, "/finance?format=xlsx": f.finance,
			"/finance/commitments?by=provider&format=csv": f.finance, "/locations/vacancies/template.csv": f.alphaPU} {
			code, body, h := f.webDo(t, token, "GET", path, nil, "")
			if code != http.StatusOK || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
				t.Fatalf("GET %s = %d %v\n%s", path, code, h, body)
			}
			if cc := h.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("GET %s: Cache-Control %q, want no-store", path, cc)
			}
		}
	})
}

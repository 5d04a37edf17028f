package server

import (
	"strings"
	"testing"

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestUploadOverLimitRefused: a file over an upload's limit is refused
// whole, with a 4xx that names the limit, and never read in part: a file cut
// off at the limit would lose its last lines (or cut a figure short, 40000
// read as 4) and still be saved. The CSV readers skip blank lines, so the
// padding leaves one bad line at the end that only a whole read sees.
func TestUploadOverLimitRefused(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPricingFixture(t, db)
		csv := map[string]string{"Content-Type": "text/csv"}
		delivered := "placement_id,week_commencing,delivered_hours\n" + strings.Repeat("\n", MaxUploadBytes) + "424242,2026-01-05,10\n"
		f.uploadFile(t, f.alphaPU, "/performance/delivered-hours", "d.csv", []byte(delivered), 400, "The file must be smaller than 4 MB")
		r := f.must(t, 400, preq{method: "POST", path: "/api/v1/delivered-hours", token: f.alphaPU, body: delivered, header: csv})
		if !strings.Contains(string(r.raw), "larger than 4 MB") {
			t.Errorf("API delivered hours over the limit: %s", r.raw)
		}
		budgets := "Budget line,Year,Amount\n" + strings.Repeat("\n", MaxBodyBytes) + "Nope,2027/28,40000\n"
		f.uploadFile(t, f.finance, "/finance/budgets/upload", "b.csv", []byte(budgets), 400, "The file must be smaller than 1 MB")
		r = f.must(t, 400, preq{method: "POST", path: "/api/v1/budgets", token: f.finance, body: budgets, header: csv})
		if !strings.Contains(string(r.raw), "larger than 1 MB") {
			t.Errorf("API budgets over the limit: %s", r.raw)
		}
	})
}

package server

import (
	"bytes"
	"net/http"
	"runtime"
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
		legacy := strings.Repeat("x", MaxUploadBytes+1)
		f.uploadFile(t, f.commissioner, "/pricing/legacy-impact", "l.csv", []byte(legacy), 400, "The file must be smaller than 4 MB")
		budgets := "Budget line,Year,Amount\n" + strings.Repeat("\n", MaxBodyBytes) + "Nope,2027/28,40000\n"
		f.uploadFile(t, f.finance, "/finance/budgets/upload", "b.csv", []byte(budgets), 400, "The file must be smaller than 1 MB")
		r = f.must(t, 400, preq{method: "POST", path: "/api/v1/budgets", token: f.finance, body: budgets, header: csv})
		if !strings.Contains(string(r.raw), "larger than 1 MB") {
			t.Errorf("API budgets over the limit: %s", r.raw)
		}
	})
}

// TestUploadLongLine: a file within the size limit but of one long line of
// commas is refused with a 400 at a small cost in memory. encoding/csv
// keeps about 40 bytes a field, so the 4 MB line used to cost 400 MB and
// seconds of CPU for each upload, from any provider user.
func TestUploadLongLine(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPricingFixture(t, db)
		line := func(size int) string { return strings.Repeat(",", size-1024) + "\n" }
		for _, tt := range []struct {
			token, path string
			size        int
		}{
			{f.alphaPU, "/api/v1/vacancies", MaxUploadBytes},
			{f.alphaPU, "/api/v1/delivered-hours", MaxUploadBytes},
			{f.commissioner, "/api/v1/legacy-impact", MaxUploadBytes},
			{f.finance, "/api/v1/budgets", MaxBodyBytes},
			{f.finance, "/api/v1/actuals", MaxUploadBytes},
			{f.alphaPU, "/locations/vacancies/upload", MaxUploadBytes},
			{f.alphaPU, "/performance/delivered-hours", MaxUploadBytes},
			{f.commissioner, "/pricing/legacy-impact", MaxUploadBytes},
			{f.finance, "/finance/budgets/upload", MaxBodyBytes},
			{f.finance, "/finance/actuals", MaxUploadBytes},
		} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if strings.HasPrefix(tt.path, "/api/") {
				f.must(t, 400, preq{method: "POST", path: tt.path, token: tt.token, body: line(tt.size), header: map[string]string{"Content-Type": "text/csv"}})
			} else {
				f.uploadFile(t, tt.token, tt.path, "long.csv", []byte(line(tt.size)), 400)
			}
			runtime.ReadMemStats(&after)
			if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 64 {
				t.Errorf("POST %s of one %d MB line allocated %d MB", tt.path, tt.size>>20, mb)
			}
		}
	})
}

// TestWebFormBoundedForAPIToken: a web form's body is bounded (64 MB for a
// file upload) whoever sends it. A request with an API token needs no CSRF
// token, and the check that bounded and parsed the form returned before
// it, so an upload page took a multipart body of any size, spooled to disk.
func TestWebFormBoundedForAPIToken(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPricingFixture(t, db)
		big := bytes.Repeat([]byte("1-100000001,1,01/04/2026,07/04/2026,800.00,14/04/2026\n"), (64<<20)/54+1024)
		f.uploadFile(t, f.finance, "/finance/actuals", "r.csv", big, http.StatusRequestEntityTooLarge, "The form is too large")
	})
}

// TestActualsReportListsFirstLines: the payments import lists the first
// 100 lines it could not import and counts the rest; a 1 MB file of
// unreadable lines made a 100 MB page listing all 260,000.
func TestActualsReportListsFirstLines(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPricingFixture(t, db)
		file := "CQC Provider ID,Placement ID,Period From,Period To,Amount,Payment Date\n" + strings.Repeat("x,y,z\n", 200_000)
		page := f.uploadFile(t, f.finance, "/finance/actuals", "r.csv", []byte(file), http.StatusOK, "The first 100 are listed here, and 199900 more were not imported either")
		if len(page) > 256<<10 {
			t.Errorf("the report page weighs %d KB", len(page)>>10)
		}
	})
}

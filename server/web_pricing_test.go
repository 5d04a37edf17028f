package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// webDo sends a page request with a bearer token (which needs no CSRF
// token: it carries no ambient credential) and answers status and body.
func (f *pricingFixture) webDo(t testing.TB, token, method, path string, body []byte, contentType string) (int, string, http.Header) {
	t.Helper()
	hr := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, hr)
	return w.Code, w.Body.String(), w.Header()
}

// expectAnswer fails the test unless the answer to what has status, and
// checks its body as checkBody does.
func expectAnswer(t testing.TB, what string, got, status int, body string, want ...string) {
	t.Helper()
	if got != status {
		t.Fatalf("%s = %d, want %d\n%s", what, got, status, body)
	}
	checkBody(t, what, body, want...)
}

func (f *pricingFixture) page(t testing.TB, token, path string, status int, want ...string) string {
	t.Helper()
	got, body, _ := f.webDo(t, token, "GET", path, nil, "")
	expectAnswer(t, "GET "+path, got, status, body, want...)
	return body
}

func (f *pricingFixture) form(t testing.TB, token, path string, v url.Values, status int, want ...string) (string, http.Header) {
	t.Helper()
	got, body, h := f.webDo(t, token, "POST", path, []byte(v.Encode()), "application/x-www-form-urlencoded")
	expectAnswer(t, "POST "+path, got, status, body, want...)
	return body, h
}

// upload posts file as prices.csv (see uploadFile).
func (f *pricingFixture) upload(t testing.TB, token, path string, file []byte, status int, want ...string) {
	t.Helper()
	f.uploadFile(t, token, path, "prices.csv", file, status, want...)
}

// The worked example (pricing/costmodel_test.go) typed into the form.
func workedExampleForm() url.Values {
	v := defaultModelForm(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	v.Set("name", "Residential 2025/26")
	v.Set("bands", "standard, Standard, 24.5")
	v.Set("effective_from-day", "1")
	v.Set("effective_from-month", "4")
	v.Set("effective_from-year", "2025")
	return v
}

func TestWebPricingJourney(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newPricingFixture(t, db)
		comm := f.commissioner

		// Cost model: preview shows the guide prices, nothing saved.
		f.form(t, comm, "/pricing/cost-models/new", workedExampleForm(), http.StatusOK, "Guide prices these inputs give", "£751.17", "£728.07")
		bad := workedExampleForm()
		bad.Set("bands", "standard, Standard, lots")
		f.form(t, comm, "/pricing/cost-models/new", bad, http.StatusBadRequest, "There is a problem", "Band line 1")
		save := workedExampleForm()
		save.Set("action", "save")
		_, h := f.form(t, comm, "/pricing/cost-models/new", save, http.StatusSeeOther)
		model := h.Get("Location")
		f.page(t, comm, model, http.StatusOK, "Adopt these guide prices", "£751.17", "rounded half-up to the penny once")
		f.page(t, f.alphaPU, model, http.StatusForbidden)
		f.form(t, comm, model+"/adopt", url.Values{}, http.StatusSeeOther)
		f.page(t, f.alphaPU, "/pricing", http.StatusOK, "£751.17", "How this price is worked out", "National Living Wage rates since 2016")

		// A round; Alpha submits by form and by file.
		today := time.Now().UTC()
		rv := url.Values{"name": {"Spring"}, "tolerance": {"10"}, "provider_ids": {pid(f.alpha.ID)}}
		for name, d := range map[string]time.Time{"opens_on": today.AddDate(0, 0, -1), "closes_on": today.AddDate(0, 0, 30), "effective_from": today.AddDate(0, 0, 31)} {
			dateValues(rv, name, &d)
		}
		// The agreement is chosen from the council's agreements.
		var agreementID int64
		if err := db.SQL().QueryRow(`INSERT INTO agreements (council_id, reference, title, type, regime, start_date, end_date, created_at, updated_at)
			SELECT id, 'OPRN-DPS', 'Older persons residential DPS', 'dps', 'pcr2015', '2016-04-01', '2030-12-31', $1, $1 FROM councils WHERE slug = 'kent' RETURNING id`,
			time.Now().UTC()).Scan(&agreementID); err != nil {
			t.Fatal(err)
		}
		f.page(t, comm, "/pricing/rounds", http.StatusOK, `<select class="govuk-select" id="agreement_id" name="agreement_id"`,
			`<option value="`+pid(agreementID)+`">OPRN-DPS — Older persons residential DPS</option>`, "No agreement")
		rv.Set("agreement_id", "abc")
		f.form(t, comm, "/pricing/rounds", rv, http.StatusBadRequest, "Choose an agreement from the list")
		rv.Set("agreement_id", pid(agreementID))
		_, h = f.form(t, comm, "/pricing/rounds", rv, http.StatusSeeOther)
		round := h.Get("Location")
		f.page(t, f.alphaPU, round, http.StatusOK, "Submit a price", "Or upload a file")
		f.page(t, f.surreyCommissioner, round, http.StatusNotFound)
		f.form(t, f.alphaPU, round+"/prices", url.Values{"location_id": {pid(f.alphaHome.ID)}, "service_type": {"residential"}, "band": {"standard"},
			"price": {"900"}}, http.StatusBadRequest, "outside the guide band")
		f.form(t, f.alphaPU, round+"/prices", url.Values{"location_id": {pid(f.alphaHome.ID)}, "service_type": {"residential"}, "band": {"standard"},
			"price": {"760"}}, http.StatusSeeOther)
		f.upload(t, f.alphaPU, round+"/upload", []byte("cqc_location_id,service_type,price,reason\n1-200000001,nursing,950,no guide\n1-200000001,nursing,abc,\n"),
			http.StatusBadRequest, "Lines of your file that cannot be used", "nothing was saved")
		// An empty file is the field's own error, linked to it for a screen reader.
		f.upload(t, f.alphaPU, round+"/upload", nil, http.StatusBadRequest, "govuk-file-upload--error", `aria-describedby="file-hint file-error"`)
		f.upload(t, f.alphaPU, round+"/upload", []byte("cqc_location_id,service_type,price,reason\n1-200000001,nursing,950,no guide yet\n"), http.StatusSeeOther)

		// Decisions.
		body := f.page(t, comm, round, http.StatusOK, "Approve", "Reject", "In band")
		ids := regexpAll(`/pricing/submissions/(\d+)/decision`, body)
		if len(ids) != 2 {
			t.Fatalf("decision forms: %v", ids)
		}
		f.form(t, comm, "/pricing/submissions/"+ids[0]+"/decision", url.Values{"decision": {"reject"}}, http.StatusBadRequest, "Give the reason for rejecting")
		f.form(t, comm, "/pricing/submissions/"+ids[0]+"/decision", url.Values{"decision": {"approve"}, "reason": {"no guide price yet"}}, http.StatusSeeOther)
		f.form(t, comm, "/pricing/submissions/"+ids[1]+"/decision", url.Values{"decision": {"approve"}}, http.StatusSeeOther)

		// Variation, with its chart, table and exports; staff only.
		rid := strings.TrimPrefix(round, "/pricing/rounds/")
		f.page(t, f.finance, "/pricing/variation?round_id="+rid, http.StatusOK, "<svg", "<desc", "Residential, Thanet", "£760.00", "format=csv")
		f.page(t, f.finance, "/pricing/variation?service_type=residential", http.StatusOK)
		f.page(t, f.alphaPU, "/pricing/variation", http.StatusForbidden)
		if code, csv, hdr := f.webDo(t, f.finance, "GET", "/pricing/variation?format=csv&round_id="+rid, nil, ""); code != 200 ||
			!strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(csv, "residential,Residential,Thanet,urban,1,760.00") {
			t.Errorf("CSV export = %d %s", code, csv)
		}

		// Uplift: preview, then apply what was previewed.
		uv := url.Values{"name": {"NLW"}, "kind": {"percent"}, "percent": {"3.5"}, "apply_guide": {"yes"}, "apply_contracted": {"yes"}}
		eff := today.AddDate(0, 0, 40)
		dateValues(uv, "effective_from", &eff)
		f.form(t, f.finance, "/pricing/uplifts", uv, http.StatusOK, "Preview: 3.5% on 4 prices", "£777.46")
		uv.Set("action", "apply")
		f.form(t, f.finance, "/pricing/uplifts", uv, http.StatusForbidden)
		f.form(t, comm, "/pricing/uplifts", uv, http.StatusSeeOther)
		f.page(t, comm, "/pricing/uplifts", http.StatusOK, "NLW")

		// The 16 specialist homes on legacy terms in Kent's report on opening
		// its specialist residential DPS: a whole-year cost of £7,198,785
		// including £123,912 to stabilise costs; 40% of placement costs went
		// down, 60% up.
		fixture, err := os.ReadFile("../pricing/testdata/legacy_seed001.csv")
		if err != nil {
			t.Fatal(err)
		}
		f.upload(t, f.finance, "/pricing/legacy-impact", fixture, http.StatusOK, "£7,198,785", "£123,912", "60 in 16 homes", "40%")
		f.page(t, f.alphaPU, "/pricing/legacy-impact", http.StatusForbidden)
		f.page(t, comm, "/pricing/cost-models", http.StatusOK, "Residential 2025/26", "Adopted")
		f.page(t, comm, "/pricing/rounds", http.StatusOK, "Spring", "Open a price round")
	})
}

func regexpAll(expr, s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(expr).FindAllStringSubmatch(s, -1) {
		if len(out) == 0 || out[len(out)-1] != m[1] {
			out = append(out, m[1])
		}
	}
	return out
}

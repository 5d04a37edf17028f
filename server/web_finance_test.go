package server

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// uploadFile posts file, named name, as the form's "file" field and wants
// status and every one of want on the page it answers with.
func (f *pricingFixture) uploadFile(t testing.TB, token, path, name string, file []byte, status int, want ...string) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(file)
	mw.Close()
	got, body, _ := f.webDo(t, token, "POST", path, buf.Bytes(), mw.FormDataContentType())
	expectAnswer(t, "POST "+path, got, status, body, want...)
	return body
}

// TestFinancePages: an admin adds a budget line; finance sets budgets by
// form and by file and the tolerances, sees the year's commitment against
// budget with its chart, drills into the placements behind a figure,
// imports payments (a provider then sees only its own), saves assumptions
// and a scenario; every table downloads as CSV and as a workbook with
// real currency formats; commissioners read but do not write.
func TestFinancePages(t *testing.T) {
	f, admin, _ := newFinanceFixture(t)
	f.page(t, f.commissioner, "/finance/budgets", 200, "There are no budget lines yet")
	f.form(t, admin, "/finance/budget-lines", url.Values{"name": {"Older people nursing"}, "code": {"OPN"}, "service_types": {"nursing", "nursing_high"}}, 303)
	f.form(t, admin, "/finance/budget-lines", url.Values{"name": {"Again"}, "service_types": {"nursing"}}, 400, "already on the budget line")
	f.form(t, f.commissioner, "/finance/budget-lines", url.Values{"name": {"X"}}, 403)
	f.form(t, f.finance, "/finance/budgets", url.Values{"year": {"2026"}, "budget-1": {"30000"}}, 303)
	f.form(t, f.finance, "/finance/budgets", url.Values{"year": {"2026"}, "budget-1": {"lots"}}, 400, "in pounds")
	f.uploadFile(t, f.finance, "/finance/budgets/upload", "b.csv", []byte("Budget line,Year,Amount\nOPN,2027/28,40000\n"), 303)
	f.uploadFile(t, f.finance, "/finance/budgets/upload", "b.csv", []byte("Budget line,Year,Amount\nNope,2027/28,40000\n"), 400, "Nothing was saved")
	f.form(t, f.finance, "/finance/settings", url.Values{"amber": {"2"}, "red": {"6"}}, 303)
	f.form(t, f.finance, "/finance/settings", url.Values{"amber": {"9"}, "red": {"6"}}, 400, "at or above amber")
	f.page(t, f.finance, "/finance/budgets?year=2027", 200, "£40,000.00")

	home := f.page(t, f.finance, "/finance", 200, "Finance 2026/27", "Older people nursing", "£30,000.00", "£36,500.00", "<svg", "Spend by month")
	if !strings.Contains(home, "/finance/placements?year=2026&amp;budget_line_id=1") {
		t.Error("the committed figure does not drill down")
	}
	f.page(t, f.commissioner, "/finance", 200, "Older people nursing")
	f.page(t, f.alphaPU, "/finance", 403)
	f.page(t, f.finance, "/finance/placements?year=2026&budget_line_id=1", 200, "Alpha Care", "365 days at £700.00 a week")
	f.page(t, f.finance, "/finance/placements?year=2026&month=2", 200, "31 days at £700.00 a week")
	f.page(t, f.finance, "/finance/placements/1?year=2026", 200, "£36,500.00")
	f.page(t, f.finance, "/finance/commitments?by=provider", 200, "Alpha Care")

	csv := "CQC Provider ID,Placement ID,Period From,Period To,Amount,Payment Date\n1-100000001,1,01/04/2026,07/04/2026,800.00,14/04/2026\n1-100000001,77,01/04/2026,07/04/2026,700.00,14/04/2026\n"
	f.uploadFile(t, f.commissioner, "/finance/actuals", "r.csv", []byte(csv), 403)
	f.uploadFile(t, f.finance, "/finance/actuals", "r.csv", []byte(csv), 200, "1 payment lines added", "no placement 77", "Overpaid by £100.00")
	f.uploadFile(t, f.finance, "/finance/actuals", "r.csv", []byte(csv), 200, "0 payment lines added")
	f.page(t, f.alphaPU, "/finance/actuals", 200, "Our payments", "£800.00")
	f.page(t, f.surreyCommissioner, "/finance/actuals", 200, "No payment lines yet")

	f.page(t, f.finance, "/finance/forecast", 200, "Council defaults", "Working for Older people nursing")
	f.form(t, f.finance, "/finance/assumptions", url.Values{"name": {"Status quo DPS"}, "years": {"4"}, "demand_growth": {"2"}, "inflation": {"3"}, "staff_share": {"60"}, "new_pricing": {"market_median"}, "drift": {"5"}}, 303)
	f.form(t, f.finance, "/finance/assumptions", url.Values{"name": {"Open Framework"}, "years": {"4"}, "demand_growth": {"2"}, "inflation": {"3"}, "staff_share": {"60"}, "new_pricing": {"guide_price"}, "guide": {"90"}}, 303)
	f.form(t, f.finance, "/finance/assumptions", url.Values{"name": {""}, "years": {"x"}}, 400, "how many years")
	f.form(t, f.finance, "/finance/scenarios", url.Values{"name": {"DPS or framework"}, "a_id": {"1"}, "b_id": {"2"}}, 303)
	f.page(t, f.commissioner, "/finance/scenarios/1", 200, "Status quo DPS: variance", "Open Framework: variance", "<svg")
	f.page(t, f.commissioner, "/finance/agreements", 200, "Contract value")

	for _, path := range []string{"/finance?year=2026", "/finance/placements?year=2026&budget_line_id=1", "/finance/commitments?by=area", "/finance/actuals", "/finance/forecast", "/finance/scenarios/1"} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		code, body, h := f.webDo(t, f.finance, "GET", path+sep+"format=csv", nil, "")
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || strings.Count(body, "\n") < 2 {
			t.Errorf("%s as CSV = %d %s\n%s", path, code, h.Get("Content-Type"), body)
		}
		code, body, h = f.webDo(t, f.finance, "GET", path+sep+"format=xlsx", nil, "")
		if code != 200 || !strings.Contains(h.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("%s as XLSX = %d", path, code)
		}
		x, err := excelize.OpenReader(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		if len(rows) < 2 {
			t.Errorf("%s: workbook rows = %v", path, rows)
		}
	}
	// The summary workbook holds money as numbers in a currency format.
	_, body, _ := f.webDo(t, f.finance, "GET", "/finance?year=2026&format=xlsx", nil, "")
	x, _ := excelize.OpenReader(strings.NewReader(body))
	sheet := x.GetSheetName(0)
	v, _ := x.GetCellValue(sheet, "C2", excelize.Options{RawCellValue: true})
	shown, _ := x.GetCellValue(sheet, "C2")
	if v != "36500" || shown != "£36,500.00" {
		t.Errorf("committed cell = %q shown %q", v, shown)
	}
	_ = fmt.Sprint
}

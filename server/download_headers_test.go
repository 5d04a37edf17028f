package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
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

// TestOCDSFileName: the OCDS download is named after the agreement's
// reference, which may hold a slash (KCC/2027/HC); a file name keeps only
// letters, digits and dashes.
func TestOCDSFileName(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, areas := storagetest.Council(t, db, "kent", "Thanet")
		a := &procurement.Agreement{Reference: "KCC/2027/HC", Title: "Home Care", Type: procurement.OpenFramework, Regime: procurement.PA2023,
			AnnualValuePence: 8_970_000_000, LifetimeValuePence: 80_700_000_000, Start: procurement.Date(2025, 8, 1), End: procurement.Date(2033, 7, 31),
			Reopenings: []time.Time{procurement.Date(2028, 7, 31), procurement.Date(2031, 7, 31)},
			Lots: []procurement.Lot{{Number: 1, Title: "Homecare Thanet", ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{areas[0].ID},
				CallOff: procurement.MiniCompetition}}}
		if err := db.CreateAgreement(ctx, a); err != nil {
			t.Fatal(err)
		}
		f := &pricingFixture{srv: New(db, slog.New(slog.DiscardHandler))}
		tok, _ := apiToken(t, db, ctx, "c@kent.example", caremarket.RoleCommissioner, 0)
		code, body, h := f.webDo(t, tok, "GET", "/api/v1/agreements/"+itoa(a.ID)+"/ocds", nil, "")
		if code != http.StatusOK {
			t.Fatalf("OCDS = %d\n%s", code, body)
		}
		if got, want := h.Get("Content-Disposition"), `attachment; filename="KCC-2027-HC-ocds.json"`; got != want {
			t.Errorf("Content-Disposition %s, want %s", got, want)
		}
	})
}

// TestXLSXSheetName: a finance workbook's sheet is named after its table,
// which may carry a name finance typed; Excel refuses a sheet name that
// starts or ends with an apostrophe (Carers') and one longer than 31
// characters, counted as characters, not bytes.
func TestXLSXSheetName(t *testing.T) {
	for name, want := range map[string]string{
		"Scenario Carers'": "Scenario Carers",
		"Spend KCC/2027":   "Spend KCC-2027",
		"Scenario Hénéréé Élégante Ébène 2": "Scenario Hénéréé Élégante Ébène",
	} {
		w := httptest.NewRecorder()
		if err := writeTable(w, xtable{Name: name, Header: []string{"Year"}, Rows: [][]xcell{{xt("2026/27")}}}, "xlsx"); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		f, err := excelize.OpenReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.GetSheetList(); len(got) != 1 || got[0] != want {
			t.Errorf("%s: sheets %q, want %q", name, got, want)
		}
	}
}

package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/pricing"
)

// Every CSV download writes text that a spreadsheet would read as a formula
// with a leading apostrophe, and numbers as they are (a negative amount is
// a number, not a formula).
func TestCSVDownloadsAreSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Seaview Care", "Seaview Care"},
		{"=HYPERLINK(\"http://evil.example\")", "'=HYPERLINK(\"http://evil.example\")"},
		{"+44 1227 000000", "'+44 1227 000000"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"", ""},
	} {
		if got := csvSafe(tc.in); got != tc.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := xt(tc.in).csv(); got != tc.want {
			t.Errorf("a finance table's text cell %q = %q, want %q", tc.in, got, tc.want)
		}
	}
	var b strings.Builder
	rows := [][]pricing.Cell{{pricing.Text("Provider"), pricing.Text("Change")}, {pricing.Text("=1+2"), pricing.Num("-5.00")}}
	if err := writeCellsCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	if want := "Provider,Change\n'=1+2,-5.00\n"; b.String() != want {
		t.Errorf("writeCellsCSV = %q, want %q", b.String(), want)
	}
}

// A finance table's header row is text too: the scenario table's headings
// carry the names finance gives its assumption sets.
func TestCSVHeaderIsSafe(t *testing.T) {
	w := httptest.NewRecorder()
	tbl := xtable{Name: "Scenario", Header: []string{"Year", "=HYPERLINK(\"http://evil.example\") forecast"}, Rows: [][]xcell{{xt("2026/27"), xm(100)}}}
	if err := writeTable(w, tbl, "csv"); err != nil {
		t.Fatal(err)
	}
	if want := "Year,\"'=HYPERLINK(\"\"http://evil.example\"\") forecast\"\n2026/27,1.00\n"; w.Body.String() != want {
		t.Errorf("writeTable = %q, want %q", w.Body.String(), want)
	}
}

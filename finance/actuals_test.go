package finance

import (
	"bytes"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/market"
)

const remittance = `Supplier Reference,CQC Provider ID,Placement ID,Client ID,Period From,Period To,Net Amount,Payment Date
SUP-1,,1,,01/04/2026,07/04/2026,700.00,14/04/2026
,1-111,,C-2,2026-04-01,2026-04-07,£800.00,2026-04-14
SUP-1,,1,,01/04/2026,07/04/2026,700.00,14/04/2026
SUP-1,,1,,05/04/2026,11/04/2026,700.00,21/04/2026
SUP-9,,1,,01/04/2026,07/04/2026,700.00,14/04/2026
SUP-1,,99,,01/04/2026,07/04/2026,700.00,14/04/2026
SUP-1,,1,,01/04/2026,07/04/2026,nine,14/04/2026
,,,,,,,
SUP-1,,1,,01/01/2020,07/01/2020,700.00,14/01/2020
SUP-1,,2,,01/04/2026,07/04/2026,700.00,14/04/2026
`

func TestReadAndMatchActuals(t *testing.T) {
	lines, bad, err := ReadActuals(strings.NewReader(remittance))
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 1 || bad[0].Line != 8 || !strings.Contains(bad[0].Reason, "amount") {
		t.Errorf("rejected = %+v", bad)
	}
	if len(lines) != 8 {
		t.Fatalf("lines = %d", len(lines))
	}
	if lines[0].Fingerprint == lines[2].Fingerprint {
		t.Error("a repeated line must have its own fingerprint (its occurrence)")
	}
	ix := &MatchIndex{
		Placements: map[int64]*Placement{
			1: {ID: 1, ServiceType: market.Nursing, ProviderID: 10, Start: d("2026-01-01"), Prices: []Price{{70000, d("2026-01-01")}}},
			2: {ID: 2, CaseRef: "C-2", ServiceType: market.Residential, ProviderID: 20, Start: d("2026-03-01"), Prices: []Price{{70000, d("2026-03-01")}}},
		},
		ByCase:    map[string][]int64{"c-2": {2}},
		Providers: map[string]int64{"sup-1": 10, "1-111": 20, "sup-9": 30},
		Known:     map[string]bool{},
		Paid:      map[int64][]Period{},
	}
	ms := MatchLines(lines, ix)
	want := []struct {
		status LineStatus
		twice  bool
		over   Money
	}{
		{LineMatched, false, 0},
		// £800 for 7 days committed at £700: £100 over.
		{LineMatched, false, 10000},
		// The same line again: the same week paid twice.
		{LineMatched, true, 0},
		// 5-11 April overlaps 1-7 April.
		{LineMatched, true, 0},
		{LineUnmatched, false, 0}, // SUP-9 does not provide placement 1
		{LineUnmatched, false, 0}, // no placement 99
		{LineUnmatched, false, 0}, // 2020 is before the placement
		{LineUnmatched, false, 0}, // placement 2 is not SUP-1's
	}
	for i, w := range want {
		if ms[i].Status != w.status || ms[i].PaidTwice != w.twice || ms[i].Over != w.over {
			t.Errorf("line %d: %+v, want %+v", ms[i].Line, ms[i], w)
		}
	}
	r := Report(ms, bad, map[int64]string{10: "Ten"})
	if r.Added != 4 || len(r.Unmatched) != 4 || len(r.PaidTwice) != 2 || len(r.Overpaid) != 1 || r.Amount != 70000*3+80000 {
		t.Errorf("report = %+v", r)
	}
	if len(r.ByProvider) != 2 || r.ByProvider[0].Name != "Ten" || r.ByProvider[0].Actual != 210000 || r.ByProvider[0].Committed != 210000 {
		t.Errorf("by provider = %+v", r.ByProvider)
	}
	// Importing the same file again: every line is already imported.
	for _, l := range lines {
		ix.Known[l.Fingerprint] = true
	}
	again := Report(MatchLines(lines, ix), bad, nil)
	if again.Added != 0 || again.Known != 8 {
		t.Errorf("again = %+v", again)
	}
}

func TestActualsColumns(t *testing.T) {
	for _, c := range []struct{ csv, want string }{
		{"", "empty"},
		{"a,b\n1,2\n", "no column for"},
		{"Provider,Case Reference,Period Start,Period End,Amount\n", "payment date"},
	} {
		_, _, err := ReadActuals(strings.NewReader(c.csv))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.csv, err, c.want)
		}
	}
}

// FuzzReadActuals: whatever the file, the reader returns lines, line
// errors or an error, and never panics; every line it returns is usable.
func FuzzReadActuals(f *testing.F) {
	f.Add([]byte(remittance))
	f.Add([]byte("Supplier,Case ID,From,To,Amount,Paid\nS,C,1/1/26,2/1/26,1,3/1/26\n"))
	f.Add([]byte("\ufeffprovider,placement,from,to,amount,paid\n\"x\"\"\",1,2026-01-01,2026-01-01,-1.5,2026-01-01\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, bad, err := ReadActuals(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.ProviderRef == "" || (l.PlacementID == 0 && l.CaseRef == "") || l.To.Before(l.From) || l.Fingerprint == "" || l.Line < 2 {
				t.Fatalf("bad line returned: %+v", l)
			}
		}
		for _, e := range bad {
			if e.Line < 2 || e.Reason == "" {
				t.Fatalf("bad line error: %+v", e)
			}
		}
	})
}

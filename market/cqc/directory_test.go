package cqc

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket/market"
)

// readAll reads every record of a directory, keyed by line.
func readAll(t testing.TB, r io.Reader) (map[int]*Location, map[int]*RowError) {
	t.Helper()
	d, err := NewDirectoryReader(r)
	if err != nil {
		t.Fatal(err)
	}
	locs, errs := map[int]*Location{}, map[int]*RowError{}
	for l, err := range d.All() {
		var re *RowError
		switch {
		case errors.As(err, &re):
			errs[re.Line] = re
		case err != nil:
			t.Fatalf("read error: %v", err)
		default:
			locs[l.Line] = l
		}
	}
	return locs, errs
}

func day(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func TestDirectoryFixture(t *testing.T) {
	f, err := os.Open("testdata/directory_v1.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	locs, errs := readAll(t, f)

	// Lines 1-3 are CQC's notices, 4 is blank, 5 the header, 10 a blank row.
	tests := []struct {
		line   int
		id     string
		check  func(l *Location) bool
		reason string // for rows that are errors
	}{
		{line: 6, id: "1-1000000001", check: func(l *Location) bool {
			return l.Name == "Seaview Nursing Home" && l.CareHome && l.Beds == 40 && l.Rating == market.Good &&
				l.RatingDate.Equal(*day(2024, 3, 12)) && l.LocalAuthority == "Kent" && l.Postcode == "CT9 1AA" &&
				l.ProviderID == "1-200000001" && l.ProviderName == "Seaview Care Ltd" && l.Latitude != nil && *l.Latitude == 51.389 &&
				slices.Equal(l.ServiceTypes, []string{"Care home service with nursing"}) &&
				slices.Contains(l.UserBands, "Dementia") && slices.Contains(l.RegulatedActivities, "Nursing care")
		}},
		{line: 7, id: "1-1000000002", check: func(l *Location) bool {
			return l.Name == "Harbour View, Ramsgate" && l.Rating == market.RequiresImprovement && l.Address() == "Harbour Parade, Ramsgate"
		}},
		{line: 8, id: "1-1000000003", check: func(l *Location) bool {
			return l.Rating == market.NotRated && l.RatingDate == nil && l.Postcode == "ME14 1AA" && !l.CareHome &&
				l.ProviderName == "Smith, Jones & Partners Ltd"
		}},
		{line: 9, id: "1-1000000004", check: func(l *Location) bool { return l.Dormant && l.Beds == 6 }},
		{line: 11, id: "1-1000000005", check: func(l *Location) bool { return l.InspectionDirectorate == "Primary medical services" }},
		{line: 12, id: "1-1000000006", check: func(l *Location) bool { return l.LocalAuthority == "Surrey" }},
		{line: 15, id: "1-1000000009", check: func(l *Location) bool { return l.RatingDate.Equal(*day(2024, 6, 30)) }},
		{line: 16, id: "1-1000000010", check: func(l *Location) bool { return l.Rating == market.Inadequate }},
		{line: 17, id: "1-1000000011", check: func(l *Location) bool { return l.Name == `St Mary's "The Lodge"` && l.Rating == market.NotRated }},
		{line: 18, reason: "the row has 6 columns but the header row has"},
		{line: 19, id: "1-1000000001", check: func(l *Location) bool { return strings.Contains(l.Name, "again") }},
		{line: 20, reason: `Care homes beds "forty" is not a whole number`},
		{line: 21, reason: `rating "Excellent" is not Outstanding`},
	}
	for _, tt := range tests {
		if tt.reason != "" {
			if e := errs[tt.line]; e == nil || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("line %d: error %v, want one containing %q", tt.line, e, tt.reason)
			}
			continue
		}
		l := locs[tt.line]
		if l == nil {
			t.Errorf("line %d: no location (error %v)", tt.line, errs[tt.line])
			continue
		}
		if l.LocationID != tt.id || !tt.check(l) {
			t.Errorf("line %d: read wrong: %+v", tt.line, l)
		}
	}
	if len(locs) != 12 || len(errs) != 3 {
		t.Errorf("read %d locations and %d errors, want 12 and 3", len(locs), len(errs))
	}
	if e := errs[18]; e == nil || e.LocationID != "1-1000000014" {
		t.Errorf("a short row should still name its location: %+v", e)
	}
}

// header builds a minimal directory header and rows, columns in a
// deliberately different order from CQC's.
const miniHeader = "Provider Name,Provider ID,Location Postal Code,Location Name,Location ID,Location Latest Overall Rating,Publication Date,Care homes beds,Service type - Care home service without nursing\n"

func TestDirectoryReader(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		fatal   string   // NewDirectoryReader's error
		ids     []string // locations read, in order
		reasons []string // row errors, in order
	}{
		{name: "no BOM, no notices, other column order",
			input: miniHeader + "P Ltd,1-200000001,CT9 1AA,Home,1-1000000001,Good,01/02/2024,10,Y\n",
			ids:   []string{"1-1000000001"}},
		{name: "BOM and CRLF line ends",
			input: "\ufeffNotice\r\n" + strings.ReplaceAll(miniHeader, "\n", "\r\n") + "P Ltd,1-200000001,CT9 1AA,Home,1-1000000001,Good,01/02/2024,10,Y\r\n",
			ids:   []string{"1-1000000001"}},
		{name: "header names in other case and spacing",
			input: "location id , PROVIDER ID,Provider  Name,Location Name,Location Postal Code\n1-1000000001,1-200000001,P,Home,CT9 1AA\n",
			ids:   []string{"1-1000000001"}},
		{name: "no header", input: "a,b,c\n1,2,3\n", fatal: "no header row"},
		{name: "empty file", input: "", fatal: "no header row"},
		{name: "required column missing", input: "Location ID,Provider ID,Location Name,Provider Name\n", fatal: `"Location Postal Code"`},
		{name: "quote never closed swallows the rest and says so",
			input:   miniHeader + "P Ltd,1-200000001,CT9 1AA,\"Broken Home,1-1000000002,Good,,,Y\nP Ltd,1-200000001,CT9 1AA,Next,1-1000000003,Good,,,Y\n",
			reasons: []string{"a quote is probably not closed"}},
		{name: "stray quote inside a name is kept",
			input: miniHeader + "P Ltd,1-200000001,CT9 1AA,St Mary\"s,1-1000000001,Good,,,Y\n",
			ids:   []string{"1-1000000001"}},
		{name: "not UTF-8",
			input:   miniHeader + "P Ltd,1-200000001,CT9 1AA,Caf\xe9 House,1-1000000001,Good,,,Y\n",
			reasons: []string{"not UTF-8"}},
		{name: "spreadsheet day number as date",
			input: miniHeader + "P Ltd,1-200000001,CT9 1AA,Home,1-1000000001,Good,45413,,Y\n",
			ids:   []string{"1-1000000001"}},
		{name: "bad date and empty ids, all reasons given",
			input:   miniHeader + "P Ltd,,CT9 1AA,Home,,Good,31/31/2024,,Y\n",
			reasons: []string{"Location ID is empty; Provider ID is empty; Publication Date \"31/31/2024\" is not a date"}},
		{name: "blank rows are skipped, bad rows do not stop the reader",
			input: miniHeader + ",,,,,,,,\n\nP,1-200000001,CT9 1AA,A,1-1000000001,Good,,x,Y\nP,1-200000001,CT9 1AA,B,1-1000000002,Good,,,Y\n",
			ids:   []string{"1-1000000002"}, reasons: []string{`"x" is not a whole number`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDirectoryReader(strings.NewReader(tt.input))
			if tt.fatal != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fatal) {
					t.Fatalf("error %v, want %q", err, tt.fatal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids, reasons []string
			for l, err := range d.All() {
				var re *RowError
				if errors.As(err, &re) {
					if re.Line < 1 {
						t.Errorf("row error without a line: %+v", re)
					}
					reasons = append(reasons, re.Reason)
				} else if err != nil {
					t.Fatal(err)
				} else {
					ids = append(ids, l.LocationID)
				}
			}
			if !slices.Equal(ids, tt.ids) {
				t.Errorf("ids %v, want %v", ids, tt.ids)
			}
			if len(reasons) != len(tt.reasons) {
				t.Fatalf("errors %q, want %q", reasons, tt.reasons)
			}
			for i := range reasons {
				if !strings.Contains(reasons[i], tt.reasons[i]) {
					t.Errorf("error %q, want %q", reasons[i], tt.reasons[i])
				}
			}
		})
	}
}

func TestGenerateDirectory(t *testing.T) {
	var a, b bytes.Buffer
	if err := GenerateDirectory(&a, GenerateOptions{Rows: 500}); err != nil {
		t.Fatal(err)
	}
	GenerateDirectory(&b, GenerateOptions{Rows: 500})
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same options gave different files")
	}
	d, err := NewDirectoryReader(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	n, social := 0, 0
	for l, err := range d.All() {
		if err != nil {
			t.Fatalf("generated file has a bad row: %v", err)
		}
		if l.Check() != "" {
			t.Fatalf("generated row fails its check: %s", l.Check())
		}
		n++
		if IsSocialCare(l) {
			social++
		}
	}
	if n != 500 || social != 500 || d.HeaderLine() != len(DirectoryNotice)+1 {
		t.Errorf("read %d rows (%d social care), header at %d", n, social, d.HeaderLine())
	}
	if d.Offset() != int64(a.Len()) {
		t.Errorf("offset %d at the end, file is %d bytes", d.Offset(), a.Len())
	}

	// A later edition: some gone, some new, some ratings changed.
	var c bytes.Buffer
	GenerateDirectory(&c, GenerateOptions{Rows: 500, Edition: 1})
	d, _ = NewDirectoryReader(&c)
	n = 0
	for _, err := range d.All() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 500-5+5 {
		t.Errorf("edition 1 has %d rows, want 500", n)
	}
}

// FuzzDirectoryReader feeds the reader arbitrary bytes: it must never panic,
// must end, and every row error must say where it is.
func FuzzDirectoryReader(f *testing.F) {
	fixture, err := os.ReadFile("testdata/directory_v1.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Add([]byte(miniHeader + "P Ltd,1-200000001,CT9 1AA,Home,1-1000000001,Good,01/02/2024,10,Y\n"))
	f.Add([]byte("\ufeffLocation ID,Provider ID\n\"a\n"))
	f.Add([]byte("Location ID,Provider ID,Location Name,Provider Name,Location Postal Code,Location Latitude\n1-1,1-2,N,P,X,NaN\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewDirectoryReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more records (%d) than bytes (%d): the reader does not end", n, len(data))
			}
			l, err := d.Next()
			if err == io.EOF {
				return
			}
			var re *RowError
			switch {
			case errors.As(err, &re):
				if re.Line < 1 || re.Reason == "" {
					t.Fatalf("row error without line or reason: %+v", re)
				}
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			default:
				if l.LocationID == "" || l.ProviderID == "" || l.Line < 1 || !l.Rating.Valid() {
					t.Fatalf("record read without its essentials: %+v", l)
				}
				_ = l.Check()
				_ = MapServiceTypes(l)
				_ = l.Outcode()
			}
		}
	})
}

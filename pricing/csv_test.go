package pricing

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

func TestParseSubmissionCSV(t *testing.T) {
	good := "\ufeffCQC Location ID,Service type,band,price,reason\n" +
		"1-123456789,nursing,standard,\"£1,012.50\",\n" +
		"1-123456789,Residential High (dementia/complex),,812.5,\n" +
		"\n" +
		"1-987654321,supported_living,A/C2,619.78,new staffing model\n"
	rows, errs := ParseSubmissionCSV(strings.NewReader(good))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []SubmissionRow{
		{Line: 2, CQCLocationID: "1-123456789", ServiceType: market.Nursing, Band: "standard", Price: 101250},
		{Line: 3, CQCLocationID: "1-123456789", ServiceType: market.ResidentialHigh, Band: "standard", Price: 81250},
		{Line: 5, CQCLocationID: "1-987654321", ServiceType: market.SupportedLiving, Band: "A/C2", Price: 61978, Reason: "new staffing model"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows =\n%v\nwant\n%v", rows, want)
	}

	tests := []struct {
		name string
		in   string
		want []LineError
	}{
		{"empty", "", []LineError{{Line: 1}}},
		{"missing columns", "location,price\n1,2\n", []LineError{{Line: 1}}},
		{"no rows", "location_id,service_type,price\n\n", []LineError{{Line: 2}}},
		{"line numbers", "location_id,service_type,band,price\n" +
			"7,nursing,,800\n" + // 2: fine
			"x,nursing,,800\n" + // 3: bad id
			"8,spa,,800\n" + // 4: bad service type
			"9,nursing,,12.345\n" + // 5: three decimals
			"10,nursing,,0\n" + // 6: zero
			"11,nursing,a b,800\n" + // 7: bad band
			"7,nursing,,900\n", // 8: duplicate of line 2
			[]LineError{{Line: 3}, {Line: 4}, {Line: 5}, {Line: 6}, {Line: 7}, {Line: 8}}},
		{"quoted newline keeps line numbers", "location_id,service_type,price,reason\n" +
			"1,nursing,800,\"two\nlines\"\n" +
			"2,nursing,abc,\n",
			[]LineError{{Line: 4}}},
		{"bad quote", "location_id,service_type,price\n1,nursing,\"80\"0\n", []LineError{{Line: 2}}},
		{"long reason", "location_id,service_type,price,reason\n1,nursing,900," + strings.Repeat("x", MaxReasonLen+1) + "\n", []LineError{{Line: 2}}},
		{"bad cqc id", "cqc_location_id,service_type,price\n1-12,nursing,900\n", []LineError{{Line: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := ParseSubmissionCSV(strings.NewReader(tt.in))
			if len(errs) != len(tt.want) {
				t.Fatalf("errors = %v, want lines %v", errs, tt.want)
			}
			for i := range errs {
				if errs[i].Line != tt.want[i].Line || errs[i].Reason == "" {
					t.Errorf("error %d = %+v, want line %d", i, errs[i], tt.want[i].Line)
				}
			}
		})
	}
}

func TestParseLegacyCSV(t *testing.T) {
	_, errs := ParseLegacyCSV(strings.NewReader("home,service_type,current_weekly\nOak,residential_ld,abc\n,residential_ld,100\nOak,residential_ld,100\n"))
	if len(errs) != 2 || errs[0].Line != 2 || errs[1].Line != 3 {
		t.Errorf("errors = %v", errs)
	}
}

// FuzzParseSubmissionCSV: whatever a provider uploads, the parser returns
// rows or line errors — never a panic — and never both a row and an error
// for the same line; every row it returns is one the rules accept.
func FuzzParseSubmissionCSV(f *testing.F) {
	f.Add("cqc_location_id,service_type,band,price,reason\n1-123456789,nursing,standard,1012.50,\n")
	f.Add("location_id,service_type,price\n1,nursing,\"80\"0\n")
	f.Add("location_id,service_type,price,reason\n1,nursing,800,\"two\nlines\"\n2,spa,x,\n")
	f.Add("\ufeffprice,service_type,location_id\n£1,000.00,Homecare,3\n")
	f.Add("location_id,service_type,band,price\n1,supported_living,A/C2,619.78\n1,supported_living,A/C2,1\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, errs := ParseSubmissionCSV(strings.NewReader(in))
		bad := map[int]bool{}
		for _, e := range errs {
			bad[e.Line] = true
		}
		for _, r := range rows {
			if bad[r.Line] {
				t.Fatalf("line %d is both a row and an error", r.Line)
			}
			if r.Price <= 0 || r.Price > money.Max || !r.ServiceType.Valid() || r.Band == "" || (r.LocationID <= 0 && r.CQCLocationID == "") {
				t.Fatalf("accepted a bad row: %+v", r)
			}
		}
		if len(rows) == 0 && len(errs) == 0 {
			t.Fatal("neither rows nor errors")
		}
	})
}

func TestWriteXLSX(t *testing.T) {
	var buf bytes.Buffer
	groups := Variation([]Observation{{ServiceType: market.Nursing, AreaName: "Thanet & Co <1>", Price: 123456}}, nil, 1000)
	if err := WriteXLSX(&buf, "Price variation: spring", VariationTable(groups)); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range z.File {
		names[f.Name] = true
		rc, _ := f.Open()
		// Every part must be well-formed XML.
		d := xml.NewDecoder(rc)
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
		}
		rc.Close()
	}
	for _, n := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"} {
		if !names[n] {
			t.Errorf("missing part %s", n)
		}
	}
	if colName(0) != "A" || colName(25) != "Z" || colName(26) != "AA" || colName(18) != "S" {
		t.Error("column names")
	}
}

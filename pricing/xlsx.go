package pricing

import (
	"archive/zip"
	"encoding/xml"
	"io"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket/money"
)

// Cell is one spreadsheet cell: text, or a number written exactly as given
// (so £1,234.56 is the number 1234.56, never a float's approximation).
type Cell struct {
	Text   string
	Number string // digits, optional sign and decimal point; used when set
}

// Text and Num make cells.
func Text(s string) Cell           { return Cell{Text: s} }
func Num(n string) Cell            { return Cell{Number: n} }
func MoneyCell(m money.Money) Cell { return Cell{Number: m.Plain()} }
func IntCell(n int) Cell           { return Cell{Number: strconv.Itoa(n)} }
func PercentCell(b BP) Cell        { return Cell{Number: strings.TrimSuffix(b.String(), "%")} }

// WriteXLSX writes a one-sheet Office Open XML workbook. It is the smallest
// file Excel, LibreOffice and Google Sheets open without complaint: inline
// strings, no styles, so the export needs no third-party library.
func WriteXLSX(w io.Writer, sheet string, rows [][]Cell) error {
	z := zip.NewWriter(w)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="` + escapeXML(sheetName(sheet)) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/worksheets/sheet1.xml", sheetXML(rows)},
	}
	for _, f := range files {
		fw, err := z.Create(f.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, f.body); err != nil {
			return err
		}
	}
	return z.Close()
}

// sheetName keeps a sheet name within Excel's rules: 31 characters, none of
// : \ / ? * [ ].
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '-'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	if s == "" {
		s = "Sheet1"
	}
	return s
}

func escapeXML(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

func sheetXML(rows [][]Cell) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for r, row := range rows {
		b.WriteString(`<row r="` + strconv.Itoa(r+1) + `">`)
		for c, cell := range row {
			ref := colName(c) + strconv.Itoa(r+1)
			if cell.Number != "" {
				b.WriteString(`<c r="` + ref + `"><v>` + escapeXML(cell.Number) + `</v></c>`)
			} else {
				b.WriteString(`<c r="` + ref + `" t="inlineStr"><is><t xml:space="preserve">` + escapeXML(cell.Text) + `</t></is></c>`)
			}
		}
		b.WriteString(`</row>`)
	}
	b.WriteString(`</sheetData></worksheet>`)
	return b.String()
}

// VariationTable is the variation statistics as rows, headed, for the CSV
// and XLSX exports (one table, so the two cannot disagree).
func VariationTable(groups []GroupStats) [][]Cell {
	rows := [][]Cell{{Text("service_type"), Text("service"), Text("area"), Text("setting"), Text("count"), Text("min"), Text("q1"), Text("median"),
		Text("q3"), Text("max"), Text("mean"), Text("std_dev"), Text("cv_percent"), Text("guide"), Text("median_vs_guide"),
		Text("median_vs_guide_percent"), Text("below_band"), Text("above_band"), Text("outliers")}}
	for _, g := range groups {
		var outs []string
		for _, o := range g.Outliers {
			outs = append(outs, o.Plain())
		}
		rows = append(rows, []Cell{Text(string(g.ServiceType)), Text(g.ServiceType.Label()), Text(g.AreaName), Text(string(g.Setting)),
			IntCell(g.Count), MoneyCell(g.Min), MoneyCell(g.Q1), MoneyCell(g.Median), MoneyCell(g.Q3), MoneyCell(g.Max), MoneyCell(g.Mean),
			MoneyCell(g.StdDev), PercentCell(g.CV), MoneyCell(g.Guide), MoneyCell(g.MedianVsGuide), PercentCell(g.MedianVsGuideP),
			IntCell(g.BelowBand), IntCell(g.AboveBand), Text(strings.Join(outs, " "))})
	}
	return rows
}

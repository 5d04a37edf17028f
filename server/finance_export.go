package server

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/pricing"
)

// Every finance table exports as CSV (amounts in pounds as plain numbers,
// dates as 2026-04-01, which a spreadsheet reads) and as an XLSX workbook
// with real number and date formats (£#,##0.00, 5 December 2026), so finance
// can add it up in Excel without retyping.

// xkind is what a cell holds.
type xkind int

const (
	xText xkind = iota
	xMoney
	xInt
	xDate
	xPercent // basis points
	xNumber  // a float, one decimal place
)

type xcell struct {
	kind xkind
	s    string
	n    int64
	f    float64
	t    time.Time
}

func xt(s string) xcell        { return xcell{kind: xText, s: s} }
func xm(m finance.Money) xcell { return xcell{kind: xMoney, n: int64(m)} }
func xi(n int64) xcell         { return xcell{kind: xInt, n: n} }
func xd(t time.Time) xcell     { return xcell{kind: xDate, t: t} }
func xbp(bp int64) xcell       { return xcell{kind: xPercent, n: bp} }
func xf(f float64) xcell       { return xcell{kind: xNumber, f: f} }
func xdp(t *time.Time) xcell {
	if t == nil {
		return xt("")
	}
	return xd(*t)
}

// xtable is a table to export: a name (the file and sheet), a header and rows.
type xtable struct {
	Name   string
	Header []string
	Rows   [][]xcell
}

// exportFormat is ?format=csv or xlsx ("" for the page itself).
func exportFormat(r *http.Request) string {
	switch f := r.URL.Query().Get("format"); f {
	case "csv", "xlsx":
		return f
	}
	return ""
}

func fileName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// The media types of the files offered for download.
const (
	csvType  = "text/csv; charset=utf-8"
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// download makes the answer a file of mediaType for the browser to save as
// name, kept out of caches as every page is: the tables name providers and
// placements.
func download(w http.ResponseWriter, mediaType, name string) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
}

// writeTable sends t as a CSV file or an XLSX workbook.
func writeTable(w http.ResponseWriter, t xtable, format string) error {
	name := fileName(t.Name)
	if format == "csv" {
		download(w, csvType, name+".csv")
		records := make([][]string, 0, len(t.Rows)+1)
		head := make([]string, len(t.Header))
		for i, h := range t.Header {
			head[i] = csvSafe(h) // a scenario's headings carry names finance typed
		}
		records = append(records, head)
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, c := range row {
				rec[i] = c.csv()
			}
			records = append(records, rec)
		}
		return csv.NewWriter(w).WriteAll(records)
	}
	f, err := tableXLSX(t)
	if err != nil {
		return err
	}
	defer f.Close()
	download(w, xlsxType, name+".xlsx")
	return f.Write(w)
}

func (c xcell) csv() string {
	switch c.kind {
	case xMoney:
		return finance.Money(c.n).Plain()
	case xInt:
		return strconv.FormatInt(c.n, 10)
	case xDate:
		return c.t.Format(time.DateOnly)
	case xPercent:
		return strconv.FormatFloat(float64(c.n)/100, 'f', 2, 64)
	case xNumber:
		return strconv.FormatFloat(c.f, 'f', 1, 64)
	}
	return csvSafe(c.s)
}

// writeCellsCSV writes rows of cells as CSV: a number as its digits, text
// made safe from being read as a formula.
func writeCellsCSV(w io.Writer, rows [][]pricing.Cell) error {
	records := make([][]string, len(rows))
	for r, row := range rows {
		records[r] = make([]string, len(row))
		for i, c := range row {
			records[r][i] = cmp.Or(c.Number, csvSafe(c.Text))
		}
	}
	return csv.NewWriter(w).WriteAll(records)
}

// csvSafe stops a spreadsheet reading a cell as a formula (CSV injection):
// a value starting =, +, - or @ (or a tab or carriage return, which some
// spreadsheets skip) gets a leading apostrophe. Names and references come
// from providers and staff, so every text cell of a download goes through
// it.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// xlsxSheetName keeps a table's name within Excel's rules for a sheet: at
// most 31 characters, none of / \\ ? * [ ] :, and no apostrophe first or
// last (a scenario's name is typed by finance: "Carers'").
func xlsxSheetName(name string) string {
	if r := []rune(name); len(r) > 31 {
		name = string(r[:31])
	}
	name = strings.NewReplacer("/", "-", "\\", "-", "?", "", "*", "", "[", "(", "]", ")", ":", " ").Replace(name)
	if name = strings.Trim(name, "'"); name == "" {
		return "Sheet1"
	}
	return name
}

// tableXLSX builds the workbook: one sheet, a bold header row frozen at the
// top, money as £#,##0.00 (a number of pounds), dates as dates.
func tableXLSX(t xtable) (*excelize.File, error) {
	f := excelize.NewFile()
	sheet := xlsxSheetName(t.Name)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	moneyFmt, dateFmt, pctFmt, oneDp := `"£"#,##0.00;-"£"#,##0.00`, "d mmmm yyyy", `0.00"%"`, "0.0"
	styles := map[xkind]int{}
	for k, spec := range map[xkind]*excelize.Style{
		xMoney: {CustomNumFmt: &moneyFmt}, xDate: {CustomNumFmt: &dateFmt}, xPercent: {CustomNumFmt: &pctFmt}, xNumber: {CustomNumFmt: &oneDp},
		xInt: {NumFmt: 3}, xText: {}} {
		id, err := f.NewStyle(spec)
		if err != nil {
			return nil, err
		}
		styles[k] = id
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("freeze header: %w", err)
	}
	for i := range t.Header {
		sw.SetColWidth(i+1, i+1, 18)
	}
	head := make([]any, len(t.Header))
	for i, h := range t.Header {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return nil, err
	}
	for r, row := range t.Rows {
		cells := make([]any, len(row))
		for i, c := range row {
			var v any
			switch c.kind {
			case xMoney:
				v = float64(c.n) / 100 // shown to the penny by its format
			case xInt:
				v = c.n
			case xDate:
				v = c.t
			case xPercent:
				v = float64(c.n) / 100
			case xNumber:
				v = c.f
			default:
				v = c.s
			}
			cells[i] = excelize.Cell{StyleID: styles[c.kind], Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return nil, err
		}
	}
	return f, sw.Flush()
}

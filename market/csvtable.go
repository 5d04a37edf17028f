package market

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CSVTable reads an uploaded CSV whose first row names its columns (the
// vacancy, price and legacy placement uploads).
type CSVTable struct {
	r   *csv.Reader
	col map[string]int
}

// headerKey writes a column name's spaces and hyphens as underscores.
var headerKey = strings.NewReplacer(" ", "_", "-", "_")

// OpenCSV drops a leading byte-order mark and reads the header row. Column
// names are matched ignoring case and surrounding space, with spaces and
// hyphens as underscores; trimBOM also drops a byte-order mark left at the
// start of a name. A name given twice means its first column.
func OpenCSV(r io.Reader, trimBOM bool) (*CSVTable, error) {
	br := bufio.NewReader(LimitCSVLines(r))
	if b, _ := br.Peek(3); len(b) == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range header {
		if trimBOM {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		key := headerKey.Replace(strings.ToLower(strings.TrimSpace(h)))
		if _, dup := col[key]; !dup {
			col[key] = i
		}
	}
	return &CSVTable{r: cr, col: col}, nil
}

// Has returns the index of the first column named by any of names, or -1
// and false.
func (t *CSVTable) Has(names ...string) (int, bool) {
	for _, n := range names {
		if i, ok := t.col[n]; ok {
			return i, true
		}
	}
	return -1, false
}

// Each calls fn for every non-blank record with its line number and a getter
// of its trimmed fields ("" for a column it lacks, or -1); read errors become
// line errors. It stops, with a line error, before the record past max
// lines: non-blank records and, when countBad is set, unreadable ones too.
func (t *CSVTable) Each(errs *[]LineError, max int, countBad bool, fn func(line int, get func(int) string)) {
	n := 0
	for {
		rec, err := t.r.Read()
		if err == io.EOF {
			return
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// The reader resumes at the next record, so every bad line
			// is reported, each with the line it started on.
			*errs = append(*errs, LineError{Line: pe.StartLine, Reason: pe.Err.Error()})
			if countBad {
				n++
			}
			continue
		} else if err != nil {
			*errs = append(*errs, LineError{Line: 0, Reason: "the file could not be read: " + err.Error()})
			return
		}
		line, _ := t.r.FieldPos(0)
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		if n >= max {
			*errs = append(*errs, LineError{Line: line, Reason: fmt.Sprintf("the file has more than %d lines; split it", max)})
			return
		}
		n++
		fn(line, func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		})
	}
}

// ReadRows reads every record with Each: read makes a line's row and says
// what is wrong with it. A line with problems is one line error, its
// problems joined by "; ", and no row. A file with neither rows nor errors
// is the error none, on line 2.
func ReadRows[T any](t *CSVTable, max int, countBad bool, none string, read func(line int, get func(int) string) (T, []string)) ([]T, []LineError) {
	var rows []T
	var errs []LineError
	t.Each(&errs, max, countBad, func(line int, get func(int) string) {
		row, problems := read(line, get)
		if len(problems) > 0 {
			errs = append(errs, LineError{Line: line, Reason: strings.Join(problems, "; ")})
			return
		}
		rows = append(rows, row)
	})
	if len(rows) == 0 && len(errs) == 0 {
		errs = append(errs, LineError{Line: 2, Reason: none})
	}
	return rows, errs
}

package cqc

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/caremarket/caremarket/market"
)

// Column names of the directory that the reader uses. CQC adds, removes and
// reorders columns between editions, so they are found by name.
const (
	colLocationID     = "Location ID"
	colName           = "Location Name"
	colDormant        = "Dormant (Y/N)"
	colCareHome       = "Care home?"
	colBeds           = "Care homes beds"
	colSector         = "Location Type/Sector"
	colDirectorate    = "Location Inspection Directorate"
	colCategory       = "Location Primary Inspection Category"
	colRating         = "Location Latest Overall Rating"
	colPublished      = "Publication Date"
	colLocalAuthority = "Location Local Authority"
	colStreet         = "Location Street Address"
	colLine2          = "Location Address Line 2"
	colCity           = "Location City"
	colPostcode       = "Location Postal Code"
	colLatitude       = "Location Latitude"
	colLongitude      = "Location Longitude"
	colSpecialisms    = "Location Specialisms"
	colProviderID     = "Provider ID"
	colProviderName   = "Provider Name"

	prefixActivity = "Regulated activity - "
	prefixService  = "Service type - "
	prefixBand     = "Service user band - "
)

// parsedColumns are the single columns parse reads.
var parsedColumns = []string{colLocationID, colName, colDormant, colCareHome, colBeds, colSector, colDirectorate, colCategory,
	colRating, colPublished, colLocalAuthority, colStreet, colLine2, colCity, colPostcode, colLatitude, colLongitude,
	colSpecialisms, colProviderID, colProviderName}

// requiredColumns must be in the header; a file without them is not the
// directory (or is a CQC edition this reader does not know).
var requiredColumns = []string{colLocationID, colName, colProviderID, colProviderName, colPostcode}

// headerSearchLimit bounds how many notice rows may sit above the header, so
// a file that is not the directory fails fast instead of being read to the end.
const headerSearchLimit = 100

type flagColumn struct {
	index int
	name  string // the part after the prefix, e.g. "Care home service with nursing"
}

// DirectoryReader streams the records of an "HSCA Active Locations" CSV.
// It holds one row at a time, so a 60,000-row file costs no more memory than
// a 6-row one.
type DirectoryReader struct {
	csv        *csv.Reader
	bom        int64
	width      int
	headerLine int
	col        map[string]int
	// at holds the index of each column parse reads (-1 when absent),
	// looked up once from the header rather than per row.
	at         map[string]int
	activities []flagColumn
	services   []flagColumn
	bands      []flagColumn
	// offset is Offset's answer, kept where another goroutine (a progress
	// bar's) may read it while this one reads on.
	offset atomic.Int64
}

// NewDirectoryReader reads up to the header row (the first row naming both
// "Location ID" and "Provider ID"; recent editions put notice rows above
// it) and returns a reader positioned on the first data row. It fails when
// there is no such header or a required column is missing.
func NewDirectoryReader(r io.Reader) (*DirectoryReader, error) {
	br := bufio.NewReaderSize(market.LimitCSVLines(r), 256<<10)
	d := &DirectoryReader{}
	// Excel's "CSV UTF-8" starts with a byte order mark; without this the
	// first column would be called "\ufeffLocation ID".
	if b, _ := br.Peek(3); len(b) == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
		d.bom = 3
	}
	d.csv = csv.NewReader(br)
	d.csv.FieldsPerRecord = -1 // notice rows are short; data rows are checked against the header
	d.csv.LazyQuotes = true    // a stray quote inside a name is the name, not a broken file
	d.csv.ReuseRecord = true
	for n := 0; n < headerSearchLimit; n++ {
		rec, err := d.csv.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("cqc: read directory header: %w", err)
		}
		if d.isHeader(rec) {
			d.headerLine, _ = d.csv.FieldPos(0)
			d.offset.Store(d.bom + d.csv.InputOffset())
			return d, d.index(rec)
		}
	}
	return nil, fmt.Errorf("cqc: no header row: the directory has a row naming the columns %q and %q near the top; is this the HSCA Active Locations sheet saved as CSV?", colLocationID, colProviderID)
}

func (d *DirectoryReader) isHeader(rec []string) bool {
	var loc, prov bool
	for _, f := range rec {
		switch norm(f) {
		case "location id":
			loc = true
		case "provider id":
			prov = true
		}
	}
	return loc && prov
}

func (d *DirectoryReader) index(header []string) error {
	d.width = len(header)
	d.col = make(map[string]int, len(header))
	for i, h := range header {
		h = strings.Join(strings.Fields(h), " ")
		key := strings.ToLower(h)
		if _, dup := d.col[key]; !dup {
			d.col[key] = i
		}
		for _, p := range []struct {
			prefix string
			list   *[]flagColumn
		}{{prefixActivity, &d.activities}, {prefixService, &d.services}, {prefixBand, &d.bands}} {
			if len(h) > len(p.prefix) && strings.EqualFold(h[:len(p.prefix)], p.prefix) {
				*p.list = append(*p.list, flagColumn{i, strings.TrimSpace(h[len(p.prefix):])})
			}
		}
	}
	d.at = make(map[string]int, len(parsedColumns))
	for _, c := range parsedColumns {
		d.at[c] = d.colIndex(c)
	}
	var missing []string
	for _, c := range requiredColumns {
		if d.colIndex(c) < 0 {
			missing = append(missing, strconv.Quote(c))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("cqc: the header row (line %d) has no column %s", d.headerLine, strings.Join(missing, ", "))
	}
	return nil
}

func (d *DirectoryReader) colIndex(name string) int {
	if i, ok := d.col[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// HeaderLine is the line of the header row (1 when there are no notices).
func (d *DirectoryReader) HeaderLine() int { return d.headerLine }

// Offset is how many bytes of the file have been read, for a progress bar
// that knows the file's size. It is safe to call while another goroutine
// reads (an import reads ahead on a goroutine of its own).
func (d *DirectoryReader) Offset() int64 { return d.offset.Load() }

// Next returns the next location. At the end it returns io.EOF. A row that
// cannot be used gives a *RowError, and the next call goes on with the row
// after it; any other error is the file itself failing (a read error).
// Blank rows are skipped: spreadsheets leave them and they mean nothing.
func (d *DirectoryReader) Next() (*Location, error) {
	for {
		rec, err := d.csv.Read()
		d.offset.Store(d.bom + d.csv.InputOffset())
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &RowError{Line: pe.StartLine, Reason: pe.Err.Error()}
		} else if err != nil {
			return nil, fmt.Errorf("cqc: read directory: %w", err)
		}
		if blank(rec) {
			continue
		}
		line, _ := d.csv.FieldPos(0)
		return d.parse(rec, line)
	}
}

// All ranges over the rest of the file: each location, or a *RowError for a
// row that cannot be used; a read error is yielded once and ends the range.
func (d *DirectoryReader) All() iter.Seq2[*Location, error] {
	return func(yield func(*Location, error) bool) {
		for {
			l, err := d.Next()
			if err == io.EOF {
				return
			}
			if !yield(l, err) {
				return
			}
			var re *RowError
			if err != nil && !errors.As(err, &re) {
				return
			}
		}
	}
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parse turns one data row into a Location, or says everything wrong with it.
func (d *DirectoryReader) parse(rec []string, line int) (*Location, error) {
	get := func(name string) string {
		if i, ok := d.at[name]; ok && i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	id := get(colLocationID)
	if !utf8.ValidString(id) {
		id = ""
	}
	if len(rec) != d.width {
		reason := fmt.Sprintf("the row has %d columns but the header row has %d", len(rec), d.width)
		// Line ends inside the row's fields mean a quoted field ran on.
		end := line
		for _, f := range rec {
			end += strings.Count(f, "\n")
		}
		if end > line {
			reason += fmt.Sprintf(" (it runs to line %d: a quote is probably not closed)", end)
		}
		return nil, &RowError{Line: line, LocationID: id, Reason: reason}
	}
	var problems []string
	for _, f := range rec {
		if !utf8.ValidString(f) {
			problems = append(problems, "the row has characters that are not UTF-8 (save the sheet as \"CSV UTF-8\")")
			break
		}
	}
	l := &Location{
		Line:                      line,
		LocationID:                id,
		Name:                      get(colName),
		Sector:                    get(colSector),
		InspectionDirectorate:     get(colDirectorate),
		PrimaryInspectionCategory: get(colCategory),
		LocalAuthority:            get(colLocalAuthority),
		Street:                    get(colStreet),
		AddressLine2:              get(colLine2),
		City:                      get(colCity),
		Postcode:                  market.NormalizePostcode(get(colPostcode)),
		ProviderID:                get(colProviderID),
		ProviderName:              get(colProviderName),
	}
	if l.LocationID == "" {
		problems = append(problems, "Location ID is empty")
	}
	if l.ProviderID == "" {
		problems = append(problems, "Provider ID is empty")
	}
	var err error
	if l.Dormant, err = yesNo(get(colDormant)); err != nil {
		problems = append(problems, colDormant+" "+err.Error())
	}
	if l.CareHome, err = yesNo(get(colCareHome)); err != nil {
		problems = append(problems, colCareHome+" "+err.Error())
	}
	if s := get(colBeds); s != "" {
		if l.Beds, err = strconv.Atoi(s); err != nil || l.Beds < 0 {
			problems = append(problems, fmt.Sprintf("%s %q is not a whole number", colBeds, s))
		}
	}
	if l.Rating, err = ParseRating(get(colRating)); err != nil {
		problems = append(problems, colRating+": "+err.Error())
	}
	if l.RatingDate, err = ParseDate(get(colPublished)); err != nil {
		problems = append(problems, colPublished+" "+err.Error())
	}
	if l.Latitude, err = coordinate(get(colLatitude), 90); err != nil {
		problems = append(problems, colLatitude+" "+err.Error())
	}
	if l.Longitude, err = coordinate(get(colLongitude), 180); err != nil {
		problems = append(problems, colLongitude+" "+err.Error())
	}
	if s := get(colSpecialisms); s != "" {
		for _, sp := range strings.Split(s, "|") {
			if sp = strings.TrimSpace(sp); sp != "" {
				l.Specialisms = append(l.Specialisms, sp)
			}
		}
	}
	l.RegulatedActivities = flags(rec, d.activities)
	l.ServiceTypes = flags(rec, d.services)
	l.UserBands = flags(rec, d.bands)
	if len(problems) > 0 {
		return nil, &RowError{Line: line, LocationID: id, Reason: strings.Join(problems, "; ")}
	}
	return l, nil
}

func flags(rec []string, cols []flagColumn) []string {
	var out []string
	for _, c := range cols {
		if c.index < len(rec) && strings.EqualFold(strings.TrimSpace(rec[c.index]), "Y") {
			out = append(out, c.name)
		}
	}
	return out
}

func yesNo(s string) (bool, error) {
	switch strings.ToUpper(s) {
	case "Y", "YES":
		return true, nil
	case "N", "NO", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not Y or N", s)
}

func coordinate(s string, limit float64) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < -limit || f > limit || f != f {
		return nil, fmt.Errorf("%q is not a coordinate", s)
	}
	return &f, nil
}

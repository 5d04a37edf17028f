package brokerage

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// OutcodeCentroid is the centre of a postcode district, as the ONS
// Postcode Directory gives it (the council supplies the file, under the
// Open Government Licence).
type OutcodeCentroid struct {
	Outcode string `json:"outcode"`
	Centroid
}

// CentroidError is a line of a centroid file that cannot be used.
type CentroidError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (e CentroidError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// The UK's bounds, generously: a latitude or longitude outside them is a
// swapped column or a typing slip, not a place in England.
const (
	minLat, maxLat = 49.0, 61.0
	minLon, maxLon = -9.0, 2.5
)

// ReadCentroids reads a CSV of outcode,latitude,longitude (columns found by
// name in the header, in any order, other columns ignored). It returns every
// usable line and every unusable one with its line and reason: a caller
// loads all or nothing. An outcode given twice is an error on the second.
func ReadCentroids(r io.Reader) ([]OutcodeCentroid, []CentroidError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the file is empty: it needs a header line outcode,latitude,longitude")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the header line cannot be read: %v", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch h {
		case "lat":
			h = "latitude"
		case "long", "lon", "lng":
			h = "longitude"
		case "pcd", "postcode district", "postcode_district":
			h = "outcode"
		}
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	for _, want := range []string{"outcode", "latitude", "longitude"} {
		if _, ok := col[want]; !ok {
			return nil, nil, fmt.Errorf("the header has no %q column: it needs outcode,latitude,longitude", want)
		}
	}
	var out []OutcodeCentroid
	var bad []CentroidError
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			bad = append(bad, CentroidError{Line: line, Reason: "the line cannot be read as CSV"})
			if len(bad) > 1000 {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		field := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		c, why := parseCentroid(field("outcode"), field("latitude"), field("longitude"))
		if why == "" {
			if first, dup := seen[c.Outcode]; dup {
				why = fmt.Sprintf("%s is already given on line %d", c.Outcode, first)
			}
		}
		if why != "" {
			bad = append(bad, CentroidError{Line: line, Reason: why})
			continue
		}
		seen[c.Outcode] = line
		out = append(out, c)
	}
	return out, bad, nil
}

func parseCentroid(outcode, lat, lon string) (OutcodeCentroid, string) {
	c := OutcodeCentroid{Outcode: strings.ToUpper(strings.ReplaceAll(outcode, " ", ""))}
	if !validOutcode(c.Outcode) {
		return c, fmt.Sprintf("%q is not a postcode district (like CT9 or ME14)", truncate(outcode, 20))
	}
	var err error
	if c.Lat, err = strconv.ParseFloat(lat, 64); err != nil || c.Lat < minLat || c.Lat > maxLat {
		return c, fmt.Sprintf("the latitude %q is not a number between %g and %g", truncate(lat, 20), minLat, maxLat)
	}
	if c.Lon, err = strconv.ParseFloat(lon, 64); err != nil || c.Lon < minLon || c.Lon > maxLon {
		return c, fmt.Sprintf("the longitude %q is not a number between %g and %g", truncate(lon, 20), minLon, maxLon)
	}
	return c, ""
}

// validOutcode: one or two letters, a digit, then at most two more letters
// or digits (CT9, ME14, EC1A, W1A).
func validOutcode(s string) bool {
	if len(s) < 2 || len(s) > 4 {
		return false
	}
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	if i == 0 || i > 2 || i == len(s) || s[i] < '0' || s[i] > '9' {
		return false
	}
	for _, r := range s[i:] {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

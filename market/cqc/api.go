package cqc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/caremarket/caremarket/market"
)

// apiLocation is the part of CQC's public API location record
// (GET /locations/{id}) that caremarket uses.
type apiLocation struct {
	LocationID            string   `json:"locationId"`
	ProviderID            string   `json:"providerId"`
	Name                  string   `json:"name"`
	Type                  string   `json:"type"`
	RegistrationStatus    string   `json:"registrationStatus"`
	DeregistrationDate    string   `json:"deregistrationDate"`
	Dormancy              string   `json:"dormancy"`
	CareHome              string   `json:"careHome"`
	NumberOfBeds          *int     `json:"numberOfBeds"`
	PostalAddressLine1    string   `json:"postalAddressLine1"`
	PostalAddressLine2    string   `json:"postalAddressLine2"`
	PostalAddressTownCity string   `json:"postalAddressTownCity"`
	PostalCode            string   `json:"postalCode"`
	Latitude              *float64 `json:"onspdLatitude"`
	Longitude             *float64 `json:"onspdLongitude"`
	LocalAuthority        string   `json:"localAuthority"`
	InspectionDirectorate string   `json:"inspectionDirectorate"`
	InspectionCategories  []struct {
		Name    string `json:"name"`
		Primary any    `json:"primary"` // "true" in some records, true in others
	} `json:"inspectionCategories"`
	CurrentRatings struct {
		Overall struct {
			Rating     string `json:"rating"`
			ReportDate string `json:"reportDate"`
		} `json:"overall"`
		ReportDate string `json:"reportDate"`
	} `json:"currentRatings"`
	GACServiceTypes []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"gacServiceTypes"`
	RegulatedActivities []struct {
		Name string `json:"name"`
		Code string `json:"code"`
	} `json:"regulatedActivities"`
	Specialisms []struct {
		Name string `json:"name"`
	} `json:"specialisms"`
}

// apiProvider is the part of a provider record (GET /providers/{id}) used
// here: the name, which location records do not carry.
type apiProvider struct {
	ProviderID string `json:"providerId"`
	Name       string `json:"name"`
}

// APIRecords is what a set of recorded API files holds.
type APIRecords struct {
	Locations []*Location
	// Errors are records (or whole files) that cannot be used.
	Errors []*RowError
	// Providers maps provider id to name, from the provider records.
	Providers map[string]string
}

// All ranges over the records: the errors first, then the locations, the
// same shape as DirectoryReader.All so one import serves both.
func (a *APIRecords) All() iter.Seq2[*Location, error] {
	return func(yield func(*Location, error) bool) {
		for _, e := range a.Errors {
			if !yield(nil, e) {
				return
			}
		}
		for _, l := range a.Locations {
			if !yield(l, nil) {
				return
			}
		}
	}
}

// MaxAPIFileSize bounds one recorded file; the largest real record is a few
// tens of kilobytes, and an array of every location in England under 200 MB.
const MaxAPIFileSize = 256 << 20

// ReadAPI reads recorded API responses from path: one .json file, or every
// .json file under a directory (in name order). A file holds one record or an
// array of them; location and provider records may be mixed, and a
// location's provider name is taken from its provider's record.
func ReadAPI(path string) (*APIRecords, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cqc: read API records: %w", err)
	}
	var files []string
	if info.IsDir() {
		err = filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && strings.EqualFold(filepath.Ext(p), ".json") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("cqc: list API records in %s: %w", path, err)
		}
		slices.Sort(files)
	} else {
		files = []string{path}
	}
	out := &APIRecords{Providers: map[string]string{}}
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			return nil, err
		}
		name := f
		if info.IsDir() {
			if rel, err := filepath.Rel(path, f); err == nil {
				name = rel
			}
		}
		out.add(name, data)
	}
	for _, l := range out.Locations {
		if l.ProviderName == "" {
			l.ProviderName = out.Providers[l.ProviderID]
		}
	}
	return out, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cqc: open %s: %w", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxAPIFileSize {
		return nil, fmt.Errorf("cqc: %s is larger than %d MB", path, MaxAPIFileSize>>20)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("cqc: read %s: %w", path, err)
	}
	return b.Bytes(), nil
}

// ParseAPI reads the records in one file's contents (see ReadAPI); name is
// what errors call the file.
func ParseAPI(name string, data []byte) *APIRecords {
	out := &APIRecords{Providers: map[string]string{}}
	out.add(name, data)
	for _, l := range out.Locations {
		if l.ProviderName == "" {
			l.ProviderName = out.Providers[l.ProviderID]
		}
	}
	return out
}

func (a *APIRecords) add(name string, data []byte) {
	data = bytes.TrimPrefix(bytes.TrimSpace(data), []byte("\ufeff"))
	var raws []json.RawMessage
	if len(data) > 0 && data[0] == '[' {
		if err := json.Unmarshal(data, &raws); err != nil {
			a.Errors = append(a.Errors, &RowError{File: name, Reason: "the file is not a JSON array of records: " + err.Error()})
			return
		}
	} else {
		raws = []json.RawMessage{data}
	}
	for i, raw := range raws {
		n := i + 1
		var probe struct {
			LocationID *string `json:"locationId"`
			ProviderID *string `json:"providerId"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			a.Errors = append(a.Errors, &RowError{File: name, Line: n, Reason: "the record is not a JSON object: " + err.Error()})
			continue
		}
		switch {
		case probe.LocationID != nil:
			l, err := parseAPILocation(raw)
			if err != nil {
				a.Errors = append(a.Errors, &RowError{File: name, Line: n, LocationID: *probe.LocationID, Reason: err.Error()})
				continue
			}
			l.File, l.Line = name, n
			a.Locations = append(a.Locations, l)
		case probe.ProviderID != nil:
			var p apiProvider
			if err := json.Unmarshal(raw, &p); err != nil || strings.TrimSpace(p.Name) == "" {
				a.Errors = append(a.Errors, &RowError{File: name, Line: n, Reason: "the provider record has no name"})
				continue
			}
			a.Providers[strings.TrimSpace(p.ProviderID)] = strings.TrimSpace(p.Name)
		default:
			a.Errors = append(a.Errors, &RowError{File: name, Line: n, Reason: "the record has neither a locationId nor a providerId"})
		}
	}
}

func parseAPILocation(raw []byte) (*Location, error) {
	var r apiLocation
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("the record is not in the shape of CQC's API: %w", err)
	}
	t := strings.TrimSpace
	l := &Location{
		LocationID:            t(r.LocationID),
		Name:                  t(r.Name),
		Dormant:               strings.EqualFold(t(r.Dormancy), "Y"),
		CareHome:              strings.EqualFold(t(r.CareHome), "Y"),
		Sector:                t(r.Type),
		InspectionDirectorate: t(r.InspectionDirectorate),
		LocalAuthority:        t(r.LocalAuthority),
		Street:                t(r.PostalAddressLine1),
		AddressLine2:          t(r.PostalAddressLine2),
		City:                  t(r.PostalAddressTownCity),
		Postcode:              market.NormalizePostcode(r.PostalCode),
		Latitude:              r.Latitude,
		Longitude:             r.Longitude,
		ProviderID:            t(r.ProviderID),
	}
	var problems []string
	if l.LocationID == "" {
		problems = append(problems, "locationId is empty")
	}
	if l.ProviderID == "" {
		problems = append(problems, "providerId is empty")
	}
	if r.NumberOfBeds != nil {
		l.Beds = *r.NumberOfBeds
		if l.Beds < 0 {
			problems = append(problems, fmt.Sprintf("numberOfBeds %d is negative", l.Beds))
		}
	}
	for _, c := range r.InspectionCategories {
		if p, _ := c.Primary.(bool); p || fmt.Sprint(c.Primary) == "true" {
			l.PrimaryInspectionCategory = t(c.Name)
		}
	}
	var err error
	if l.Rating, err = ParseRating(r.CurrentRatings.Overall.Rating); err != nil {
		problems = append(problems, "currentRatings.overall: "+err.Error())
	}
	date := r.CurrentRatings.Overall.ReportDate
	if date == "" {
		date = r.CurrentRatings.ReportDate
	}
	if l.RatingDate, err = ParseDate(date); err != nil {
		problems = append(problems, "reportDate "+err.Error())
	}
	switch norm(r.RegistrationStatus) {
	case "", "registered":
	case "deregistered":
		l.Deregistered = true
		if l.DeregisteredAt, err = ParseDate(r.DeregistrationDate); err != nil {
			problems = append(problems, "deregistrationDate "+err.Error())
		}
	default:
		problems = append(problems, fmt.Sprintf("registrationStatus %q is not Registered or Deregistered", r.RegistrationStatus))
	}
	for _, s := range r.GACServiceTypes {
		// The description is the directory's long name; the name is short.
		if d := t(s.Description); d != "" {
			l.ServiceTypes = append(l.ServiceTypes, d)
		} else if n := t(s.Name); n != "" {
			l.ServiceTypes = append(l.ServiceTypes, n)
		}
	}
	for _, a := range r.RegulatedActivities {
		l.RegulatedActivities = append(l.RegulatedActivities, t(a.Name))
	}
	for _, s := range r.Specialisms {
		l.Specialisms = append(l.Specialisms, t(s.Name))
	}
	if l.Latitude != nil && (*l.Latitude < -90 || *l.Latitude > 90) {
		problems = append(problems, "onspdLatitude is not a latitude")
	}
	if l.Longitude != nil && (*l.Longitude < -180 || *l.Longitude > 180) {
		problems = append(problems, "onspdLongitude is not a longitude")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return l, nil
}

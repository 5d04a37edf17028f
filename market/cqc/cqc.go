// Package cqc reads the Care Quality Commission's open data (Open Government
// Licence): the "HSCA Active Locations" directory published as a spreadsheet
// and saved as CSV, and location and provider records in the JSON shape of
// CQC's public API. It turns both into one typed record, Location, and maps
// CQC's service types, user bands and ratings to caremarket's.
//
// The package is plain Go and knows no SQL: storage imports the records.
package cqc

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caremarket/caremarket/market"
)

// Location is one CQC-registered location as the directory or the API
// describes it, with the provider that runs it. Text fields are trimmed;
// the lists hold CQC's own wording (the part after "Service type - " and so on).
type Location struct {
	// Line is where the record starts: the CSV line of a directory row, or
	// the record's number in an API file (see File).
	Line int
	// File names the API file a record came from; empty for the directory.
	File string

	LocationID string
	Name       string
	// Dormant is CQC's flag for a registered location that is not providing
	// the regulated activity at the moment (no staff, no people using it).
	Dormant  bool
	CareHome bool
	Beds     int

	Sector                    string // "Location Type/Sector", e.g. "Social Care Org"
	InspectionDirectorate     string // e.g. "Adult social care"
	PrimaryInspectionCategory string // e.g. "Residential social care"

	Rating market.Rating
	// RatingDate is the publication date of the report that gave the
	// rating; nil when CQC gives none (not yet inspected).
	RatingDate *time.Time

	LocalAuthority string // the council with social care duties, e.g. "Kent"
	Street         string
	AddressLine2   string
	City           string
	Postcode       string // normalised: "CT9 1AA"
	Latitude       *float64
	Longitude      *float64

	ProviderID   string
	ProviderName string // empty when an API location came without its provider record

	RegulatedActivities []string
	ServiceTypes        []string
	UserBands           []string
	Specialisms         []string // API only: "Dementia", "Caring for adults over 65 yrs", ...

	// Deregistered is set by API records whose registrationStatus says so;
	// the directory lists active locations only.
	Deregistered   bool
	DeregisteredAt *time.Time
}

// Address is the street address on one line, as caremarket keeps it.
func (l *Location) Address() string {
	switch {
	case l.Street == "":
		return l.AddressLine2
	case l.AddressLine2 == "":
		return l.Street
	}
	return l.Street + ", " + l.AddressLine2
}

// Outcode is the postcode district ("CT9" of "CT9 1AA"), which says which of
// the council's districts the location is in.
func (l *Location) Outcode() string { return market.Outcode(l.Postcode) }

// CaremarketServices is what caremarket buys from the location (see mapping.go).
func (l *Location) CaremarketServices() []market.ServiceType { return MapServiceTypes(l) }

// RowError is a record that cannot be used: where it is and why, in words a
// council officer can act on. The reader goes on to the next record.
type RowError struct {
	Line       int    `json:"line"`
	File       string `json:"file,omitempty"`        // API files only
	LocationID string `json:"location_id,omitempty"` // when it could be read, so an import knows the location is still listed
	Reason     string `json:"reason"`
}

func (e *RowError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s record %d: %s", e.File, e.Line, e.Reason)
	case e.File != "":
		return e.File + ": " + e.Reason
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

var (
	locationIDRe = regexp.MustCompile(`^1-[0-9]{6,11}$`)
	postcodeRe   = regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$`)
)

// Check says whether caremarket can hold the location: the rules of
// market.Location that a CQC record can break. Reader errors are about the
// file; these are about the record, and an import checks them only for the
// rows it wants (NHS locations, whose ids look like "RXH01", are skipped
// before they are checked, so they do not flood the rejections).
func (l *Location) Check() string {
	switch {
	case !locationIDRe.MatchString(l.LocationID):
		return fmt.Sprintf("Location ID %q does not look like a CQC location ID (1-123456789)", l.LocationID)
	case !locationIDRe.MatchString(l.ProviderID):
		return fmt.Sprintf("Provider ID %q does not look like a CQC provider ID (1-123456789)", l.ProviderID)
	case l.Name == "":
		return "Location Name is empty"
	case utf8.RuneCountInString(l.Name) > market.MaxNameLen:
		return fmt.Sprintf("Location Name is longer than %d characters", market.MaxNameLen)
	case utf8.RuneCountInString(l.ProviderName) > market.MaxNameLen:
		return fmt.Sprintf("Provider Name is longer than %d characters", market.MaxNameLen)
	case utf8.RuneCountInString(l.Address()) > market.MaxAddressLen:
		return fmt.Sprintf("the address is longer than %d characters", market.MaxAddressLen)
	case utf8.RuneCountInString(l.City) > market.MaxNameLen:
		return fmt.Sprintf("Location City is longer than %d characters", market.MaxNameLen)
	case l.Postcode == "":
		return "Location Postal Code is empty"
	case !postcodeRe.MatchString(l.Postcode):
		return fmt.Sprintf("Location Postal Code %q is not a UK postcode", l.Postcode)
	case l.Beds < 0 || l.Beds > 1000:
		return fmt.Sprintf("Care homes beds %d is not between 0 and 1000", l.Beds)
	}
	return ""
}

// LocalAuthorityName is how CQC names a council in "Location Local
// Authority": "Kent" for "Kent County Council", "Medway" for "Medway Council".
func LocalAuthorityName(councilName string) string {
	n := strings.TrimSpace(councilName)
	for _, suffix := range []string{
		" Metropolitan Borough Council", " Royal Borough Council", " County Borough Council",
		" County Council", " City Council", " Borough Council", " District Council", " Council",
	} {
		if len(n) > len(suffix) && strings.EqualFold(n[len(n)-len(suffix):], suffix) {
			return strings.TrimSpace(n[:len(n)-len(suffix)])
		}
	}
	return n
}

// SameAuthority compares local authority names as people write them:
// case, spacing and "&"/"and" do not matter.
func SameAuthority(a, b string) bool { return authorityKey(a) == authorityKey(b) }

func authorityKey(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "&", " and "))
	return strings.Join(strings.Fields(s), " ")
}

// dateLayouts are the ways a date reaches us: the directory's own dd/mm/yyyy,
// the API's ISO dates, and what a spreadsheet program makes of them on save.
var dateLayouts = []string{"02/01/2006", "2/1/2006", "2006-01-02", "2006-01-02T15:04:05Z07:00", "02-Jan-2006", "2-Jan-06", "2 January 2006", "02/01/2006 15:04", "02/01/2006 15:04:05"}

// ParseDate reads a CQC date; "" is no date.
func ParseDate(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			if d.Year() < 1990 || d.Year() > 2200 {
				break
			}
			return &d, nil
		}
	}
	// A spreadsheet saved without date formatting writes the day number
	// (days since 30 December 1899): 45413 is 1 May 2024.
	if n, err := strconv.Atoi(s); err == nil && n > 32874 && n < 110000 { // 1990..2200
		d := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
		return &d, nil
	}
	return nil, fmt.Errorf("%q is not a date like 31/01/2025", s)
}

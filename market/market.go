// Package market is the council's register of its care market: its areas
// (districts grouped into clusters, and which districts border which), the
// providers it buys from, their CQC-registered locations and their vacancies.
//
// The types and rules here are plain Go; storage implements Registry.
package market

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
)

// Council is a local authority with social care duties. Each council is a
// tenant: nobody sees another council's data.
type Council struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Setting says whether a cluster is urban or rural; home care prices differ
// by it (travel time and mileage).
type Setting string

const (
	Urban Setting = "urban"
	Rural Setting = "rural"
)

// Cluster groups districts for commissioning (home care lots by urban and
// rural clusters).
type Cluster struct {
	ID        int64   `json:"id"`
	CouncilID int64   `json:"-"`
	Name      string  `json:"name"`
	Setting   Setting `json:"setting"`
}

// Area is a district. The sourcing cascade offers a requirement first in the
// person's area and then in the areas that border it, so Neighbours matters.
type Area struct {
	ID         int64     `json:"id"`
	CouncilID  int64     `json:"-"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	Cluster    Cluster   `json:"cluster"`
	Neighbours []AreaRef `json:"neighbours"`
	Locations  int       `json:"location_count"`
}

// AreaRef names an area without its detail.
type AreaRef struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// Provider is a company that runs one or more registered locations.
type Provider struct {
	ID                   int64     `json:"id"`
	CouncilID            int64     `json:"-"`
	Name                 string    `json:"name"`
	CompaniesHouseNumber string    `json:"companies_house_number,omitempty"`
	CQCProviderID        string    `json:"cqc_provider_id,omitempty"`
	Locations            int       `json:"location_count"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// Location is a place a provider delivers care from: a care home or a home
// care branch, registered with the CQC.
type Location struct {
	ID             int64         `json:"id"`
	CouncilID      int64         `json:"-"`
	ProviderID     int64         `json:"provider_id"`
	ProviderName   string        `json:"provider_name"`
	CQCLocationID  string        `json:"cqc_location_id"`
	Name           string        `json:"name"`
	Address        string        `json:"address"`
	Town           string        `json:"town"`
	Postcode       string        `json:"postcode"`
	AreaID         int64         `json:"area_id"`
	AreaName       string        `json:"area_name"`
	ServiceTypes   []ServiceType `json:"service_types"`
	RegisteredBeds int           `json:"registered_beds"`
	Rating         Rating        `json:"rating"`
	RatingDate     *time.Time    `json:"rating_date,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

// Vacancy is how many places a location has free for one service type, and
// when the provider last said so (old figures are not to be trusted).
//
// Home care is bought by the hour, so a home care branch (any hourly
// service) may instead say how many hours a week of new care it can take
// on: SpareMinutes, in minutes. When set it is the capacity, each package
// accepted takes its hours a week from it (never below zero), and
// Vacancies (a count of packages, as before hours were kept) is not used.
type Vacancy struct {
	LocationID   int64       `json:"location_id"`
	ServiceType  ServiceType `json:"service_type"`
	Vacancies    int         `json:"vacancies"`
	SpareMinutes *int        `json:"spare_minutes_per_week,omitempty"`
	UpdatedAt    time.Time   `json:"updated_at"`
	UpdatedBy    string      `json:"updated_by"`
}

// MaxSpareMinutes bounds a spare hours figure: 20,000 hours a week is far
// above any branch (Kent buys about 72,000 visits a week in all).
const MaxSpareMinutes = 20_000 * 60

// Figure is the capacity in words: "120 spare hours a week", "1 vacancy",
// "3 vacancies".
func (v Vacancy) Figure() string {
	if v.SpareMinutes != nil {
		return SpareHoursLabel(*v.SpareMinutes)
	}
	if v.Vacancies == 1 {
		return "1 vacancy"
	}
	return strconv.Itoa(v.Vacancies) + " vacancies"
}

// SpareHoursLabel writes minutes as spare hours a week ("120 spare hours a
// week", "7.5 spare hours a week", "1 spare hour a week").
func SpareHoursLabel(minutes int) string {
	h := HoursFigure(minutes)
	if h == "1" {
		return "1 spare hour a week"
	}
	return h + " spare hours a week"
}

// HoursFigure writes minutes as a number of hours: "14", "10.5", "7.25",
// or to two places ("6.33").
func HoursFigure(minutes int) string {
	if minutes%60 == 0 {
		return strconv.Itoa(minutes / 60)
	}
	return strings.TrimRight(strconv.FormatFloat(float64(minutes)/60, 'f', 2, 64), "0")
}

// ParseHours reads hours a week as a person types them ("120", "7.5",
// "7:30") into minutes; ok is false for anything else or a negative.
func ParseHours(s string) (minutes int, ok bool) {
	s = strings.TrimSpace(s)
	if h, m, found := strings.Cut(s, ":"); found {
		hi, err1 := strconv.Atoi(h)
		mi, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil || hi < 0 || mi < 0 || mi > 59 || len(m) != 2 {
			return 0, false
		}
		return hi*60 + mi, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > MaxSpareMinutes/60 {
		return 0, false
	}
	return int(math.Round(f * 60)), true
}

// ProviderFilter narrows a provider search.
type ProviderFilter struct {
	Query string
	Page
}

// LocationFilter narrows a location search. Zero values mean "any".
type LocationFilter struct {
	Query       string
	AreaID      int64
	ProviderID  int64
	ServiceType ServiceType
	Rating      Rating
	// IncludeDeregistered lists locations that have left CQC's register
	// too; by default a search shows only those that may provide care.
	IncludeDeregistered bool
	Page
}

// Page is a window on a long list. Number counts from 1.
type Page struct {
	Number  int
	PerPage int
}

// MaxPerPage bounds what one request can ask for.
const MaxPerPage = 200

// Normalize fills defaults and clamps out-of-range values.
func (p Page) Normalize() Page {
	if p.Number < 1 {
		p.Number = 1
	}
	if p.PerPage < 1 {
		p.PerPage = 25
	}
	if p.PerPage > MaxPerPage {
		p.PerPage = MaxPerPage
	}
	return p
}

// Offset is the number of rows before the page.
func (p Page) Offset() int { p = p.Normalize(); return (p.Number - 1) * p.PerPage }

// Registry is what storage provides for the market register. Every method
// takes the actor from ctx and sees only that actor's council; a provider user
// sees only its own provider.
type Registry interface {
	CouncilBySlug(ctx context.Context, slug string) (*Council, error)

	ListAreas(ctx context.Context) ([]Area, error)
	Area(ctx context.Context, id int64) (*Area, error)
	ListClusters(ctx context.Context) ([]Cluster, error)

	ListProviders(ctx context.Context, f ProviderFilter) ([]Provider, int, error)
	Provider(ctx context.Context, id int64) (*Provider, error)
	CreateProvider(ctx context.Context, p *Provider) error
	UpdateProvider(ctx context.Context, p *Provider) error

	ListLocations(ctx context.Context, f LocationFilter) ([]Location, int, error)
	Location(ctx context.Context, id int64) (*Location, error)
	CreateLocation(ctx context.Context, l *Location) error
	UpdateLocation(ctx context.Context, l *Location) error

	Vacancies(ctx context.Context, locationID int64) ([]Vacancy, error)
	SetVacancy(ctx context.Context, v *Vacancy) error

	// VacanciesAt and LocationNames read many locations at once, by
	// location id; locations the actor may not see are left out.
	VacanciesAt(ctx context.Context, locationIDs []int64) (map[int64][]Vacancy, error)
	LocationNames(ctx context.Context, locationIDs []int64) (map[int64]string, error)
}

// Limits on free text, so one request cannot fill the database.
const (
	MaxNameLen    = 200
	MaxAddressLen = 500
)

var (
	cqcLocationIDRe = regexp.MustCompile(`^1-[0-9]{6,11}$`)
	cqcProviderIDRe = regexp.MustCompile(`^1-[0-9]{6,11}$`)
	companiesHouse  = regexp.MustCompile(`^([0-9]{8}|[A-Z]{2}[0-9]{6})$`)
	// A UK postcode: outward code, a space, inward code.
	postcodeRe = regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$`)
)

// NormalizePostcode upper-cases a postcode and puts one space before the
// inward code, so "ct9 1aa" and "CT91AA" are the same place.
func NormalizePostcode(s string) string {
	if postcodeNormal(s) {
		return s // already in that form (most stored postcodes): no copy
	}
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) > 3 {
		s = s[:len(s)-3] + " " + s[len(s)-3:]
	}
	return s
}

// postcodeNormal reports whether NormalizePostcode would return s
// unchanged: ASCII without lower case or white space, but for one space
// before the last three characters of more than four.
func postcodeNormal(s string) bool {
	space := -1
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= 0x80 || 'a' <= b && b <= 'z' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r':
			return false
		case b == ' ':
			if space >= 0 {
				return false
			}
			space = i
		}
	}
	if space < 0 {
		return len(s) <= 3
	}
	return space == len(s)-4 && len(s) > 4
}

// Outcode is the postcode district ("CT9" of "CT9 1AA"): all a provider sees
// of where a person lives before a placement is awarded to it.
func Outcode(postcode string) string {
	p := NormalizePostcode(postcode)
	if i := strings.IndexByte(p, ' '); i > 0 {
		return p[:i]
	}
	return p
}

// Validate checks a provider before it is saved, trimming what it can.
func (p *Provider) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	p.CompaniesHouseNumber = strings.ToUpper(strings.TrimSpace(p.CompaniesHouseNumber))
	p.CQCProviderID = strings.TrimSpace(p.CQCProviderID)
	f := map[string]string{}
	caremarket.CheckText(f, "name", "provider name", p.Name, true, MaxNameLen)
	if p.CompaniesHouseNumber != "" && !companiesHouse.MatchString(p.CompaniesHouseNumber) {
		f["companies_house_number"] = "Companies House number must be 8 characters, like 01234567 or SC123456"
	}
	if p.CQCProviderID != "" && !cqcProviderIDRe.MatchString(p.CQCProviderID) {
		f["cqc_provider_id"] = "CQC provider ID must look like 1-123456789"
	}
	return caremarket.Invalid(f)
}

// Validate checks a location before it is saved, normalising what it can.
func (l *Location) Validate() error {
	l.Name = strings.TrimSpace(l.Name)
	l.CQCLocationID = strings.TrimSpace(l.CQCLocationID)
	l.Address = strings.TrimSpace(l.Address)
	l.Town = strings.TrimSpace(l.Town)
	l.Postcode = NormalizePostcode(l.Postcode)
	f := map[string]string{}
	caremarket.CheckText(f, "name", "location name", l.Name, true, MaxNameLen)
	caremarket.CheckText(f, "address", "address", l.Address, false, MaxAddressLen)
	caremarket.CheckText(f, "town", "town", l.Town, false, MaxNameLen)
	if !cqcLocationIDRe.MatchString(l.CQCLocationID) {
		f["cqc_location_id"] = "CQC location ID must look like 1-123456789"
	}
	if !postcodeRe.MatchString(l.Postcode) {
		f["postcode"] = "Enter a real postcode, like CT9 1AA"
	}
	if l.ProviderID <= 0 {
		f["provider_id"] = "Choose the provider that runs this location"
	}
	if l.AreaID <= 0 {
		f["area_id"] = "Choose the district the location is in"
	}
	if l.RegisteredBeds < 0 || l.RegisteredBeds > 1000 {
		f["registered_beds"] = "Registered beds must be between 0 and 1000"
	}
	if len(l.ServiceTypes) == 0 {
		f["service_types"] = "Choose at least one service type"
	}
	seen := map[ServiceType]bool{}
	for _, st := range l.ServiceTypes {
		if !st.Valid() {
			f["service_types"] = "Choose service types from the list"
		}
		if seen[st] {
			f["service_types"] = "Each service type may be chosen once"
		}
		seen[st] = true
	}
	if l.Rating == "" {
		l.Rating = NotRated
	}
	if !l.Rating.Valid() {
		f["rating"] = "Rating must be Outstanding, Good, Requires improvement, Inadequate or Not rated"
	}
	if l.RatingDate != nil && l.RatingDate.After(time.Now().Add(24*time.Hour)) {
		f["rating_date"] = "Rating date must be today or in the past"
	}
	return caremarket.Invalid(f)
}

// Validate checks a vacancy update.
func (v *Vacancy) Validate() error {
	f := map[string]string{}
	if !v.ServiceType.Valid() {
		f["service_type"] = "Choose a service type from the list"
	}
	if v.Vacancies < 0 || v.Vacancies > 1000 {
		f["vacancies"] = "Vacancies must be a whole number between 0 and 1000"
	}
	if v.SpareMinutes != nil {
		switch {
		case v.ServiceType.IsBedBased():
			f["spare_minutes_per_week"] = "Spare hours are for care bought by the hour: give a care home's vacancies instead"
		case *v.SpareMinutes < 0 || *v.SpareMinutes > MaxSpareMinutes:
			f["spare_minutes_per_week"] = "Spare hours must be between 0 and 20,000 a week"
		}
	}
	return caremarket.Invalid(f)
}

// StaleAfter is how old a vacancy figure may be before the UI warns that it
// may no longer be true.
const StaleAfter = 7 * 24 * time.Hour

// Stale reports whether the figure is older than StaleAfter at now.
func (v Vacancy) Stale(now time.Time) bool { return now.Sub(v.UpdatedAt) > StaleAfter }

// Package brokerage turns an assessed need into a placement: the broker's
// care requirement, the sourcing cascade that lists who may take it stage
// by stage (area, neighbours, off-contract), the call-off by direct award (an offer to the
// top-ranked provider, with an expiry) or by mini-competition (bids scored by
// price and quality), and the placement that acceptance creates, with its
// lifecycle and the off-contract register that commissioners watch.
//
// Everything here is plain Go over plain data; storage gathers the candidates
// and runs the transactions. Money is integer pence (money.Money).
package brokerage

import (
	"regexp"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// Method is how a requirement is called off.
type Method string

const (
	// ByDirectAward offers the requirement to one provider at a time, in the
	// order of the lot's objective ranking (PA 2023 s.45(4)).
	ByDirectAward Method = "direct_award"
	// ByMiniCompetition invites every eligible provider of a stage to bid
	// (prisons are called off by mini-competition or direct award).
	ByMiniCompetition Method = "mini_competition"
)

// Valid reports whether m is a known method.
func (m Method) Valid() bool { return m == ByDirectAward || m == ByMiniCompetition }

// Label is the method's name in the UI.
func (m Method) Label() string {
	if m == ByMiniCompetition {
		return "Mini-competition"
	}
	return "Direct award"
}

// Requirement statuses.
const (
	StatusOpen      = "open"      // being sourced
	StatusPlaced    = "placed"    // a placement was made
	StatusCancelled = "cancelled" // no longer needed
)

// Requirement is what the broker needs sourced. It holds no one's name or
// address: those are in Person, kept apart (another table) and shown to a
// provider only once a placement is awarded to it.
type Requirement struct {
	ID        int64 `json:"id"`
	CouncilID int64 `json:"-"`
	// CaseReference is the case's id in the council's case system (Mosaic).
	CaseReference string             `json:"case_reference"`
	ServiceType   market.ServiceType `json:"service_type"`
	// NeedBand is the pricing band of the need ("standard" when the service
	// has none), matching contracted prices' bands.
	NeedBand string `json:"need_band"`
	// Beds is 1 for a care home placement and 0 for hourly care.
	Beds int `json:"beds"`
	// MinutesPerWeek and VisitPattern describe hourly care (home care).
	MinutesPerWeek int       `json:"minutes_per_week"`
	VisitPattern   string    `json:"visit_pattern"`
	StartDate      time.Time `json:"start_date"`
	// Outcode is the postcode district of the person's home ("CT9"): all a
	// provider sees of where the person lives before an award.
	Outcode         string `json:"outcode"`
	AreaID          int64  `json:"area_id"`
	AreaName        string `json:"area_name"`
	SpecialistNeeds string `json:"specialist_needs"`
	Method          Method `json:"method"`
	Status          string `json:"status"`
	// Stage is where the cascade has reached (1, 2 or 3; 0 before the first
	// offer or competition).
	Stage int `json:"stage"`
	// MoveFromPlacementID is set while an off-contract placement is being
	// moved to contract: the cascade runs again, stages 1 and 2 only.
	MoveFromPlacementID int64     `json:"move_from_placement_id,omitempty"`
	CreatedBy           string    `json:"created_by"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	// Read only, for the board.
	PendingOffer      *Offer  `json:"pending_offer,omitempty"`
	OpenCompetitionID int64   `json:"open_competition_id,omitempty"`
	Person            *Person `json:"-"`
	PlacementID       int64   `json:"placement_id,omitempty"`
}

// Person is who the care is for. It is stored apart from the requirement.
type Person struct {
	RequirementID int64      `json:"requirement_id"`
	FullName      string     `json:"full_name"`
	DateOfBirth   *time.Time `json:"date_of_birth,omitempty"`
	Address       string     `json:"address"`
	Postcode      string     `json:"postcode"`
	Phone         string     `json:"phone"`
}

// Anonymised is what a provider sees of a requirement before an award:
// the need, the postcode district and the area, nothing that names anyone.
type Anonymised struct {
	ID              int64              `json:"id"`
	ServiceType     market.ServiceType `json:"service_type"`
	NeedBand        string             `json:"need_band"`
	Beds            int                `json:"beds"`
	MinutesPerWeek  int                `json:"minutes_per_week"`
	VisitPattern    string             `json:"visit_pattern"`
	StartDate       time.Time          `json:"start_date"`
	Outcode         string             `json:"outcode"`
	AreaName        string             `json:"area_name"`
	SpecialistNeeds string             `json:"specialist_needs"`
}

// Anonymise returns the provider's view of r.
func (r *Requirement) Anonymise() Anonymised {
	return Anonymised{ID: r.ID, ServiceType: r.ServiceType, NeedBand: r.NeedBand, Beds: r.Beds, MinutesPerWeek: r.MinutesPerWeek,
		VisitPattern: r.VisitPattern, StartDate: r.StartDate, Outcode: r.Outcode, AreaName: r.AreaName, SpecialistNeeds: r.SpecialistNeeds}
}

// HoursLabel writes MinutesPerWeek as hours ("10.5 hours a week").
func (r *Requirement) HoursLabel() string { return HoursLabel(r.MinutesPerWeek) }

// HoursLabel writes minutes as hours a week.
func HoursLabel(minutes int) string {
	if minutes == 0 {
		return ""
	}
	h, m := minutes/60, minutes%60
	s := itoa(h)
	if m != 0 {
		s += ":" + pad2(m)
	}
	return s + " hours a week"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + itoa(n)
	}
	return itoa(n)
}

// Limits on what a requirement may hold.
const (
	MaxTextLen      = 2000
	MaxRefLen       = 40
	MaxMinutesWeek  = 168 * 60
	MaxNameLen      = 200
	MaxAddressLen   = 500
	MaxReasonLen    = 1000
	DefaultNeedBand = pricing.StandardBand
)

var (
	caseRefRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$`)
	postcodeRe = regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$`)
	outcodeRe  = regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]?$`)
)

// Validate checks a new requirement and its person, normalising what it
// can: the outcode is taken from the person's postcode.
func (r *Requirement) Validate(p *Person) error {
	r.CaseReference = strings.TrimSpace(r.CaseReference)
	r.NeedBand = strings.TrimSpace(r.NeedBand)
	r.VisitPattern = strings.TrimSpace(r.VisitPattern)
	r.SpecialistNeeds = strings.TrimSpace(r.SpecialistNeeds)
	if r.NeedBand == "" {
		r.NeedBand = DefaultNeedBand
	}
	if r.Method == "" {
		r.Method = ByDirectAward
	}
	f := map[string]string{}
	if !caseRefRe.MatchString(r.CaseReference) {
		f["case_reference"] = "Enter the case reference from the case system, like MOS-123456"
	}
	if !r.ServiceType.Valid() {
		f["service_type"] = "Choose a service type from the list"
	}
	caremarket.CheckText(f, "need_band", "need band", r.NeedBand, true, 60)
	if r.ServiceType.IsBedBased() {
		r.Beds, r.MinutesPerWeek, r.VisitPattern = 1, 0, ""
	} else if r.ServiceType.Valid() {
		r.Beds = 0
		if r.MinutesPerWeek <= 0 || r.MinutesPerWeek > MaxMinutesWeek {
			f["hours_per_week"] = "Enter the hours of care a week, between 0.25 and 168"
		}
		caremarket.CheckText(f, "visit_pattern", "visit pattern", r.VisitPattern, r.ServiceType == market.Homecare, 500)
	}
	if r.StartDate.IsZero() {
		f["start_date"] = "Enter the date care should start"
	}
	if r.AreaID <= 0 {
		f["area_id"] = "Choose the district the person lives in"
	}
	caremarket.CheckText(f, "specialist_needs", "specialist needs", r.SpecialistNeeds, false, MaxTextLen)
	if !r.Method.Valid() {
		f["method"] = "Choose direct award or mini-competition"
	}
	if p == nil {
		f["full_name"] = "Enter the person's full name"
	} else {
		p.FullName = strings.TrimSpace(p.FullName)
		p.Address = strings.TrimSpace(p.Address)
		p.Phone = strings.TrimSpace(p.Phone)
		p.Postcode = market.NormalizePostcode(p.Postcode)
		caremarket.CheckText(f, "full_name", "person's full name", p.FullName, true, MaxNameLen)
		caremarket.CheckText(f, "address", "person's address", p.Address, true, MaxAddressLen)
		caremarket.CheckText(f, "phone", "phone number", p.Phone, false, 40)
		if !postcodeRe.MatchString(p.Postcode) {
			f["postcode"] = "Enter the person's postcode, like CT9 1AA"
		} else {
			r.Outcode = market.Outcode(p.Postcode)
		}
		if p.DateOfBirth != nil && p.DateOfBirth.After(time.Now()) {
			f["date_of_birth"] = "Date of birth must be in the past"
		}
	}
	return caremarket.Invalid(f)
}

// ValidOutcode reports whether s is a postcode district like CT9 or ME14.
func ValidOutcode(s string) bool { return outcodeRe.MatchString(s) }

// WeeklyCost says how a price becomes a weekly cost: a bed's weekly price
// is the weekly cost; an hourly rate is multiplied by the hours a week.
func WeeklyCost(st market.ServiceType, price money.Money, minutesPerWeek int) money.Money {
	if pricing.BasisFor(st) == pricing.PerBedWeek {
		return price
	}
	// pence * minutes / 60, rounded half up, in integers.
	return money.Money((int64(price)*int64(minutesPerWeek) + 30) / 60)
}

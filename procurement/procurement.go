// Package procurement is how a council buys care under an agreement: the
// agreement itself (DPS, open framework, closed framework, block contract or
// spot) and its lots, the windows in which providers apply, their
// applications, blind scoring and moderation, results, awards with their
// standstill, assessment summaries, contracts, and the OCDS notices.
//
// The law is checked here, in plain Go, with messages that name the rule:
// Procurement Act 2023 (PA 2023) and Public Contracts Regulations 2015
// (PCR 2015). Storage and HTTP sit at the edges. Money is integer pence.
package procurement

import (
	"regexp"
	"time"

	"github.com/caremarket/caremarket/market"
)

// Type is how the council buys.
type Type string

const (
	DPS             Type = "dps"              // Dynamic Purchasing System, PCR 2015 reg. 34
	OpenFramework   Type = "open_framework"   // PA 2023 s.49: a scheme of successive frameworks
	ClosedFramework Type = "closed_framework" // PA 2023 s.47 (or PCR 2015 reg. 33)
	BlockContract   Type = "block_contract"   // beds or hours bought in advance
	Spot            Type = "spot"             // off-contract purchase
)

// Types lists every agreement type in the order the UI shows them.
var Types = []Type{DPS, OpenFramework, ClosedFramework, BlockContract, Spot}

var typeLabels = map[Type]string{
	DPS:             "Dynamic Purchasing System",
	OpenFramework:   "Open framework",
	ClosedFramework: "Closed framework",
	BlockContract:   "Block contract",
	Spot:            "Spot purchase",
}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { _, ok := typeLabels[t]; return ok }

// Label is the name the UI shows.
func (t Type) Label() string {
	if l, ok := typeLabels[t]; ok {
		return l
	}
	return string(t)
}

// IsFramework reports whether call-offs are made under the agreement by
// direct award or mini-competition (frameworks and DPS).
func (t Type) IsFramework() bool { return t == DPS || t == OpenFramework || t == ClosedFramework }

// Regime is the law the agreement was procured under.
type Regime string

const (
	PCR2015 Regime = "pcr2015" // Public Contracts Regulations 2015
	PA2023  Regime = "pa2023"  // Procurement Act 2023 (from 24 February 2025)
)

// Label is the regime's name.
func (r Regime) Label() string {
	switch r {
	case PCR2015:
		return "Public Contracts Regulations 2015"
	case PA2023:
		return "Procurement Act 2023"
	}
	return string(r)
}

// CallOff is how a contract is bought under a lot.
type CallOff string

const (
	DirectAward     CallOff = "direct_award"     // by the objective ranking the agreement sets
	MiniCompetition CallOff = "mini_competition" // competition among the lot's providers
	Either          CallOff = "both"             // direct award or mini-competition
)

// Valid reports whether c is a known call-off method.
func (c CallOff) Valid() bool { return c == DirectAward || c == MiniCompetition || c == Either }

// Label is the name the UI shows.
func (c CallOff) Label() string {
	switch c {
	case DirectAward:
		return "Direct award"
	case MiniCompetition:
		return "Mini-competition"
	case Either:
		return "Direct award or mini-competition"
	}
	return string(c)
}

// AllowsDirectAward reports whether the lot may call off without competition.
func (c CallOff) AllowsDirectAward() bool { return c == DirectAward || c == Either }

// RankBy is one key of the objective ranking used for direct award.
type RankBy string

const (
	RankPrice    RankBy = "price"    // lowest price first
	RankQuality  RankBy = "quality"  // highest quality score first
	RankDistance RankBy = "distance" // nearest to the person first
	RankRating   RankBy = "rating"   // best CQC rating first
)

// Valid reports whether r is a known ranking key.
func (r RankBy) Valid() bool {
	return r == RankPrice || r == RankQuality || r == RankDistance || r == RankRating
}

// Agreement is an arrangement under which the council buys care.
type Agreement struct {
	ID          int64  `json:"id"`
	CouncilID   int64  `json:"-"`
	Reference   string `json:"reference"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Type        Type   `json:"type"`
	Regime      Regime `json:"regime"`
	// LightTouch: social care services are light touch (PA 2023 s.9 and
	// Schedule; PCR 2015 reg. 74): the PA 2023 standstill is voluntary.
	LightTouch bool `json:"light_touch"`
	// VoluntaryStandstill: hold an 8-working-day standstill although the law
	// does not require one (PA 2023 s.51 does not apply to light touch).
	VoluntaryStandstill bool `json:"voluntary_standstill"`
	// AllowResubmission: a failed quality answer may be resubmitted once.
	AllowResubmission bool `json:"allow_resubmission"`
	// SingleSupplier: an open framework with one supplier (PA 2023 s.49(6)).
	SingleSupplier     bool  `json:"single_supplier"`
	AnnualValuePence   int64 `json:"annual_value_pence"`
	LifetimeValuePence int64 `json:"lifetime_value_pence"`
	// Start is when the agreement starts: for an open framework, the award of
	// the first framework in the scheme, from which s.49 counts.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Reopenings are when each further framework in an open framework scheme
	// is awarded (PA 2023 s.49(2)), in order.
	Reopenings []time.Time `json:"reopenings"`
	Lots       []Lot       `json:"lots"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Lot is a part of an agreement: service types in areas.
type Lot struct {
	ID           int64                `json:"id"`
	AgreementID  int64                `json:"agreement_id"`
	Number       int                  `json:"number"`
	Title        string               `json:"title"`
	ServiceTypes []market.ServiceType `json:"service_types"`
	AreaIDs      []int64              `json:"area_ids"`
	// ProviderCap limits how many providers the lot admits; 0 means no cap.
	ProviderCap int     `json:"provider_cap"`
	CallOff     CallOff `json:"call_off"`
	// Ranking is the objective order for direct award, e.g. price, then
	// quality, then distance.
	Ranking []RankBy `json:"ranking"`
	// CallOffTerms are the terms on which call-off contracts are made, and
	// Mechanism describes how a provider is chosen (PA 2023 s.45(4)).
	CallOffTerms string `json:"call_off_terms"`
	Mechanism    string `json:"mechanism"`
	// Admitted counts providers awarded a place on the lot (read only).
	Admitted int `json:"admitted"`
}

// WithAccommodation reports whether the lot buys care with accommodation (a
// care home bed): it decides the CPV code.
func (l Lot) WithAccommodation() bool {
	for _, st := range l.ServiceTypes {
		if st.IsBedBased() {
			return true
		}
	}
	return false
}

// Lot returns the agreement's lot with id, or nil.
func (a *Agreement) Lot(id int64) *Lot {
	for i := range a.Lots {
		if a.Lots[i].ID == id {
			return &a.Lots[i]
		}
	}
	return nil
}

// Limits on free text.
const (
	MaxTitleLen = 300
	MaxTextLen  = 20000
	MaxRefLen   = 40
)

var referenceRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9/_.-]{1,39}$`)

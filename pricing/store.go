package pricing

import (
	"context"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Round is a price round: a period in which the providers of an agreement
// submit updated prices (twice a year, as under the OPRN Dynamic Purchasing System).
type Round struct {
	ID             int64  `json:"id"`
	CouncilID      int64  `json:"-"`
	AgreementID    int64  `json:"agreement_id,omitempty"`
	AgreementTitle string `json:"agreement_title,omitempty"`
	Name           string `json:"name"`
	// OpensOn..ClosesOn is when providers may submit; EffectiveFrom is when
	// approved prices become contracted prices.
	OpensOn       time.Time `json:"opens_on"`
	ClosesOn      time.Time `json:"closes_on"`
	EffectiveFrom time.Time `json:"effective_from"`
	// Tolerance is the guide band: a price further than this from its guide
	// price needs a reason ("e.g. ±10%").
	Tolerance BP     `json:"tolerance_bp"`
	Status    string `json:"status"` // open, closed
	// ProviderIDs are the providers invited to submit; when opening a round
	// with none named, the agreement's contracted providers are invited.
	ProviderIDs []int64   `json:"provider_ids"`
	Submissions int       `json:"submission_count"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// Round statuses.
const (
	RoundOpen   = "open"
	RoundClosed = "closed"
)

// Validate checks a round before it is opened.
func (r *Round) Validate() error {
	f := map[string]string{}
	checkName(f, &r.Name, "round", "Spring 2026")
	if r.OpensOn.IsZero() {
		f["opens_on"] = "Enter the date the round opens"
	}
	if r.ClosesOn.IsZero() {
		f["closes_on"] = "Enter the date the round closes"
	} else if !r.OpensOn.IsZero() && r.ClosesOn.Before(r.OpensOn) {
		f["closes_on"] = "The round must close on or after the day it opens"
	}
	if r.EffectiveFrom.IsZero() {
		f["effective_from"] = "Enter the date approved prices take effect"
	} else if !r.ClosesOn.IsZero() && r.EffectiveFrom.Before(r.ClosesOn) {
		f["effective_from"] = "Approved prices must take effect on or after the day the round closes"
	}
	if r.Tolerance < 0 || r.Tolerance > 10000 {
		f["tolerance"] = "The guide band must be between 0% and 100%"
	}
	return caremarket.Invalid(f)
}

// checkName trims the name of a round or an uplift, which must be given
// and at most 200 bytes; the message offers an example of what a council
// calls one.
func checkName(f map[string]string, name *string, what, example string) {
	*name = strings.TrimSpace(*name)
	if *name == "" || len(*name) > 200 {
		f["name"] = "Enter a name for the " + what + " (200 characters or fewer), like " + example
	}
}

// Submission is a provider's price for a location, service type and band in
// a round, and the commissioner's decision on it.
type Submission struct {
	ID           int64              `json:"id"`
	RoundID      int64              `json:"round_id"`
	RoundName    string             `json:"round_name"`
	ProviderID   int64              `json:"provider_id"`
	ProviderName string             `json:"provider_name"`
	LocationID   int64              `json:"location_id"`
	LocationName string             `json:"location_name"`
	AreaName     string             `json:"area_name"`
	Setting      market.Setting     `json:"setting"`
	ServiceType  market.ServiceType `json:"service_type"`
	Band         string             `json:"band"`
	Basis        Basis              `json:"basis"`
	Price        money.Money        `json:"price_pence"`
	// Check is the price against the guide price in force on the round's
	// effective date, as it stood when submitted.
	Check          BandCheck  `json:"band_check"`
	Reason         string     `json:"reason"`
	Source         string     `json:"source"` // form, csv
	Status         string     `json:"status"`
	SubmittedBy    string     `json:"submitted_by"`
	SubmittedAt    time.Time  `json:"submitted_at"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
}

// Submission statuses. A resubmission before a decision supersedes the
// earlier one, which is kept as history.
const (
	SubmissionSubmitted  = "submitted"
	SubmissionApproved   = "approved"
	SubmissionRejected   = "rejected"
	SubmissionSuperseded = "superseded"
)

// ContractedPrice is the price the council pays a location for a service
// type and band from a date. History is every row; the price in force on a
// day is the latest that started on or before it.
type ContractedPrice struct {
	ID            int64              `json:"id"`
	ProviderID    int64              `json:"provider_id"`
	ProviderName  string             `json:"provider_name"`
	LocationID    int64              `json:"location_id"`
	LocationName  string             `json:"location_name"`
	AreaID        int64              `json:"area_id"`
	AreaName      string             `json:"area_name"`
	Setting       market.Setting     `json:"setting"`
	ServiceType   market.ServiceType `json:"service_type"`
	Band          string             `json:"band"`
	Basis         Basis              `json:"basis"`
	Price         money.Money        `json:"price_pence"`
	EffectiveFrom time.Time          `json:"effective_from"`
	Source        string             `json:"source"` // submission, uplift
	SubmissionID  int64              `json:"submission_id,omitempty"`
	UpliftID      int64              `json:"uplift_id,omitempty"`
}

// Uplift is a yearly change to prices from a date.
type Uplift struct {
	ID            int64      `json:"id"`
	Name          string     `json:"name"`
	Rule          UpliftRule `json:"rule"`
	EffectiveFrom time.Time  `json:"effective_from"`
	// What it applies to.
	Guide      bool `json:"apply_to_guide_prices"`
	Contracted bool `json:"apply_to_contracted_prices"`
	// Placements: the weekly cost of every placement live on EffectiveFrom
	// (started on or before it, not ended by it) changes from that day.
	Placements bool `json:"apply_to_placements"`
	// Set when applied.
	Items             int         `json:"items"`
	TotalAnnualChange money.Money `json:"total_annual_change_pence"`
	AppliedAt         *time.Time  `json:"applied_at,omitempty"`
	AppliedBy         string      `json:"applied_by,omitempty"`
}

// Validate checks an uplift before it is previewed or applied. An NLW rule's
// rates are filled from the NLW table for EffectiveFrom.
func (u *Uplift) Validate() error {
	f := map[string]string{}
	checkName(f, &u.Name, "uplift", "NLW April 2026")
	if u.EffectiveFrom.IsZero() {
		f["effective_from"] = "Enter the date the uplift takes effect"
	}
	if !u.Guide && !u.Contracted && !u.Placements {
		f["apply_to"] = "Choose what the uplift applies to"
	}
	if u.Rule.Kind == UpliftNLW && !u.EffectiveFrom.IsZero() {
		if r, err := NLWRule(u.EffectiveFrom, u.Rule.StaffShare); err == nil {
			u.Rule = r
		}
	}
	if err := u.Rule.Validate(); err != nil {
		for k, v := range caremarket.ErrorFields(err) {
			f[k] = v
		}
	}
	return caremarket.Invalid(f)
}

// GuideFilter narrows a guide price list.
type GuideFilter struct {
	ServiceType market.ServiceType
	// On is the day the prices are in force (zero: today). History lists
	// every price ever set instead.
	On      time.Time
	History bool
}

// SubmissionFilter narrows a submission list; zero values mean any.
type SubmissionFilter struct {
	RoundID    int64
	ProviderID int64
	LocationID int64
	Status     string
}

// ContractedFilter narrows a contracted price list.
type ContractedFilter struct {
	ProviderID  int64
	LocationID  int64
	ServiceType market.ServiceType
	On          time.Time
	History     bool
}

// ObservationFilter says which prices the variation statistics describe:
// the submissions of a round (RoundID), of every round (AllRounds, for the
// trend), or else the contracted prices in force on On.
type ObservationFilter struct {
	ServiceType market.ServiceType
	AreaID      int64
	RoundID     int64
	AllRounds   bool
	On          time.Time
}

// Store is what storage provides for pricing. Every method takes the actor
// from ctx: council staff see their council's pricing; a provider user sees
// only the rounds it is invited to and its own submissions and prices (any
// other is not found). Commissioners (and admins) change things.
type Store interface {
	ListCostModels(ctx context.Context, st market.ServiceType) ([]CostModel, error)
	CostModel(ctx context.Context, id int64) (*CostModel, error)
	CreateCostModel(ctx context.Context, m *CostModel) error
	UpdateCostModel(ctx context.Context, m *CostModel) error
	AdoptCostModel(ctx context.Context, id int64) ([]GuidePrice, error)
	GuidePrices(ctx context.Context, f GuideFilter) ([]GuidePrice, error)

	ListPriceRounds(ctx context.Context) ([]Round, error)
	PriceRound(ctx context.Context, id int64) (*Round, error)
	OpenPriceRound(ctx context.Context, r *Round) error
	ClosePriceRound(ctx context.Context, id int64) error

	// SubmitPrices saves all rows or, when any row is wrong, none: the line
	// errors say which and why (a form submission is line 0).
	SubmitPrices(ctx context.Context, roundID int64, rows []SubmissionRow, source string) ([]Submission, []LineError, error)
	ListSubmissions(ctx context.Context, f SubmissionFilter) ([]Submission, error)
	Submission(ctx context.Context, id int64) (*Submission, error)
	DecideSubmission(ctx context.Context, id int64, approve bool, reason string) (*Submission, error)
	ContractedPrices(ctx context.Context, f ContractedFilter) ([]ContractedPrice, error)

	PreviewUplift(ctx context.Context, u *Uplift) (*UpliftPreview, error)
	ApplyUplift(ctx context.Context, u *Uplift) (*UpliftPreview, error)
	ListUplifts(ctx context.Context) ([]Uplift, error)

	PriceObservations(ctx context.Context, f ObservationFilter) ([]Observation, error)
	// LegacyFromPlacements is the council's live placements at their
	// current weekly cost against today's guide price for each (those with
	// no guide price are counted in missing), for the migration impact.
	LegacyFromPlacements(ctx context.Context) (ps []LegacyPlacement, missing int, err error)
}

package brokerage

import (
	"context"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/money"
)

// Step is one entry of a requirement's cascade log: every stage reached,
// offer made, answer given, competition run and placement made.
type Step struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Stage      Stage     `json:"stage"`
	Kind       string    `json:"kind"`
	LocationID int64     `json:"location_id,omitempty"`
	ProviderID int64     `json:"provider_id,omitempty"`
	Detail     string    `json:"detail"`
	Actor      string    `json:"actor"`
}

// Concern is the council's serious-concerns process (or a suspension) on a
// provider, or on one of its locations: while it is open the cascade offers
// it no new placements (DOMAIN.md).
type Concern struct {
	ID           int64      `json:"id"`
	ProviderID   int64      `json:"provider_id"`
	ProviderName string     `json:"provider_name"`
	LocationID   int64      `json:"location_id,omitempty"`
	Kind         string     `json:"kind"` // serious_concerns, suspension
	Reason       string     `json:"reason"`
	RaisedAt     time.Time  `json:"raised_at"`
	RaisedBy     string     `json:"raised_by"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
}

// Validate checks a concern before it is raised.
func (c *Concern) Validate() error {
	c.Reason = strings.TrimSpace(c.Reason)
	if c.Kind == "" {
		c.Kind = "serious_concerns"
	}
	f := map[string]string{}
	if c.ProviderID <= 0 {
		f["provider_id"] = "Choose the provider"
	}
	if c.Kind != "serious_concerns" && c.Kind != "suspension" {
		f["kind"] = "Choose serious concerns or suspension"
	}
	caremarket.CheckText(f, "reason", "reason", c.Reason, true, MaxReasonLen)
	return caremarket.Invalid(f)
}

// RequirementFilter narrows the broker's board.
type RequirementFilter struct {
	Status string // open, placed, cancelled; "" any
	AreaID int64
}

// OfferFilter narrows a list of offers.
type OfferFilter struct {
	RequirementID int64
	Status        string
}

// PlacementFilter narrows a list of placements.
type PlacementFilter struct {
	RequirementID int64
	ProviderID    int64
	Status        string
	OffContract   bool // only off-contract placements
}

// View is everything the broker sees of a requirement.
type View struct {
	Requirement  *Requirement  `json:"requirement"`
	Cascade      *Result       `json:"cascade,omitempty"`
	Steps        []Step        `json:"steps"`
	Offers       []Offer       `json:"offers"`
	Competitions []Competition `json:"competitions"`
	Placements   []Placement   `json:"placements"`
}

// Store is what storage provides for brokerage. Every method takes the actor
// from ctx and sees only its council. Brokers (and admins) source; council
// staff read; a provider user sees only offers, competitions, bids and
// placements that are its own, requirements only anonymised and only when
// offered or invited, and a person's identity only once a placement is
// awarded to it: anything else is not found.
type Store interface {
	ListRequirements(ctx context.Context, f RequirementFilter) ([]Requirement, error)
	Requirement(ctx context.Context, id int64) (*Requirement, error)
	AnonymisedRequirement(ctx context.Context, id int64) (*Anonymised, error)
	Person(ctx context.Context, requirementID int64) (*Person, error)
	CreateRequirement(ctx context.Context, r *Requirement, p *Person) error
	CancelRequirement(ctx context.Context, id int64, reason string) error
	RequirementView(ctx context.Context, id int64) (*View, error)
	// RequirementViewPage is RequirementView with each stage's lists paged.
	RequirementViewPage(ctx context.Context, id int64, page CascadePage) (*View, error)

	MakeOffer(ctx context.Context, requirementID int64, q OfferRequest) (*Offer, error)
	ListOffers(ctx context.Context, f OfferFilter) ([]Offer, error)
	Offer(ctx context.Context, id int64) (*Offer, error)
	AcceptOffer(ctx context.Context, id int64) (*Placement, error)
	DeclineOffer(ctx context.Context, id int64, reason string) (*Offer, error)
	ExpireOffers(ctx context.Context) (int, error)

	StartCompetition(ctx context.Context, requirementID int64, deadline time.Time, priceWeight int) (*Competition, error)
	ListCompetitions(ctx context.Context, openOnly bool) ([]Competition, error)
	Competition(ctx context.Context, id int64) (*Competition, error)
	SubmitBid(ctx context.Context, b *Bid) error
	ListBids(ctx context.Context, competitionID int64) ([]Bid, error)
	Bid(ctx context.Context, id int64) (*Bid, error)
	AwardBid(ctx context.Context, competitionID, bidID int64) (*Placement, error)

	ListPlacements(ctx context.Context, f PlacementFilter) ([]Placement, error)
	Placement(ctx context.Context, id int64) (*Placement, error)
	ChangePlacementPrice(ctx context.Context, id int64, c PriceChange) (*Placement, error)
	SetTopUp(ctx context.Context, id int64, amount money.Money, payer string) (*Placement, error)
	EndPlacement(ctx context.Context, id int64, end time.Time, reason string) (*Placement, error)
	HandBackPlacement(ctx context.Context, id int64, noticeDays int, reason string) (*Placement, error)
	MoveToContract(ctx context.Context, placementID int64) (*Requirement, error)
	OffContractReport(ctx context.Context) (*Report, error)

	RaiseConcern(ctx context.Context, c *Concern) error
	ListConcerns(ctx context.Context, openOnly bool) ([]Concern, error)
	EndConcern(ctx context.Context, id int64) (*Concern, error)
}

package brokerage

import (
	"context"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// MaxBatch is the most requirements a broker allocates in one batch.
const MaxBatch = 200

// Batch statuses.
const (
	BatchProposed = "proposed" // previewed; lines may be edited
	BatchSent     = "sent"     // its offers were made
)

// Batch is a stored allocation: the plan for a set of open requirements,
// with the one-at-a-time cascade beside it, each line editable until the
// broker sends the offers.
type Batch struct {
	ID               int64       `json:"id"`
	Status           string      `json:"status"`
	Totals           AllocTotals `json:"totals"`
	OneAtATimeTotals AllocTotals `json:"one_at_a_time_totals"`
	Lines            []BatchLine `json:"lines"`
	CreatedBy        string      `json:"created_by"`
	CreatedAt        time.Time   `json:"created_at"`
	SentBy           string      `json:"sent_by,omitempty"`
	SentAt           *time.Time  `json:"sent_at,omitempty"`
}

// BatchLine is one requirement of a batch: what the plan proposed, what
// the cascade one at a time would do, and what will be (or was) offered.
type BatchLine struct {
	RequirementID int64              `json:"requirement_id"`
	CaseReference string             `json:"case_reference"`
	ServiceType   market.ServiceType `json:"service_type"`
	// MinutesPerWeek is the hours of hourly care needed (0 for a bed).
	MinutesPerWeek int       `json:"minutes_per_week"`
	AreaName       string    `json:"area_name"`
	Outcode        string    `json:"outcode"`
	Proposed       AllocLine `json:"proposed"`
	OneAtATime     AllocLine `json:"one_at_a_time"`
	// LocationID is the location to offer to: the plan's, or the broker's
	// choice (Edited); 0 sends no offer for this line.
	LocationID   int64  `json:"location_id"`
	LocationName string `json:"location_name"`
	Stage        Stage  `json:"stage"`
	Edited       bool   `json:"edited"`
	// WeeklyCost is the agreed weekly cost the broker gave; 0 takes the
	// contracted price (off contract: the plan's estimate, where the
	// location has a price, for the plan's own location).
	WeeklyCost        money.Money `json:"weekly_cost_pence"`
	OffContractReason string      `json:"off_contract_reason"`
	// After sending: the offer made, or why none could be.
	OfferID int64  `json:"offer_id,omitempty"`
	Outcome string `json:"outcome"`
}

// LineEdit is the broker's change to a line before sending.
type LineEdit struct {
	RequirementID     int64       `json:"requirement_id"`
	LocationID        int64       `json:"location_id"`
	WeeklyCost        money.Money `json:"weekly_cost_pence"`
	OffContractReason string      `json:"off_contract_reason"`
}

// Validate checks an edit's own fields; whether the location may be chosen
// is the cascade's question, asked by storage.
func (e *LineEdit) Validate() error {
	e.OffContractReason = strings.TrimSpace(e.OffContractReason)
	f := map[string]string{}
	if e.RequirementID <= 0 {
		f["requirement_id"] = "Choose a requirement of the batch"
	}
	if e.LocationID < 0 {
		f["location_id"] = "Choose a location from the list"
	}
	if e.WeeklyCost < 0 {
		f["weekly_cost_pence"] = "The weekly cost cannot be negative"
	}
	caremarket.CheckText(f, "off_contract_reason", "reason for going off contract", e.OffContractReason, false, MaxReasonLen)
	return caremarket.Invalid(f)
}

// CheckBatch checks the requirements chosen for a batch: at least one, at
// most MaxBatch, none twice.
func CheckBatch(ids []int64) error {
	switch {
	case len(ids) == 0:
		return caremarket.Invalid(map[string]string{"requirement_ids": "Choose at least one open requirement"})
	case len(ids) > MaxBatch:
		return caremarket.Invalid(map[string]string{"requirement_ids": "Choose at most 200 requirements at once"})
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if id <= 0 || seen[id] {
			return caremarket.Invalid(map[string]string{"requirement_ids": "Each requirement can be chosen once"})
		}
		seen[id] = true
	}
	return nil
}

// OffContractDefault is the reason recorded for an off-contract line the
// broker did not give one for: the plan's own account.
func OffContractDefault(l *AllocLine) string {
	return "Planned with other requirements in one batch. " + l.Why
}

// AllocationStore is what storage provides for batches. Brokers (and
// admins) preview, edit and send; council staff read.
type AllocationStore interface {
	// PreviewAllocation plans the given open requirements (nil: every open
	// requirement waiting for an offer) and stores the plan.
	PreviewAllocation(ctx context.Context, requirementIDs []int64) (*Batch, error)
	Allocation(ctx context.Context, id int64) (*Batch, error)
	ListAllocations(ctx context.Context) ([]Batch, error)
	// AllocationChoices lists the locations a line may be changed to: those
	// its cascade offers at the stage it reaches once the other lines hold
	// their places.
	AllocationChoices(ctx context.Context, id, requirementID int64) (Stage, []Ranked, error)
	EditAllocation(ctx context.Context, id int64, e LineEdit) (*Batch, error)
	// SendAllocation applies edits, then makes each line's offer as a normal
	// offer (one transaction; a line that cannot be offered says why).
	SendAllocation(ctx context.Context, id int64, edits []LineEdit) (*Batch, error)
	// WaitingRequirements are the open requirements a batch may take.
	WaitingRequirements(ctx context.Context) ([]Requirement, error)
}

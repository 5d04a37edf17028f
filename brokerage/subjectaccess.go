package brokerage

import (
	"context"
	"time"

	"github.com/caremarket/caremarket"
)

// PersonalDataStore is what storage offers for the council's information
// governance: retention, the view log and subject access. Admins, except
// ViewPerson, which anyone who may see the person may call with a reason.
type PersonalDataStore interface {
	RetentionRules(ctx context.Context) (RetentionRules, error)
	SetRetentionRules(ctx context.Context, r RetentionRules) error
	PurgeIdentities(ctx context.Context, today time.Time) ([]Purged, error)
	ViewPerson(ctx context.Context, requirementID int64, reason ViewReason) (*Person, error)
	IdentityViews(ctx context.Context, f IdentityViewFilter) ([]IdentityView, error)
	FindPeople(ctx context.Context, q SubjectQuery) ([]PersonMatch, error)
	SubjectAccessExport(ctx context.Context, caseReference string) (*SubjectAccess, error)
}

// IdentityViewFilter narrows the identity view log.
type IdentityViewFilter struct {
	RequirementID int64
	Actor         string // part of the viewer's email
	CaseReference string
	Limit         int
}

// SubjectQuery finds a person for a subject access request: by case
// reference, by part of the name, or by date of birth (any that are set
// must all match).
type SubjectQuery struct {
	CaseReference string
	Name          string
	DateOfBirth   *time.Time
}

// Purged is one person whose identity the retention purge removed.
type Purged struct {
	RequirementID int64  `json:"requirement_id"`
	CaseReference string `json:"case_reference"`
	Rule          string `json:"rule"`
}

// IdentityView is one line of the log of who looked at a person's identity.
type IdentityView struct {
	ID            int64           `json:"id"`
	RequirementID int64           `json:"requirement_id"`
	CaseReference string          `json:"case_reference"`
	Actor         string          `json:"actor"`
	Role          caremarket.Role `json:"role"`
	Reason        ViewReason      `json:"reason"`
	At            time.Time       `json:"at"`
}

// PersonMatch is a person found for a subject access request.
type PersonMatch struct {
	RequirementID int64      `json:"requirement_id"`
	CaseReference string     `json:"case_reference"`
	FullName      string     `json:"full_name"`
	DateOfBirth   *time.Time `json:"date_of_birth,omitempty"`
}

// SubjectAccess is everything held about one person (one case reference):
// what a council must give them on a subject access request.
type SubjectAccess struct {
	CaseReference string             `json:"case_reference"`
	GeneratedAt   time.Time          `json:"generated_at"`
	People        []Person           `json:"people"`
	Requirements  []Requirement      `json:"requirements"`
	Steps         []Step             `json:"steps"`
	Offers        []SubjectOffer     `json:"offers"`
	Placements    []SubjectPlacement `json:"placements"`
	Views         []IdentityView     `json:"identity_views"`
	AuditRecords  []SubjectAudit     `json:"audit_records"`
}

// SubjectOffer is an offer made for the person.
type SubjectOffer struct {
	ID           int64     `json:"id"`
	ProviderName string    `json:"provider_name"`
	LocationName string    `json:"location_name"`
	Status       string    `json:"status"`
	OfferedAt    time.Time `json:"offered_at"`
}

// SubjectPlacement is a placement made for the person.
type SubjectPlacement struct {
	ID           int64      `json:"id"`
	ProviderName string     `json:"provider_name"`
	LocationName string     `json:"location_name"`
	Status       string     `json:"status"`
	StartDate    time.Time  `json:"start_date"`
	EndDate      *time.Time `json:"end_date,omitempty"`
	WeeklyCost   int64      `json:"weekly_cost_pence"`
	TopUpPayer   string     `json:"top_up_payer,omitempty"`
}

// SubjectAudit is an audit record about one of the person's records.
type SubjectAudit struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
}

var statusWords = map[string]string{
	"open": "being sourced", "placed": "placed", "cancelled": "cancelled",
	"pending": "waiting for an answer", "accepted": "accepted", "declined": "declined", "expired": "expired", "withdrawn": "withdrawn",
	"active": "running", "ended": "ended", "handed_back": "handed back by the provider", "moved": "moved to another provider",
}

// StatusWords says a requirement's, offer's or placement's status in words.
func StatusWords(status string) string {
	if w, ok := statusWords[status]; ok {
		return w
	}
	return status
}

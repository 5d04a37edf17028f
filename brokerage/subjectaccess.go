package brokerage

import "time"

// Purged is one person whose identity the retention purge removed.
type Purged struct {
	RequirementID int64  `json:"requirement_id"`
	CaseReference string `json:"case_reference"`
	Rule          string `json:"rule"`
}

// IdentityView is one line of the log of who looked at a person's identity.
type IdentityView struct {
	ID            int64      `json:"id"`
	RequirementID int64      `json:"requirement_id"`
	CaseReference string     `json:"case_reference"`
	Actor         string     `json:"actor"`
	Role          string     `json:"role"`
	Reason        ViewReason `json:"reason"`
	At            time.Time  `json:"at"`
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

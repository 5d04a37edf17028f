package quality

import (
	"context"
	"time"
)

// VisitFilter narrows a list of visits.
type VisitFilter struct {
	ProviderID int64
	LocationID int64
	Status     string
}

// ActionFilter narrows a list of actions. Status may be overdue.
type ActionFilter struct {
	ProviderID int64
	LocationID int64
	VisitID    int64
	Status     string
}

// LocationFigures is one location's performance.
type LocationFigures struct {
	LocationID   int64  `json:"location_id"`
	LocationName string `json:"location_name"`
	Figures
}

// LotRanks is a provider's place on each column of a lot's table.
type LotRanks struct {
	LotID        int64     `json:"lot_id"`
	LotTitle     string    `json:"lot_title"`
	AgreementRef string    `json:"agreement_reference"`
	Ranks        []OwnRank `json:"ranks"`
}

// ProviderPerformance is a provider's figures over a period, per location,
// and its rank in each lot it is admitted to.
type ProviderPerformance struct {
	ProviderID   int64     `json:"provider_id"`
	ProviderName string    `json:"provider_name"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	Figures
	Locations []LocationFigures `json:"locations"`
	Lots      []LotRanks        `json:"lots"`
}

// LotPerformance is a lot's league table over a period. A provider sees
// only its own row and its ranks.
type LotPerformance struct {
	LotID        int64       `json:"lot_id"`
	LotTitle     string      `json:"lot_title"`
	AgreementRef string      `json:"agreement_reference"`
	From         time.Time   `json:"from"`
	To           time.Time   `json:"to"`
	Sort         string      `json:"sort"`
	Rows         []LeagueRow `json:"rows"`
	Providers    int         `json:"providers"`
	Ranks        []OwnRank   `json:"ranks,omitempty"`
	// MinimumAudit is the lot's minimum monitoring rating for a call-off
	// ("" none).
	MinimumAudit Rating `json:"minimum_audit_rating,omitempty"`
}

// LotMinimum is a lot's minimum audit rating for direct award.
type LotMinimum struct {
	LotID        int64  `json:"lot_id"`
	LotTitle     string `json:"lot_title"`
	AgreementRef string `json:"agreement_reference"`
	Minimum      Rating `json:"minimum_audit_rating"`
}

// Store is what storage provides for quality. Every method takes the actor
// from ctx and sees only its council. Commissioners and admins are the
// monitoring officers: they set frameworks, record and publish visits,
// raise and decide actions, record complaints and safeguarding counts and
// set the risk weights; council staff read. A provider user sees only its
// own published reports and their actions, its own risk and performance;
// anything else is not found.
type Store interface {
	CreateFramework(ctx context.Context, f *Framework) error
	ListFrameworks(ctx context.Context) ([]Framework, error)
	Framework(ctx context.Context, id int64) (*Framework, error)

	CreateVisit(ctx context.Context, v *Visit) error
	UpdateVisit(ctx context.Context, v *Visit) error
	ListVisits(ctx context.Context, f VisitFilter) ([]Visit, error)
	Visit(ctx context.Context, id int64) (*Visit, error)
	PublishVisit(ctx context.Context, id int64) (*Visit, error)
	RespondToVisit(ctx context.Context, id int64, response string) (*Visit, error)

	AddAction(ctx context.Context, a *Action) error
	ListActions(ctx context.Context, f ActionFilter) ([]Action, error)
	Action(ctx context.Context, id int64) (*Action, error)
	SubmitEvidence(ctx context.Context, id int64, evidence string) (*Action, error)
	DecideAction(ctx context.Context, id int64, d Decision) (*Action, error)

	RecordEvent(ctx context.Context, e *Event) error
	ListEvents(ctx context.Context, providerID int64) ([]Event, error)
	RiskWeights(ctx context.Context) (Weights, error)
	SetRiskWeights(ctx context.Context, w Weights) error
	ProviderRisk(ctx context.Context, providerID int64) (*ProviderRisk, error)
	WatchList(ctx context.Context, atLeast Level) ([]ProviderRisk, error)

	LotMinimums(ctx context.Context) ([]LotMinimum, error)
	SetLotMinimum(ctx context.Context, lotID int64, min Rating) error

	ProviderPerformance(ctx context.Context, providerID int64, from, to time.Time) (*ProviderPerformance, error)
	LotPerformance(ctx context.Context, lotID int64, from, to time.Time, sort string) (*LotPerformance, error)
	UploadDelivered(ctx context.Context, rows []Delivered) (int, error)
}

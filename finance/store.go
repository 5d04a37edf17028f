package finance

import (
	"context"
	"io"
	"time"

	"github.com/caremarket/caremarket/market"
)

// Settings are a council's finance settings: the red/amber/green
// tolerances and, where placement figures are scaled (a demo council), the
// scale factor and a note the pages show beside every figure.
type Settings struct {
	Tolerances
	Scale     int    `json:"scale"`
	ScaleNote string `json:"scale_note,omitempty"`
}

// DrillFilter picks the placements behind a figure.
type DrillFilter struct {
	Year         Year
	Month        int // 1..12 (April = 1); 0 = the whole year
	BudgetLineID int64
	ProviderID   int64
	AgreementID  int64
	Page         int // -1: every row
}

// DrillRow is one placement behind a figure, with its cost in the period
// and the working.
type DrillRow struct {
	Placement
	Cost    Money     `json:"cost_pence"`
	TopUpIn Money     `json:"top_up_in_period_pence"`
	Working []Segment `json:"working"`
}

// Drill is the page of placements behind a figure.
type Drill struct {
	From  time.Time  `json:"from"`
	To    time.Time  `json:"to"`
	Total Money      `json:"total_pence"`
	Count int        `json:"count"`
	Rows  []DrillRow `json:"rows"`
}

// Payment is a stored payment line (an actual).
type Payment struct {
	ID           int64              `json:"id"`
	ImportID     int64              `json:"import_id"`
	Line         int                `json:"line"`
	PlacementID  int64              `json:"placement_id"`
	ProviderID   int64              `json:"provider_id"`
	ProviderName string             `json:"provider_name"`
	ServiceType  market.ServiceType `json:"service_type"`
	From         time.Time          `json:"period_from"`
	To           time.Time          `json:"period_to"`
	Amount       Money              `json:"amount_pence"`
	Committed    Money              `json:"committed_pence"`
	Overpaid     Money              `json:"overpaid_pence"`
	PaidTwice    bool               `json:"paid_twice"`
	PaidOn       time.Time          `json:"payment_date"`
}

// ActualFilter picks payment lines.
type ActualFilter struct {
	PlacementID int64
	ProviderID  int64
	Year        Year // 0: every year
	Flagged     bool // only overpayments and periods paid twice
	Page        int
}

// Import is a past import's record.
type Import struct {
	ID         int64     `json:"id"`
	FileName   string    `json:"file_name"`
	Source     string    `json:"source"`
	Lines      int       `json:"lines"`
	Added      int       `json:"added"`
	Known      int       `json:"already_imported"`
	Unmatched  int       `json:"unmatched"`
	Rejected   int       `json:"rejected"`
	Amount     Money     `json:"amount_pence"`
	ImportedAt time.Time `json:"imported_at"`
	ImportedBy string    `json:"imported_by"`
}

// Scenario pairs two assumption sets over the same budget lines.
type Scenario struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Author        string    `json:"author"`
	AID           int64     `json:"a_id"`
	BID           int64     `json:"b_id"`
	BudgetLineIDs []int64   `json:"budget_line_ids"`
	CreatedAt     time.Time `json:"created_at"`
}

// ScenarioResult is a scenario worked out: both sides year by year, with
// each side's forecast and working.
type ScenarioResult struct {
	Scenario
	A      Assumptions    `json:"a"`
	B      Assumptions    `json:"b"`
	Years  []ScenarioYear `json:"years"`
	LinesA []LineForecast `json:"lines_a"`
	LinesB []LineForecast `json:"lines_b"`
	Scale  int            `json:"scale"`
}

// Store is what finance needs from storage. Finance and commissioners
// read; finance and admins set budgets and import actuals; admins keep
// budget lines; a provider reads only its own actuals.
type Store interface {
	ListBudgetLines(ctx context.Context) ([]BudgetLine, error)
	SaveBudgetLine(ctx context.Context, b *BudgetLine) error
	ListBudgets(ctx context.Context, y Year) ([]Budget, error)
	SetBudgets(ctx context.Context, bs []Budget) error
	FinanceSettings(ctx context.Context) (*Settings, error)
	SetFinanceSettings(ctx context.Context, s Settings) error
	FinanceSummary(ctx context.Context, y Year) (*Summary, error)
	CommitmentRollup(ctx context.Context, y Year, d Dimension) ([]Group, map[int64]string, error)
	DrillDown(ctx context.Context, f DrillFilter) (*Drill, error)
	PlacementCommitment(ctx context.Context, placementID int64, y Year) (*DrillRow, error)
	ImportActuals(ctx context.Context, fileName, source string, r io.Reader) (*ImportReport, error)
	ListImports(ctx context.Context) ([]Import, error)
	ListActuals(ctx context.Context, f ActualFilter) ([]Payment, int, error)
	ListAssumptions(ctx context.Context) ([]Assumptions, error)
	SaveAssumptions(ctx context.Context, a *Assumptions) error
	Forecasts(ctx context.Context, assumptionsID int64) ([]LineForecast, *Assumptions, error)
	ListScenarios(ctx context.Context) ([]Scenario, error)
	SaveScenario(ctx context.Context, s *Scenario) error
	ScenarioResult(ctx context.Context, id int64) (*ScenarioResult, error)
	AgreementSpend(ctx context.Context, agreementID int64) (*ContractValue, error)
	SetSupplierReference(ctx context.Context, providerID int64, ref string) error
}

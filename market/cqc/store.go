package cqc

import (
	"context"
	"iter"
	"time"

	"github.com/caremarket/caremarket/market"
)

// ImportOptions shapes an import of CQC records.
type ImportOptions struct {
	// All imports every local authority's locations, not only the council's.
	All bool
	// LocalAuthority is the council as CQC's "Location Local Authority"
	// names it ("Kent"); by default it comes from the council's name.
	LocalAuthority string
	// AreaFor says which of the council's districts a postcode district
	// (outcode, "CT9") is in. CQC gives only the council with social care
	// duties, which for a county covers many districts, so the postcode
	// decides. Required; Store.AreaLookup builds one.
	AreaFor func(outcode string) (areaID int64, ok bool)
	// Source labels the rating history, e.g. the file name.
	Source string
	// BatchSize is how many rows each transaction writes (default 5,000):
	// large enough that commits are not the cost, small enough that a
	// long import does not hold the write lock for long.
	BatchSize int
	// KeepMissing leaves alone the council's locations that a directory
	// file does not list, instead of marking them deregistered: for a file
	// that is not the whole register (an extract), or a council that also
	// holds locations CQC does not know (the demo's made-up homes).
	KeepMissing bool
	// Progress, when set, is told how many rows have been read after each
	// batch is written, for a progress bar.
	Progress func(rowsDone int)
}

// ImportSummary says what an import did.
type ImportSummary struct {
	Rows         int `json:"rows"` // data rows read, blank rows aside
	Added        int `json:"added"`
	Updated      int `json:"updated"`
	Unchanged    int `json:"unchanged"`
	Deregistered int `json:"deregistered"`
	Rejected     int `json:"rejected"`
	// Rows skipped because they are not the council's to import.
	OtherAuthority int `json:"other_authority"` // another council's location
	NotSocialCare  int `json:"not_social_care"` // nothing the council buys: GP, dentist, hospital...
	NotRegistered  int `json:"not_registered"`  // API records of deregistered locations never held

	ProvidersAdded   int `json:"providers_added"`
	ProvidersUpdated int `json:"providers_updated"`
	RatingChanges    int `json:"rating_changes"`
	Alerts           int `json:"alerts"`
	// DeregistrationSkipped says why locations missing from the file were
	// not deregistered, when they were not.
	DeregistrationSkipped string        `json:"deregistration_skipped,omitempty"`
	Rejections            []*RowError   `json:"rejections"`
	Elapsed               time.Duration `json:"-"` // see RowsPerSecond
}

// RowsPerSecond is the import's speed.
func (s *ImportSummary) RowsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Rows) / s.Elapsed.Seconds()
}

// Store is what caremarket keeps of CQC's register: imports, registration,
// rating history and the alerts they raise, and bulk vacancy updates. Roles
// and the council (and provider) scope are the store's to enforce, as for
// market.Registry.
type Store interface {
	// ImportDirectory applies the HSCA Active Locations directory
	// (DirectoryReader.All): the whole register, so a held location it
	// does not list has left it (unless opts.KeepMissing).
	ImportDirectory(ctx context.Context, rows iter.Seq2[*Location, error], opts ImportOptions) (*ImportSummary, error)
	// ImportAPIRecords applies records in the shape of CQC's API (ReadAPI).
	ImportAPIRecords(ctx context.Context, rows iter.Seq2[*Location, error], opts ImportOptions) (*ImportSummary, error)
	// AreaLookup builds ImportOptions.AreaFor from the council's areas and
	// a table of which district each outcode is in.
	AreaLookup(ctx context.Context, districtFor func(outcode string) (district string, ok bool)) (func(outcode string) (int64, bool), error)

	LocationRegistration(ctx context.Context, locationID int64) (*Registration, error)
	// LocationStatuses says which of the given locations are registered,
	// for a list that shows deregistered ones too.
	LocationStatuses(ctx context.Context, locationIDs []int64) (map[int64]Status, error)
	RatingHistory(ctx context.Context, locationID int64) ([]RatingChange, error)

	ListAlerts(ctx context.Context, openOnly bool) ([]Alert, error)
	Alert(ctx context.Context, id int64) (*Alert, error)
	AcknowledgeAlert(ctx context.Context, id int64) error

	// ApplyVacancies saves a bulk vacancy upload all or nothing; the line
	// errors say why nothing was saved.
	ApplyVacancies(ctx context.Context, rows []market.VacancyRow) (int, []market.LineError, error)
}

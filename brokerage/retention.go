package brokerage

import (
	"time"

	"github.com/caremarket/caremarket"
)

// Personal data of people in care is special category data (UK GDPR art. 9):
// it is kept no longer than the council's retention rules allow, and every
// look at it is logged with a reason.

// RetentionRules say how long a person's identity is kept once it is no
// longer needed. The requirement and placement records stay (anonymised),
// so the market's history and the audit chain are untouched.
type RetentionRules struct {
	// UnplacedMonths: a requirement that never became a placement keeps
	// the person's identity this long after it was cancelled.
	UnplacedMonths int `json:"unplaced_months"`
	// EndedPlacementMonths: after the last placement for the requirement
	// ended, the identity is kept this long.
	EndedPlacementMonths int `json:"ended_placement_months"`
}

// DefaultRetention is what a council starts with: 12 months for a need
// that was never placed, 7 years after a placement ends.
var DefaultRetention = RetentionRules{UnplacedMonths: 12, EndedPlacementMonths: 84}

// MaxRetentionMonths bounds a rule at 100 years: longer is a typing error.
const MaxRetentionMonths = 1200

// Validate checks each period is a whole number of months from 1 to 1,200.
func (r RetentionRules) Validate() error {
	fields := map[string]string{}
	if r.UnplacedMonths < 1 || r.UnplacedMonths > MaxRetentionMonths {
		fields["unplaced_months"] = "Enter how many months to keep a person's details when the need was never placed, from 1 to 1,200"
	}
	if r.EndedPlacementMonths < 1 || r.EndedPlacementMonths > MaxRetentionMonths {
		fields["ended_placement_months"] = "Enter how many months to keep a person's details after their placement ends, from 1 to 1,200"
	}
	return caremarket.Invalid(fields)
}

// IdentityHolding is what the purge needs to know about one requirement's
// person.
type IdentityHolding struct {
	RequirementID int64
	Status        string    // the requirement's status
	UpdatedAt     time.Time // when the requirement last changed (a cancellation)
	Placements    int       // how many placements it ever had
	Active        int       // how many of them are still running
	LastEnd       time.Time // the latest end date of its ended placements
}

// PurgeDue reports whether the identity may be removed today under the
// rules, and which rule says so. A person with a running placement, or with
// a requirement still being worked on, is never purged.
func PurgeDue(h IdentityHolding, r RetentionRules, today time.Time) (bool, string) {
	switch {
	case h.Active > 0:
		return false, ""
	case h.Placements > 0:
		if h.LastEnd.IsZero() {
			return false, ""
		}
		if !today.Before(h.LastEnd.AddDate(0, r.EndedPlacementMonths, 0)) {
			return true, "placement ended more than " + months(r.EndedPlacementMonths) + " ago"
		}
	case h.Status == StatusCancelled:
		if !today.Before(h.UpdatedAt.AddDate(0, r.UnplacedMonths, 0)) {
			return true, "never placed, and cancelled more than " + months(r.UnplacedMonths) + " ago"
		}
	}
	return false, ""
}

func months(n int) string {
	if n%12 == 0 {
		if n == 12 {
			return "1 year"
		}
		return itoa(n/12) + " years"
	}
	if n == 1 {
		return "1 month"
	}
	return itoa(n) + " months"
}

// PurgedMarker replaces each identity field that the purge removes.
const PurgedMarker = "[removed under the council's retention rules]"

// ViewReason is why someone looked at a person's identity; the short list
// is what an information governance officer expects to see in the log.
type ViewReason string

const (
	ViewArranging     ViewReason = "arranging"
	ViewReview        ViewReason = "review"
	ViewSafeguarding  ViewReason = "safeguarding"
	ViewPayments      ViewReason = "payments"
	ViewComplaint     ViewReason = "complaint"
	ViewSubjectAccess ViewReason = "subject_access"
)

// ViewReasons lists the reasons in the order the form offers them.
var ViewReasons = []ViewReason{ViewArranging, ViewReview, ViewSafeguarding, ViewPayments, ViewComplaint, ViewSubjectAccess}

var viewReasonLabels = map[ViewReason]string{
	ViewArranging:     "Arranging or starting the placement",
	ViewReview:        "Care review or reassessment",
	ViewSafeguarding:  "Safeguarding enquiry",
	ViewPayments:      "Payments and invoices",
	ViewComplaint:     "Complaint",
	ViewSubjectAccess: "Subject access request",
}

// Valid reports whether r is on the list.
func (r ViewReason) Valid() bool { _, ok := viewReasonLabels[r]; return ok }

// Label is the reason in words.
func (r ViewReason) Label() string { return viewReasonLabels[r] }

package quality

import (
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// Weights are how much each factor counts towards a provider's risk score.
// Each council sets its own; DefaultWeights is where it starts.
type Weights struct {
	CQCRating    int `json:"cqc_rating"`     // per step below Good (Requires improvement 1, Inadequate 2; not rated 1)
	CQCTrend     int `json:"cqc_trend"`      // if the last CQC rating change was a drop
	AuditRating  int `json:"audit_rating"`   // per step below Good (Requires improvement 1, Poor 2; not yet audited 0)
	Concerns     int `json:"concerns"`       // per open serious concern
	Suspensions  int `json:"suspensions"`    // per open suspension
	Overdue      int `json:"overdue"`        // per overdue action
	HandBacks    int `json:"hand_backs"`     // per placement handed back in the last 12 months
	Complaints   int `json:"complaints"`     // per complaint in the last 12 months
	Safeguarding int `json:"safeguarding"`   // per safeguarding referral in the last 12 months
	Medium       int `json:"medium_from"`    // a score this high or more is Medium
	High         int `json:"high_from"`      // ... High
	VeryHigh     int `json:"very_high_from"` // ... Very high
}

// DefaultWeights: a location rated Inadequate (2 x 10) with a Poor audit
// (2 x 10) is Very high on those alone; one open serious concern (15) makes
// an otherwise clean location Medium.
var DefaultWeights = Weights{CQCRating: 10, CQCTrend: 5, AuditRating: 10, Concerns: 15, Suspensions: 25, Overdue: 3, HandBacks: 3,
	Complaints: 2, Safeguarding: 4, Medium: 10, High: 25, VeryHigh: 40}

// Validate checks weights a council sets: none negative, none silly, and
// the level thresholds in order.
func (w *Weights) Validate() error {
	errs := map[string]string{}
	for name, v := range map[string]int{"cqc_rating": w.CQCRating, "cqc_trend": w.CQCTrend, "audit_rating": w.AuditRating, "concerns": w.Concerns,
		"suspensions": w.Suspensions, "overdue": w.Overdue, "hand_backs": w.HandBacks, "complaints": w.Complaints, "safeguarding": w.Safeguarding} {
		if v < 0 || v > 100 {
			errs[name] = "Each weight must be a whole number from 0 to 100"
		}
	}
	if w.Medium <= 0 || w.High <= w.Medium || w.VeryHigh <= w.High || w.VeryHigh > 10000 {
		errs["medium_from"] = "The scores for Medium, High and Very high must rise in that order, starting above 0"
	}
	return caremarket.Invalid(errs)
}

// Level is a risk level.
type Level string

const (
	RiskLow      Level = "low"
	RiskMedium   Level = "medium"
	RiskHigh     Level = "high"
	RiskVeryHigh Level = "very_high"
)

// Label is the level in words.
func (l Level) Label() string {
	switch l {
	case RiskLow:
		return "Low"
	case RiskMedium:
		return "Medium"
	case RiskHigh:
		return "High"
	case RiskVeryHigh:
		return "Very high"
	}
	return string(l)
}

// RiskInput is what is known of a location (with its provider's concerns).
type RiskInput struct {
	CQCRating    market.Rating `json:"cqc_rating"`
	CQCPrevious  market.Rating `json:"cqc_previous,omitempty"` // before the last change; "" if none
	AuditRating  Rating        `json:"audit_rating,omitempty"` // the latest published visit; "" if none
	AuditDate    *time.Time    `json:"audit_date,omitempty"`
	Concerns     int           `json:"open_concerns"`
	Suspensions  int           `json:"open_suspensions"`
	Overdue      int           `json:"overdue_actions"`
	HandBacks    int           `json:"hand_backs_12m"`
	Complaints   int           `json:"complaints_12m"`
	Safeguarding int           `json:"safeguarding_referrals_12m"`
}

// Risk is a risk level with its working.
type Risk struct {
	RiskInput
	Trend   string   `json:"cqc_trend"` // down, up, same, "" (no history)
	Score   int      `json:"score"`
	Level   Level    `json:"level"`
	Working []string `json:"working"`
}

var cqcSteps = map[market.Rating]int{market.Outstanding: 0, market.Good: 0, market.RequiresImprovement: 1, market.Inadequate: 2, market.NotRated: 1}
var cqcOrder = map[market.Rating]int{market.Outstanding: 4, market.Good: 3, market.RequiresImprovement: 2, market.Inadequate: 1}

// Assess works out the risk score and level: each factor's count times its
// weight, summed, then banded by the council's thresholds.
//
//	Requires improvement from Good (1x10 + trend 5), audit Poor (2x10),
//	1 overdue action (3), 2 complaints (2x2): 10+5+20+3+4 = 42, Very high (40+).
func Assess(in RiskInput, w Weights) Risk {
	r := Risk{RiskInput: in}
	add := func(label string, n, weight int) {
		if n == 0 || weight == 0 {
			return
		}
		pts := n * weight
		r.Score += pts
		r.Working = append(r.Working, fmt.Sprintf("%s: %d × %d = %d", label, n, weight, pts))
	}
	rating := in.CQCRating
	if rating == "" {
		rating = market.NotRated
	}
	add("CQC rating "+rating.Label(), cqcSteps[rating], w.CQCRating)
	if in.CQCPrevious != "" && cqcOrder[in.CQCPrevious] > 0 && cqcOrder[rating] > 0 {
		switch {
		case cqcOrder[rating] < cqcOrder[in.CQCPrevious]:
			r.Trend = "down"
			add("CQC rating fell from "+in.CQCPrevious.Label(), 1, w.CQCTrend)
		case cqcOrder[rating] > cqcOrder[in.CQCPrevious]:
			r.Trend = "up"
		default:
			r.Trend = "same"
		}
	}
	switch in.AuditRating {
	case "":
		// Not yet audited: nothing known, so nothing counts; the working says so.
		r.Working = append(r.Working, "Not yet audited by the council: no points")
	case RequiresImprovement:
		add("Latest audit Requires improvement", 1, w.AuditRating)
	case Poor:
		add("Latest audit Poor", 2, w.AuditRating)
	}
	add("Open serious concerns", in.Concerns, w.Concerns)
	add("Open suspensions", in.Suspensions, w.Suspensions)
	add("Overdue actions", in.Overdue, w.Overdue)
	add("Placements handed back in the last 12 months", in.HandBacks, w.HandBacks)
	add("Complaints in the last 12 months", in.Complaints, w.Complaints)
	add("Safeguarding referrals in the last 12 months", in.Safeguarding, w.Safeguarding)
	switch {
	case r.Score >= w.VeryHigh:
		r.Level = RiskVeryHigh
	case r.Score >= w.High:
		r.Level = RiskHigh
	case r.Score >= w.Medium:
		r.Level = RiskMedium
	default:
		r.Level = RiskLow
	}
	if r.Score == 0 {
		r.Working = append(r.Working, "Nothing counts against it")
	}
	r.Working = append(r.Working, fmt.Sprintf("Total %d: %s (Medium from %d, High from %d, Very high from %d)", r.Score, r.Level.Label(), w.Medium, w.High, w.VeryHigh))
	return r
}

// LocationRisk is a location's risk, named.
type LocationRisk struct {
	LocationID   int64  `json:"location_id"`
	LocationName string `json:"location_name"`
	ProviderID   int64  `json:"provider_id"`
	ProviderName string `json:"provider_name"`
	Risk
}

// ProviderRisk is a provider's risk: its highest-scoring location's level,
// with every location's working.
type ProviderRisk struct {
	ProviderID   int64          `json:"provider_id"`
	ProviderName string         `json:"provider_name"`
	Score        int            `json:"score"`
	Level        Level          `json:"level"`
	Locations    []LocationRisk `json:"locations"`
	Weights      Weights        `json:"weights"`
}

// Event kinds recorded as counts by date.
const (
	EventComplaint    = "complaint"
	EventSafeguarding = "safeguarding"
)

// EventLabel names an event kind.
func EventLabel(k string) string {
	if k == EventSafeguarding {
		return "Safeguarding referrals"
	}
	return "Complaints"
}

// Event is a count of complaints or safeguarding referrals about a
// location received on a day.
type Event struct {
	ID           int64     `json:"id"`
	ProviderID   int64     `json:"provider_id"`
	LocationID   int64     `json:"location_id"`
	LocationName string    `json:"location_name"`
	Kind         string    `json:"kind"`
	Date         time.Time `json:"date"`
	Count        int       `json:"count"`
	Note         string    `json:"note"`
	RecordedBy   string    `json:"recorded_by"`
}

// Validate checks an event before it is recorded.
func (e *Event) Validate(today time.Time) error {
	e.Note = strings.TrimSpace(e.Note)
	errs := map[string]string{}
	if e.LocationID <= 0 {
		errs["location_id"] = "Choose the location"
	}
	if e.Kind != EventComplaint && e.Kind != EventSafeguarding {
		errs["kind"] = "Choose complaints or safeguarding referrals"
	}
	if e.Date.IsZero() || e.Date.After(today) {
		errs["date"] = "Enter the date they were received, today or earlier"
	}
	if e.Count < 1 || e.Count > 1000 {
		errs["count"] = "Enter how many, from 1 to 1000"
	}
	caremarket.CheckText(errs, "note", "note", e.Note, false, MaxTextLen)
	return caremarket.Invalid(errs)
}

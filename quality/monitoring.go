// Package quality is the council's contract monitoring and what it learns
// of providers: monitoring frameworks (domains of questions with evidence
// notes), officers' visits to a location scored per domain and overall on a
// four-point scale, action plans the provider must evidence, a provider's
// risk level with its working shown, and the performance the platform
// itself records (offer response times, acceptance, hand-backs, off-contract
// share, price against guide, vacancy freshness, home care hours delivered).
//
// Everything here is plain Go over plain data: storage gathers the figures
// and runs the transactions.
package quality

import (
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
)

// Rating is a monitoring rating on the four-point scale councils' audit
// tools use.
type Rating string

const (
	Excellent           Rating = "excellent"
	Good                Rating = "good"
	RequiresImprovement Rating = "requires_improvement"
	Poor                Rating = "poor"
	// NotApplicable answers a question that does not apply to the location;
	// it does not count towards the domain.
	NotApplicable Rating = "not_applicable"
)

// Ratings lists the scale, best first.
var Ratings = []Rating{Excellent, Good, RequiresImprovement, Poor}

// Answers lists what a question may be answered with.
var Answers = []Rating{Excellent, Good, RequiresImprovement, Poor, NotApplicable}

// Valid reports whether r is a rating of the scale.
func (r Rating) Valid() bool { return r.Score() > 0 }

// Score is the rating's points: Excellent 4, Good 3, Requires improvement
// 2, Poor 1; 0 for anything else.
func (r Rating) Score() int {
	switch r {
	case Excellent:
		return 4
	case Good:
		return 3
	case RequiresImprovement:
		return 2
	case Poor:
		return 1
	}
	return 0
}

// Label is the rating in words.
func (r Rating) Label() string {
	switch r {
	case Excellent:
		return "Excellent"
	case Good:
		return "Good"
	case RequiresImprovement:
		return "Requires improvement"
	case Poor:
		return "Poor"
	case NotApplicable:
		return "Not applicable"
	case "":
		return "Not yet rated"
	}
	return string(r)
}

// AtLeast reports whether r is min or better (an empty min is no minimum).
func (r Rating) AtLeast(min Rating) bool { return min == "" || r.Score() >= min.Score() }

// ParseRating reads a rating given as its code or its words.
func ParseRating(s string) (Rating, bool) {
	s = strings.TrimSpace(s)
	for _, r := range Answers {
		if strings.EqualFold(s, string(r)) || strings.EqualFold(s, r.Label()) {
			return r, true
		}
	}
	return "", false
}

// Question is one question of a framework domain.
type Question struct {
	// Key identifies the question within its framework ("D2Q3"): answers and
	// actions refer to it.
	Key string `json:"key"`
	// Text is the question; Evidence says what the officer looks at.
	Text     string `json:"text"`
	Evidence string `json:"evidence_notes"`
}

// Domain is an area a visit looks at (Safeguarding, Medication, ...).
type Domain struct {
	Key       string     `json:"key"`
	Name      string     `json:"name"`
	Questions []Question `json:"questions"`
}

// Framework is a council's monitoring framework. Once visits use it, it is
// not edited: a change is a new framework, so old reports keep their
// questions.
type Framework struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Domains   []Domain  `json:"domains"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Limits on what a framework and a visit may hold.
const (
	MaxDomains   = 20
	MaxQuestions = 40 // per domain
	MaxTextLen   = 2000
	MaxNameLen   = 200
)

// Validate checks a new framework and gives every domain and question its
// key (D1, D1Q1, ...).
func (f *Framework) Validate() error {
	f.Name = strings.TrimSpace(f.Name)
	errs := map[string]string{}
	caremarket.CheckText(errs, "name", "framework name", f.Name, true, MaxNameLen)
	switch {
	case len(f.Domains) == 0:
		errs["domains"] = "Add at least one domain, like Safeguarding"
	case len(f.Domains) > MaxDomains:
		errs["domains"] = fmt.Sprintf("A framework has at most %d domains", MaxDomains)
	}
	for i := range f.Domains {
		d := &f.Domains[i]
		d.Key = fmt.Sprintf("D%d", i+1)
		d.Name = strings.TrimSpace(d.Name)
		if d.Name == "" || len(d.Name) > MaxNameLen {
			errs["domains"] = fmt.Sprintf("Domain %d needs a name of at most %d characters", i+1, MaxNameLen)
		}
		if len(d.Questions) == 0 || len(d.Questions) > MaxQuestions {
			errs["domains"] = fmt.Sprintf("Domain %q needs between 1 and %d questions", d.Name, MaxQuestions)
		}
		for j := range d.Questions {
			q := &d.Questions[j]
			q.Key = fmt.Sprintf("%sQ%d", d.Key, j+1)
			q.Text, q.Evidence = strings.TrimSpace(q.Text), strings.TrimSpace(q.Evidence)
			if q.Text == "" || len(q.Text) > MaxTextLen || len(q.Evidence) > MaxTextLen {
				errs["domains"] = fmt.Sprintf("Question %d of %q needs its text (and evidence notes of at most %d characters)", j+1, d.Name, MaxTextLen)
			}
		}
	}
	return caremarket.Invalid(errs)
}

// Question finds a question by key.
func (f *Framework) Question(key string) (*Domain, *Question) {
	for i := range f.Domains {
		for j := range f.Domains[i].Questions {
			if f.Domains[i].Questions[j].Key == key {
				return &f.Domains[i], &f.Domains[i].Questions[j]
			}
		}
	}
	return nil, nil
}

// Answer is the officer's answer to one question of a visit.
type Answer struct {
	QuestionKey string `json:"question_key"`
	Rating      Rating `json:"rating"`
	Note        string `json:"note"`
}

// Visit statuses: a report is drafted, then published to the provider.
const (
	VisitDraft     = "draft"
	VisitPublished = "published"
)

// Visit is an officer's monitoring visit to a location and its report.
type Visit struct {
	ID            int64     `json:"id"`
	FrameworkID   int64     `json:"framework_id"`
	FrameworkName string    `json:"framework_name"`
	LocationID    int64     `json:"location_id"`
	LocationName  string    `json:"location_name"`
	ProviderID    int64     `json:"provider_id"`
	ProviderName  string    `json:"provider_name"`
	Announced     bool      `json:"announced"`
	VisitDate     time.Time `json:"visit_date"`
	Officers      string    `json:"officers"`
	Summary       string    `json:"summary"`
	Answers       []Answer  `json:"answers"`
	// Domains and Overall are worked out from the answers by Combine.
	Domains     []DomainResult `json:"domain_ratings"`
	Overall     Rating         `json:"overall"`
	Working     []string       `json:"working"`
	Status      string         `json:"status"`
	PublishedAt *time.Time     `json:"published_at,omitempty"`
	// Response is the provider's reply to the published report.
	Response    string     `json:"provider_response"`
	RespondedAt *time.Time `json:"responded_at,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	Actions     []Action   `json:"actions"`
}

// Validate checks a visit against its framework: a date no later than
// today, the officers named, and every question answered.
func (v *Visit) Validate(f *Framework, today time.Time) error {
	v.Officers, v.Summary = strings.TrimSpace(v.Officers), strings.TrimSpace(v.Summary)
	errs := map[string]string{}
	if v.LocationID <= 0 {
		errs["location_id"] = "Choose the location visited"
	}
	if v.VisitDate.IsZero() {
		errs["visit_date"] = "Enter the date of the visit"
	} else if v.VisitDate.After(today) {
		errs["visit_date"] = "The date of the visit must be today or in the past"
	}
	caremarket.CheckText(errs, "officers", "officers who visited", v.Officers, true, 500)
	caremarket.CheckText(errs, "summary", "summary", v.Summary, false, MaxTextLen*5)
	given := map[string]Answer{}
	for _, a := range v.Answers {
		given[a.QuestionKey] = a
	}
	var answers []Answer
	for _, d := range f.Domains {
		for _, q := range d.Questions {
			a, ok := given[q.Key]
			a.QuestionKey, a.Note = q.Key, strings.TrimSpace(a.Note)
			switch {
			case !ok || a.Rating == "":
				errs["answer-"+q.Key] = fmt.Sprintf("Answer %q (%s)", q.Text, d.Name)
			case a.Rating != NotApplicable && !a.Rating.Valid():
				errs["answer-"+q.Key] = "Choose Excellent, Good, Requires improvement, Poor or Not applicable"
			case len(a.Note) > MaxTextLen:
				errs["answer-"+q.Key] = fmt.Sprintf("Notes must be %d characters or fewer", MaxTextLen)
			}
			answers = append(answers, a)
		}
	}
	for k := range given {
		if _, q := f.Question(k); q == nil {
			errs["answers"] = fmt.Sprintf("%q is not a question of the framework", k)
		}
	}
	v.Answers = answers
	return caremarket.Invalid(errs)
}

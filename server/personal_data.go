package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// Personal data pages and API for the council's information governance:
// retention rules and the purge, the log of who looked at a person's
// identity and why, and subject access exports. Admins.

func (s *Server) registerPersonalData() {
	s.route("GET /api/v1/retention-rules", s.api(s.apiRetentionRules))
	s.route("PUT /api/v1/retention-rules", s.api(s.apiSetRetentionRules))
	s.route("POST /api/v1/retention-rules/purge", s.api(s.apiPurge))
	s.route("GET /api/v1/identity-views", s.api(s.apiIdentityViews))
	s.route("GET /api/v1/people", s.api(s.apiFindPeople))
	s.route("GET /api/v1/subject-access/{case}", s.api(s.apiSubjectAccess))
	s.route("GET /admin/personal-data", s.page(s.personalDataPage))
	s.route("POST /admin/personal-data", s.postForm(s.retentionPost))
	s.route("POST /admin/personal-data/purge", s.postForm(s.purgePost))
	s.route("GET /admin/identity-views", s.page(s.identityViewsPage))
	s.route("GET /admin/subject-access", s.page(s.subjectSearchPage))
	s.route("GET /admin/subject-access/{case}", s.page(s.subjectAccessPage))
}

func (s *Server) apiRetentionRules(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(s.Store.RetentionRules(r.Context()))
}

// retentionInput is a council's retention rules, each required.
type retentionInput struct {
	UnplacedMonths       *int `json:"unplaced_months"`
	EndedPlacementMonths *int `json:"ended_placement_months"`
}

func (s *Server) apiSetRetentionRules(w http.ResponseWriter, r *http.Request) error {
	var in retentionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	missing := map[string]string{}
	if in.UnplacedMonths == nil {
		missing["unplaced_months"] = "unplaced_months is required"
	}
	if in.EndedPlacementMonths == nil {
		missing["ended_placement_months"] = "ended_placement_months is required"
	}
	if err := caremarket.Invalid(missing); err != nil {
		return err
	}
	rules := brokerage.RetentionRules{UnplacedMonths: *in.UnplacedMonths, EndedPlacementMonths: *in.EndedPlacementMonths}
	if err := s.Store.SetRetentionRules(r.Context(), rules); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rules)
	return nil
}

func (s *Server) apiPurge(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(s.Store.PurgeIdentities(r.Context(), s.Now())))
}

func identityViewFilter(q *query) brokerage.IdentityViewFilter {
	return brokerage.IdentityViewFilter{RequirementID: q.int("requirement_id"), Actor: q.str("actor", 200), CaseReference: q.str("case_reference", 100)}
}

func (s *Server) apiIdentityViews(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := identityViewFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(s.Store.IdentityViews(r.Context(), f)))
}

// subjectQuery reads a person search from query parameters: case_reference,
// name and date_of_birth (like 1941-03-09).
func subjectQuery(q *query) brokerage.SubjectQuery {
	sq := brokerage.SubjectQuery{CaseReference: q.str("case_reference", 100), Name: q.str("name", 200)}
	if raw := q.str("date_of_birth", 10); raw != "" {
		d, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			q.fields["date_of_birth"] = "Enter the date of birth like 1941-03-09"
		} else {
			sq.DateOfBirth = &d
		}
	}
	return sq
}

func (s *Server) apiFindPeople(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	sq := subjectQuery(q)
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(s.Store.FindPeople(r.Context(), sq)))
}

func (s *Server) apiSubjectAccess(w http.ResponseWriter, r *http.Request) error {
	sar, err := s.Store.SubjectAccessExport(r.Context(), r.PathValue("case"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="subject-access-`+safeFileName(sar.CaseReference)+`.json"`)
	writeJSON(w, http.StatusOK, sar)
	return nil
}

// safeFileName keeps letters, digits and dashes, for a download's name.
func safeFileName(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			return c
		}
		return '-'
	}, s)
}

// --- Pages

type personalDataView struct {
	Rules  brokerage.RetentionRules
	Form   url.Values
	Purged []brokerage.Purged
}

func (s *Server) renderPersonalData(w http.ResponseWriter, r *http.Request, status int, form url.Values, purged []brokerage.Purged, ferr error) error {
	rules, err := s.Store.RetentionRules(r.Context())
	if err != nil {
		return err
	}
	if form == nil {
		form = url.Values{}
		form.Set("unplaced_months", strconv.Itoa(rules.UnplacedMonths))
		form.Set("ended_placement_months", strconv.Itoa(rules.EndedPlacementMonths))
	}
	s.render(w, r, status, "admin_personal_data", "Personal data", personalDataView{Rules: rules, Form: form, Purged: purged}, ferr)
	return nil
}

func (s *Server) personalDataPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPersonalData(w, r, http.StatusOK, nil, nil, nil)
}

func (s *Server) retentionPost(w http.ResponseWriter, r *http.Request) error {
	f := readFields(r.PostForm)
	rules := brokerage.RetentionRules{
		UnplacedMonths:       f.whole("unplaced_months", "Enter the number of months as a whole number, like 12"),
		EndedPlacementMonths: f.whole("ended_placement_months", "Enter the number of months as a whole number, like 84"),
	}
	err := f.err()
	if err == nil {
		err = s.Store.SetRetentionRules(r.Context(), rules)
	}
	if hasFormErrors(err) {
		return s.renderPersonalData(w, r, statusOf(err), r.PostForm, nil, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/admin/personal-data", "The retention rules have been saved")
	return nil
}

func (s *Server) purgePost(w http.ResponseWriter, r *http.Request) error {
	purged, err := s.Store.PurgeIdentities(r.Context(), s.Now())
	if err != nil {
		return err
	}
	return s.renderPersonalData(w, r, http.StatusOK, nil, purged, nil)
}

func (s *Server) identityViewsPage(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := identityViewFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	views, err := s.Store.IdentityViews(r.Context(), f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_identity_views", "Who viewed people's details", map[string]any{"Views": views, "Query": r.URL.Query()}, nil)
	return nil
}

func (s *Server) subjectSearchPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin); err != nil {
		return err
	}
	data := map[string]any{"Query": r.URL.Query()}
	q := newQuery(r)
	sq := subjectQuery(q)
	err := q.err()
	if err == nil && (sq.CaseReference != "" || sq.Name != "" || sq.DateOfBirth != nil) {
		var found []brokerage.PersonMatch
		found, err = s.Store.FindPeople(r.Context(), sq)
		data["Found"], data["Searched"] = found, true
	}
	if err != nil && !hasFormErrors(err) {
		return err
	}
	status := http.StatusOK
	if err != nil {
		status = statusOf(err)
	}
	s.render(w, r, status, "admin_subject_access", "Subject access requests", data, err)
	return nil
}

func (s *Server) subjectAccessPage(w http.ResponseWriter, r *http.Request) error {
	sar, err := s.Store.SubjectAccessExport(r.Context(), r.PathValue("case"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "subject_access", "Everything held about case "+sar.CaseReference, sar, nil)
	return nil
}

// viewReasonOptions are the reasons a person may give to see someone's
// details.
func viewReasonOptions() []option {
	return optionsOf(brokerage.ViewReasons, func(r brokerage.ViewReason) option { return option{Value: string(r), Label: r.Label()} })
}

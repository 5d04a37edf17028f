package server

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/quality"
)

// The quality API: monitoring frameworks, visits and their reports, action
// plans, provider risk and the watch list, and provider performance.

func (s *Server) registerQuality() {
	s.route("GET /api/v1/monitoring-frameworks", s.api(s.apiListFrameworks))
	s.route("POST /api/v1/monitoring-frameworks", s.api(s.apiCreateFramework))
	s.route("GET /api/v1/monitoring-frameworks/{id}", s.api(s.apiGetFramework))
	s.route("GET /api/v1/monitoring-visits", s.api(s.apiListVisits))
	s.route("POST /api/v1/monitoring-visits", s.api(s.apiCreateVisit))
	s.route("GET /api/v1/monitoring-visits/{id}", s.api(s.apiGetVisit))
	s.route("PUT /api/v1/monitoring-visits/{id}", s.api(s.apiUpdateVisit))
	s.route("POST /api/v1/monitoring-visits/{id}/publish", s.api(s.apiPublishVisit))
	s.route("POST /api/v1/monitoring-visits/{id}/response", s.api(s.apiRespondVisit))
	s.route("GET /api/v1/actions", s.api(s.apiListActions))
	s.route("POST /api/v1/actions", s.api(s.apiCreateAction))
	s.route("GET /api/v1/actions/{id}", s.api(s.apiGetAction))
	s.route("POST /api/v1/actions/{id}/evidence", s.api(s.apiActionEvidence))
	s.route("POST /api/v1/actions/{id}/decision", s.api(s.apiActionDecision))
	s.route("GET /api/v1/providers/{id}/risk", s.api(s.apiProviderRisk))
	s.route("GET /api/v1/watch-list", s.api(s.apiWatchList))
	s.route("GET /api/v1/risk-weights", s.api(s.apiRiskWeights))
	s.route("PUT /api/v1/risk-weights", s.api(s.apiSetRiskWeights))
	s.route("POST /api/v1/quality-events", s.api(s.apiRecordEvent))
	s.route("GET /api/v1/providers/{id}/quality-events", s.api(s.apiListEvents))
	s.route("GET /api/v1/providers/{id}/performance", s.api(s.apiProviderPerformance))
	s.route("GET /api/v1/lots/{id}/performance", s.api(s.apiLotPerformance))
	s.route("PUT /api/v1/lots/{id}/audit-minimum", s.api(s.apiSetLotMinimum))
	s.route("POST /api/v1/delivered-hours", s.api(s.apiDeliveredHours))
	s.registerQualityPages()
}

func (s *Server) apiListFrameworks(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(s.Store.ListFrameworks(r.Context())))
}

type frameworkInput struct {
	Name    string `json:"name"`
	Domains []struct {
		Name      string `json:"name"`
		Questions []struct {
			Text     string `json:"text"`
			Evidence string `json:"evidence_notes"`
		} `json:"questions"`
	} `json:"domains"`
}

func (s *Server) apiCreateFramework(w http.ResponseWriter, r *http.Request) error {
	var in frameworkInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	f := &quality.Framework{Name: in.Name}
	for _, d := range in.Domains {
		dom := quality.Domain{Name: d.Name}
		for _, q := range d.Questions {
			dom.Questions = append(dom.Questions, quality.Question{Text: q.Text, Evidence: q.Evidence})
		}
		f.Domains = append(f.Domains, dom)
	}
	if err := s.Store.CreateFramework(r.Context(), f); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func (s *Server) apiGetFramework(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, s.Store.Framework))
}

func (s *Server) apiListVisits(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := quality.VisitFilter{ProviderID: q.int("provider_id"), LocationID: q.int("location_id"), Status: q.str("status", 20)}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(s.Store.ListVisits(r.Context(), f)))
}

type visitInput struct {
	FrameworkID int64            `json:"framework_id"`
	LocationID  int64            `json:"location_id"`
	Announced   bool             `json:"announced"`
	VisitDate   *dateOnly        `json:"visit_date"`
	Officers    string           `json:"officers"`
	Summary     string           `json:"summary"`
	Answers     []quality.Answer `json:"answers"`
}

func (in visitInput) visit(id int64) *quality.Visit {
	v := &quality.Visit{ID: id, FrameworkID: in.FrameworkID, LocationID: in.LocationID, Announced: in.Announced, Officers: in.Officers, Summary: in.Summary, Answers: in.Answers}
	if in.VisitDate != nil {
		v.VisitDate = in.VisitDate.Time
	}
	return v
}

func (s *Server) apiCreateVisit(w http.ResponseWriter, r *http.Request) error {
	var in visitInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v := in.visit(0)
	if err := s.Store.CreateVisit(r.Context(), v); err != nil {
		return err
	}
	return reply(w, http.StatusCreated)(s.Store.Visit(r.Context(), v.ID))
}

func (s *Server) apiGetVisit(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, s.Store.Visit))
}

func (s *Server) apiUpdateVisit(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[visitInput](w, r)
	if err != nil {
		return err
	}
	if err := s.Store.UpdateVisit(r.Context(), in.visit(id)); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.Visit(r.Context(), id))
}

func (s *Server) apiPublishVisit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.PublishVisit(r.Context(), id))
}

func (s *Server) apiRespondVisit(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[visitResponseInput](w, r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.RespondToVisit(r.Context(), id, in.Response))
}

func (s *Server) apiListActions(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := quality.ActionFilter{ProviderID: q.int("provider_id"), LocationID: q.int("location_id"), VisitID: q.int("visit_id"), Status: q.str("status", 20)}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(s.Store.ListActions(r.Context(), f)))
}

func (s *Server) apiCreateAction(w http.ResponseWriter, r *http.Request) error {
	var in actionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	x := &quality.Action{VisitID: in.VisitID, QuestionKey: in.QuestionKey, Finding: in.Finding, Owner: in.Owner}
	if in.DueDate != nil {
		x.DueDate = in.DueDate.Time
	}
	if err := s.Store.AddAction(r.Context(), x); err != nil {
		return err
	}
	return reply(w, http.StatusCreated)(s.Store.Action(r.Context(), x.ID))
}

func (s *Server) apiGetAction(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, s.Store.Action))
}

func (s *Server) apiActionEvidence(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[evidenceInput](w, r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.SubmitEvidence(r.Context(), id, in.Evidence))
}

func (s *Server) apiActionDecision(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[quality.Decision](w, r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.DecideAction(r.Context(), id, in))
}

func (s *Server) apiProviderRisk(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, s.Store.ProviderRisk))
}

// parseLevel reads a risk level ("" is low: everyone).
func parseLevel(q *query) quality.Level {
	switch l := quality.Level(q.str("level", 20)); l {
	case "", quality.RiskLow, quality.RiskMedium, quality.RiskHigh, quality.RiskVeryHigh:
		return l
	}
	q.fields["level"] = "level must be low, medium, high or very_high"
	return ""
}

func (s *Server) apiWatchList(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	level := parseLevel(q)
	if err := q.err(); err != nil {
		return err
	}
	if level == "" {
		level = quality.RiskHigh
	}
	return reply(w, http.StatusOK)(listResult(s.Store.WatchList(r.Context(), level)))
}

func (s *Server) apiRiskWeights(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(s.Store.RiskWeights(r.Context()))
}

func (s *Server) apiSetRiskWeights(w http.ResponseWriter, r *http.Request) error {
	in := quality.DefaultWeights
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Store.SetRiskWeights(r.Context(), in); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.RiskWeights(r.Context()))
}

func (s *Server) apiRecordEvent(w http.ResponseWriter, r *http.Request) error {
	var in qualityEventInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e := &quality.Event{LocationID: in.LocationID, Kind: in.Kind, Count: in.Count, Note: in.Note}
	if in.Date != nil {
		e.Date = in.Date.Time
	}
	if err := s.Store.RecordEvent(r.Context(), e); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiListEvents(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(loadPath(r, pathID, s.Store.ListEvents)))
}

// period reads from and to (dates, both included); the default is the
// twelve months to today. It returns [from, to+1 day).
func (s *Server) period(q *query) (time.Time, time.Time) {
	from, to := q.day("from"), q.day("to")
	today := s.Now().UTC().Truncate(24 * time.Hour)
	if to.IsZero() {
		to = today
	}
	if from.IsZero() {
		from = to.AddDate(-1, 0, 1)
	}
	return from, to.AddDate(0, 0, 1)
}

func (s *Server) apiProviderPerformance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := newQuery(r)
	from, to := s.period(q)
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.ProviderPerformance(r.Context(), id, from, to))
}

func (s *Server) apiLotPerformance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := newQuery(r)
	from, to := s.period(q)
	sort := q.str("sort", 40)
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.LotPerformance(r.Context(), id, from, to, sort))
}

func (s *Server) apiSetLotMinimum(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[lotMinimumInput](w, r)
	if err != nil {
		return err
	}
	if err := s.Store.SetLotMinimum(r.Context(), id, in.Minimum); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"lot_id": id, "minimum_audit_rating": in.Minimum})
	return nil
}

// apiDeliveredHours takes an electronic call monitoring export (Content-Type:
// text/csv) and saves it all or nothing.
func (s *Server) apiDeliveredHours(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		return caremarket.Errorf(caremarket.EINVALID, "Send the delivered hours as CSV (Content-Type: text/csv): columns placement_id, week_commencing, delivered_hours")
	}
	body, err := readCSVBody(w, r, MaxUploadBytes)
	if err != nil {
		return err
	}
	n, err := s.uploadDelivered(r, bytes.NewReader(body))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"saved": n})
	return nil
}

// uploadDelivered reads and saves a delivered-hours file; bad lines come
// back as the error's fields ("line 3").
func (s *Server) uploadDelivered(r *http.Request, body io.Reader) (int, error) {
	rows, lines, err := quality.ReadDelivered(body)
	if len(lines) > 0 {
		f := map[string]string{}
		for _, l := range lines {
			f["line "+strconv.Itoa(l.Line)] = l.Reason
		}
		return 0, &caremarket.Error{Code: caremarket.EINVALID, Message: caremarket.ErrorMessage(err), Fields: f}
	} else if err != nil {
		return 0, err
	}
	return s.Store.UploadDelivered(r.Context(), rows)
}

// visitResponseInput is a provider's response to a published report.
type visitResponseInput struct {
	Response string `json:"response"`
}

// actionInput raises an action from a finding of a visit.
type actionInput struct {
	VisitID     int64     `json:"visit_id"`
	QuestionKey string    `json:"question_key"`
	Finding     string    `json:"finding"`
	Owner       string    `json:"owner"`
	DueDate     *dateOnly `json:"due_date"`
}

// evidenceInput is what a provider sends to show an action is done.
type evidenceInput struct {
	Evidence string `json:"evidence"`
}

// qualityEventInput records complaints or safeguarding referrals on a day.
type qualityEventInput struct {
	LocationID int64     `json:"location_id"`
	Kind       string    `json:"kind"`
	Date       *dateOnly `json:"date"`
	Count      int       `json:"count"`
	Note       string    `json:"note"`
}

// lotMinimumInput is a lot's minimum monitoring rating for direct award.
type lotMinimumInput struct {
	Minimum quality.Rating `json:"minimum_audit_rating"`
}

package server

import (
	"net/http"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// The broker's daily work over the API: searching the board, urgency,
// notes, withdrawing, extending and re-sending offers, and the report of
// higher-ranked providers passed over.
func (s *Server) registerBrokerWorkflowAPI() {
	s.route("GET /api/v1/requirements/search", s.api(s.apiSearchRequirements))
	s.route("GET /api/v1/requirements/{id}/urgency", s.api(s.apiGetUrgency))
	s.route("PUT /api/v1/requirements/{id}/urgency", s.api(s.apiSetUrgency))
	s.route("GET /api/v1/requirements/{id}/notes", s.api(s.apiListNotes))
	s.route("POST /api/v1/requirements/{id}/notes", s.api(s.apiAddNote))
	s.route("POST /api/v1/offers/{id}/withdraw", s.api(s.apiWithdrawOffer))
	s.route("POST /api/v1/offers/{id}/extend", s.api(s.apiExtendOffer))
	s.route("POST /api/v1/offers/{id}/resend", s.api(s.apiResendOffer))
	s.route("GET /api/v1/cascade-skips", s.api(s.apiListSkips))
}

func (s *Server) apiSearchRequirements(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Store.ExpireOffers(r.Context()); err != nil {
		return err
	}
	q := newQuery(r)
	pg := q.page()
	rq := brokerage.RequirementQuery{Status: q.str("status", 20), AreaID: q.int("area_id"), ServiceType: q.serviceType("service_type"),
		Urgent: q.flag("urgent"), CaseReference: q.str("case_reference", brokerage.MaxRefLen), Page: pg.Number, PerPage: pg.PerPage}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.Store.SearchRequirements(r.Context(), rq))
}

func (s *Server) apiGetUrgency(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := s.Store.Urgencies(r.Context(), []int64{id})
	if err != nil {
		return err
	}
	got, ok := u[id]
	if !ok {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Requirement not found")
	}
	writeJSON(w, http.StatusOK, got)
	return nil
}

// urgencyInput marks a requirement urgent or not.
type urgencyInput struct {
	Urgent   bool       `json:"urgent"`
	NeededBy *time.Time `json:"needed_by"`
	Reason   string     `json:"reason"`
}

func (s *Server) apiSetUrgency(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[urgencyInput](w, r)
	if err != nil {
		return err
	}
	u := &brokerage.Urgency{RequirementID: id, Urgent: in.Urgent, NeededBy: in.NeededBy, Reason: in.Reason}
	if err := s.Store.SetUrgency(r.Context(), u); err != nil {
		return renameField(err, "urgent_reason", "reason")
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) apiListNotes(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(loadPath(r, pathID, s.Store.Notes)))
}

func (s *Server) apiAddNote(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[noteInput](w, r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusCreated)(s.Store.AddNote(r.Context(), id, in.Body))
}

func (s *Server) apiWithdrawOffer(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[reasonInput](w, r)
	if err != nil {
		return err
	}
	o, err := s.Store.WithdrawOffer(r.Context(), id, in.Reason)
	return reply(w, http.StatusOK)(o, renameField(err, "withdraw_reason", "reason"))
}

func (s *Server) apiExtendOffer(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[extendInput](w, r)
	if err != nil {
		return err
	}
	o, err := s.Store.ExtendOffer(r.Context(), id, time.Duration(in.Hours)*time.Hour)
	return reply(w, http.StatusOK)(o, renameField(err, "extend_hours", "hours"))
}

func (s *Server) apiResendOffer(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[offerInput](w, r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusCreated)(s.Store.ResendOffer(r.Context(), id, brokerage.OfferRequest{ExpiresIn: time.Duration(in.ExpiresInHours) * time.Hour,
		WeeklyCost: in.WeeklyCost, OffContractReason: in.OffContractReason, SkipReason: in.SkipReason}))
}

func (s *Server) apiListSkips(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(s.Store.SkipReports(r.Context(), 500)))
}

// noteInput is a note on a requirement, for the council only.
type noteInput struct {
	Body string `json:"body"`
}

// extendInput is how many more hours an offer stays open.
type extendInput struct {
	Hours int `json:"hours"`
}

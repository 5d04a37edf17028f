package server

import (
	"net/http"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// providerConcerns lists a provider's serious concerns and suspensions,
// newest first, for council staff. Providers see none: the process is the
// council's own.
func (s *Server) providerConcerns(r *http.Request, providerID int64) ([]brokerage.Concern, error) {
	if !caremarket.ActorFrom(r.Context()).IsStaff() {
		return nil, nil
	}
	b, err := s.brokers()
	if err != nil {
		return nil, nil // a store without brokerage has no concerns to show
	}
	all, err := b.ListConcerns(r.Context(), false)
	if err != nil {
		return nil, err
	}
	var out []brokerage.Concern
	for _, c := range all {
		if c.ProviderID == providerID {
			out = append(out, c)
		}
	}
	return out, nil
}

// raiseConcernPost puts a provider (or one of its locations) under the
// serious-concerns process or suspends it: the cascade offers it no new
// placements until the concern is ended (DOMAIN.md).
func (s *Server) raiseConcernPost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	c := &brokerage.Concern{ProviderID: id, Kind: r.PostForm.Get("kind"), Reason: r.PostForm.Get("reason")}
	if v := r.PostForm.Get("location_id"); v != "" {
		if c.LocationID, err = strconv.ParseInt(v, 10, 64); err != nil || c.LocationID <= 0 {
			return s.renderProvider(w, r, id, http.StatusBadRequest, &caremarket.Error{Code: caremarket.EINVALID,
				Message: "Choose a location from the list", Fields: map[string]string{"location_id": "Choose a location from the list"}})
		}
	}
	if err := b.RaiseConcern(r.Context(), c); err != nil {
		if statusOf(err) >= http.StatusInternalServerError || statusOf(err) == http.StatusNotFound {
			return err
		}
		return s.renderProvider(w, r, id, statusOf(err), err)
	}
	redirectWithFlash(w, r, "/providers/"+strconv.FormatInt(id, 10), "Concern recorded: no new placements will be offered while it is open")
	return nil
}

// endConcernPost closes a concern; the provider may take placements again.
func (s *Server) endConcernPost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	if _, err := b.EndConcern(r.Context(), id); err != nil {
		return err
	}
	back := "/providers"
	if p, err := strconv.ParseInt(r.PostForm.Get("provider_id"), 10, 64); err == nil && p > 0 {
		back = "/providers/" + strconv.FormatInt(p, 10)
	}
	redirectWithFlash(w, r, back, "Concern ended: the provider can be offered placements again")
	return nil
}

package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/market"
)

func (s *Server) registerAPI() {
	s.route("GET /api/openapi.json", s.openAPI)
	s.route("GET /api/v1/me", s.api(s.apiMe))
	s.route("GET /api/v1/service-types", s.api(s.apiServiceTypes))
	s.route("GET /api/v1/areas", s.api(s.apiListAreas))
	s.route("GET /api/v1/areas/{id}", s.api(s.apiGetArea))
	s.route("GET /api/v1/clusters", s.api(s.apiListClusters))
	s.route("GET /api/v1/providers", s.api(s.apiListProviders))
	s.route("POST /api/v1/providers", s.api(s.apiCreateProvider))
	s.route("GET /api/v1/providers/{id}", s.api(s.apiGetProvider))
	s.route("PUT /api/v1/providers/{id}", s.api(s.apiUpdateProvider))
	s.route("GET /api/v1/locations", s.api(s.apiListLocations))
	s.route("POST /api/v1/locations", s.api(s.apiCreateLocation))
	s.route("GET /api/v1/locations/{id}", s.api(s.apiGetLocation))
	s.route("PUT /api/v1/locations/{id}", s.api(s.apiUpdateLocation))
	s.route("GET /api/v1/locations/{id}/vacancies", s.api(s.apiListVacancies))
	s.route("PUT /api/v1/locations/{id}/vacancies", s.api(s.apiSetVacancy))
	s.route("GET /api/v1/audit", s.api(s.apiSearchAudit))
	s.route("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		return caremarket.Errorf(caremarket.ENOTFOUND, "There is no API resource at %s %s", r.Method, r.URL.Path)
	}))
}

// api adapts a handler that returns an error: every API route needs a
// signed-in caller (401 otherwise); roles are checked by the store.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if caremarket.ActorFrom(r.Context()) == nil {
			s.writeAPIError(w, r, caremarket.Errorf(caremarket.EUNAUTHORIZED, "Send an API token: Authorization: Bearer TOKEN"))
			return
		}
		if err := checkRequestBody(w, r); err != nil {
			s.writeAPIError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeAPIError(w, r, err)
		}
	}
}

// list is the envelope of every list response.
type list[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// listOf wraps a whole (unpaged) list in the envelope; an empty list is
// [] in JSON, never null.
func listOf[T any](items []T) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: len(items), Page: 1, PerPage: len(items)}
}

// listResult wraps a store's list result in the envelope, keeping its error:
// reply(w, http.StatusOK)(listResult(st.List(ctx))).
func listResult[T any](items []T, err error) (list[T], error) {
	return listOf(items), err
}

// reply returns a function that writes v as JSON with status, or returns
// err unwritten: return reply(w, http.StatusOK)(st.Get(ctx, id)).
func reply(w http.ResponseWriter, status int) func(v any, err error) error {
	return func(v any, err error) error {
		if err != nil {
			return err
		}
		writeJSON(w, status, v)
		return nil
	}
}

func pathID(r *http.Request) (int64, error) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return 0, caremarket.Errorf(caremarket.ENOTFOUND, "Not found: %q is not an id", r.PathValue("id"))
	}
	return id, nil
}

// loadPath reads the id in the request's path with idOf (pathID, or
// managedID where only market managers may go) and loads what it names.
func loadPath[T any](r *http.Request, idOf func(*http.Request) (int64, error), load func(context.Context, int64) (T, error)) (T, error) {
	id, err := idOf(r)
	if err != nil {
		var none T
		return none, err
	}
	return load(r.Context(), id)
}

// actOnPath reads the id in the request's path and does act to what it
// names, answering the id for the reply.
func actOnPath(r *http.Request, act func(context.Context, int64) error) (int64, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, err
	}
	return id, act(r.Context(), id)
}

// idAndBody reads the path's id and then decodes the JSON body into a T.
func idAndBody[T any](w http.ResponseWriter, r *http.Request) (int64, T, error) {
	var in T
	id, err := pathID(r)
	if err != nil {
		return 0, in, err
	}
	return id, in, decodeJSON(w, r, &in)
}

// query reads optional query parameters, collecting a message per bad one.
type query struct {
	v      url.Values
	fields map[string]string
}

func newQuery(r *http.Request) *query { return &query{v: r.URL.Query(), fields: map[string]string{}} }

func (q *query) str(name string, max int) string {
	v := strings.TrimSpace(q.v.Get(name))
	if len(v) > max {
		q.fields[name] = name + " must be " + strconv.Itoa(max) + " characters or fewer"
		return ""
	}
	return v
}

func (q *query) int(name string) int64 {
	raw := strings.TrimSpace(q.v.Get(name))
	if raw == "" {
		return 0
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		q.fields[name] = name + " must be a whole number"
		return 0
	}
	return n
}

func (q *query) page() market.Page {
	return market.Page{Number: int(min(q.int("page"), 1_000_000)), PerPage: int(min(q.int("per_page"), market.MaxPerPage))}
}

func (q *query) serviceType(name string) market.ServiceType {
	st := market.ServiceType(q.v.Get(name))
	if st != "" && !st.Valid() {
		q.fields[name] = "Choose a service type from the list"
		return ""
	}
	return st
}

func (q *query) rating(name string) market.Rating {
	r := market.Rating(q.v.Get(name))
	if r != "" && !r.Valid() {
		q.fields[name] = "Choose a rating from the list"
		return ""
	}
	return r
}

func (q *query) err() error { return caremarket.Invalid(q.fields) }

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	a := caremarket.ActorFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"email": a.Email, "role": a.Role, "council": a.CouncilSlug, "provider_id": a.ProviderID})
	return nil
}

type code struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

func (s *Server) apiServiceTypes(w http.ResponseWriter, r *http.Request) error {
	out := []code{}
	for _, st := range market.ServiceTypes {
		out = append(out, code{string(st), st.Label()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiListAreas(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(s.Store.ListAreas(r.Context())))
}

func (s *Server) apiGetArea(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, s.Store.Area))
}

func (s *Server) apiListClusters(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(s.Store.ListClusters(r.Context())))
}

func (s *Server) apiListProviders(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := market.ProviderFilter{Query: q.str("q", 200), Page: q.page()}
	if err := q.err(); err != nil {
		return err
	}
	ps, total, err := s.Store.ListProviders(r.Context(), f)
	if err != nil {
		return err
	}
	p := f.Page.Normalize()
	writeJSON(w, http.StatusOK, list[market.Provider]{Items: ps, Total: total, Page: p.Number, PerPage: p.PerPage})
	return nil
}

func (s *Server) apiGetProvider(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, s.Store.Provider))
}

// providerInput is what a caller may set on a provider.
type providerInput struct {
	Name                 string `json:"name"`
	CompaniesHouseNumber string `json:"companies_house_number"`
	CQCProviderID        string `json:"cqc_provider_id"`
}

func (in providerInput) provider(id int64) *market.Provider {
	return &market.Provider{ID: id, Name: in.Name, CompaniesHouseNumber: in.CompaniesHouseNumber, CQCProviderID: in.CQCProviderID}
}

func (s *Server) apiCreateProvider(w http.ResponseWriter, r *http.Request) error {
	var in providerInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p := in.provider(0)
	if err := s.Store.CreateProvider(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiUpdateProvider(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[providerInput](w, r)
	if err != nil {
		return err
	}
	p := in.provider(id)
	if err := s.Store.UpdateProvider(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiListLocations(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := market.LocationFilter{Query: q.str("q", 200), AreaID: q.int("area_id"), ProviderID: q.int("provider_id"),
		ServiceType: q.serviceType("service_type"), Rating: q.rating("rating"), IncludeDeregistered: q.flag("include_deregistered"), Page: q.page()}
	if err := q.err(); err != nil {
		return err
	}
	ls, total, err := s.Store.ListLocations(r.Context(), f)
	if err != nil {
		return err
	}
	p := f.Page.Normalize()
	writeJSON(w, http.StatusOK, list[market.Location]{Items: ls, Total: total, Page: p.Number, PerPage: p.PerPage})
	return nil
}

func (s *Server) apiGetLocation(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, s.Store.Location))
}

// locationInput is what a caller may set on a location.
type locationInput struct {
	ProviderID     int64                `json:"provider_id"`
	CQCLocationID  string               `json:"cqc_location_id"`
	Name           string               `json:"name"`
	Address        string               `json:"address"`
	Town           string               `json:"town"`
	Postcode       string               `json:"postcode"`
	AreaID         int64                `json:"area_id"`
	ServiceTypes   []market.ServiceType `json:"service_types"`
	RegisteredBeds int                  `json:"registered_beds"`
	Rating         market.Rating        `json:"rating"`
	RatingDate     *dateOnly            `json:"rating_date"`
}

func (in locationInput) location(id int64) *market.Location {
	l := &market.Location{ID: id, ProviderID: in.ProviderID, CQCLocationID: in.CQCLocationID, Name: in.Name, Address: in.Address,
		Town: in.Town, Postcode: in.Postcode, AreaID: in.AreaID, ServiceTypes: in.ServiceTypes, RegisteredBeds: in.RegisteredBeds, Rating: in.Rating}
	if in.RatingDate != nil {
		t := in.RatingDate.Time
		l.RatingDate = &t
	}
	return l
}

func (s *Server) apiCreateLocation(w http.ResponseWriter, r *http.Request) error {
	var in locationInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l := in.location(0)
	if err := s.Store.CreateLocation(r.Context(), l); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) apiUpdateLocation(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[locationInput](w, r)
	if err != nil {
		return err
	}
	l := in.location(id)
	if err := s.Store.UpdateLocation(r.Context(), l); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) apiListVacancies(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(loadPath(r, pathID, s.Store.Vacancies)))
}

// vacancyInput is one vacancy figure of a location: for care bought by the
// hour, the spare hours a week (in minutes) may be given instead.
type vacancyInput struct {
	ServiceType  market.ServiceType `json:"service_type"`
	Vacancies    int                `json:"vacancies"`
	SpareMinutes *int               `json:"spare_minutes_per_week"`
}

func (s *Server) apiSetVacancy(w http.ResponseWriter, r *http.Request) error {
	id, in, err := idAndBody[vacancyInput](w, r)
	if err != nil {
		return err
	}
	v := &market.Vacancy{LocationID: id, ServiceType: in.ServiceType, Vacancies: in.Vacancies, SpareMinutes: in.SpareMinutes}
	if err := s.Store.SetVacancy(r.Context(), v); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiSearchAudit(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := audit.Filter{Query: q.str("q", 200), EntityType: q.str("entity_type", 50), EntityID: q.str("entity_id", 50),
		Limit: int(min(q.int("limit"), 200)), BeforeID: q.int("before_id")}
	if err := q.err(); err != nil {
		return err
	}
	recs, err := s.Store.SearchAudit(r.Context(), f)
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []audit.Record{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": recs})
	return nil
}

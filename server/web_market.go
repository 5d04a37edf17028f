package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
)

// registerMarketPages registers the pages to browse and search the market
// register: areas, providers, locations and vacancies, and the admin pages.
func (s *Server) registerMarketPages() {
	s.route("GET /areas", s.page(s.areasPage))
	s.route("GET /areas/{id}", s.page(s.areaPage))

	s.route("GET /providers", s.page(s.providersPage))
	s.route("GET /providers/new", s.page(s.newProviderPage))
	s.route("POST /providers/new", s.postForm(s.newProviderPost))
	s.route("GET /providers/{id}", s.page(s.providerPage))
	s.route("GET /providers/{id}/edit", s.page(s.editProviderPage))
	s.route("POST /providers/{id}/edit", s.postForm(s.editProviderPost))
	s.route("POST /providers/{id}/concerns", s.postForm(s.raiseConcernPost))
	s.route("POST /concerns/{id}/end", s.postForm(s.endConcernPost))

	s.route("GET /locations", s.page(s.locationsPage))
	s.route("GET /locations/new", s.page(s.newLocationPage))
	s.route("POST /locations/new", s.postForm(s.newLocationPost))
	s.route("GET /locations/{id}", s.page(s.locationPage))
	s.route("POST /locations/{id}/vacancies", s.postForm(s.vacanciesPost))
	s.route("GET /locations/{id}/edit", s.page(s.editLocationPage))
	s.route("POST /locations/{id}/edit", s.postForm(s.editLocationPost))

	s.registerAdminPages()
}

// marketManagers may add and change providers and locations. Storage
// enforces this; the pages use it only to offer (or refuse early) the forms
// that storage would accept.
var marketManagers = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner}

// vacancyUpdaters may record vacancies: a location's own provider, and the
// council staff who hear of vacancies by phone. As with marketManagers,
// storage decides; this only hides a form that would be refused.
var vacancyUpdaters = []caremarket.Role{caremarket.RoleProvider, caremarket.RoleBroker, caremarket.RoleCommissioner, caremarket.RoleAdmin}

// postForm adapts a handler of a posted form: as page, and with the form parsed
// into r.PostForm. checkCSRF has usually parsed it already to read the
// token; parsing here too covers a request that sent its token in the
// X-CSRF-Token header instead, so a handler never sees an empty form.
func (s *Server) postForm(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return s.page(func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if err := r.ParseForm(); err != nil {
			return caremarket.Errorf(caremarket.EINVALID, "The form could not be read: it may be too large")
		}
		return h(w, r)
	})
}

// managedID is the path id of a page only market managers may use.
func managedID(r *http.Request) (int64, error) {
	if err := caremarket.ActorFrom(r.Context()).Require(marketManagers...); err != nil {
		return 0, err
	}
	return pathID(r)
}

func canManage(r *http.Request) bool { return caremarket.ActorFrom(r.Context()).Is(marketManagers...) }

// --- Areas

func (s *Server) areasPage(w http.ResponseWriter, r *http.Request) error {
	areas, err := s.Store.ListAreas(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "areas", "Districts", areas, nil)
	return nil
}

// areaLocations is how many of a district's locations its page lists; the
// rest are a link away on the filtered locations page.
const areaLocations = 10

func (s *Server) areaPage(w http.ResponseWriter, r *http.Request) error {
	a, err := loadPath(r, pathID, s.Store.Area)
	if err != nil {
		return err
	}
	locs, total, err := s.Store.ListLocations(r.Context(), market.LocationFilter{AreaID: a.ID, Page: market.Page{PerPage: areaLocations}})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "area", a.Name, map[string]any{"Area": a, "Locations": locs, "Total": total}, nil)
	return nil
}

// --- Providers

type providersView struct {
	Heading   string
	Query     url.Values
	Providers []market.Provider
	Pages     pagination
	CanManage bool
}

func (s *Server) providersPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := readFields(q)
	filter := market.ProviderFilter{Query: f.text("q", "Search", market.MaxNameLen), Page: f.page()}
	// A provider user sees only its own organisation.
	title := "Providers"
	if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
		title = "Your organisation"
	}
	data := providersView{Heading: title, Query: q, CanManage: canManage(r)}
	if err := f.err(); err != nil {
		s.render(w, r, statusOf(err), "providers", title, data, err)
		return nil
	}
	ps, total, err := s.Store.ListProviders(r.Context(), filter)
	if err != nil {
		return err
	}
	data.Providers, data.Pages = ps, paginate("/providers", q, filter.Page, total)
	s.render(w, r, http.StatusOK, "providers", title, data, nil)
	return nil
}

// providerLocations is how many locations a provider's page lists.
const providerLocations = 25

func (s *Server) providerPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderProvider(w, r, id, http.StatusOK, nil)
}

// renderProvider shows a provider's page; formErr, from the serious-concern
// form on it, fills the error summary.
func (s *Server) renderProvider(w http.ResponseWriter, r *http.Request, id int64, status int, formErr error) error {
	p, err := s.Store.Provider(r.Context(), id)
	if err != nil {
		return err
	}
	locs, total, err := s.Store.ListLocations(r.Context(), market.LocationFilter{ProviderID: id, Page: market.Page{PerPage: providerLocations}})
	if err != nil {
		return err
	}
	concerns, err := s.providerConcerns(r, id)
	if err != nil {
		return err
	}
	s.render(w, r, status, "provider", p.Name, map[string]any{"Provider": p, "Locations": locs, "Total": total,
		"CanManage": canManage(r), "Concerns": concerns, "ShowConcerns": caremarket.ActorFrom(r.Context()).IsStaff()}, formErr)
	return nil
}

// providerForm is what the add and change provider pages show.
type providerForm struct {
	Heading, Action, Back, Button string
	Form                          url.Values
}

func (s *Server) renderProviderForm(w http.ResponseWriter, r *http.Request, status int, pf providerForm, err error) {
	s.render(w, r, status, "provider_form", pf.Heading, pf, err)
}

func newProviderForm(v url.Values) providerForm {
	return providerForm{Heading: "Add a provider", Action: "/providers/new", Back: "/providers", Button: "Add provider", Form: v}
}

func editProviderForm(id int64, v url.Values) providerForm {
	href := "/providers/" + strconv.FormatInt(id, 10)
	return providerForm{Heading: "Change provider details", Action: href + "/edit", Back: href, Button: "Save changes", Form: v}
}

func (s *Server) newProviderPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(marketManagers...); err != nil {
		return err
	}
	s.renderProviderForm(w, r, http.StatusOK, newProviderForm(url.Values{}), nil)
	return nil
}

func (s *Server) newProviderPost(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(marketManagers...); err != nil {
		return err
	}
	p, err := providerFromForm(r.PostForm, 0)
	if err == nil {
		err = s.Store.CreateProvider(r.Context(), p)
	}
	if hasFormErrors(err) {
		s.renderProviderForm(w, r, statusOf(err), newProviderForm(r.PostForm), err)
		return nil
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/providers/"+strconv.FormatInt(p.ID, 10), p.Name+" has been added")
	return nil
}

func (s *Server) editProviderPage(w http.ResponseWriter, r *http.Request) error {
	p, err := loadPath(r, managedID, s.Store.Provider)
	if err != nil {
		return err
	}
	s.renderProviderForm(w, r, http.StatusOK, editProviderForm(p.ID, providerValues(p)), nil)
	return nil
}

func (s *Server) editProviderPost(w http.ResponseWriter, r *http.Request) error {
	id, err := managedID(r)
	if err != nil {
		return err
	}
	p, err := providerFromForm(r.PostForm, id)
	if err == nil {
		err = s.Store.UpdateProvider(r.Context(), p)
	}
	if hasFormErrors(err) {
		s.renderProviderForm(w, r, statusOf(err), editProviderForm(id, r.PostForm), err)
		return nil
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/providers/"+strconv.FormatInt(id, 10), "The details of "+p.Name+" have been saved")
	return nil
}

// --- Locations

type locationsView struct {
	Heading            string
	Query              url.Values
	Provider           *market.Provider // set when the list is one provider's
	Locations          []market.Location
	Pages              pagination
	AreaOptions        []option
	ServiceTypeOptions []option
	RatingOptions      []option
	Filtered           bool
	CanManage          bool
	// Listed is false when the filters could not be read.
	Listed bool
	// Deregistered marks the listed locations no longer registered with
	// CQC, when the filter includes them.
	Deregistered map[int64]bool
	// CanUpload offers the bulk vacancy upload (provider users); Upload is
	// a refused upload's lines.
	CanUpload bool
	Upload    *vacancyUpload

	IncludeDeregisteredOptions []option
}

// includeDeregisteredOptions is the filter's one checkbox.
var includeDeregisteredOptions = []option{{Value: "yes", Label: "Include locations no longer registered with CQC"}}

func (s *Server) locationsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderLocations(w, r, http.StatusOK, nil, nil)
}

// renderLocations shows the locations list filtered by the query; upload
// and formErr are set when a bulk vacancy upload is shown again to be
// corrected.
func (s *Server) renderLocations(w http.ResponseWriter, r *http.Request, status int, upload *vacancyUpload, formErr error) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := readFields(q)
	filter := market.LocationFilter{
		Query:               f.text("q", "Search", market.MaxNameLen),
		AreaID:              f.id("area_id", "Choose a district from the list"),
		ProviderID:          f.id("provider_id", "Choose a provider from the list"),
		ServiceType:         f.serviceType("service_type"),
		Rating:              f.rating("rating"),
		IncludeDeregistered: q.Get("include_deregistered") == "yes",
		Page:                f.page(),
	}
	areas, err := s.Store.ListAreas(ctx)
	if err != nil {
		return err
	}
	a := caremarket.ActorFrom(ctx)
	cs, hasCQC := s.cqcStore()
	data := locationsView{Heading: "Locations", Query: q, AreaOptions: areaOptions(areas), ServiceTypeOptions: serviceTypeOptions(),
		RatingOptions: ratingOptions(), IncludeDeregisteredOptions: includeDeregisteredOptions, CanManage: canManage(r), CanUpload: hasCQC && a.Role == caremarket.RoleProvider, Upload: upload,
		Filtered: filter.Query != "" || filter.AreaID != 0 || filter.ProviderID != 0 || filter.ServiceType != "" || filter.Rating != "" ||
			filter.IncludeDeregistered}
	if a.Role == caremarket.RoleProvider {
		data.Heading = "Your locations"
	}
	if err := f.err(); err != nil {
		s.render(w, r, statusOf(err), "locations", data.Heading, data, err)
		return nil
	}
	if filter.ProviderID != 0 {
		// Naming the provider makes the narrowed list self-explaining; an
		// unknown or invisible one is not found, as on its own page.
		if data.Provider, err = s.Store.Provider(ctx, filter.ProviderID); err != nil {
			return err
		}
	}
	locs, total, err := s.Store.ListLocations(ctx, filter)
	if err != nil {
		return err
	}
	if filter.IncludeDeregistered && hasCQC && len(locs) > 0 {
		ids := make([]int64, len(locs))
		for i, l := range locs {
			ids[i] = l.ID
		}
		statuses, err := cs.LocationStatuses(ctx, ids)
		if err != nil {
			return err
		}
		data.Deregistered = map[int64]bool{}
		for id, st := range statuses {
			data.Deregistered[id] = st == cqc.Deregistered
		}
	}
	data.Listed = true
	data.Locations, data.Pages = locs, paginate("/locations", q, filter.Page, total)
	s.render(w, r, status, "locations", data.Heading, data, formErr)
	return nil
}

// vacancyRow is one service type a location offers, with its vacancies:
// for care bought by the hour (home care), its spare hours a week.
type vacancyRow struct {
	ServiceType market.ServiceType
	Field       string // the form field that updates it
	Value       string // what the field shows: as posted, or the saved figure
	Label       string // the field's label
	Hours       bool   // the field takes spare hours a week
	Vacancy     *market.Vacancy
	Stale       bool
}

func vacancyField(st market.ServiceType) string { return "vacancies-" + string(st) }

// hoursField is the form field of an hourly service's spare hours.
func hoursField(st market.ServiceType) string { return "hours-" + string(st) }

// vacancyRows lines up a location's service types with their vacancies; a
// figure older than staleAfter is stale. posted, after a failed update,
// keeps what the person typed.
func vacancyRows(l *market.Location, vs []market.Vacancy, now time.Time, staleAfter time.Duration, posted url.Values) []vacancyRow {
	saved := map[market.ServiceType]market.Vacancy{}
	for _, v := range vs {
		saved[v.ServiceType] = v
	}
	rows := make([]vacancyRow, 0, len(l.ServiceTypes))
	for _, st := range l.ServiceTypes {
		row := vacancyRow{ServiceType: st, Field: vacancyField(st), Label: st.Label()}
		if !st.IsBedBased() {
			row.Field, row.Hours, row.Label = hoursField(st), true, st.Label()+": spare hours a week"
		}
		if v, ok := saved[st]; ok {
			row.Vacancy, row.Stale = &v, now.Sub(v.UpdatedAt) > staleAfter
			switch {
			case v.SpareMinutes != nil:
				row.Value = market.HoursFigure(*v.SpareMinutes)
			case !row.Hours:
				row.Value = strconv.Itoa(v.Vacancies)
			}
		}
		if posted != nil {
			row.Value = posted.Get(row.Field)
		}
		rows = append(rows, row)
	}
	return rows
}

type locationView struct {
	Location   *market.Location
	Vacancies  []vacancyRow
	CanUpdate  bool
	CanManage  bool
	StaleAfter string
	// What CQC says of it, when the store keeps CQC's register: its
	// registration, why it may take no new placements ("" when it may),
	// and its rating history, newest first.
	Registration *cqc.Registration
	Blocked      string
	Ratings      []cqc.RatingChange
}

// renderLocation shows a location's page; posted and err are set when a
// vacancy update is shown again to be corrected.
func (s *Server) renderLocation(w http.ResponseWriter, r *http.Request, id int64, status int, posted url.Values, formErr error) error {
	l, err := s.Store.Location(r.Context(), id)
	if err != nil {
		return err
	}
	vs, err := s.Store.Vacancies(r.Context(), id)
	if err != nil {
		return err
	}
	a := caremarket.ActorFrom(r.Context())
	data := locationView{Location: l, Vacancies: vacancyRows(l, vs, s.Now(), s.staleAfter(), posted), CanUpdate: a.Is(vacancyUpdaters...),
		CanManage: canManage(r), StaleAfter: staleAfterWords(s.staleAfter())}
	if cs, ok := s.cqcStore(); ok {
		if data.Registration, err = cs.LocationRegistration(r.Context(), id); err != nil {
			return err
		}
		data.Blocked = data.Registration.PlacementBlock()
		if data.Ratings, err = cs.RatingHistory(r.Context(), id); err != nil {
			return err
		}
		// A location that has left the register takes no vacancy updates.
		data.CanUpdate = data.CanUpdate && data.Registration.Status == cqc.Registered
	}
	s.render(w, r, status, "location", l.Name, data, formErr)
	return nil
}

func (s *Server) locationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderLocation(w, r, id, http.StatusOK, nil, nil)
}

// vacanciesPost records the vacancies typed for each service type (for
// care bought by the hour, the spare hours a week); a blank field leaves
// that service type as it was.
func (s *Server) vacanciesPost(w http.ResponseWriter, r *http.Request) error {
	l, err := loadPath(r, pathID, s.Store.Location)
	if err != nil {
		return err
	}
	id := l.ID
	f := readFields(r.PostForm)
	var updates []market.Vacancy
	for _, st := range l.ServiceTypes {
		if v, ok := spareHoursOf(f, r.PostForm, id, st); ok {
			updates = append(updates, v)
			continue
		}
		name := vacancyField(st)
		if strings.TrimSpace(r.PostForm.Get(name)) == "" {
			continue
		}
		v := market.Vacancy{LocationID: id, ServiceType: st,
			Vacancies: f.whole(name, st.Label()+": enter vacancies as a whole number, like 2")}
		if msg := caremarket.ErrorFields(v.Validate())["vacancies"]; msg != "" {
			f.fail(name, st.Label()+": "+msg)
		}
		updates = append(updates, v)
	}
	if len(updates) == 0 && len(l.ServiceTypes) > 0 {
		f.fail(vacancyField(l.ServiceTypes[0]), "Enter the vacancies for at least one service type")
	}
	err = f.err()
	// Every figure is checked before any is saved, so a typing mistake in
	// one field does not leave the others half-recorded.
	for i := 0; err == nil && i < len(updates); i++ {
		err = s.Store.SetVacancy(r.Context(), &updates[i])
	}
	if hasFormErrors(err) {
		return s.renderLocation(w, r, id, statusOf(err), r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/locations/"+strconv.FormatInt(id, 10)+"#vacancies", "Vacancies updated")
	return nil
}

// spareHoursOf reads an hourly service's spare hours a week from the form,
// if typed.
func spareHoursOf(f *formFields, form url.Values, id int64, st market.ServiceType) (market.Vacancy, bool) {
	name := hoursField(st)
	typed := strings.TrimSpace(form.Get(name))
	if st.IsBedBased() || typed == "" {
		return market.Vacancy{}, false
	}
	v := market.Vacancy{LocationID: id, ServiceType: st}
	m, ok := market.ParseHours(typed)
	if !ok {
		f.fail(name, st.Label()+": enter the spare hours a week as a number, like 120 or 7.5")
	}
	v.SpareMinutes = &m
	if msg := caremarket.ErrorFields(v.Validate())["spare_minutes_per_week"]; msg != "" {
		f.fail(name, st.Label()+": "+msg)
	}
	return v, true
}

// locationForm is what the add and change location pages show.
type locationForm struct {
	Heading, Action, Back, Button string
	Form                          url.Values
	ProviderOptions               []option
	AreaOptions                   []option
	ServiceTypeOptions            []option
	RatingOptions                 []option
}

// renderLocationForm shows the location form with the choices it needs.
func (s *Server) renderLocationForm(w http.ResponseWriter, r *http.Request, status int, lf locationForm, formErr error) error {
	providers, err := s.allProviders(r.Context())
	if err != nil {
		return err
	}
	areas, err := s.Store.ListAreas(r.Context())
	if err != nil {
		return err
	}
	lf.ProviderOptions, lf.AreaOptions = providerOptions(providers), areaOptions(areas)
	lf.ServiceTypeOptions, lf.RatingOptions = serviceTypeOptions(), ratingOptions()
	s.render(w, r, status, "location_form", lf.Heading, lf, formErr)
	return nil
}

// allProviders lists every provider the actor may see, for a select. The
// store pages its lists, so this walks the pages.
func (s *Server) allProviders(ctx context.Context) ([]market.Provider, error) {
	var out []market.Provider
	for n := 1; ; n++ {
		ps, total, err := s.Store.ListProviders(ctx, market.ProviderFilter{Page: market.Page{Number: n, PerPage: market.MaxPerPage}})
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
		if len(ps) == 0 || len(out) >= total {
			return out, nil
		}
	}
}

func newLocationForm(v url.Values) locationForm {
	back := "/locations"
	if id := v.Get("provider_id"); id != "" {
		back = "/providers/" + url.PathEscape(id)
	}
	return locationForm{Heading: "Add a location", Action: "/locations/new", Back: back, Button: "Add location", Form: v}
}

func editLocationForm(id int64, v url.Values) locationForm {
	href := "/locations/" + strconv.FormatInt(id, 10)
	return locationForm{Heading: "Change location details", Action: href + "/edit", Back: href, Button: "Save changes", Form: v}
}

func (s *Server) newLocationPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(marketManagers...); err != nil {
		return err
	}
	// A link from a provider's page chooses that provider in advance.
	v := url.Values{"provider_id": {r.URL.Query().Get("provider_id")}, "rating": {string(market.NotRated)}}
	return s.renderLocationForm(w, r, http.StatusOK, newLocationForm(v), nil)
}

func (s *Server) newLocationPost(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(marketManagers...); err != nil {
		return err
	}
	l, err := locationFromForm(r.PostForm, 0)
	if err == nil {
		err = s.Store.CreateLocation(r.Context(), l)
	}
	if hasFormErrors(err) {
		return s.renderLocationForm(w, r, statusOf(err), newLocationForm(r.PostForm), err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/locations/"+strconv.FormatInt(l.ID, 10), l.Name+" has been added")
	return nil
}

func (s *Server) editLocationPage(w http.ResponseWriter, r *http.Request) error {
	l, err := loadPath(r, managedID, s.Store.Location)
	if err != nil {
		return err
	}
	return s.renderLocationForm(w, r, http.StatusOK, editLocationForm(l.ID, locationValues(l)), nil)
}

func (s *Server) editLocationPost(w http.ResponseWriter, r *http.Request) error {
	id, err := managedID(r)
	if err != nil {
		return err
	}
	l, err := locationFromForm(r.PostForm, id)
	if err == nil {
		err = s.Store.UpdateLocation(r.Context(), l)
	}
	if hasFormErrors(err) {
		return s.renderLocationForm(w, r, statusOf(err), editLocationForm(id, r.PostForm), err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/locations/"+strconv.FormatInt(id, 10), "The details of "+l.Name+" have been saved")
	return nil
}

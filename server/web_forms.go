package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// formFields reads the values of a posted form or a query string and
// collects one message per bad field, keyed by the field's name. The same
// name is the id of the field's first input, so the GOV.UK error summary
// links straight to it.
type formFields struct {
	v    url.Values
	errs map[string]string
	// pageErr is kept apart from errs: the page number is not a field on
	// the page, so its message cannot link anywhere.
	pageErr error
}

func readFields(v url.Values) *formFields { return &formFields{v: v, errs: map[string]string{}} }

// fail records msg for a field, keeping the first message: the earliest
// check (can it be read at all?) says most about what to fix.
func (f *formFields) fail(name, msg string) {
	if _, ok := f.errs[name]; !ok {
		f.errs[name] = msg
	}
}

// check adds the field messages of a domain validation error, so a person
// sees every problem at once rather than one round trip per check.
func (f *formFields) check(err error) {
	for k, m := range caremarket.ErrorFields(err) {
		f.fail(k, m)
	}
}

// err is the EINVALID error for everything wrong, or nil.
func (f *formFields) err() error {
	if err := caremarket.Invalid(f.errs); err != nil {
		return err
	}
	return f.pageErr
}

// text is a trimmed free-text value of at most max characters.
func (f *formFields) text(name, label string, max int) string {
	s := strings.TrimSpace(f.v.Get(name))
	if len([]rune(s)) > max {
		f.fail(name, label+" must be "+strconv.Itoa(max)+" characters or fewer")
		return ""
	}
	return s
}

// id reads the id chosen in a select; empty means none was chosen.
func (f *formFields) id(name, msg string) int64 {
	raw := strings.TrimSpace(f.v.Get(name))
	if raw == "" {
		return 0
	}
	n, err := parseID(raw)
	if err != nil {
		f.fail(name, msg)
		return 0
	}
	return n
}

// whole reads a whole number a person typed; empty is 0. Range checks are
// the domain's (Validate), so only "is it a number" is decided here.
func (f *formFields) whole(name, msg string) int {
	raw := strings.TrimSpace(f.v.Get(name))
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		f.fail(name, msg)
		return 0
	}
	return n
}

func (f *formFields) serviceType(name string) market.ServiceType {
	return listed[market.ServiceType](f, name, "Choose a service type from the list")
}

func (f *formFields) rating(name string) market.Rating {
	return listed[market.Rating](f, name, "Choose a rating from the list")
}

// listed reads an optional code that must be one on its list (a service
// type, a rating): another is the field's problem, msg, and reads as none.
func listed[T interface {
	~string
	Valid() bool
}](f *formFields, name, msg string) T {
	v := T(f.v.Get(name))
	if v != "" && !v.Valid() {
		f.fail(name, msg)
		return ""
	}
	return v
}

// serviceTypes reads a group of checkboxes; the domain rejects unknown ones.
func (f *formFields) serviceTypes(name string) []market.ServiceType {
	var out []market.ServiceType
	for _, s := range f.v[name] {
		out = append(out, market.ServiceType(s))
	}
	return out
}

// dateInto reads a date input as date does into to, which keeps its value
// when the input is empty or cannot be read.
func (f *formFields) dateInto(to *time.Time, name, label string) {
	if d := f.date(name, label); d != nil {
		*to = *d
	}
}

// date reads a GOV.UK date input (name-day, name-month, name-year), with
// the pattern's messages. All three empty is no date.
func (f *formFields) date(name, label string) *time.Time {
	parts := []struct{ key, word string }{{name + "-day", "day"}, {name + "-month", "month"}, {name + "-year", "year"}}
	var missing []string
	nums := make([]int, 3)
	bad := false
	for i, p := range parts {
		raw := strings.TrimSpace(f.v.Get(p.key))
		if raw == "" {
			missing = append(missing, p.word)
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			bad = true
		}
		nums[i] = n
	}
	switch {
	case len(missing) == 3:
		return nil
	case len(missing) > 0:
		f.fail(name, label+" must include a "+strings.Join(missing, " and "))
		return nil
	case bad:
		f.fail(name, label+" must be a real date")
		return nil
	case nums[2] < 1000 || nums[2] > 9999:
		f.fail(name, "Year must include 4 numbers")
		return nil
	}
	t := time.Date(nums[2], time.Month(nums[1]), nums[0], 0, 0, 0, 0, time.UTC)
	// time.Date normalises 31 February to 3 March; a real date survives.
	if t.Day() != nums[0] || int(t.Month()) != nums[1] {
		f.fail(name, label+" must be a real date")
		return nil
	}
	return &t
}

// listPageSize is how many rows a list page shows.
const listPageSize = 25

// page reads the page number of a list. It is not a form field, so a bad
// one is reported without a link.
func (f *formFields) page() market.Page {
	p := market.Page{Number: 1, PerPage: listPageSize}
	raw := strings.TrimSpace(f.v.Get("page"))
	if raw == "" {
		return p
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 1_000_000 {
		f.pageErr = caremarket.Errorf(caremarket.EINVALID, "The page number must be a whole number, like 2")
		return p
	}
	p.Number = n
	return p
}

// dateValues fills the three parts of a date input from a date.
func dateValues(v url.Values, name string, t *time.Time) {
	if t == nil {
		return
	}
	v.Set(name+"-day", strconv.Itoa(t.Day()))
	v.Set(name+"-month", strconv.Itoa(int(t.Month())))
	v.Set(name+"-year", strconv.Itoa(t.Year()))
}

func idValue(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// providerFromForm builds a provider from the provider form.
func providerFromForm(v url.Values, id int64) (*market.Provider, error) {
	p := &market.Provider{ID: id, Name: v.Get("name"), CompaniesHouseNumber: v.Get("companies_house_number"), CQCProviderID: v.Get("cqc_provider_id")}
	f := readFields(v)
	f.check(p.Validate())
	return p, f.err()
}

// providerValues fills the provider form from a saved provider.
func providerValues(p *market.Provider) url.Values {
	return url.Values{"name": {p.Name}, "companies_house_number": {p.CompaniesHouseNumber}, "cqc_provider_id": {p.CQCProviderID}}
}

// locationFromForm builds a location from the location form.
func locationFromForm(v url.Values, id int64) (*market.Location, error) {
	f := readFields(v)
	l := &market.Location{
		ID:             id,
		ProviderID:     f.id("provider_id", "Choose the provider that runs this location"),
		CQCLocationID:  v.Get("cqc_location_id"),
		Name:           v.Get("name"),
		Address:        v.Get("address"),
		Town:           v.Get("town"),
		Postcode:       v.Get("postcode"),
		AreaID:         f.id("area_id", "Choose the district the location is in"),
		ServiceTypes:   f.serviceTypes("service_types"),
		RegisteredBeds: f.whole("registered_beds", "Registered beds must be a whole number, like 40"),
		Rating:         market.Rating(v.Get("rating")),
		RatingDate:     f.date("rating_date", "Rating date"),
	}
	f.check(l.Validate())
	return l, f.err()
}

// locationValues fills the location form from a saved location.
func locationValues(l *market.Location) url.Values {
	v := url.Values{
		"provider_id": {idValue(l.ProviderID)}, "cqc_location_id": {l.CQCLocationID}, "name": {l.Name},
		"address": {l.Address}, "town": {l.Town}, "postcode": {l.Postcode}, "area_id": {idValue(l.AreaID)},
		"registered_beds": {strconv.Itoa(l.RegisteredBeds)}, "rating": {string(l.Rating)},
	}
	for _, st := range l.ServiceTypes {
		v.Add("service_types", string(st))
	}
	dateValues(v, "rating_date", l.RatingDate)
	return v
}

// option is one choice of a select, a radio group or a checkbox group.
type option struct {
	Value, Label, Hint string
}

// optionsOf makes an option of each item.
func optionsOf[T any](items []T, opt func(T) option) []option {
	out := make([]option, 0, len(items))
	for _, it := range items {
		out = append(out, opt(it))
	}
	return out
}

func areaOptions(areas []market.Area) []option {
	return optionsOf(areas, func(a market.Area) option { return option{Value: idValue(a.ID), Label: a.Name} })
}

func providerOptions(ps []market.Provider) []option {
	return optionsOf(ps, func(p market.Provider) option { return option{Value: idValue(p.ID), Label: p.Name} })
}

func serviceTypeOptions() []option {
	return optionsOf(market.ServiceTypes, func(st market.ServiceType) option { return option{Value: string(st), Label: st.Label()} })
}

func ratingOptions() []option {
	return optionsOf(market.Ratings, func(r market.Rating) option { return option{Value: string(r), Label: r.Label()} })
}

// pagination is the GOV.UK pagination component for a list, with the
// "Showing 26 to 50 of 312" summary.
type pagination struct {
	Prev, Next      string // links, empty when there is none
	Items           []pageItem
	From, To, Total int
}

// pageItem is a numbered link or, when Ellipsis, a gap in the numbers.
type pageItem struct {
	Number   int
	Href     string
	Current  bool
	Ellipsis bool
}

// paginate links the pages of a list at path, keeping the query's filters
// so moving between pages does not lose them. It shows the first and last
// pages and those beside the current one, as the GOV.UK pattern does.
func paginate(path string, query url.Values, p market.Page, total int) pagination {
	p = p.Normalize()
	pg := pagination{Total: total}
	if p.Offset() < total {
		pg.From, pg.To = p.Offset()+1, min(p.Offset()+p.PerPage, total)
	}
	last := max(1, (total+p.PerPage-1)/p.PerPage)
	href := func(n int) string {
		q := url.Values{}
		for k, vs := range query {
			for _, v := range vs {
				if k != "page" && v != "" {
					q.Add(k, v)
				}
			}
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	if last == 1 && p.Number == 1 {
		return pg
	}
	if p.Number > 1 {
		pg.Prev = href(min(p.Number-1, last))
	}
	if p.Number < last {
		pg.Next = href(p.Number + 1)
	}
	gap := false
	for n := 1; n <= last; n++ {
		if n == 1 || n == last || (n >= p.Number-1 && n <= p.Number+1) {
			pg.Items = append(pg.Items, pageItem{Number: n, Href: href(n), Current: n == p.Number})
			gap = false
		} else if !gap {
			pg.Items = append(pg.Items, pageItem{Ellipsis: true})
			gap = true
		}
	}
	return pg
}

// hasFormErrors reports whether err is about what was submitted (invalid
// input, or a clash with saved data such as a duplicate CQC id), so the form
// is shown again with the error summary at err's status. Any other error
// (forbidden, not found) is shown as a page.
func hasFormErrors(err error) bool {
	switch caremarket.ErrorCode(err) {
	case caremarket.EINVALID, caremarket.ECONFLICT:
		return true
	}
	return false
}

// redirectWithFlash answers a successful post: a confirmation on the next
// page and a 303 so reloading it does not post again.
func redirectWithFlash(w http.ResponseWriter, r *http.Request, to, msg string) {
	flash(w, msg)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

package server

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London without relying on the host's zoneinfo

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
)

//go:embed templates
var templateFS embed.FS

// pages holds one parsed template set per page: the layout plus the page.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"serviceLabel": func(s market.ServiceType) string { return s.Label() },
	"hoursFigure":  market.HoursFigure,
	"spareHours":   func(m *int) string { return market.SpareHoursLabel(*m) },
	"ratingLabel":  func(r market.Rating) string { return r.Label() },
	"roleLabel":    func(r caremarket.Role) string { return r.Label() },
	"serviceTypes": func() []market.ServiceType { return market.ServiceTypes },
	"ratings":      func() []market.Rating { return market.Ratings },
	"roles":        func() []caremarket.Role { return caremarket.Roles },
	"ratingTag":    ratingTag,
	"statusWords":  brokerage.StatusWords,
	"contractStatus": func(st string) string {
		return map[string]string{"pending": "Not started", "active": "Running", "ended": "Ended"}[st]
	},
	"date":       func(v any) string { return localTime(v, "2 January 2006", false) },
	"datetime":   func(v any) string { return localTime(v, "2 January 2006 15:04", true) },
	"add":        func(a, b int) int { return a + b },
	"join":       func(sep string, items ...string) string { return strings.Join(items, sep) },
	"fieldError": func(fields map[string]string, name string) string { return fields[name] },
	// dict passes several named values to a shared component template
	// (templates/components.html), which takes a single argument.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict needs key-value pairs")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict keys must be strings")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	// has reports whether a multi-valued form field (checkboxes) holds v.
	"has": func(values []string, v string) bool { return slices.Contains(values, v) },
	// columns, numeric and hidden make the headings of a "tableHead".
	"columns": columns,
	"numeric": func(text string) heading { return heading{Text: text, Numeric: true} },
	"hidden":  func(text string) heading { return heading{Text: text, Hidden: true} },
}

// london is the time zone an English council reads times in. Times are
// stored in UTC; dates (a rating date) are calendar dates and are not moved.
var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return loc
}()

func localTime(v any, layout string, moment bool) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	if t.IsZero() {
		return ""
	}
	if moment {
		t = t.In(london)
	}
	return t.Format(layout)
}

// ratingTag is the GOV.UK tag colour that matches a CQC rating.
func ratingTag(r market.Rating) string {
	switch r {
	case market.Outstanding:
		return "govuk-tag--green"
	case market.Good:
		return "govuk-tag--turquoise"
	case market.RequiresImprovement:
		return "govuk-tag--yellow"
	case market.Inadequate:
		return "govuk-tag--red"
	}
	return "govuk-tag--grey"
}

func loadPages() *pages {
	p := &pages{byName: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err) // the pattern is a constant
	}
	for _, n := range names {
		base := path.Base(n)
		// The layout, the shared components (form fields, pagination) and
		// the parts in templates/parts are parsed into every page rather
		// than being pages.
		if base == "layout.html" || base == "components.html" {
			continue
		}
		// Templates are compiled into the binary: a broken one must stop the
		// build's tests, not a request, so Must is right here.
		p.byName[strings.TrimSuffix(base, ".html")] = template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/components.html", "templates/parts/*.html", n))
	}
	return p
}

// navItem is one link of the service navigation.
type navItem struct {
	Label, Href string
	Current     bool
}

// navigation lists the sections a role may use, in the order it needs them.
func navigation(a *caremarket.Actor, current string) []navItem {
	if a == nil {
		return nil
	}
	var items []navItem
	add := func(label, href string) {
		items = append(items, navItem{Label: label, Href: href, Current: current == href || strings.HasPrefix(current, href+"/")})
	}
	add("Home", "/")
	if a.Role == caremarket.RoleProvider {
		add("Our organisation", "/providers")
		add("Our locations", "/locations")
		add("Tenders", "/agreements")
		add("Prices", "/pricing")
		add("Offers inbox", "/offers")
		add("Placements", "/placements")
		add("Payments", "/finance/actuals")
		add("Monitoring reports", "/monitoring")
		add("Performance", "/performance")
		add("Email settings", "/account/notifications")
		return items
	}
	add("Areas", "/areas")
	add("Providers", "/providers")
	add("Locations", "/locations")
	add("Agreements", "/agreements")
	add("Pricing", "/pricing")
	if a.Is(caremarket.RoleBroker, caremarket.RoleAdmin) {
		add("Requirements", "/requirements")
		add("Batch allocation", "/allocations")
		add("Placements", "/placements")
	}
	if a.Is(caremarket.RoleCommissioner, caremarket.RoleAdmin, caremarket.RoleBroker, caremarket.RoleFinance) {
		add("Off-contract register", "/off-contract")
	}
	if a.Is(caremarket.RoleCommissioner, caremarket.RoleAdmin) {
		add("Alerts", "/alerts")
		add("Email settings", "/account/notifications")
		add("Allocation simulation", "/allocations/simulation")
	}
	if a.Is(caremarket.RoleFinance, caremarket.RoleCommissioner, caremarket.RoleAdmin) {
		add("Finance", "/finance")
	}
	add("Monitoring", "/monitoring")
	add("Provider risk", "/risk")
	add("Performance", "/performance")
	if a.Role == caremarket.RoleAdmin {
		add("CQC import", "/admin/cqc-import")
		add("Users", "/admin/users")
		add("Sign-in settings", "/admin/security")
		add("Bank holidays", "/admin/bank-holidays")
		add("Personal data", "/admin/personal-data")
		add("Emails", "/admin/notifications")
		add("Audit log", "/admin/audit")
	}
	return items
}

// errorItem is one line of the GOV.UK error summary.
type errorItem struct {
	Field, Message string
}

// view is what every page template receives.
type view struct {
	Title   string
	Actor   *caremarket.Actor
	Council string
	Nav     []navItem
	CSRF    string
	// Errors and Fields drive the GOV.UK error summary and field messages.
	Errors []errorItem
	Fields map[string]string
	Flash  string
	Form   url.Values // what the person typed, to show it back
	Data   any
}

// render writes a page with the layout. err, when it is an invalid-input
// error, fills the error summary and the messages beside each field.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, err error) {
	t, ok := s.pages.byName[name]
	if !ok {
		s.Logger.Error("no such template", "name", name)
		http.Error(w, "Sorry, there is a problem with the service.", http.StatusInternalServerError)
		return
	}
	a := caremarket.ActorFrom(r.Context())
	v := view{Title: title, Actor: a, Nav: navigation(a, r.URL.Path), CSRF: s.csrfToken(w, r), Data: data, Fields: map[string]string{}}
	if a != nil {
		v.Council = a.CouncilSlug
		if a.CouncilName != "" {
			v.Council = a.CouncilName
		}
	}
	if r.Method == http.MethodPost {
		v.Form = r.PostForm
	}
	if c, cerr := r.Cookie("caremarket_flash"); cerr == nil {
		v.Flash, _ = url.QueryUnescape(c.Value)
		http.SetCookie(w, &http.Cookie{Name: "caremarket_flash", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secureCookies(w), SameSite: http.SameSiteLaxMode})
	}
	if err != nil {
		v.Fields = caremarket.ErrorFields(err)
		if v.Fields == nil {
			v.Fields = map[string]string{}
		}
		keys := make([]string, 0, len(v.Fields))
		for k := range v.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v.Errors = append(v.Errors, errorItem{Field: k, Message: v.Fields[k]})
		}
		if len(v.Errors) == 0 {
			v.Errors = []errorItem{{Message: caremarket.ErrorMessage(err)}}
		}
		v.Title = "Error: " + title
	}
	var buf bytes.Buffer
	xerr := t.ExecuteTemplate(&buf, "layout", v)
	// The GOV.UK error summary lists errors in the order of the fields on
	// the page. Only the rendered page knows that order, so a page with
	// several field errors is rendered again with them in it.
	if xerr == nil && len(v.Errors) > 1 {
		page := buf.String()
		at := func(e errorItem) int {
			if i := strings.Index(page, `id="`+e.Field+`"`); i >= 0 {
				return i
			}
			return len(page) // a field not on the page goes last
		}
		sort.SliceStable(v.Errors, func(i, j int) bool { return at(v.Errors[i]) < at(v.Errors[j]) })
		buf.Reset()
		xerr = t.ExecuteTemplate(&buf, "layout", v)
	}
	if xerr != nil {
		s.Logger.Error("render", "template", name, "err", xerr)
		http.Error(w, "Sorry, there is a problem with the service.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// flash shows a one-line confirmation on the next page (after a redirect).
func flash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: "caremarket_flash", Value: url.QueryEscape(msg), Path: "/", HttpOnly: true, Secure: secureCookies(w), SameSite: http.SameSiteLaxMode})
}

// errorPage shows an error as a full page: sign-in for 401, and the GOV.UK
// "page not found" / "there is a problem" patterns otherwise.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status == http.StatusUnauthorized && r.Method == http.MethodGet {
		http.Redirect(w, r, "/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if status >= http.StatusInternalServerError {
		s.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	err = unavailable(err)
	title := map[int]string{
		http.StatusServiceUnavailable:  "Sorry, the service is unavailable",
		http.StatusNotFound:            "Page not found",
		http.StatusForbidden:           "You cannot do this",
		http.StatusUnauthorized:        "Sign in to continue",
		http.StatusTooManyRequests:     "Too many attempts",
		http.StatusInternalServerError: "Sorry, there is a problem with the service",
	}[status]
	if title == "" {
		title = "There is a problem"
	}
	s.render(w, r, status, "error", title, map[string]any{"Status": status, "Message": caremarket.ErrorMessage(err)}, nil)
}

// page adapts a web handler: it needs a signed-in person (or redirects to
// sign-in) and shows its error as a page.
func (s *Server) page(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if caremarket.ActorFrom(r.Context()) == nil {
			s.errorPage(w, r, caremarket.Errorf(caremarket.EUNAUTHORIZED, "Sign in to continue"))
			return
		}
		if err := h(w, r); err != nil {
			s.errorPage(w, r, err)
		}
	}
}

func (s *Server) registerWeb() {
	s.route("GET /{$}", s.page(s.home))
	s.route("GET /sign-in", s.signInPage)
	s.route("POST /sign-in", s.signInPost)
	s.route("POST /sign-out", s.signOutPost)
	s.route("GET "+passwordPath, s.page(s.passwordPage))
	s.route("POST "+passwordPath, s.page(s.passwordPost))
	s.registerAccountPages()
	s.registerMarketPages()
	s.route("/", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, caremarket.Errorf(caremarket.ENOTFOUND, "If you typed the web address, check it is correct."))
	})
}

// safeNext keeps a post-sign-in redirect on this site: a path only, with no
// scheme, no authority ("//host"), no control characters (browsers drop a tab
// or newline, so "/<TAB>/evil.example" becomes "//evil.example") and no
// backslashes (which browsers read as slashes). Anything else goes home.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || len(next) > 2048 {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' || (c >= 0x80 && c <= 0x9f) || c == '\u2028' || c == '\u2029' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	if caremarket.ActorFrom(r.Context()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderSignIn(w, r, http.StatusOK, safeNext(r.URL.Query().Get("next")), nil)
}

func (s *Server) signInPost(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	_, mfa, err := s.signIn(w, r, r.PostFormValue("email"), r.PostFormValue("password"))
	if err != nil {
		status := statusOf(err)
		if status >= 500 {
			s.errorPage(w, r, err)
			return
		}
		s.renderSignIn(w, r, status, next, err)
		return
	}
	if mfa {
		http.Redirect(w, r, signInCodePath+"?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) signOutPost(w http.ResponseWriter, r *http.Request) {
	if err := s.signOut(w, r); err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
}

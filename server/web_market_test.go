package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// webPassword is every test account's password; its argon2id hash is
// computed once, as hashing is deliberately slow.
const webPassword = "correct horse battery staple"

var webPasswordHash = sync.OnceValue(func() string {
	h, err := access.HashPassword(webPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// webEnv is a running server over a real database with two councils:
// Kent (three districts, two providers each with one location) and Surrey
// (one provider), for the web pages to be driven through HTTP.
type webEnv struct {
	t    testing.TB
	db   *storage.DB
	srv  *httptest.Server
	kent context.Context // acts as Kent's system admin
	// Kent's data.
	thanet, dover, canterbury market.Area
	acorn, birch              *market.Provider
	acornHouse, birchLodge    *market.Location
	// Surrey's data.
	surrey      context.Context
	surreyCare  *market.Provider
	surreyHome  *market.Location
	surreyArea  market.Area
	userCounter int
}

func newWebEnv(t testing.TB, db *storage.DB) *webEnv {
	t.Helper()
	e := &webEnv{t: t, db: db}
	var areas []market.Area
	e.kent, areas = storagetest.Council(t, db, "kent", "Thanet", "Dover", "Canterbury")
	e.thanet, e.dover, e.canterbury = areas[0], areas[1], areas[2]
	if err := db.SetNeighbours(e.kent, e.thanet.ID, []int64{e.canterbury.ID}); err != nil {
		t.Fatal(err)
	}
	e.acorn = e.provider(e.kent, "Acorn Care Ltd", "1-100000001")
	e.birch = e.provider(e.kent, "Birch Homes", "1-100000002")
	e.acornHouse = e.location(e.kent, e.acorn, "Acorn House", "1-200000001", e.thanet, market.Good, market.Nursing, market.Residential)
	e.birchLodge = e.location(e.kent, e.birch, "Birch Lodge", "1-200000002", e.dover, market.Inadequate, market.Residential)

	var sareas []market.Area
	e.surrey, sareas = storagetest.Council(t, db, "surrey", "Elmbridge")
	e.surreyArea = sareas[0]
	e.surreyCare = e.provider(e.surrey, "Surrey Care", "1-100000009")
	e.surreyHome = e.location(e.surrey, e.surreyCare, "Surrey Home", "1-200000009", e.surreyArea, market.Good, market.Nursing)

	e.srv = webServer(t, db, nil)
	return e
}

func (e *webEnv) provider(ctx context.Context, name, cqc string) *market.Provider {
	e.t.Helper()
	p := &market.Provider{Name: name, CQCProviderID: cqc}
	if err := e.db.CreateProvider(ctx, p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *webEnv) location(ctx context.Context, p *market.Provider, name, cqc string, a market.Area, r market.Rating, sts ...market.ServiceType) *market.Location {
	e.t.Helper()
	rated := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	l := &market.Location{ProviderID: p.ID, Name: name, CQCLocationID: cqc, Postcode: "CT9 1AA", AreaID: a.ID,
		ServiceTypes: sts, RegisteredBeds: 40, Rating: r, RatingDate: &rated}
	if err := e.db.CreateLocation(ctx, l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// signIn creates an account in the council of ctx and signs it in through
// the sign-in form, as a person would.
func (e *webEnv) signIn(ctx context.Context, role caremarket.Role, providerID int64) *webClient {
	e.t.Helper()
	e.userCounter++
	u := &access.User{Email: fmt.Sprintf("%s%d@%s.test", role, e.userCounter, caremarket.ActorFrom(ctx).CouncilSlug),
		Role: role, ProviderID: providerID, PasswordHash: webPasswordHash()}
	if err := e.db.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &webClient{t: e.t, base: e.srv.URL, email: u.Email, http: &http.Client{Jar: jar}}
	_, body := c.get("/sign-in")
	// Before sign-in the token is double-submit: the cookie just set and
	// the hidden field hold the same value.
	c.csrf = csrfIn(e.t, body)
	status, body := c.post("/sign-in", url.Values{"email": {u.Email}, "password": {webPassword}})
	if status != http.StatusOK || !strings.Contains(body, "You are signed in as") {
		e.t.Fatalf("sign in as %s: status %d\n%s", role, status, body)
	}
	// Signed in, the token is derived from the session.
	c.csrf = csrfIn(e.t, body)
	return c
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfIn(t testing.TB, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf_token field in page:\n%s", body)
	}
	return m[1]
}

// webClient is one signed-in browser.
type webClient struct {
	t     testing.TB
	base  string
	email string
	csrf  string
	http  *http.Client
}

func (c *webClient) do(req *http.Request) (int, string) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (c *webClient) get(path string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post submits a form with the CSRF token, as the page's form would.
func (c *webClient) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	withToken := url.Values{csrfField: {c.csrf}}
	for k, vs := range form {
		withToken[k] = vs
	}
	return c.postRaw(path, withToken)
}

// postRaw submits a form exactly as given.
func (c *webClient) postRaw(path string, form url.Values) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func idStr(n int64) string { return strconv.FormatInt(n, 10) }

// expectPage fetches path and checks its status and that it contains (or,
// for entries starting with "!", does not contain) each string.
func (c *webClient) expectPage(path string, status int, want ...string) string {
	c.t.Helper()
	got, body := c.get(path)
	if got != status {
		c.t.Errorf("GET %s as %s: status %d, want %d", path, c.email, got, status)
	}
	checkBody(c.t, "GET "+path, body, want...)
	return body
}

func checkBody(t testing.TB, what, body string, want ...string) {
	t.Helper()
	// Signs of a template mistake: a missing value, or a value html/template
	// judged unsafe for its place.
	for _, bad := range []string{"<no value>", "ZgotmplZ"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s: page contains %q", what, bad)
		}
	}
	for _, w := range want {
		if not, ok := strings.CutPrefix(w, "!"); ok {
			if strings.Contains(body, not) {
				t.Errorf("%s: page contains %q, but should not", what, not)
			}
		} else if !strings.Contains(body, w) {
			t.Errorf("%s: page lacks %q", what, w)
		}
	}
}

func TestWebPagesRender(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		broker := e.signIn(e.kent, caremarket.RoleBroker, 0)
		acornLoc, acorn, thanet := idStr(e.acornHouse.ID), idStr(e.acorn.ID), idStr(e.thanet.ID)
		pages := []struct {
			path  string
			admin bool // only admins may see it
			want  []string
		}{
			{"/areas", false, []string{"Thanet", "Dover", `href="/areas/` + thanet + `"`, "Canterbury", "Urban"}},
			{"/areas/" + thanet, false, []string{"Thanet", `href="/areas/` + idStr(e.canterbury.ID) + `"`, "Acorn House", `href="/locations?area_id=` + thanet + `"`}},
			{"/providers", false, []string{"Acorn Care Ltd", "Birch Homes", "Showing <b>1</b> to <b>2</b> of <b>2</b> providers"}},
			{"/providers/" + acorn, false, []string{"Acorn Care Ltd", "1-100000001", "Acorn House", "govuk-summary-list"}},
			{"/locations", false, []string{"Acorn House", "Birch Lodge", "govuk-tag--red", "Inadequate", `<option value="` + thanet + `">Thanet</option>`}},
			{"/locations/" + acornLoc, false, []string{"Acorn House", "1-200000001", "1 May 2024", "Nursing", "Not known", `action="/locations/` + acornLoc + `/vacancies"`}},
			{"/admin/audit", true, []string{"Audit log", "provider.create", "location.create", "Before and after"}},
			{"/admin/users", true, []string{"Add a user", "broker", `name="role"`, `<option value="` + acorn + `">Acorn Care Ltd</option>`}},
		}
		for _, p := range pages {
			admin.expectPage(p.path, http.StatusOK, p.want...)
			if p.admin {
				broker.expectPage(p.path, http.StatusForbidden, "You cannot do this")
			} else {
				broker.expectPage(p.path, http.StatusOK, p.want...)
			}
		}
		// The forms to add and change the register are for admins and
		// commissioners; a broker is refused them outright.
		for _, path := range []string{"/providers/new", "/providers/" + acorn + "/edit", "/locations/new", "/locations/" + acornLoc + "/edit"} {
			admin.expectPage(path, http.StatusOK, `name="csrf_token"`, "govuk-button")
			broker.expectPage(path, http.StatusForbidden)
		}
		admin.expectPage("/locations/"+acornLoc+"/edit", http.StatusOK, `value="Acorn House"`, `value="nursing" checked`,
			`value="good" checked`, `name="rating_date-year" type="text" inputmode="numeric" value="2024"`)
		admin.expectPage("/providers/"+acorn, http.StatusOK, "Change details")
		broker.expectPage("/providers/"+acorn, http.StatusOK, "!Change details")
		for _, path := range []string{"/areas/999999", "/providers/999999", "/locations/999999", "/providers/abc", "/locations/0"} {
			broker.expectPage(path, http.StatusNotFound, "Page not found")
		}
	})
}

func TestWebLocationFilters(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		c := e.signIn(e.kent, caremarket.RoleBroker, 0)
		cases := []struct {
			name   string
			query  url.Values
			status int
			want   []string
		}{
			{"no filter", nil, 200, []string{"Acorn House", "Birch Lodge", "of <b>2</b> locations"}},
			{"text", url.Values{"q": {"acorn"}}, 200, []string{"Acorn House", "!Birch Lodge", `value="acorn"`}},
			{"district", url.Values{"area_id": {idStr(e.dover.ID)}}, 200, []string{"!Acorn House", "Birch Lodge", `<option value="` + idStr(e.dover.ID) + `" selected>`}},
			{"service type", url.Values{"service_type": {"nursing"}}, 200, []string{"Acorn House", "!Birch Lodge", `<option value="nursing" selected>`}},
			{"rating", url.Values{"rating": {"inadequate"}}, 200, []string{"!Acorn House", "Birch Lodge"}},
			{"provider", url.Values{"provider_id": {idStr(e.birch.ID)}}, 200, []string{"!Acorn House", "Birch Lodge", "Showing locations run by"}},
			{"combined, nothing matches", url.Values{"area_id": {idStr(e.thanet.ID)}, "rating": {"inadequate"}}, 200, []string{"!Acorn House", "!Birch Lodge", "No locations found", "Clear filters"}},
			{"bad district", url.Values{"area_id": {"thanet"}}, 400, []string{"govuk-error-summary", `href="#area_id"`, "Choose a district from the list", "!Acorn House"}},
			{"bad service type", url.Values{"service_type": {"spa"}}, 400, []string{`href="#service_type"`, "Choose a service type from the list"}},
			{"bad rating", url.Values{"rating": {"5 stars"}}, 400, []string{`href="#rating"`, "Choose a rating from the list"}},
			{"bad page", url.Values{"page": {"two"}}, 400, []string{"govuk-error-summary", "The page number must be a whole number"}},
			{"over-long text", url.Values{"q": {strings.Repeat("x", 201)}}, 400, []string{`href="#q"`, "Search must be 200 characters or fewer"}},
			{"another council's provider", url.Values{"provider_id": {idStr(e.surreyCare.ID)}}, 404, []string{"Page not found"}},
		}
		for _, tc := range cases {
			path := "/locations"
			if tc.query != nil {
				path += "?" + tc.query.Encode()
			}
			c.expectPage(path, tc.status, tc.want...)
		}
	})
}

func TestWebPagination(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		for i := range 30 {
			e.location(e.kent, e.acorn, fmt.Sprintf("Annex %02d", i), fmt.Sprintf("1-3000000%02d", i), e.thanet, market.Good, market.Nursing)
		}
		c := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		thanet := idStr(e.thanet.ID)
		// 31 locations in Thanet: two pages, and the links keep the filter.
		first := c.expectPage("/locations?area_id="+thanet, 200, "Showing <b>1</b> to <b>25</b> of <b>31</b> locations", "Annex 00",
			`href="/locations?area_id=`+thanet+`&amp;page=2" rel="next"`, `aria-label="Page 1" aria-current="page"`, "!Annex 29")
		if strings.Contains(first, `rel="prev"`) {
			t.Error("the first page has a previous link")
		}
		c.expectPage("/locations?area_id="+thanet+"&page=2", 200, "Showing <b>26</b> to <b>31</b> of <b>31</b> locations", "Annex 29",
			`href="/locations?area_id=`+thanet+`" rel="prev"`, `aria-label="Page 2" aria-current="page"`, "!Annex 00", `!rel="next"`)
		c.expectPage("/locations?area_id="+thanet+"&page=9", 200, "No locations on this page")
	})
}

func TestPaginate(t *testing.T) {
	numbers := func(p pagination) string {
		var out []string
		for _, it := range p.Items {
			switch {
			case it.Ellipsis:
				out = append(out, "…")
			case it.Current:
				out = append(out, "["+strconv.Itoa(it.Number)+"]")
			default:
				out = append(out, strconv.Itoa(it.Number))
			}
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		page, total int
		want        string
	}{
		{1, 10, ""}, // one page: no component
		{1, 60, "[1] 2 3"},
		{5, 250, "1 … 4 [5] 6 … 10"},
		{10, 250, "1 … 9 [10]"},
		{2, 100, "1 [2] 3 4"},
	}
	for _, tc := range cases {
		p := paginate("/x", url.Values{"q": {"a b"}, "page": {"7"}, "empty": {""}}, market.Page{Number: tc.page, PerPage: 25}, tc.total)
		if got := numbers(p); got != tc.want {
			t.Errorf("page %d of %d: %q, want %q", tc.page, tc.total, got, tc.want)
		}
	}
	p := paginate("/x", url.Values{"q": {"a b"}, "page": {"7"}}, market.Page{Number: 2, PerPage: 25}, 60)
	if p.Prev != "/x?q=a+b" || p.Next != "/x?page=3&q=a+b" || p.From != 26 || p.To != 50 {
		t.Errorf("got %+v", p)
	}
}

func TestWebProviderIsolation(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		c := e.signIn(e.kent, caremarket.RoleProvider, e.acorn.ID)
		c.expectPage("/providers", 200, "Your organisation", "Acorn Care Ltd", "!Birch Homes", "!Add a provider")
		c.expectPage("/locations", 200, "Your locations", "Acorn House", "!Birch Lodge")
		c.expectPage("/locations?q=birch", 200, "!Birch Lodge", "No locations found")
		c.expectPage("/providers/"+idStr(e.acorn.ID), 200, "Acorn House", "!Change details")
		c.expectPage("/locations/"+idStr(e.acornHouse.ID), 200, "Update vacancies")
		c.expectPage("/providers/"+idStr(e.birch.ID), 404, "!Birch Homes")
		c.expectPage("/locations/"+idStr(e.birchLodge.ID), 404, "!Birch Lodge")
		c.expectPage("/locations?provider_id="+idStr(e.birch.ID), 404, "!Birch Lodge")
		c.expectPage("/providers/new", 403)
		c.expectPage("/admin/users", 403)
	})
}

func TestWebCouncilIsolation(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		kentAdmin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		for _, path := range []string{
			"/providers/" + idStr(e.surreyCare.ID), "/locations/" + idStr(e.surreyHome.ID), "/areas/" + idStr(e.surreyArea.ID),
			"/providers/" + idStr(e.surreyCare.ID) + "/edit", "/locations/" + idStr(e.surreyHome.ID) + "/edit",
		} {
			kentAdmin.expectPage(path, 404, "Page not found", "!Surrey")
		}
		kentAdmin.expectPage("/providers?q=surrey", 200, "No providers found")
		surreyAdmin := e.signIn(e.surrey, caremarket.RoleAdmin, 0)
		surreyAdmin.expectPage("/providers/"+idStr(e.surreyCare.ID), 200, "Surrey Care")
		surreyAdmin.expectPage("/providers/"+idStr(e.acorn.ID), 404, "!Acorn")
	})
}

func TestWebFormsNeedCSRFToken(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		c := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		forms := []struct {
			path string
			form url.Values
		}{
			{"/providers/new", url.Values{"name": {"Forged Care"}}},
			{"/providers/" + idStr(e.acorn.ID) + "/edit", url.Values{"name": {"Forged Care"}}},
			{"/locations/" + idStr(e.acornHouse.ID) + "/vacancies", url.Values{"vacancies-nursing": {"9"}}},
			{"/admin/users", url.Values{"email": {"forged@kent.test"}, "role": {"admin"}}},
		}
		for _, f := range forms {
			status, body := c.postRaw(f.path, f.form)
			if status != http.StatusForbidden {
				t.Errorf("POST %s without a token: status %d, want 403", f.path, status)
			}
			checkBody(t, "POST "+f.path, body, "did not come from this service")
			wrong := url.Values{csrfField: {"not-the-token"}}
			for k, v := range f.form {
				wrong[k] = v
			}
			if status, _ := c.postRaw(f.path, wrong); status != http.StatusForbidden {
				t.Errorf("POST %s with a wrong token: status %d, want 403", f.path, status)
			}
		}
		// The token may come in the X-CSRF-Token header instead; the form
		// is still read.
		req, _ := http.NewRequest(http.MethodPost, c.base+"/providers/new", strings.NewReader(url.Values{"name": {"Header Care"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(csrfHeader, c.csrf)
		if status, body := c.do(req); status != http.StatusOK || !strings.Contains(body, "Header Care has been added") {
			t.Errorf("POST with the token in a header: status %d\n%s", status, body)
		}
		if _, n, _ := db.ListProviders(e.kent, market.ProviderFilter{Query: "forged"}); n != 0 {
			t.Errorf("a forged form saved %d providers", n)
		}
		if vs, _ := db.Vacancies(e.kent, e.acornHouse.ID); len(vs) != 0 {
			t.Errorf("a forged form saved vacancies %+v", vs)
		}
	})
}

func TestWebProviderForm(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		c := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		_, before, _ := db.ListProviders(e.kent, market.ProviderFilter{})

		status, body := c.post("/providers/new", url.Values{"name": {"  "}, "cqc_provider_id": {"CQC-42"}, "companies_house_number": {"12"}})
		if status != http.StatusBadRequest {
			t.Errorf("invalid provider: status %d, want 400", status)
		}
		checkBody(t, "invalid provider", body, "<title>Error: Add a provider", "govuk-error-summary",
			`<a href="#name">Enter the provider name</a>`, `href="#cqc_provider_id"`, `href="#companies_house_number"`,
			`id="cqc_provider_id-error"`, `value="CQC-42"`, `value="12"`, "govuk-input--error")
		// The summary lists the errors in the order of the fields.
		if n, c, h := strings.Index(body, `href="#name"`), strings.Index(body, `href="#cqc_provider_id"`), strings.Index(body, `href="#companies_house_number"`); !(n < c && c < h) {
			t.Errorf("error summary out of field order: name at %d, CQC id at %d, Companies House at %d", n, c, h)
		}
		if _, after, _ := db.ListProviders(e.kent, market.ProviderFilter{}); after != before {
			t.Errorf("an invalid form changed the providers: %d, then %d", before, after)
		}

		// A CQC id another provider holds is a clash (409), shown on the form.
		status, body = c.post("/providers/new", url.Values{"name": {"Copy Care"}, "cqc_provider_id": {"1-100000001"}})
		if status != http.StatusConflict {
			t.Errorf("duplicate CQC id: status %d, want 409", status)
		}
		checkBody(t, "duplicate", body, `href="#cqc_provider_id"`, "already exists", `value="Copy Care"`)

		status, body = c.post("/providers/new", url.Values{"name": {"Cedar Care"}, "cqc_provider_id": {"1-100000003"}, "companies_house_number": {"sc123456"}})
		if status != http.StatusOK {
			t.Fatalf("valid provider: status %d\n%s", status, body)
		}
		checkBody(t, "created", body, "Cedar Care has been added", "SC123456", "govuk-notification-banner--success")
		ps, _, _ := db.ListProviders(e.kent, market.ProviderFilter{Query: "cedar"})
		if len(ps) != 1 {
			t.Fatalf("Cedar Care saved %d times", len(ps))
		}

		edit := "/providers/" + idStr(ps[0].ID) + "/edit"
		c.expectPage(edit, 200, `value="Cedar Care"`, `value="1-100000003"`)
		status, body = c.post(edit, url.Values{"name": {"Cedar Care Group"}, "cqc_provider_id": {"1-100000003"}})
		if status != http.StatusOK {
			t.Fatalf("edit provider: status %d\n%s", status, body)
		}
		checkBody(t, "edited", body, "The details of Cedar Care Group have been saved", "<h1 class=\"govuk-heading-l\">Cedar Care Group</h1>")
		// The confirmation shows once.
		c.expectPage("/providers/"+idStr(ps[0].ID), 200, "!have been saved")

		status, _ = c.post(edit, url.Values{"name": {""}})
		if status != http.StatusBadRequest {
			t.Errorf("invalid edit: status %d, want 400", status)
		}
		if p, _ := db.Provider(e.kent, ps[0].ID); p.Name != "Cedar Care Group" {
			t.Errorf("an invalid edit changed the name to %q", p.Name)
		}
	})
}

func TestWebLocationForm(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		c := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		c.expectPage("/locations/new?provider_id="+idStr(e.birch.ID), 200, `<option value="`+idStr(e.birch.ID)+`" selected>Birch Homes</option>`,
			`href="/providers/`+idStr(e.birch.ID)+`" class="govuk-back-link"`, `value="not_rated" checked`)
		valid := url.Values{
			"provider_id": {idStr(e.birch.ID)}, "name": {"Birch Court"}, "cqc_location_id": {"1-200000003"}, "postcode": {"ct16 1aa"},
			"area_id": {idStr(e.dover.ID)}, "service_types": {"nursing", "nursing_high"}, "registered_beds": {"32"},
			"rating": {"requires_improvement"}, "rating_date-day": {"7"}, "rating_date-month": {"3"}, "rating_date-year": {"2025"},
		}
		with := func(changes url.Values, drop ...string) url.Values {
			v := url.Values{}
			for k, vs := range valid {
				v[k] = vs
			}
			for k, vs := range changes {
				v[k] = vs
			}
			for _, k := range drop {
				v.Del(k)
			}
			return v
		}
		invalid := []struct {
			name  string
			form  url.Values
			field string
			msg   string
		}{
			{"no service types", with(nil, "service_types"), "service_types", "Choose at least one service type"},
			{"unknown service type", with(url.Values{"service_types": {"spa"}}), "service_types", "Choose service types from the list"},
			{"beds not a number", with(url.Values{"registered_beds": {"many"}}), "registered_beds", "Registered beds must be a whole number, like 40"},
			{"too many beds", with(url.Values{"registered_beds": {"5000"}}), "registered_beds", "between 0 and 1000"},
			{"not a real date", with(url.Values{"rating_date-day": {"31"}, "rating_date-month": {"2"}}), "rating_date", "Rating date must be a real date"},
			{"date without a month", with(nil, "rating_date-month"), "rating_date", "Rating date must include a month"},
			{"date with a 2-digit year", with(url.Values{"rating_date-year": {"25"}}), "rating_date", "Year must include 4 numbers"},
			{"date in the future", with(url.Values{"rating_date-year": {"2999"}}), "rating_date", "must be today or in the past"},
			{"no provider", with(nil, "provider_id"), "provider_id", "Choose the provider that runs this location"},
			{"another council's provider", with(url.Values{"provider_id": {idStr(e.surreyCare.ID)}}), "provider_id", "Choose a provider from the list"},
			{"unknown rating", with(url.Values{"rating": {"brilliant"}}), "rating", "Rating must be"},
			{"bad postcode", with(url.Values{"postcode": {"nowhere"}}), "postcode", "Enter a real postcode"},
		}
		for _, tc := range invalid {
			status, body := c.post("/locations/new", tc.form)
			if status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", tc.name, status)
			}
			checkBody(t, tc.name, body, `href="#`+tc.field+`"`, tc.msg, `value="Birch Court"`, `id="`+tc.field+`"`)
		}
		if _, n, _ := db.ListLocations(e.kent, market.LocationFilter{Query: "birch court"}); n != 0 {
			t.Fatalf("invalid forms saved %d locations", n)
		}

		status, body := c.post("/locations/new", valid)
		if status != http.StatusOK {
			t.Fatalf("valid location: status %d\n%s", status, body)
		}
		checkBody(t, "created", body, "Birch Court has been added", "CT16 1AA", "Nursing High", "Requires improvement", "7 March 2025")
		ls, _, _ := db.ListLocations(e.kent, market.LocationFilter{Query: "birch court"})
		if len(ls) != 1 || ls[0].RegisteredBeds != 32 || ls[0].AreaID != e.dover.ID || len(ls[0].ServiceTypes) != 2 {
			t.Fatalf("saved %+v", ls)
		}

		// Changing it: clearing the date leaves the location unrated-in-time.
		edit := "/locations/" + idStr(ls[0].ID) + "/edit"
		status, body = c.post(edit, with(url.Values{"registered_beds": {"30"}, "rating_date-day": {""}, "rating_date-month": {""}, "rating_date-year": {""}}))
		if status != http.StatusOK {
			t.Fatalf("edit location: status %d\n%s", status, body)
		}
		l, _ := db.Location(e.kent, ls[0].ID)
		if l.RegisteredBeds != 30 || l.RatingDate != nil {
			t.Errorf("after edit: beds %d, rating date %v", l.RegisteredBeds, l.RatingDate)
		}
	})
}

func TestWebVacancies(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		own := e.signIn(e.kent, caremarket.RoleProvider, e.acorn.ID)
		acornHouse := "/locations/" + idStr(e.acornHouse.ID)

		status, body := own.post(acornHouse+"/vacancies", url.Values{"vacancies-nursing": {"3"}, "vacancies-residential": {""}})
		if status != http.StatusOK {
			t.Fatalf("update own vacancies: status %d\n%s", status, body)
		}
		checkBody(t, "updated", body, "Vacancies updated", own.email, `<td class="govuk-table__cell govuk-table__cell--numeric">3</td>`, "!>Stale</strong></td>")
		vs, _ := db.Vacancies(e.kent, e.acornHouse.ID)
		if len(vs) != 1 || vs[0].ServiceType != market.Nursing || vs[0].Vacancies != 3 {
			t.Fatalf("saved %+v", vs)
		}

		// Typing mistakes are shown beside their field and nothing is saved.
		status, body = own.post(acornHouse+"/vacancies", url.Values{"vacancies-nursing": {"2"}, "vacancies-residential": {"lots"}})
		if status != http.StatusBadRequest {
			t.Errorf("bad vacancies: status %d, want 400", status)
		}
		checkBody(t, "bad vacancies", body, `href="#vacancies-residential"`, "Residential: enter vacancies as a whole number", `value="lots"`)
		status, body = own.post(acornHouse+"/vacancies", url.Values{"vacancies-nursing": {"-1"}})
		if status != http.StatusBadRequest {
			t.Errorf("negative vacancies: status %d, want 400", status)
		}
		checkBody(t, "negative", body, "Nursing: Vacancies must be a whole number between 0 and 1000")
		if status, _ := own.post(acornHouse+"/vacancies", url.Values{}); status != http.StatusBadRequest {
			t.Errorf("empty update: status %d, want 400", status)
		}
		if vs, _ := db.Vacancies(e.kent, e.acornHouse.ID); vs[0].Vacancies != 3 {
			t.Errorf("a refused update changed vacancies to %d", vs[0].Vacancies)
		}

		// Another provider's location is not found; finance may not update.
		if status, _ := own.post("/locations/"+idStr(e.birchLodge.ID)+"/vacancies", url.Values{"vacancies-residential": {"1"}}); status != http.StatusNotFound {
			t.Errorf("another provider's vacancies: status %d, want 404", status)
		}
		finance := e.signIn(e.kent, caremarket.RoleFinance, 0)
		finance.expectPage(acornHouse, 200, "!Update vacancies", own.email)
		if status, body := finance.post(acornHouse+"/vacancies", url.Values{"vacancies-nursing": {"1"}}); status != http.StatusForbidden {
			t.Errorf("finance updating vacancies: status %d, want 403\n%s", status, body)
		}
		broker := e.signIn(e.kent, caremarket.RoleBroker, 0)
		if status, _ := broker.post(acornHouse+"/vacancies", url.Values{"vacancies-residential": {"0"}}); status != http.StatusOK {
			t.Errorf("broker updating vacancies: status %d, want 200", status)
		}

		// A figure older than market.StaleAfter is marked.
		db.Now = func() time.Time { return time.Now().Add(-market.StaleAfter - time.Hour) }
		if err := db.SetVacancy(storagetest.As(e.kent, caremarket.RoleProvider, e.acorn.ID), &market.Vacancy{LocationID: e.acornHouse.ID, ServiceType: market.Nursing, Vacancies: 4}); err != nil {
			t.Fatal(err)
		}
		db.Now = time.Now
		broker.expectPage(acornHouse, 200, `<strong class="govuk-tag govuk-tag--orange">Stale</strong></td>`)
	})
}

func TestWebAudit(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		broker := e.signIn(e.kent, caremarket.RoleBroker, 0)
		broker.expectPage("/admin/audit", 403, "You cannot do this", "!provider.create")
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		admin.expectPage("/admin/audit?entity_type=location", 200, "location.create", "!provider.create", `href="/locations/`+idStr(e.acornHouse.ID)+`"`)
		admin.expectPage("/admin/audit?q=provider.create", 200, "provider.create", "Acorn Care Ltd", "!location.create", "!Surrey Care")
		admin.expectPage("/admin/audit?before_id=x", 400, `href="#before_id"`)

		// Over a page of records: the oldest are one "older records" link away.
		for i := range 60 {
			e.provider(e.kent, fmt.Sprintf("Filler %02d", i), fmt.Sprintf("1-4000000%02d", i))
		}
		body := admin.expectPage("/admin/audit?entity_type=provider", 200, "Filler 59", "Older records", "!Acorn Care Ltd")
		m := regexp.MustCompile(`href="(/admin/audit\?[^"]+)" rel="next"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no older records link")
		}
		older := strings.ReplaceAll(m[1], "&amp;", "&")
		admin.expectPage(older, 200, "Acorn Care Ltd", "Filler 00", "!Filler 59", "!Older records")
	})
}

func TestWebUsers(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		status, body := admin.post("/admin/users", url.Values{"email": {"New.Person@Kent.test"}, "name": {"New Person"}, "role": {"provider"}, "provider_id": {idStr(e.acorn.ID)}})
		if status != http.StatusOK {
			t.Fatalf("create user: status %d\n%s", status, body)
		}
		m := regexp.MustCompile(`<strong id="one-time-password">([^<]+)</strong>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no one-time password shown:\n%s", body)
		}
		checkBody(t, "created", body, "Account created", "new.person@kent.test", "Acorn Care Ltd")
		u, err := db.UserByEmail(context.Background(), "new.person@kent.test")
		if err != nil || u.ProviderID != e.acorn.ID || !access.CheckPassword(m[1], u.PasswordHash) {
			t.Fatalf("saved %+v, %v", u, err)
		}
		// The password is never shown again.
		admin.expectPage("/admin/users", 200, "new.person@kent.test", "!"+m[1], "!Account created")

		invalid := []struct {
			form  url.Values
			field string
		}{
			{url.Values{"email": {"not an email"}, "role": {"broker"}}, "email"},
			{url.Values{"email": {"x@kent.test"}}, "role"},
			{url.Values{"email": {"x@kent.test"}, "role": {"provider"}}, "provider_id"},
			{url.Values{"email": {"x@kent.test"}, "role": {"broker"}, "provider_id": {idStr(e.acorn.ID)}}, "provider_id"},
			{url.Values{"email": {"x@kent.test"}, "role": {"provider"}, "provider_id": {idStr(e.surreyCare.ID)}}, "provider_id"},
			{url.Values{"email": {"new.person@kent.test"}, "role": {"broker"}}, "email"},
		}
		for _, tc := range invalid {
			status, body := admin.post("/admin/users", tc.form)
			if status != http.StatusBadRequest && status != http.StatusConflict {
				t.Errorf("%v: status %d, want 400 or 409", tc.form, status)
			}
			checkBody(t, fmt.Sprint(tc.form), body, `href="#`+tc.field+`"`, "!one-time-password", `value="`+tc.form.Get("email")+`"`)
		}
		if _, err := db.UserByEmail(context.Background(), "x@kent.test"); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
			t.Errorf("an invalid form saved an account: %v", err)
		}
		commissioner := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		if status, _ := commissioner.post("/admin/users", url.Values{"email": {"y@kent.test"}, "role": {"admin"}}); status != http.StatusForbidden {
			t.Errorf("commissioner creating a user: status %d, want 403", status)
		}
	})
}

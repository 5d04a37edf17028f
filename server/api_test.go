package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// These tests drive the real server, over real databases (SQLite always,
// PostgreSQL when CAREMARKET_TEST_POSTGRES is set), through its HTTP
// handler: no mocks. Every API answer is also checked against the schema
// server/openapi/*.json promises for it (checkResponse).

// apiFixture is two councils' worth of market, and a token per kind of caller.
type apiFixture struct {
	db  *storage.DB
	srv *Server

	kent, surrey             context.Context // system admin of each council
	thanet, dover, woking    market.Area
	alpha, beta, surreyCare  *market.Provider
	alphaHome, betaHome      *market.Location
	surreyHome               *market.Location
	admin, commissioner      string // kent tokens
	broker, finance, alphaPU string // alphaPU: a provider user of alpha
	surreyCommissioner       string
	commissionerUser         *access.User
}

func newAPIFixture(t testing.TB, db *storage.DB) *apiFixture {
	t.Helper()
	f := &apiFixture{db: db, srv: New(db, slog.New(slog.DiscardHandler))}
	var areas []market.Area
	f.kent, areas = storagetest.Council(t, db, "kent", "Thanet", "Dover")
	f.thanet, f.dover = areas[0], areas[1]
	if err := db.SetNeighbours(f.kent, f.thanet.ID, []int64{f.dover.ID}); err != nil {
		t.Fatal(err)
	}
	f.surrey, areas = storagetest.Council(t, db, "surrey", "Woking")
	f.woking = areas[0]

	f.alpha, f.alphaHome = f.seed(t, f.kent, "Alpha Care", "0000001", f.thanet, market.Nursing, market.Residential)
	f.beta, f.betaHome = f.seed(t, f.kent, "Beta Homes", "0000002", f.dover, market.Homecare)
	f.surreyCare, f.surreyHome = f.seed(t, f.surrey, "Surrey Care", "0000003", f.woking, market.Nursing)

	f.admin, _ = f.user(t, f.kent, caremarket.RoleAdmin, 0)
	f.commissioner, f.commissionerUser = f.user(t, f.kent, caremarket.RoleCommissioner, 0)
	f.broker, _ = f.user(t, f.kent, caremarket.RoleBroker, 0)
	f.finance, _ = f.user(t, f.kent, caremarket.RoleFinance, 0)
	f.alphaPU, _ = f.user(t, f.kent, caremarket.RoleProvider, f.alpha.ID)
	f.surreyCommissioner, _ = f.user(t, f.surrey, caremarket.RoleCommissioner, 0)
	return f
}

// seed adds a provider with one location.
func (f *apiFixture) seed(t testing.TB, ctx context.Context, name, n string, area market.Area, sts ...market.ServiceType) (*market.Provider, *market.Location) {
	t.Helper()
	p := &market.Provider{Name: name, CQCProviderID: "1-10" + n}
	if err := f.db.CreateProvider(ctx, p); err != nil {
		t.Fatal(err)
	}
	d := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	l := &market.Location{ProviderID: p.ID, CQCLocationID: "1-20" + n, Name: name + " House", Postcode: "ct9 1aa",
		AreaID: area.ID, ServiceTypes: sts, RegisteredBeds: 40, Rating: market.Good, RatingDate: &d}
	if err := f.db.CreateLocation(ctx, l); err != nil {
		t.Fatal(err)
	}
	return p, l
}

// user creates an account in ctx's council and returns an API token for it,
// exactly as `caremarket users create --token` does.
func (f *apiFixture) user(t testing.TB, ctx context.Context, role caremarket.Role, providerID int64) (string, *access.User) {
	t.Helper()
	slug := caremarket.ActorFrom(ctx).CouncilSlug
	return apiToken(t, f.db, ctx, fmt.Sprintf("%s%d@%s.example", role, providerID, slug), role, providerID)
}

// apiResponse is an answer, with its body decoded when it is JSON.
type apiResponse struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// errMessage, errCode and errField read the one error shape.
func (r apiResponse) errMessage() string {
	s, _ := jsonAt(r.body, "error", "message").(string)
	return s
}
func (r apiResponse) errCode() string { s, _ := jsonAt(r.body, "error", "code").(string); return s }
func (r apiResponse) errField(name string) string {
	s, _ := jsonAt(r.body, "error", "fields", name).(string)
	return s
}

// apiReq is one request to send.
type apiReq struct {
	method, path string
	token        string            // sent as a bearer token when set
	body         any               // string and []byte are sent as they are; anything else as JSON
	header       map[string]string // extra headers
}

// do sends r through the server's full middleware chain and checks the
// answer against the OpenAPI document.
func (f *apiFixture) do(t testing.TB, r apiReq) apiResponse {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, hr)
	out := apiResponse{status: w.Code, header: w.Header(), raw: w.Body.Bytes()}
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(out.raw, &out.body); err != nil {
			t.Errorf("%s %s: answer is not a JSON object: %v\n%s", r.method, r.path, err, out.raw)
		}
	}
	checkResponse(t, f.srv, r.method, r.path, out.status, out.raw)
	return out
}

// must sends r and fails the test unless the status is want.
func (f *apiFixture) must(t testing.TB, want int, r apiReq) apiResponse {
	t.Helper()
	resp := f.do(t, r)
	if resp.status != want {
		t.Fatalf("%s %s = %d, want %d\n%s", r.method, r.path, resp.status, want, resp.raw)
	}
	return resp
}

// counts is how many rows each changeable table holds: a refused request
// must leave every one of them, audit log included, as it was.
func (f *apiFixture) counts(t testing.TB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"providers", "locations", "location_services", "vacancies", "users", "audit_log"} {
		var n int
		if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// subtest starts a named subtest; storagetest.Each hands us a testing.TB.
func subtest(t testing.TB, name string, fn func(t *testing.T)) {
	t.(*testing.T).Run(name, fn)
}

func idOf(v int64) string { return fmt.Sprint(v) }

func TestAPIAuthentication(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)

		tests := []struct {
			name   string
			r      apiReq
			status int
			code   string
			msg    string
		}{
			{"anonymous list", apiReq{method: "GET", path: "/api/v1/providers"}, 401, "unauthorized", "Send an API token: Authorization: Bearer TOKEN"},
			{"anonymous create", apiReq{method: "POST", path: "/api/v1/providers", body: map[string]string{"name": "X"}}, 401, "unauthorized", "Send an API token"},
			{"unknown token", apiReq{method: "GET", path: "/api/v1/providers", token: "not-a-real-token"}, 401, "unauthorized", "The API token is not valid"},
			{"not a bearer header", apiReq{method: "GET", path: "/api/v1/providers", header: map[string]string{"Authorization": "Basic eDp5"}}, 401, "unauthorized", "Authorization: Bearer TOKEN"},
			{"provider creates a provider", apiReq{method: "POST", path: "/api/v1/providers", token: f.alphaPU, body: map[string]string{"name": "Mine Now"}}, 403, "forbidden", "Your role (Provider) cannot do this"},
			{"broker creates a location", apiReq{method: "POST", path: "/api/v1/locations", token: f.broker, body: map[string]any{
				"provider_id": f.alpha.ID, "cqc_location_id": "1-299999999", "name": "New", "postcode": "CT9 1AA", "area_id": f.thanet.ID,
				"service_types": []string{"nursing"}}}, 403, "forbidden", "Your role (Broker) cannot do this"},
			{"finance sets a vacancy", apiReq{method: "PUT", path: "/api/v1/locations/" + idOf(f.alphaHome.ID) + "/vacancies", token: f.finance,
				body: map[string]any{"service_type": "nursing", "vacancies": 1}}, 403, "forbidden", "Your role (Finance) cannot do this"},
			{"broker reads the audit log", apiReq{method: "GET", path: "/api/v1/audit", token: f.broker}, 403, "forbidden", "cannot do this"},
			{"unknown API path", apiReq{method: "GET", path: "/api/v1/nothing-here", token: f.broker}, 404, "not_found", "There is no API resource at GET /api/v1/nothing-here"},
			{"not an id", apiReq{method: "GET", path: "/api/v1/providers/abc", token: f.broker}, 404, "not_found", `"abc" is not an id`},
		}
		before := f.counts(t)
		for _, tt := range tests {
			subtest(t, tt.name, func(t *testing.T) {
				resp := f.must(t, tt.status, tt.r)
				if resp.errCode() != tt.code || !strings.Contains(resp.errMessage(), tt.msg) {
					t.Errorf("error = %s, want code %q with message containing %q", resp.raw, tt.code, tt.msg)
				}
			})
		}
		if after := f.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("refused requests changed rows: before %v, after %v", before, after)
		}

		// The same caller with the right role succeeds, so the 403s above
		// are about roles and not something else.
		f.must(t, 201, apiReq{method: "POST", path: "/api/v1/providers", token: f.commissioner, body: map[string]string{"name": "Gamma Care"}})
		me := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/me", token: f.alphaPU})
		if me.body["role"] != "provider" || me.body["council"] != "kent" || me.body["provider_id"] != float64(f.alpha.ID) {
			t.Errorf("me = %s", me.raw)
		}
	})
}

// A browser's session cookie is an ambient credential: another site could
// make the browser send it, so a change made with it needs the CSRF token too.
func TestAPISessionNeedsCSRFToken(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		secret, hash := access.NewSecret()
		if err := db.CreateSession(f.kent, f.commissionerUser.ID, hash, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		cookie := map[string]string{"Cookie": sessionCookie + "=" + secret}
		create := func(header map[string]string) apiReq {
			return apiReq{method: "POST", path: "/api/v1/providers", body: map[string]string{"name": "Cookie Care"}, header: header}
		}
		before := f.counts(t)
		resp := f.must(t, 403, create(cookie))
		if !strings.Contains(resp.errMessage(), "did not come from this service") {
			t.Errorf("message = %q", resp.errMessage())
		}
		bad := map[string]string{"Cookie": cookie["Cookie"], csrfHeader: "forged"}
		f.must(t, 403, create(bad))
		if after := f.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("a refused request changed rows: before %v, after %v", before, after)
		}
		// Reading needs no token, and the right token lets the change through.
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/providers", header: cookie})
		good := map[string]string{"Cookie": cookie["Cookie"], csrfHeader: access.HashSecret("csrf:" + secret)}
		f.must(t, 201, create(good))
	})
}

func TestAPITenantIsolation(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		pid, lid := idOf(f.surreyCare.ID), idOf(f.surreyHome.ID)

		// Surrey's own commissioner can see these, so a 404 below means
		// "not yours", not "does not exist".
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/providers/" + pid, token: f.surreyCommissioner})
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/locations/" + lid, token: f.surreyCommissioner})

		tests := []struct {
			name  string
			token string
			r     apiReq
		}{
			{"kent broker reads surrey's provider", f.broker, apiReq{method: "GET", path: "/api/v1/providers/" + pid}},
			{"kent broker reads surrey's location", f.broker, apiReq{method: "GET", path: "/api/v1/locations/" + lid}},
			{"kent broker reads surrey's vacancies", f.broker, apiReq{method: "GET", path: "/api/v1/locations/" + lid + "/vacancies"}},
			{"kent broker reads surrey's district", f.broker, apiReq{method: "GET", path: "/api/v1/areas/" + idOf(f.woking.ID)}},
			{"kent commissioner updates surrey's provider", f.commissioner, apiReq{method: "PUT", path: "/api/v1/providers/" + pid, body: map[string]string{"name": "Taken Over"}}},
			{"kent commissioner updates surrey's location", f.commissioner, apiReq{method: "PUT", path: "/api/v1/locations/" + lid, body: map[string]any{
				"provider_id": f.alpha.ID, "cqc_location_id": "1-200000003", "name": "Moved", "postcode": "CT9 1AA", "area_id": f.thanet.ID, "service_types": []string{"nursing"}}}},
			{"kent broker sets surrey's vacancy", f.broker, apiReq{method: "PUT", path: "/api/v1/locations/" + lid + "/vacancies", body: map[string]any{"service_type": "nursing", "vacancies": 3}}},
			{"alpha reads beta's provider", f.alphaPU, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(f.beta.ID)}},
			{"alpha reads beta's location", f.alphaPU, apiReq{method: "GET", path: "/api/v1/locations/" + idOf(f.betaHome.ID)}},
			{"alpha reads beta's vacancies", f.alphaPU, apiReq{method: "GET", path: "/api/v1/locations/" + idOf(f.betaHome.ID) + "/vacancies"}},
			{"alpha sets beta's vacancy", f.alphaPU, apiReq{method: "PUT", path: "/api/v1/locations/" + idOf(f.betaHome.ID) + "/vacancies", body: map[string]any{"service_type": "homecare", "vacancies": 3}}},
		}
		before := f.counts(t)
		for _, tt := range tests {
			subtest(t, tt.name, func(t *testing.T) {
				tt.r.token = tt.token
				resp := f.must(t, 404, tt.r)
				if resp.errCode() != "not_found" || !strings.Contains(resp.errMessage(), "not found") {
					t.Errorf("error = %s", resp.raw)
				}
			})
		}
		if after := f.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("refused requests changed rows: before %v, after %v", before, after)
		}

		// Lists are scoped the same way.
		names := func(token, path string) []string {
			var out []string
			for _, it := range f.must(t, 200, apiReq{method: "GET", path: path, token: token}).body["items"].([]any) {
				out = append(out, it.(map[string]any)["name"].(string))
			}
			return out
		}
		if got := names(f.broker, "/api/v1/providers"); fmt.Sprint(got) != "[Alpha Care Beta Homes]" {
			t.Errorf("kent broker lists providers %v", got)
		}
		if got := names(f.alphaPU, "/api/v1/providers"); fmt.Sprint(got) != "[Alpha Care]" {
			t.Errorf("alpha's provider user lists providers %v", got)
		}
		if got := names(f.alphaPU, "/api/v1/locations"); fmt.Sprint(got) != "[Alpha Care House]" {
			t.Errorf("alpha's provider user lists locations %v", got)
		}
		if got := names(f.surreyCommissioner, "/api/v1/locations"); fmt.Sprint(got) != "[Surrey Care House]" {
			t.Errorf("surrey commissioner lists locations %v", got)
		}
	})
}

func TestAPIRejectsBadInput(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		provider := "/api/v1/providers/" + idOf(f.alpha.ID)
		location := "/api/v1/locations/" + idOf(f.alphaHome.ID)
		goodLocation := func(change func(m map[string]any)) map[string]any {
			m := map[string]any{"provider_id": f.alpha.ID, "cqc_location_id": "1-200000001", "name": "Alpha Care House",
				"postcode": "CT9 1AA", "area_id": f.thanet.ID, "service_types": []string{"nursing", "residential"}}
			change(m)
			return m
		}

		tests := []struct {
			name, method, path string
			body               any
			contentType        string
			msg                string // the message must contain this
			field              string // and fields must name this one, when set
		}{
			{"malformed JSON", "POST", "/api/v1/providers", `{"name": "Gamma",`, "", "The request body is not valid JSON (it ends too soon)", ""},
			{"malformed JSON mid-way", "POST", "/api/v1/providers", `{"name" "Gamma"}`, "", "The request body is not valid JSON (at character 9)", ""},
			{"unknown field", "POST", "/api/v1/providers", `{"name": "Gamma", "colour": "red"}`, "", `Unknown field "colour"`, "colour"},
			{"over-long name", "POST", "/api/v1/providers", map[string]string{"name": strings.Repeat("x", 201)}, "", "Provider name must be 200 characters or fewer", "name"},
			{"over-long name on update", "PUT", provider, map[string]string{"name": strings.Repeat("é", 201)}, "", "Provider name must be 200 characters or fewer", "name"},
			{"wrong type", "POST", "/api/v1/providers", `{"name": 42}`, "", `Field "name" must be text`, "name"},
			{"wrong type list", "PUT", location, goodLocation(func(m map[string]any) { m["service_types"] = "nursing" }), "", `Field "service_types" must be a list`, "service_types"},
			{"wrong type number", "PUT", location, goodLocation(func(m map[string]any) { m["registered_beds"] = "forty" }), "", `Field "registered_beds" must be a number`, "registered_beds"},
			{"empty body", "POST", "/api/v1/providers", "", "", "The request body is empty: send a JSON object", ""},
			{"not an object", "POST", "/api/v1/providers", `["Gamma"]`, "", "The request body must be a JSON object", ""},
			{"two objects", "POST", "/api/v1/providers", `{"name": "A"} {"name": "B"}`, "", "The request body must hold a single JSON object", ""},
			{"missing name", "POST", "/api/v1/providers", `{}`, "", `Field "name" is required`, "name"},
			{"bad CQC id", "POST", "/api/v1/providers", map[string]string{"name": "Gamma", "cqc_provider_id": "CQC-1"}, "", "CQC provider ID must look like 1-123456789", "cqc_provider_id"},
			{"not a real date", "PUT", location, goodLocation(func(m map[string]any) { m["rating_date"] = "2025-13-01" }), "", `"2025-13-01" is not a real date`, ""},
			{"date in the future", "PUT", location, goodLocation(func(m map[string]any) { m["rating_date"] = time.Now().AddDate(1, 0, 0).Format(time.DateOnly) }), "", "Rating date must be today or in the past", "rating_date"},
			{"unknown service type", "PUT", location, goodLocation(func(m map[string]any) { m["service_types"] = []string{"spa"} }), "", "Choose service types from the list", "service_types"},
			{"bad postcode", "POST", "/api/v1/locations", goodLocation(func(m map[string]any) { m["postcode"] = "nowhere"; m["cqc_location_id"] = "1-299999999" }), "", "Enter a real postcode", "postcode"},
			{"another council's district", "POST", "/api/v1/locations", goodLocation(func(m map[string]any) { m["area_id"] = f.woking.ID; m["cqc_location_id"] = "1-299999999" }), "", "Choose a district from the list", "area_id"},
			{"negative vacancies", "PUT", location + "/vacancies", map[string]any{"service_type": "nursing", "vacancies": -1}, "", "Vacancies must be a whole number between 0 and 1000", "vacancies"},
			{"service not offered", "PUT", location + "/vacancies", map[string]any{"service_type": "homecare", "vacancies": 1}, "", "This location is not registered for Homecare", "service_type"},
			{"bad page", "GET", "/api/v1/providers?page=-1", nil, "", "page must be a whole number", "page"},
			{"bad rating filter", "GET", "/api/v1/locations?rating=excellent", nil, "", "Choose a rating from the list", "rating"},
			{"bad service filter", "GET", "/api/v1/locations?service_type=spa", nil, "", "Choose a service type from the list", "service_type"},
			{"over-long search", "GET", "/api/v1/providers?q=" + strings.Repeat("q", 201), nil, "", "q must be 200 characters or fewer", "q"},
		}
		for _, tt := range tests {
			subtest(t, tt.name, func(t *testing.T) {
				before := f.counts(t)
				provBefore := f.must(t, 200, apiReq{method: "GET", path: provider, token: f.commissioner}).raw
				locBefore := f.must(t, 200, apiReq{method: "GET", path: location, token: f.commissioner}).raw

				r := apiReq{method: tt.method, path: tt.path, token: f.commissioner, body: tt.body}
				if tt.contentType != "" {
					r.header = map[string]string{"Content-Type": tt.contentType}
				}
				resp := f.must(t, 400, r)
				if resp.errCode() != "invalid" || !strings.Contains(resp.errMessage(), tt.msg) {
					t.Errorf("error = %.500s\nwant code invalid, message containing %q", resp.raw, tt.msg)
				}
				if tt.field != "" && resp.errField(tt.field) == "" {
					t.Errorf("error fields = %v, want a message for %q", jsonAt(resp.body, "error", "fields"), tt.field)
				}

				if after := f.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("a refused request changed rows: before %v, after %v", before, after)
				}
				if got := f.must(t, 200, apiReq{method: "GET", path: provider, token: f.commissioner}).raw; !bytes.Equal(got, provBefore) {
					t.Errorf("provider changed:\nbefore %s\nafter  %s", provBefore, got)
				}
				if got := f.must(t, 200, apiReq{method: "GET", path: location, token: f.commissioner}).raw; !bytes.Equal(got, locBefore) {
					t.Errorf("location changed:\nbefore %s\nafter  %s", locBefore, got)
				}
			})
		}
	})
}

func TestAPICreateUpdateReadBack(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		tok := f.commissioner

		// A provider: create, read, replace, read.
		created := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/providers", token: tok,
			body: map[string]string{"name": "  Gamma Care ", "companies_house_number": "sc123456", "cqc_provider_id": "1-109999999"}}).body
		if created["name"] != "Gamma Care" || created["companies_house_number"] != "SC123456" || created["location_count"] != float64(0) {
			t.Errorf("created provider = %v", created)
		}
		pid := int64(created["id"].(float64))
		got := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(pid), token: tok}).body
		for _, k := range []string{"id", "name", "companies_house_number", "cqc_provider_id", "created_at", "updated_at"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(created[k]) {
				t.Errorf("provider %s read back %v, created as %v", k, got[k], created[k])
			}
		}
		f.must(t, 200, apiReq{method: "PUT", path: "/api/v1/providers/" + idOf(pid), token: tok, body: map[string]string{"name": "Gamma Care Group", "cqc_provider_id": "1-109999999"}})
		got = f.must(t, 200, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(pid), token: tok}).body
		if got["name"] != "Gamma Care Group" || got["companies_house_number"] != nil || got["created_at"] != created["created_at"] {
			t.Errorf("provider after update = %v", got)
		}
		// The same CQC id twice is a conflict, and changes nothing.
		before := f.counts(t)
		resp := f.must(t, 409, apiReq{method: "POST", path: "/api/v1/providers", token: tok, body: map[string]string{"name": "Copy", "cqc_provider_id": "1-109999999"}})
		if resp.errField("cqc_provider_id") == "" || !strings.Contains(resp.errMessage(), "already exists") {
			t.Errorf("conflict = %s", resp.raw)
		}
		if after := f.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("a conflict changed rows: before %v, after %v", before, after)
		}

		// A location: create, read, replace, read.
		in := map[string]any{"provider_id": pid, "cqc_location_id": "1-209999999", "name": "Gamma Lodge", "address": "1 Sea Road",
			"town": "Margate", "postcode": "ct9 1aa", "area_id": f.thanet.ID, "service_types": []string{"nursing", "residential_high"},
			"registered_beds": 30, "rating": "requires_improvement", "rating_date": "2025-03-14"}
		loc := f.must(t, 201, apiReq{method: "POST", path: "/api/v1/locations", token: tok, body: in}).body
		lid := int64(loc["id"].(float64))
		got = f.must(t, 200, apiReq{method: "GET", path: "/api/v1/locations/" + idOf(lid), token: tok}).body
		want := map[string]any{"provider_id": float64(pid), "provider_name": "Gamma Care Group", "name": "Gamma Lodge", "postcode": "CT9 1AA",
			"area_name": "Thanet", "town": "Margate", "registered_beds": float64(30), "rating": "requires_improvement",
			"rating_date": "2025-03-14T00:00:00Z", "service_types": []any{"nursing", "residential_high"}}
		for k, v := range want {
			if fmt.Sprint(got[k]) != fmt.Sprint(v) {
				t.Errorf("location %s = %v, want %v", k, got[k], v)
			}
		}
		in["name"], in["area_id"], in["service_types"], in["registered_beds"], in["rating"], in["rating_date"] =
			"Gamma Lodge East", f.dover.ID, []string{"homecare"}, 0, "good", nil
		f.must(t, 200, apiReq{method: "PUT", path: "/api/v1/locations/" + idOf(lid), token: tok, body: in})
		got = f.must(t, 200, apiReq{method: "GET", path: "/api/v1/locations/" + idOf(lid), token: tok}).body
		want = map[string]any{"name": "Gamma Lodge East", "area_name": "Dover", "registered_beds": float64(0), "rating": "good",
			"rating_date": nil, "service_types": []any{"homecare"}}
		for k, v := range want {
			if fmt.Sprint(got[k]) != fmt.Sprint(v) {
				t.Errorf("location after update %s = %v, want %v", k, got[k], v)
			}
		}
		if p := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/providers/" + idOf(pid), token: tok}).body; p["location_count"] != float64(1) {
			t.Errorf("provider location_count = %v, want 1", p["location_count"])
		}

		// Each change is in the audit log, newest first, with who made it.
		audit := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/audit?entity_type=location&entity_id=" + idOf(lid), token: f.admin}).body["items"].([]any)
		if len(audit) != 2 || audit[0].(map[string]any)["action"] != "location.update" || audit[1].(map[string]any)["action"] != "location.create" ||
			audit[0].(map[string]any)["actor"] != f.commissionerUser.Email {
			t.Errorf("audit of the location = %v", audit)
		}
		audit = f.must(t, 200, apiReq{method: "GET", path: "/api/v1/audit?q=provider.&limit=2", token: f.admin}).body["items"].([]any)
		if len(audit) != 2 || audit[0].(map[string]any)["action"] != "provider.update" {
			t.Errorf("audit search for providers = %v", audit)
		}
		older := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/audit?before_id=" + fmt.Sprint(audit[1].(map[string]any)["id"]), token: f.admin}).body["items"].([]any)
		for _, r := range older {
			if r.(map[string]any)["id"].(float64) >= audit[1].(map[string]any)["id"].(float64) {
				t.Errorf("before_id returned a newer record: %v", r)
			}
		}
	})
}

func TestAPIListsFilterAndPage(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		// Alpha gets four more locations, so paging has something to do:
		// six locations in kent in all.
		for i, r := range []market.Rating{market.Outstanding, market.Inadequate, market.Good, market.NotRated} {
			l := &market.Location{ProviderID: f.alpha.ID, CQCLocationID: fmt.Sprintf("1-21000000%d", i), Name: fmt.Sprintf("Alpha Annexe %d", i),
				Postcode: "CT17 9AA", AreaID: f.dover.ID, ServiceTypes: []market.ServiceType{market.Residential}, Rating: r}
			if err := db.CreateLocation(f.kent, l); err != nil {
				t.Fatal(err)
			}
		}
		type page struct{ total, page, perPage, items int }
		tests := []struct {
			path  string
			want  page
			first string // name of the first item, when set
		}{
			{"/api/v1/locations", page{6, 1, 25, 6}, "Alpha Annexe 0"},
			{"/api/v1/locations?per_page=4", page{6, 1, 4, 4}, "Alpha Annexe 0"},
			{"/api/v1/locations?per_page=4&page=2", page{6, 2, 4, 2}, "Alpha Care House"},
			{"/api/v1/locations?per_page=4&page=3", page{6, 3, 4, 0}, ""},
			{"/api/v1/locations?per_page=1000", page{6, 1, 200, 6}, ""},
			{"/api/v1/locations?area_id=" + idOf(f.thanet.ID), page{1, 1, 25, 1}, "Alpha Care House"},
			{"/api/v1/locations?area_id=" + idOf(f.dover.ID), page{5, 1, 25, 5}, "Alpha Annexe 0"},
			{"/api/v1/locations?provider_id=" + idOf(f.beta.ID), page{1, 1, 25, 1}, "Beta Homes House"},
			{"/api/v1/locations?service_type=residential", page{5, 1, 25, 5}, ""},
			{"/api/v1/locations?service_type=homecare&area_id=" + idOf(f.dover.ID), page{1, 1, 25, 1}, "Beta Homes House"},
			{"/api/v1/locations?rating=inadequate", page{1, 1, 25, 1}, "Alpha Annexe 1"},
			{"/api/v1/locations?rating=good&service_type=residential", page{2, 1, 25, 2}, "Alpha Annexe 2"},
			{"/api/v1/locations?q=beta", page{1, 1, 25, 1}, "Beta Homes House"},
			{"/api/v1/locations?q=ct17", page{4, 1, 25, 4}, ""},
			{"/api/v1/locations?q=surrey", page{0, 1, 25, 0}, ""},
			{"/api/v1/locations?area_id=" + idOf(f.woking.ID), page{0, 1, 25, 0}, ""},
			{"/api/v1/providers", page{2, 1, 25, 2}, "Alpha Care"},
			{"/api/v1/providers?q=BETA", page{1, 1, 25, 1}, "Beta Homes"},
			{"/api/v1/providers?q=1-100000001", page{1, 1, 25, 1}, "Alpha Care"},
			{"/api/v1/providers?per_page=1&page=2", page{2, 2, 1, 1}, "Beta Homes"},
			{"/api/v1/areas", page{2, 1, 2, 2}, "Dover"},
			{"/api/v1/clusters", page{1, 1, 1, 1}, "All"},
			{"/api/v1/locations/" + idOf(f.alphaHome.ID) + "/vacancies", page{0, 1, 0, 0}, ""},
		}
		for _, tt := range tests {
			subtest(t, tt.path, func(t *testing.T) {
				body := f.must(t, 200, apiReq{method: "GET", path: tt.path, token: f.broker}).body
				items, _ := body["items"].([]any)
				got := page{int(body["total"].(float64)), int(body["page"].(float64)), int(body["per_page"].(float64)), len(items)}
				if got != tt.want {
					t.Errorf("envelope {total, page, per_page, len(items)} = %+v, want %+v", got, tt.want)
				}
				if tt.first != "" && (len(items) == 0 || items[0].(map[string]any)["name"] != tt.first) {
					t.Errorf("first item = %v, want %q", items, tt.first)
				}
			})
		}

		// Borders read both ways; the service types are the full list.
		area := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/areas/" + idOf(f.dover.ID), token: f.alphaPU}).body
		if n := area["neighbours"].([]any); len(n) != 1 || n[0].(map[string]any)["name"] != "Thanet" || area["location_count"] != float64(5) {
			t.Errorf("Dover = %v", area)
		}
		sts := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/service-types", token: f.alphaPU}).body["items"].([]any)
		if len(sts) != len(market.ServiceTypes) || sts[0].(map[string]any)["label"] != market.ServiceTypes[0].Label() {
			t.Errorf("service types = %v", sts)
		}
	})
}

func TestAPIVacancies(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		path := "/api/v1/locations/" + idOf(f.alphaHome.ID) + "/vacancies"

		// The provider says it has two nursing places, then one; a broker
		// who heard by phone corrects residential.
		f.must(t, 200, apiReq{method: "PUT", path: path, token: f.alphaPU, body: map[string]any{"service_type": "nursing", "vacancies": 2}})
		v := f.must(t, 200, apiReq{method: "PUT", path: path, token: f.alphaPU, body: map[string]any{"service_type": "nursing", "vacancies": 1}}).body
		if v["vacancies"] != float64(1) || v["updated_by"] != "provider"+idOf(f.alpha.ID)+"@kent.example" || v["location_id"] != float64(f.alphaHome.ID) {
			t.Errorf("set vacancy = %v", v)
		}
		f.must(t, 200, apiReq{method: "PUT", path: path, token: f.broker, body: map[string]any{"service_type": "residential", "vacancies": 0}})

		list := f.must(t, 200, apiReq{method: "GET", path: path, token: f.broker}).body
		items := list["items"].([]any)
		if list["total"] != float64(2) || len(items) != 2 {
			t.Fatalf("vacancies = %v", list)
		}
		got := map[string]any{}
		for _, it := range items {
			m := it.(map[string]any)
			got[m["service_type"].(string)] = m["vacancies"]
			at, err := time.Parse(time.RFC3339Nano, m["updated_at"].(string))
			if err != nil || time.Since(at) > time.Minute {
				t.Errorf("updated_at = %v (%v), want just now", m["updated_at"], err)
			}
		}
		if fmt.Sprint(got) != "map[nursing:1 residential:0]" {
			t.Errorf("vacancies by service = %v", got)
		}
		// Every figure is audited.
		recs := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/audit?q=vacancy.set", token: f.admin}).body["items"].([]any)
		if len(recs) != 3 {
			t.Errorf("%d vacancy.set audit records, want 3", len(recs))
		}
	})
}

func TestHealthzAndMetrics(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		h := f.must(t, 200, apiReq{method: "GET", path: "/healthz"})
		if h.body["status"] != "ok" {
			t.Errorf("/healthz = %s", h.raw)
		}
		f.must(t, 401, apiReq{method: "GET", path: "/api/v1/providers"})
		// /metrics needs the metrics token on the main address.
		f.must(t, 401, apiReq{method: "GET", path: "/metrics"})
		f.srv.MetricsToken = "metrics-secret-for-tests"
		f.must(t, 401, apiReq{method: "GET", path: "/metrics", token: "wrong"})
		f.must(t, 401, apiReq{method: "GET", path: "/metrics", token: f.admin})
		m := f.must(t, 200, apiReq{method: "GET", path: "/metrics", token: "metrics-secret-for-tests"})
		text := string(m.raw)
		for _, want := range []string{
			"# TYPE caremarket_http_requests_total counter",
			`caremarket_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
			`caremarket_http_requests_total{method="GET",route="GET /api/v1/providers",status="401"} 1`,
			`caremarket_http_request_duration_seconds_count{route="GET /healthz"} 1`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("/metrics lacks %q:\n%s", want, text)
			}
		}
		// The separate metrics listener needs no token.
		w := httptest.NewRecorder()
		f.srv.MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != 200 || !strings.Contains(w.Body.String(), "caremarket_http_requests_total") {
			t.Errorf("MetricsHandler: %d %s", w.Code, w.Body)
		}
		// Ready while the schema is current; not ready when a migration is missing.
		if r := f.must(t, 200, apiReq{method: "GET", path: "/readyz"}); r.body["status"] != "ready" {
			t.Errorf("/readyz = %s", r.raw)
		}
		if _, err := db.SQL().Exec(`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
			t.Fatal(err)
		}
		if r := f.must(t, 503, apiReq{method: "GET", path: "/readyz"}); !strings.Contains(fmt.Sprint(r.body["status"]), "caremarket migrate") {
			t.Errorf("/readyz with a migration missing = %s", r.raw)
		}
		// Every answer names its request id; a load balancer's is kept.
		if r := f.do(t, apiReq{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "lb-123"}}); r.header.Get("X-Request-Id") != "lb-123" {
			t.Errorf("X-Request-Id = %q, want the caller's", r.header.Get("X-Request-Id"))
		}
	})
}

// signInForm is the sign-in page's CSRF cookie and its hidden field, as a
// browser would have them after GET /sign-in.
func (f *apiFixture) signInForm(t testing.TB) (cookie, field string) {
	t.Helper()
	resp := f.must(t, 200, apiReq{method: "GET", path: "/sign-in"})
	for _, c := range (&http.Response{Header: resp.header}).Cookies() {
		if c.Name == csrfCookie {
			cookie = c.Value
		}
	}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(resp.raw)
	if cookie == "" || m == nil {
		t.Fatalf("GET /sign-in gave no %s cookie or no csrf_token field:\n%s", csrfCookie, resp.raw)
	}
	return cookie, string(m[1])
}

// postSignIn posts the sign-in form with the double-submit token.
func (f *apiFixture) postSignIn(t testing.TB, cookie, field, email, password string) apiResponse {
	t.Helper()
	form := url.Values{"csrf_token": {field}, "email": {email}, "password": {password}, "next": {"/"}}
	return f.do(t, apiReq{method: "POST", path: "/sign-in", body: form.Encode(), header: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Cookie": csrfCookie + "=" + cookie}})
}

func sessionStarted(r apiResponse) bool {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return true
		}
	}
	return false
}

func TestSignInThrottle(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		const email, password = "broker@kent.example", "correct horse battery staple"
		hash, err := access.HashPassword(password)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateUser(f.kent, &access.User{Email: email, Role: caremarket.RoleBroker, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		cookie, field := f.signInForm(t)
		if cookie != field {
			t.Errorf("the CSRF cookie %q and the form field %q should hold the same value (double submit)", cookie, field)
		}

		// A form without its token is refused before the password is checked.
		noToken := f.do(t, apiReq{method: "POST", path: "/sign-in", body: url.Values{"email": {email}, "password": {password}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": csrfCookie + "=" + cookie}})
		if noToken.status != http.StatusForbidden || sessionStarted(noToken) {
			t.Errorf("sign-in without the CSRF field = %d (session set: %v), want 403", noToken.status, sessionStarted(noToken))
		}

		for i := 1; i <= 6; i++ {
			resp := f.postSignIn(t, cookie, field, email, fmt.Sprintf("wrong password %d", i))
			want, msg := http.StatusBadRequest, "Enter a correct email address and password"
			if i == 6 {
				want, msg = http.StatusTooManyRequests, "Too many failed sign-in attempts. Wait "
			}
			if resp.status != want || !strings.Contains(string(resp.raw), msg) || sessionStarted(resp) {
				t.Fatalf("wrong password %d: status %d (session set: %v), want %d with %q", i, resp.status, sessionStarted(resp), want, msg)
			}
		}
		// Now even the right password is refused, and no session starts.
		resp := f.postSignIn(t, cookie, field, email, password)
		if resp.status != http.StatusTooManyRequests || sessionStarted(resp) {
			t.Errorf("right password after 6 failures: status %d (session set: %v), want 429 and no session", resp.status, sessionStarted(resp))
		}

		// A second server on the same database shares the throttle: the
		// count lives in the database, not in one server's memory.
		f.srv = New(db, slog.New(slog.DiscardHandler))
		cookie, field = f.signInForm(t)
		resp = f.postSignIn(t, cookie, field, email, password)
		if resp.status != http.StatusTooManyRequests || sessionStarted(resp) {
			t.Errorf("right password on a second server: status %d (session set: %v), want 429", resp.status, sessionStarted(resp))
		}
	})
}

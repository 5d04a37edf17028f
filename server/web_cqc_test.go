package server

import (
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// fixtureDistricts stands in for the outcode table the demo ships: which
// district each postcode district of the CQC fixtures is in.
var fixtureDistricts = map[string]string{
	"CT9": "Thanet", "CT11": "Thanet", "CT1": "Canterbury", "ME14": "Maidstone", "TN23": "Ashford",
	"CT16": "Dover", "DA1": "Dartford", "TN1": "Tunbridge Wells",
}

func fixtureDistrict(outcode string) (string, bool) { d, ok := fixtureDistricts[outcode]; return d, ok }

const cqcFixtures = "../market/cqc/testdata/"

// newCQCEnv is a running server over an empty Kent with the districts of
// the CQC fixtures, for the market to be loaded through the upload page.
func newCQCEnv(t testing.TB, db *storage.DB, configure func(s *Server)) *webEnv {
	t.Helper()
	e := &webEnv{t: t, db: db}
	e.kent, _ = storagetest.Council(t, db, "kent", "Thanet", "Canterbury", "Maidstone", "Ashford", "Dover", "Dartford", "Tunbridge Wells")
	e.srv = webServer(t, db, func(s *Server) {
		s.DistrictFor = fixtureDistrict
		if configure != nil {
			configure(s)
		}
	})
	return e
}

// postFile submits a multipart form with one file, as a browser's file
// upload does, with the CSRF token.
func (c *webClient) postFile(path, name string, file []byte, fields url.Values) (int, string) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField(csrfField, c.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(file)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+path, &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// importFixture uploads a fixture through the admin page.
func (c *webClient) importFixture(name string, status int, want ...string) string {
	c.t.Helper()
	data, err := os.ReadFile(cqcFixtures + name)
	if err != nil {
		c.t.Fatal(err)
	}
	got, body := c.postFile("/admin/cqc-import", name, data, nil)
	if got != status {
		c.t.Fatalf("upload %s: status %d, want %d\n%s", name, got, status, errorSummary(body))
	}
	checkBody(c.t, "upload "+name, body, want...)
	checkIDs(c.t, "upload "+name, body)
	return body
}

// locationID finds a location, registered or not, by its CQC id.
func (e *webEnv) locationID(cqcID string) *market.Location {
	e.t.Helper()
	locs, _, err := e.db.ListLocations(e.kent, market.LocationFilter{Query: cqcID, IncludeDeregistered: true})
	if err != nil || len(locs) != 1 {
		e.t.Fatalf("location %s: %d found, %v", cqcID, len(locs), err)
	}
	return &locs[0]
}

func TestWebCQCImport(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newCQCEnv(t, db, nil)
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		admin.page("/admin/cqc-import", "Import the CQC directory", `enctype="multipart/form-data"`, `class="govuk-file-upload"`,
			`name="all"`, `href="/admin/cqc-import"`, "!Import finished")

		// Only admins load the register: a broker and a commissioner are
		// refused the page and the upload.
		for _, role := range []caremarket.Role{caremarket.RoleBroker, caremarket.RoleCommissioner} {
			c := e.signIn(e.kent, role, 0)
			c.expectPage("/admin/cqc-import", http.StatusForbidden, "You cannot do this")
			if got, _ := c.postFile("/admin/cqc-import", "directory_v1.csv", []byte("x"), nil); got != http.StatusForbidden {
				t.Errorf("%s uploads the directory: %d", role, got)
			}
			if strings.Contains(c.expectPage("/", http.StatusOK), `href="/admin/cqc-import"`) {
				t.Errorf("%s is offered the import", role)
			}
		}

		// Mistakes are shown in the error summary, linked to the field.
		if got, body := admin.postFile("/admin/cqc-import", "", nil, nil); got != http.StatusBadRequest ||
			!strings.Contains(errorSummary(body), "Choose the directory file") || !strings.Contains(body, `href="#file"`) {
			t.Errorf("no file: %d\n%s", got, errorSummary(body))
		}
		if got, body := admin.postFile("/admin/cqc-import", "prices.csv", []byte("location,price\nA,1\n"), nil); got != http.StatusBadRequest ||
			!strings.Contains(errorSummary(body), "not CQC") || !strings.Contains(body, "govuk-file-upload--error") {
			t.Errorf("not the directory: %d\n%s", got, errorSummary(body))
		}

		// The first import: counts, and each rejected row with its line.
		admin.importFixture("directory_v1.csv", http.StatusOK, "Import finished", "directory_v1.csv: 15 rows read",
			`<dt class="govuk-summary-list__key">Added</dt>`, `<dd class="govuk-summary-list__value">7</dd>`,
			"Rows that were not imported", "postcode SE1 7PB: the district SE1 is not in any of the council", "1-1000000008",
			"Location ID 1-1000000001 is also on line 6")
		seaview := e.locationID("1-1000000001")
		willows := e.locationID("1-1000000004")
		admin.page("/locations/"+idStr(seaview.ID), "Seaview Nursing Home", "Rating history", "12 March 2024", "When first seen",
			`<strong class="govuk-tag govuk-tag--green">Registered</strong>`, "!No new placements")
		admin.page("/locations/"+idStr(willows.ID), "Dormant", "No new placements", "CQC lists it as dormant")

		// The same file again changes nothing.
		admin.importFixture("directory_v1.csv", http.StatusOK, `<dt class="govuk-summary-list__key">Unchanged</dt>`+"\n    "+`<dd class="govuk-summary-list__value">7</dd>`)

		// A newer file: Seaview drops to Inadequate, The Willows has gone.
		admin.importFixture("directory_v2.csv", http.StatusOK, "directory_v2.csv: 13 rows read",
			`<dt class="govuk-summary-list__key">Deregistered</dt>`+"\n    "+`<dd class="govuk-summary-list__value">1</dd>`,
			`<dt class="govuk-summary-list__key">Rating changes</dt>`+"\n    "+`<dd class="govuk-summary-list__value">2</dd>`)
		body := admin.page("/locations/"+idStr(seaview.ID), "No new placements", "CQC rated it Inadequate on 1 April 2025", "Rating history")
		history := body[strings.Index(body, `id="rating-history"`):]
		newer, older := strings.Index(history, "1 April 2025"), strings.Index(history, "12 March 2024")
		if newer < 0 || older < 0 || newer > older || !strings.Contains(history, "(was Good)") || !strings.Contains(history, "from cqc-directory directory_v2.csv") {
			t.Errorf("Seaview's history, newest first, lacks the change:\n%s", history[:min(len(history), 3000)])
		}
		admin.page("/locations/"+idStr(willows.ID), "Deregistered", "Left the register on", "It is no longer registered with CQC",
			"!Save vacancies")

		// The list leaves deregistered locations out unless asked.
		admin.page("/locations", "Seaview Nursing Home", "!The Willows", `name="include_deregistered"`)
		admin.page("/locations?include_deregistered=yes", "The Willows", `<strong class="govuk-tag govuk-tag--grey">Deregistered</strong>`,
			`value="yes" checked`)
	})
}

func TestWebAlerts(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newCQCEnv(t, db, nil)
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		admin.importFixture("directory_v1.csv", http.StatusOK)
		commissioner := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		commissioner.page("/alerts", "There are no open alerts")
		admin.importFixture("directory_v2.csv", http.StatusOK)
		seaview := e.locationID("1-1000000001")

		// The home page counts them; the navigation leads to them.
		home := commissioner.page("/", `href="/alerts"`, "Open market alerts")
		if !strings.Contains(home, `<p class="govuk-body govuk-!-font-size-48 govuk-!-font-weight-bold" id="open-alerts">2</p>`) {
			t.Errorf("home page does not count 2 open alerts")
		}
		body := commissioner.page("/alerts", "Rated Inadequate", "Left the CQC register", `href="/locations/`+idStr(seaview.ID)+`"`,
			"Seaview Nursing Home", "CQC 1-1000000004", "Acknowledge")
		ids := regexp.MustCompile(`action="/alerts/(\d+)/acknowledge"`).FindAllStringSubmatch(body, -1)
		if len(ids) != 2 {
			t.Fatalf("%d acknowledge buttons, want 2", len(ids))
		}

		// A broker sees them but cannot acknowledge; a provider cannot see them.
		broker := e.signIn(e.kent, caremarket.RoleBroker, 0)
		broker.page("/alerts", "Seaview Nursing Home", "!Acknowledge")
		if got, _ := broker.post("/alerts/"+ids[0][1]+"/acknowledge", nil); got != http.StatusForbidden {
			t.Errorf("a broker acknowledges an alert: %d", got)
		}
		provider := e.signIn(e.kent, caremarket.RoleProvider, seaview.ProviderID)
		provider.expectPage("/alerts", http.StatusForbidden)
		if strings.Contains(provider.expectPage("/", http.StatusOK), `href="/alerts"`) {
			t.Error("a provider is offered the alerts")
		}

		commissioner.expectPost("/alerts/"+ids[0][1]+"/acknowledge", nil, http.StatusOK, "acknowledged", "govuk-notification-banner--success")
		after := commissioner.page("/alerts")
		if strings.Contains(after, `action="/alerts/`+ids[0][1]+`/acknowledge"`) || !strings.Contains(after, `action="/alerts/`+ids[1][1]+`/acknowledge"`) {
			t.Errorf("open alerts after acknowledging one:\n%s", after)
		}
		commissioner.page("/alerts?show=all", "Acknowledged by "+commissioner.email)
		if !strings.Contains(commissioner.page("/"), `id="open-alerts">1</p>`) {
			t.Error("home page does not count 1 open alert")
		}
		// Twice is not found: there is nothing left to acknowledge.
		commissioner.expectPost("/alerts/"+ids[0][1]+"/acknowledge", nil, http.StatusNotFound)
	})
}

// readTemplate downloads the bulk vacancy template as its rows.
func (c *webClient) readTemplate() [][]string {
	c.t.Helper()
	resp, err := c.http.Get(c.base + "/locations/vacancies/template.csv")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		c.t.Fatalf("template: %d %v", resp.StatusCode, resp.Header)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		c.t.Fatal(err)
	}
	return rows
}

func csvOf(rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(rows)
	return buf.Bytes()
}

func TestWebVacancyUpload(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newCQCEnv(t, db, nil)
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		admin.importFixture("directory_v1.csv", http.StatusOK)
		seaview, harbour := e.locationID("1-1000000001"), e.locationID("1-1000000002")
		cliff := e.locationID("1-1000000010") // Willow Homes'
		provider := e.signIn(e.kent, caremarket.RoleProvider, seaview.ProviderID)
		saved := func() int {
			var n int
			if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM vacancies`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// The template lists the provider's own locations and service types.
		provider.page("/locations", "Update vacancies from a spreadsheet", `href="/locations/vacancies/template.csv"`,
			`action="/locations/vacancies/upload"`, `enctype="multipart/form-data"`)
		rows := provider.readTemplate()
		if len(rows) != 1+len(seaview.ServiceTypes)+len(harbour.ServiceTypes) || rows[0][0] != "cqc_location_id" || rows[0][3] != "vacancies" {
			t.Fatalf("template %v", rows)
		}
		for _, r := range rows[1:] {
			if r[0] != seaview.CQCLocationID && r[0] != harbour.CQCLocationID {
				t.Errorf("template names another provider's location: %v", r)
			}
			if r[3] != "" {
				t.Errorf("template has a figure before any was given: %v", r)
			}
			r[3] = "2"
		}

		// One bad line: nothing is saved, and the line is named.
		bad := append([][]string{}, rows...)
		bad = append(bad, []string{seaview.CQCLocationID, "Seaview", "residential_ld", "lots"})
		badLine := len(bad)
		got, body := provider.postFile("/locations/vacancies/upload", "vacancies.csv", csvOf(bad), nil)
		if got != http.StatusBadRequest || !strings.Contains(errorSummary(body), "no vacancies were saved") ||
			!strings.Contains(body, `<td class="govuk-table__cell govuk-table__cell--numeric">`+idStr(int64(badLine))+`</td>`) ||
			!strings.Contains(body, `vacancies &#34;lots&#34; is not a whole number`) {
			t.Errorf("bad line: %d\n%s", got, body)
		}
		if n := saved(); n != 0 {
			t.Errorf("%d vacancies saved from a file with a bad line", n)
		}

		// Another provider's location is refused the same way.
		other := append(append([][]string{}, rows...), []string{cliff.CQCLocationID, "Cliff Top", string(cliff.ServiceTypes[0]), "3"})
		got, body = provider.postFile("/locations/vacancies/upload", "vacancies.csv", csvOf(other), nil)
		if got != http.StatusBadRequest || !strings.Contains(body, "location "+cliff.CQCLocationID+" is not one of yours") {
			t.Errorf("another provider's location: %d\n%s", got, errorSummary(body))
		}
		if n := saved(); n != 0 {
			t.Errorf("%d vacancies saved for another provider's location", n)
		}
		if got, _ := provider.postFile("/locations/vacancies/upload", "", nil, nil); got != http.StatusBadRequest {
			t.Errorf("no file: %d", got)
		}

		// The good file saves every figure.
		provider.expectPost("/locations/vacancies/upload", nil, http.StatusBadRequest) // a plain form carries no file
		got, body = provider.postFile("/locations/vacancies/upload", "vacancies.csv", csvOf(rows), nil)
		if got != http.StatusOK || !strings.Contains(body, idStr(int64(len(rows)-1))+" vacancy figures saved from vacancies.csv") {
			t.Errorf("good file: %d\n%s", got, errorSummary(body))
		}
		if n := saved(); n != len(rows)-1 {
			t.Errorf("%d vacancies saved, want %d", n, len(rows)-1)
		}
		for _, r := range provider.readTemplate()[1:] {
			if r[3] != "2" {
				t.Errorf("template after the upload: %v", r)
			}
		}
		// Council staff have no upload form on the list.
		admin.page("/locations", "!Update vacancies from a spreadsheet")
	})
}

// The stale age is the server's setting.
func TestWebStaleAfter(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newCQCEnv(t, db, func(s *Server) { s.StaleAfter = 2 * time.Hour })
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		admin.importFixture("directory_v1.csv", http.StatusOK)
		seaview := e.locationID("1-1000000001")
		realNow := db.Now
		db.Now = func() time.Time { return realNow().Add(-3 * time.Hour) }
		err := db.SetVacancy(e.kent, &market.Vacancy{LocationID: seaview.ID, ServiceType: seaview.ServiceTypes[0], Vacancies: 1})
		db.Now = realNow
		if err != nil {
			t.Fatal(err)
		}
		admin.page("/locations/"+idStr(seaview.ID), "Figures not updated for more than 2 hours", "govuk-tag--orange\">Stale</strong></td>")

		other := newCQCEnvOn(t, db)
		c := other.signIn(other.kent, caremarket.RoleAdmin, 0)
		c.page("/locations/"+idStr(seaview.ID), "Figures not updated for more than 7 days", "!govuk-tag--orange\">Stale</strong></td>")
	})
}

// newCQCEnvOn is a second server, with the default settings, on the same
// database and council.
func newCQCEnvOn(t testing.TB, db *storage.DB) *webEnv {
	t.Helper()
	c, err := db.CouncilBySlug(t.Context(), "kent")
	if err != nil {
		t.Fatal(err)
	}
	e := &webEnv{t: t, db: db, kent: caremarket.NewContext(t.Context(), caremarket.SystemActor(c.ID, c.Slug)), userCounter: 100}
	e.srv = webServer(t, db, nil)
	return e
}

func TestStaleAfterWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		market.StaleAfter: "7 days", 24 * time.Hour: "1 day", 36 * time.Hour: "36 hours", time.Hour: "1 hour", 90 * time.Minute: "2 hours", 10 * time.Minute: "10 minutes",
	} {
		if got := staleAfterWords(d); got != want {
			t.Errorf("staleAfterWords(%v) = %q, want %q", d, got, want)
		}
	}
}

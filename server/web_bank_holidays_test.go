package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestAPIBankHolidays: everyone reads the calendar; admins add and remove
// the council's own days; the shipped days cannot be removed; another
// council is not affected. Every answer matches server/openapi/*.json.
func TestAPIBankHolidays(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		const path = "/api/v1/bank-holidays"
		days := func(tok, query string) map[string]string {
			t.Helper()
			r := f.must(t, http.StatusOK, apiReq{method: "GET", path: path + query, token: tok})
			out := map[string]string{}
			for _, it := range r.body["items"].([]any) {
				m := it.(map[string]any)
				out[m["date"].(string)] = m["source"].(string)
			}
			return out
		}
		all := days(f.broker, "")
		if all["2016-01-01"] != "england_and_wales" || all["2030-12-26"] != "england_and_wales" || len(all) < 120 {
			t.Fatalf("shipped days: %d, 2016-01-01 %q, 2030-12-26 %q", len(all), all["2016-01-01"], all["2030-12-26"])
		}
		if y := days(f.alphaPU, "?year=2025"); len(y) != 8 || y["2025-08-25"] != "england_and_wales" {
			t.Errorf("2025: %v", y)
		}
		f.must(t, http.StatusBadRequest, apiReq{method: "GET", path: path + "?year=twenty", token: f.broker})

		add := map[string]any{"date": "2025-08-28", "name": "County day of mourning"}
		f.must(t, http.StatusForbidden, apiReq{method: "POST", path: path, token: f.commissioner, body: add})
		r := f.must(t, http.StatusCreated, apiReq{method: "POST", path: path, token: f.admin, body: add})
		if r.body["source"] != "council" || r.body["date"] != "2025-08-28" || r.body["name"] != "County day of mourning" {
			t.Errorf("added: %v", r.body)
		}
		f.must(t, http.StatusConflict, apiReq{method: "POST", path: path, token: f.admin, body: add})
		f.must(t, http.StatusConflict, apiReq{method: "POST", path: path, token: f.admin, body: map[string]any{"date": "2025-12-25", "name": "Christmas"}})
		if r := f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: path, token: f.admin, body: map[string]any{"date": "2025-08-30", "name": "Saturday"}}); !strings.Contains(r.errField("date"), "weekend") {
			t.Errorf("weekend: %s", r.raw)
		}
		if r := f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: path, token: f.admin, body: map[string]any{"date": "2025-09-01", "name": " "}}); r.errField("name") == "" {
			t.Errorf("no name: %s", r.raw)
		}
		f.must(t, http.StatusBadRequest, apiReq{method: "POST", path: path, token: f.admin, body: map[string]any{"date": "2025-02-30", "name": "No such day"}})
		if got := days(f.alphaPU, "?year=2025"); len(got) != 9 || got["2025-08-28"] != "council" {
			t.Errorf("after adding: %v", got)
		}
		surrey := f.must(t, http.StatusOK, apiReq{method: "GET", path: path + "?year=2025", token: f.surreyCommissioner})
		if n := len(surrey.body["items"].([]any)); n != 8 {
			t.Errorf("Surrey sees %d days in 2025, want 8", n)
		}

		f.must(t, http.StatusForbidden, apiReq{method: "DELETE", path: path + "/2025-08-28", token: f.commissioner})
		f.must(t, http.StatusConflict, apiReq{method: "DELETE", path: path + "/2025-08-25", token: f.admin})
		f.must(t, http.StatusNotFound, apiReq{method: "DELETE", path: path + "/2025-08-29", token: f.admin})
		f.must(t, http.StatusNotFound, apiReq{method: "DELETE", path: path + "/yesterday", token: f.admin})
		if r := f.must(t, http.StatusOK, apiReq{method: "DELETE", path: path + "/2025-08-28", token: f.admin}); r.body["name"] != "County day of mourning" {
			t.Errorf("removed: %v", r.body)
		}
		if got := days(f.broker, "?year=2025"); len(got) != 8 {
			t.Errorf("after removing: %v", got)
		}
	})
}

// TestAPIUpdateLot: PUT /api/v1/lots/{id} changes a lot with the law
// checked (PA 2023 s.45(4)); roles and councils are enforced.
func TestAPIUpdateLot(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		a := createTestAgreement(t, db, f.kent, f.thanet.ID)
		lot := a.Lots[0]
		path := "/api/v1/lots/" + idOf(lot.ID)
		body := map[string]any{"title": "Homecare, all Kent", "service_types": []string{"homecare", "supported_living"},
			"area_ids": []int64{f.thanet.ID, f.dover.ID}, "provider_cap": 20, "call_off": "direct_award", "ranking": []string{"price", "quality"}}
		f.must(t, http.StatusForbidden, apiReq{method: "PUT", path: path, token: f.broker, body: body})
		f.must(t, http.StatusNotFound, apiReq{method: "PUT", path: path, token: f.surreyCommissioner, body: body})
		f.must(t, http.StatusNotFound, apiReq{method: "PUT", path: "/api/v1/lots/999999", token: f.commissioner, body: body})
		r := f.must(t, http.StatusBadRequest, apiReq{method: "PUT", path: path, token: f.commissioner, body: body})
		if !strings.Contains(r.errField("call_off_terms")+r.errField("mechanism"), "s.45(4)") {
			t.Errorf("direct award without terms: %s", r.raw)
		}
		body["call_off_terms"], body["mechanism"] = "Kent homecare call-off terms", "Lowest price, then highest quality score"
		r = f.must(t, http.StatusOK, apiReq{method: "PUT", path: path, token: f.commissioner, body: body})
		if r.body["number"] != float64(1) || r.body["provider_cap"] != float64(20) || r.body["call_off"] != "direct_award" {
			t.Errorf("saved: %v", r.body)
		}
		body["area_ids"] = []int64{f.woking.ID}
		f.must(t, http.StatusBadRequest, apiReq{method: "PUT", path: path, token: f.commissioner, body: body})
		back, err := db.Agreement(f.kent, a.ID)
		if err != nil || len(back.Lots) != 1 || len(back.Lots[0].AreaIDs) != 2 || back.Lots[0].Mechanism == "" {
			t.Fatalf("read back: %+v %v", back, err)
		}
	})
}

// createTestAgreement creates, acting as ctx, an open framework under PA
// 2023 with one lot, in areaID, called off by mini-competition.
func createTestAgreement(t testing.TB, db *storage.DB, ctx context.Context, areaID int64) *procurement.Agreement {
	t.Helper()
	a := &procurement.Agreement{Reference: "AAHC-2027", Title: "All Age Home Care", Type: procurement.OpenFramework, Regime: procurement.PA2023,
		AnnualValuePence: 8_970_000_000, LifetimeValuePence: 80_700_000_000, Start: procurement.Date(2025, 8, 1), End: procurement.Date(2033, 7, 31),
		Reopenings: []time.Time{procurement.Date(2028, 7, 31), procurement.Date(2031, 7, 31)},
		Lots: []procurement.Lot{{Number: 1, Title: "Homecare Thanet", ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: []int64{areaID},
			CallOff: procurement.MiniCompetition}}}
	if err := db.CreateAgreement(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestWebBankHolidays: an admin adds and removes a day on the admin page,
// with the GOV.UK date input and error summary; others cannot use it.
func TestWebBankHolidays(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		comm := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		admin.page("/", `href="/admin/bank-holidays"`)
		if _, body := comm.get("/"); strings.Contains(body, `href="/admin/bank-holidays"`) {
			t.Error("a commissioner is offered the bank holidays page")
		}
		comm.expectPage("/admin/bank-holidays", http.StatusForbidden)
		admin.page("/admin/bank-holidays", "Add a bank holiday", `id="year-2030"`, "Thursday 25 December 2025", "Christmas Day", "England and Wales")

		form := url.Values{"name": {"County day of mourning"}}
		dateForm(form, "date", time.Date(2025, 8, 28, 0, 0, 0, 0, time.UTC))
		comm.expectPost("/admin/bank-holidays", form, http.StatusForbidden)
		admin.expectPost("/admin/bank-holidays", url.Values{"name": {"Half"}, "date-day": {"28"}, "date-year": {"2025"}}, http.StatusBadRequest,
			"There is a problem", `href="#date"`, "Date must include a month", `value="Half"`)
		admin.expectPost("/admin/bank-holidays", url.Values{}, http.StatusBadRequest, "Enter the date of the holiday", "Enter the name of the holiday")
		sat := url.Values{"name": {"Saturday"}}
		dateForm(sat, "date", time.Date(2025, 8, 30, 0, 0, 0, 0, time.UTC))
		admin.expectPost("/admin/bank-holidays", sat, http.StatusBadRequest, "is a weekend")
		admin.expectPost("/admin/bank-holidays", form, http.StatusOK, "County day of mourning (Thursday 28 August 2025) has been added",
			"Added by the council", `action="/admin/bank-holidays/2025-08-28/remove"`)
		admin.expectPost("/admin/bank-holidays", form, http.StatusConflict, "There is a problem", "already a holiday")

		comm.expectPost("/admin/bank-holidays/2025-08-28/remove", nil, http.StatusForbidden)
		admin.expectPost("/admin/bank-holidays/2025-08-25/remove", nil, http.StatusConflict, "cannot be removed")
		body := admin.expectPost("/admin/bank-holidays/2025-08-28/remove", nil, http.StatusOK, "Thursday 28 August 2025 has been removed")
		if strings.Contains(body, "Added by the council") {
			t.Error("the removed day is still listed as the council's")
		}
	})
}

// TestWebEditLot: a commissioner changes a lot through the form; the law's
// messages show in the error summary.
func TestWebEditLot(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		a := createTestAgreement(t, db, e.kent, e.thanet.ID)
		comm := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		broker := e.signIn(e.kent, caremarket.RoleBroker, 0)
		lotPath := "/agreements/" + idOf(a.ID) + "/lots/" + idOf(a.Lots[0].ID) + "/edit"
		comm.page("/agreements/"+idOf(a.ID), `href="`+lotPath+`"`)
		comm.page(lotPath, "Change lot 1", `value="Homecare Thanet"`, "Save changes")
		broker.expectPage(lotPath, http.StatusForbidden)
		comm.expectPage("/agreements/"+idOf(a.ID)+"/lots/999999/edit", http.StatusNotFound)

		form := url.Values{"number": {"1"}, "title": {"Homecare East Kent"}, "service_types": {"homecare"}, "area_ids": {idOf(e.thanet.ID), idOf(e.dover.ID)},
			"provider_cap": {"15"}, "call_off": {"direct_award"}, "ranking-1": {"price"}}
		comm.expectPost(lotPath, form, http.StatusBadRequest, "There is a problem", "s.45(4)", `value="Homecare East Kent"`)
		form.Set("call_off_terms", "Kent call-off terms")
		form.Set("mechanism", "Lowest price first")
		comm.expectPost(lotPath, form, http.StatusOK, "The changes to lot 1 have been saved", "Homecare East Kent", "15")
		back, err := db.Agreement(e.kent, a.ID)
		if err != nil || back.Lots[0].ProviderCap != 15 || len(back.Lots[0].AreaIDs) != 2 || back.Lots[0].CallOff != procurement.DirectAward {
			t.Fatalf("read back: %+v %v", back.Lots, err)
		}
	})
}

package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// openWindow sets up, in the API fixture's council, an open framework with
// one lot and a window whose deadline is 40 minutes away, with one
// submitted application from Alpha Care.
func openWindow(t testing.TB, f *apiFixture, now time.Time) (w *procurement.Window, lotID, appID int64) {
	t.Helper()
	as := func(role caremarket.Role, providerID int64) context.Context {
		a := caremarket.ActorFrom(f.kent)
		u := &access.User{Email: fmt.Sprintf("window-%s@%s.example", role, a.CouncilSlug), Role: role, ProviderID: providerID}
		if err := f.db.CreateUser(f.kent, u); err != nil {
			t.Fatal(err)
		}
		u.CouncilID, u.CouncilSlug = a.CouncilID, a.CouncilSlug
		return caremarket.NewContext(context.Background(), u.Actor())
	}
	comm, prov := as(caremarket.RoleCommissioner, 0), as(caremarket.RoleProvider, f.alpha.ID)
	ag := &procurement.Agreement{Reference: "AAHC-2027", Title: "All Age Home Care", Type: procurement.OpenFramework, Regime: procurement.PA2023,
		AnnualValuePence: 8_970_000_000, LifetimeValuePence: 80_700_000_000,
		Start: procurement.Date(2025, 8, 1), End: procurement.Date(2033, 7, 31), Reopenings: []time.Time{procurement.Date(2028, 7, 31), procurement.Date(2031, 7, 31)},
		Lots: []procurement.Lot{{Number: 1, Title: "Nursing Thanet", ServiceTypes: []market.ServiceType{market.Nursing}, AreaIDs: []int64{f.thanet.ID},
			CallOff: procurement.DirectAward, Ranking: []procurement.RankBy{procurement.RankPrice}, CallOffTerms: "Terms", Mechanism: "Price"}}}
	if err := f.db.CreateAgreement(comm, ag); err != nil {
		t.Fatal(err)
	}
	lotID = ag.Lots[0].ID
	w = &procurement.Window{AgreementID: ag.ID, Kind: procurement.Tender, Title: "First framework", Opens: now.Add(-24 * time.Hour),
		Deadline: now.Add(40 * time.Minute), LotIDs: []int64{lotID}, Questions: []procurement.Question{{Kind: procurement.Selection, Text: "CQC registration"}}}
	if err := f.db.CreateWindow(comm, w); err != nil {
		t.Fatal(err)
	}
	app := &procurement.Application{WindowID: w.ID, LotIDs: []int64{lotID}, Answers: []procurement.Answer{{QuestionID: w.Questions[0].ID, Text: "Registered"}}}
	if err := f.db.SaveApplication(prov, app); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SubmitApplication(prov, app.ID); err != nil {
		t.Fatal(err)
	}
	return w, lotID, app.ID
}

// TestNoAwardBeforeTheDeadline is the penetration test's case: a window 40
// minutes from its deadline ("status":"open") took an award notice. Now the
// award and the notice are 409 with the deadline named, in the API and on
// the web; an admin may not moderate.
func TestNoAwardBeforeTheDeadline(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		now := time.Now().Truncate(time.Second)
		db.Now = func() time.Time { return now }
		f := newAPIFixture(t, db)
		w, lotID, appID := openWindow(t, f, now)
		win := "/api/v1/windows/" + idOf(w.ID)
		if status := f.must(t, 200, apiReq{method: "GET", path: win, token: f.commissioner}).body["status"]; status != "open" {
			t.Errorf("window status %v, want open", status)
		}
		wantMsg := "awards and the award notice must wait until the deadline has passed"
		resp := f.must(t, http.StatusConflict, apiReq{method: "POST", path: win + "/awards", token: f.commissioner,
			body: map[string]any{"lot_id": lotID, "application_ids": []int64{appID}}})
		if !strings.Contains(resp.errMessage(), wantMsg) {
			t.Errorf("award: %s", resp.raw)
		}
		resp = f.must(t, http.StatusConflict, apiReq{method: "POST", path: win + "/award-notice", token: f.commissioner})
		if !strings.Contains(resp.errMessage(), wantMsg) {
			t.Errorf("notice: %s", resp.raw)
		}
		// Only the window's moderator or a commissioner moderates.
		mod := map[string]any{"application_id": appID, "question_id": w.Questions[0].ID, "pass": true, "reason": "Agreed"}
		resp = f.must(t, http.StatusForbidden, apiReq{method: "POST", path: "/api/v1/moderations", token: f.admin, body: mod})
		if !strings.Contains(resp.errMessage(), "Only the window's moderator or a commissioner") {
			t.Errorf("admin moderation: %s", resp.raw)
		}

		// The web says the same.
		srv := httptest.NewServer(f.srv)
		defer srv.Close()
		f.srv.InsecureCookies = true
		c := signInAs(t, f, srv.URL, caremarket.RoleCommissioner)
		f.srv.Now = func() time.Time { return now }
		c.expectPage("/windows/"+idOf(w.ID)+"/awards", http.StatusOK, "Applications to this window close at")
		status, body := c.post("/windows/"+idOf(w.ID)+"/award-notice", url.Values{})
		if status != http.StatusConflict || !strings.Contains(body, wantMsg) {
			t.Errorf("web notice: status %d, want 409 with the deadline\n%.2000s", status, body)
		}

		// After the deadline the award goes through (the application is
		// not moderated yet, so the award itself is refused for that).
		now = w.Deadline.Add(time.Second)
		resp = f.must(t, http.StatusConflict, apiReq{method: "POST", path: win + "/awards", token: f.commissioner,
			body: map[string]any{"lot_id": lotID, "application_ids": []int64{appID}}})
		if strings.Contains(resp.errMessage(), wantMsg) {
			t.Errorf("after the deadline: %s", resp.raw)
		}
	})
}

// signInAs creates a user of role in the fixture's council and signs in
// through the form.
func signInAs(t testing.TB, f *apiFixture, base string, role caremarket.Role) *webClient {
	t.Helper()
	a := caremarket.ActorFrom(f.kent)
	u := &access.User{Email: fmt.Sprintf("web-%s@%s.example", role, a.CouncilSlug), Role: role, PasswordHash: webPasswordHash()}
	if err := f.db.CreateUser(f.kent, u); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &webClient{t: t, base: base, email: u.Email, http: &http.Client{Jar: jar}}
	_, body := c.get("/sign-in")
	c.csrf = csrfIn(t, body)
	status, body := c.post("/sign-in", url.Values{"email": {u.Email}, "password": {webPassword}})
	if status != http.StatusOK || !strings.Contains(body, "You are signed in as") {
		t.Fatalf("sign in: %d\n%s", status, body)
	}
	c.csrf = csrfIn(t, body)
	return c
}

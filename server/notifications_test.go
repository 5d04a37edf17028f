package server

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func TestNotificationChoicesAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		r := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/me/notifications", token: f.alphaPU})
		if items := r.body["items"].([]any); len(items) != 4 || items[0].(map[string]any)["enabled"] != true {
			t.Fatalf("a provider's choices = %s", r.raw)
		}
		f.must(t, 400, apiReq{method: "PUT", path: "/api/v1/me/notifications", token: f.alphaPU, body: map[string]any{}})
		f.must(t, 400, apiReq{method: "PUT", path: "/api/v1/me/notifications", token: f.alphaPU, body: map[string]any{"on": []string{"alert"}}})
		r = f.must(t, 200, apiReq{method: "PUT", path: "/api/v1/me/notifications", token: f.alphaPU, body: map[string]any{"on": []string{"award"}}})
		for _, it := range r.body["items"].([]any) {
			c := it.(map[string]any)
			if (c["kind"] == "award") != (c["enabled"] == true) {
				t.Errorf("after choosing awards only: %v", c)
			}
		}
		if r := f.must(t, 200, apiReq{method: "GET", path: "/api/v1/me/notifications", token: f.broker}); r.body["total"] != float64(0) {
			t.Errorf("a broker has no emails: %s", r.raw)
		}
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/outbox?status=pending", token: f.admin})
		f.must(t, 400, apiReq{method: "GET", path: "/api/v1/outbox?status=lost", token: f.admin})
		f.must(t, 403, apiReq{method: "GET", path: "/api/v1/outbox", token: f.commissioner})
	})
}

func TestNotificationPages(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		p := e.signIn(e.kent, caremarket.RoleProvider, e.acorn.ID)
		p.expectPage("/account/notifications", http.StatusOK, "New offers of a placement", "Invitations to bid")
		if status, body := p.post("/account/notifications", url.Values{"kinds": {"award"}}); status != http.StatusOK {
			t.Fatalf("saving choices: %d\n%s", status, body)
		}
		body := p.expectPage("/account/notifications", http.StatusOK)
		checkBody(t, "choices", body, `value="award" checked`, `!value="offer_new" checked`)
		admin := e.signIn(e.kent, caremarket.RoleAdmin, 0)
		admin.expectPage("/admin/notifications?status=failed", http.StatusOK, "No emails found")
		e.signIn(e.kent, caremarket.RoleBroker, 0).expectPage("/admin/notifications", http.StatusForbidden)
	})
}

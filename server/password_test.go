package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestPasswordChangeRefusesWeakPasswords: the penetration test's accepted
// passwords are refused with a message, a good one is taken.
func TestPasswordChangeRefusesWeakPasswords(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		c := e.signIn(e.kent, caremarket.RoleBroker, 0)
		for pw, want := range map[string]string{
			strings.Repeat(" ", 12): "only spaces",
			"password1234":          "too common",
			"123456789012":          "too common",
			c.email:                 "email address",
			"caremarket-demo":       "name of this service",
			"short":                 "12 characters or more",
		} {
			status, body := c.post("/account/password", url.Values{"current_password": {webPassword}, "password": {pw}, "confirm": {pw}})
			if status != http.StatusBadRequest || !strings.Contains(body, want) {
				t.Errorf("password %q: status %d, want 400 with %q", pw, status, want)
			}
		}
		pw := "walnut tractor velvet"
		if status, _ := c.post("/account/password", url.Values{"current_password": {webPassword}, "password": {pw}, "confirm": {pw}}); status != http.StatusOK {
			t.Errorf("a good password: status %d, want 200 after the redirect", status)
		}
	})
}

package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestTwoServersOneDatabase runs two servers, each with its own connection
// pool, on one PostgreSQL database, as two instances behind a council's
// load balancer would: both start (and migrate) at once; a person signs in
// on one and carries on on the other, forms included; signing out on one
// signs out on both.
func TestTwoServersOneDatabase(t *testing.T) {
	dsn := storagetest.PostgresSchema(t)
	var dbs [2]*storage.DB
	var errs [2]error
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := storage.Open(context.Background(), storage.Config{DatabaseURL: dsn})
			if err == nil {
				_, err = db.Migrate(context.Background())
			}
			dbs[i], errs[i] = db, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("server %d could not start: %v", i+1, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	if pending, err := dbs[1].PendingMigrations(context.Background()); err != nil || pending != 0 {
		t.Fatalf("after two simultaneous starts: %d migrations pending, %v", pending, err)
	}

	e := newWebEnv(t, dbs[0]) // server one
	two := New(dbs[1], slog.New(slog.NewTextHandler(io.Discard, nil)))
	two.InsecureCookies = true
	srv2 := httptest.NewServer(two)
	t.Cleanup(srv2.Close)

	admin := e.signIn(e.kent, caremarket.RoleAdmin, 0) // on server one
	one := admin.base
	admin.base = srv2.URL
	admin.expectPage("/admin/bank-holidays", http.StatusOK, "Bank holidays")
	status, body := admin.post("/admin/bank-holidays", url.Values{"date-day": {"7"}, "date-month": {"12"}, "date-year": {"2026"}, "name": {"County day"}})
	if status != http.StatusOK {
		t.Fatalf("a form posted to server two with server one's session: %d\n%s", status, body)
	}
	admin.base = one
	admin.expectPage("/admin/bank-holidays", http.StatusOK, "County day")

	// Wrong passwords spread across both servers count together: the
	// throttle lives in the database.
	jar, _ := cookiejar.New(nil)
	guesser := &webClient{t: t, base: one, http: &http.Client{Jar: jar}}
	_, page := guesser.get("/sign-in")
	guesser.csrf = csrfIn(t, page)
	last := 0
	for i := range 6 {
		guesser.base = []string{one, srv2.URL}[i%2]
		last, _ = guesser.post("/sign-in", url.Values{"email": {admin.email}, "password": {"not the password at all"}})
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the sixth wrong password across two servers: %d, want 429", last)
	}

	admin.base = srv2.URL
	if status, _ := admin.post("/sign-out", nil); status != http.StatusOK {
		t.Fatalf("sign out on server two: %d", status)
	}
	admin.base = one
	if status, body := admin.get("/admin/bank-holidays"); status != http.StatusOK || !containsAll(body, "Sign in") {
		t.Fatalf("after signing out on server two, server one still serves the session: %d", status)
	}
}

func containsAll(body string, want ...string) bool {
	for _, w := range want {
		if !strings.Contains(body, w) {
			return false
		}
	}
	return true
}

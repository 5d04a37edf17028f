package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/storage/storagetest"
)

// FuzzJSONEndpoints sends arbitrary bodies to every API route that takes
// one (POST, PUT, PATCH), as each kind of caller, against the real server
// on a real database: whatever the body, the answer is never a 5xx and is
// always JSON (an error has the one error shape, with a message). The
// seed corpus, run by go test, sends each route an empty object, a broken
// body and a wrong type.
//
//	go test ./server -run XXX -fuzz FuzzJSONEndpoints -fuzztime 60s
func FuzzJSONEndpoints(f *testing.F) {
	fx := newAPIFixture(f, storagetest.SQLite(f))
	var routes []string
	for _, r := range fx.srv.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if strings.HasPrefix(path, "/api/") && slices.Contains([]string{"POST", "PUT", "PATCH"}, method) {
			routes = append(routes, r)
		}
	}
	slices.Sort(routes)
	if len(routes) == 0 {
		f.Fatal("no JSON routes found")
	}
	tokens := []string{fx.admin, fx.commissioner, fx.broker, fx.alphaPU}
	for i := range routes {
		for _, body := range []string{`{}`, `{"name":`, `{"id":"x","name":12,"service_type":"nursing","start_date":"2026-02-30"}`} {
			f.Add(uint8(i), uint8(i%4), uint8(1), body)
		}
	}
	param := regexp.MustCompile(`\{[A-Za-z0-9_.]+\}`)
	f.Fuzz(func(t *testing.T, route, caller, id uint8, body string) {
		method, path, _ := strings.Cut(routes[int(route)%len(routes)], " ")
		path = param.ReplaceAllString(strings.TrimSuffix(path, "{$}"), fmt.Sprint(1+int(id)%4))
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokens[int(caller)%len(tokens)])
		rec := httptest.NewRecorder()
		fx.srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q: %d %s", method, path, body, rec.Code, rec.Body.String())
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil && rec.Code != http.StatusNoContent {
			var list []any
			if json.Unmarshal(rec.Body.Bytes(), &list) != nil {
				t.Fatalf("%s %s with %q: %d, not JSON: %q", method, path, body, rec.Code, rec.Body.String())
			}
		}
		if rec.Code >= 400 {
			e, _ := out["error"].(map[string]any)
			if msg, _ := e["message"].(string); msg == "" {
				t.Fatalf("%s %s with %q: %d without an error message: %s", method, path, body, rec.Code, rec.Body.String())
			}
		}
	})
}

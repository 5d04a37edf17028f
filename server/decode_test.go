package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
)

// FuzzDecodeJSON feeds the API's one JSON reader arbitrary bodies: it must
// never panic, and every refusal must be an invalid-input error (a 400 with a
// message), never an internal one.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Acorn Care","cqc_provider_id":"1-100000001"}`,
		`{"name":`, `[]`, `null`, `{"name":1}`, `{"nmae":"x"}`, `{} {}`, "", `{"rating_date":"2025-02-30"}`,
		`{"service_types":["nursing"],"registered_beds":1e400}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/locations", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in locationInput
		err := decodeJSON(httptest.NewRecorder(), r, &in)
		if err != nil && (caremarket.ErrorCode(err) != caremarket.EINVALID || caremarket.ErrorMessage(err) == "") {
			t.Fatalf("body %q: error %v is not a readable invalid-input error", body, err)
		}
	})
}

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

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// sampleBody builds a value the schema accepts in shape: every required
// property present, one item in every list. Its values need not make sense
// to the handler: the required check runs before the handler does.
func sampleBody(doc map[string]any, schema any, depth int) any {
	m := followRef(doc, schema)
	if m == nil || depth > 8 {
		return "x"
	}
	if enum, ok := m["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	if alts, ok := m["anyOf"].([]any); ok && len(alts) > 0 {
		return sampleBody(doc, alts[0], depth+1)
	}
	typ, _ := m["type"].(string)
	if list, ok := m["type"].([]any); ok {
		for _, t := range list {
			if t != "null" {
				typ, _ = t.(string)
				break
			}
		}
	}
	switch {
	case typ == "object" || m["properties"] != nil:
		obj := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		for _, r := range jsonList(m["required"]) {
			name := r.(string)
			obj[name] = sampleBody(doc, props[name], depth+1)
		}
		return obj
	case typ == "array":
		return []any{sampleBody(doc, m["items"], depth+1)}
	case typ == "integer" || typ == "number":
		return 1
	case typ == "boolean":
		return true
	}
	return "x"
}

// requiredPaths lists the path of every required field in body, as
// checkRequestBody names them: "name", "questions[0].text".
type fieldPath struct {
	name string
	keys []any // string for an object key, int for a list index
}

func requiredPaths(doc map[string]any, schema any, body any, at fieldPath, depth int) []fieldPath {
	m := followRef(doc, schema)
	if m == nil || depth > 8 {
		return nil
	}
	var out []fieldPath
	switch b := body.(type) {
	case map[string]any:
		props, _ := m["properties"].(map[string]any)
		for _, r := range jsonList(m["required"]) {
			name := r.(string)
			p := fieldPath{name: joinPath(at.name, name), keys: append(slices.Clone(at.keys), name)}
			out = append(out, p)
			out = append(out, requiredPaths(doc, props[name], b[name], p, depth+1)...)
		}
	case []any:
		p := fieldPath{name: at.name + "[0]", keys: append(slices.Clone(at.keys), 0)}
		out = append(out, requiredPaths(doc, m["items"], b[0], p, depth+1)...)
	}
	return out
}

// without returns a deep copy of body with the field at keys removed, or set
// to null.
func without(t *testing.T, body any, keys []any, null bool) any {
	raw, _ := json.Marshal(body)
	var cp any
	if err := json.Unmarshal(raw, &cp); err != nil {
		t.Fatal(err)
	}
	cur := cp
	for _, k := range keys[:len(keys)-1] {
		switch k := k.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	last := keys[len(keys)-1].(string)
	if null {
		cur.(map[string]any)[last] = nil
	} else {
		delete(cur.(map[string]any), last)
	}
	return cp
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestRequiredFieldsFromOpenAPI sends, to every operation that takes a JSON
// body, that body with each required field missing and then null: each is
// a 400 naming the field. The list of operations and fields is the merged
// OpenAPI document, so a feature's new endpoint is covered as it is added.
func TestRequiredFieldsFromOpenAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		doc := parseDoc(t)
		checked := 0
		paths := jsonMap(doc["paths"])
		for _, path := range sortedKeys(paths) {
			ops := jsonMap(paths[path])
			for _, method := range sortedKeys(ops) {
				schema := jsonAt(followRef(doc, jsonMap(ops[method])["requestBody"]), "content", "application/json", "schema")
				if schema == nil {
					continue
				}
				target := pathParam.ReplaceAllStringFunc(path, func(p string) string {
					if p == "{date}" {
						return "2026-06-01"
					}
					return "1"
				})
				body := sampleBody(doc, schema, 0)
				for _, fp := range requiredPaths(doc, schema, body, fieldPath{}, 0) {
					for _, null := range []bool{false, true} {
						sent := without(t.(*testing.T), body, fp.keys, null)
						resp := f.do(t, apiReq{method: strings.ToUpper(method), path: target, token: f.admin, body: sent})
						if resp.status != http.StatusBadRequest || resp.errField(fp.name) == "" || !strings.Contains(resp.errMessage(), fp.name) {
							t.Errorf("%s %s without %s (null %v) = %d, want 400 naming it\nsent %v\n%s", strings.ToUpper(method), path, fp.name, null, resp.status, sent, resp.raw)
						}
						checked++
					}
				}
			}
		}
		if checked < 100 {
			t.Errorf("checked only %d missing or null fields: is the document read?", checked)
		}
	})
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestMissingFieldIsNotZero is the report's case: a vacancy update without
// its figure was taken as 0; now it is refused and the figure stays.
func TestMissingFieldIsNotZero(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		vac := "/api/v1/locations/" + idOf(f.alphaHome.ID) + "/vacancies"
		f.must(t, 200, apiReq{method: "PUT", path: vac, token: f.alphaPU, body: map[string]any{"service_type": "nursing", "vacancies": 5}})
		before := f.must(t, 200, apiReq{method: "GET", path: vac, token: f.alphaPU}).raw
		for _, body := range []string{`{"service_type":"nursing"}`, `{"service_type":"nursing","vacancies":null}`} {
			resp := f.must(t, 400, apiReq{method: "PUT", path: vac, token: f.alphaPU, body: body})
			if resp.errField("vacancies") == "" {
				t.Errorf("%s: %s, want a message for vacancies", body, resp.raw)
			}
		}
		if after := f.must(t, 200, apiReq{method: "GET", path: vac, token: f.alphaPU}).raw; string(after) != string(before) {
			t.Errorf("vacancies changed:\n%s\n%s", before, after)
		}
		resp := f.must(t, 400, apiReq{method: "PUT", path: "/api/v1/placements/1/top-up", token: f.broker, body: `{}`})
		if resp.errField("top_up_pence") == "" {
			t.Errorf("empty top-up: %s", resp.raw)
		}
	})
}

// TestRequestBodyFormat: what is not one JSON object of known, single keys,
// sent as JSON, within the size limit, is refused before anything is read.
func TestRequestBodyFormat(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		huge := `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
		tests := []struct {
			name, method, path, body, contentType string
			status                                int
			code, msg, field                      string
		}{
			{"no content type", "POST", "/api/v1/providers", `{"name":"Gamma"}`, "-", 415, "unsupported_media_type", "Content-Type: application/json", ""},
			{"text/plain", "POST", "/api/v1/providers", `{"name":"Gamma"}`, "text/plain", 415, "unsupported_media_type", "Content-Type: application/json", ""},
			{"form to the API", "POST", "/api/v1/providers", `name=Gamma`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", "JSON", ""},
			{"JSON with charset", "POST", "/api/v1/providers", `{"name":"Gamma"}`, "application/json; charset=utf-8", 201, "", "", ""},
			{"duplicate key", "POST", "/api/v1/providers", `{"name":"Gamma","name":"Delta"}`, "", 400, "invalid", `Field "name" is given more than once`, "name"},
			{"duplicate key in another case", "POST", "/api/v1/providers", `{"name":"Gamma","NAME":"Delta"}`, "", 400, "invalid", "more than once", "NAME"},
			{"duplicate nested key", "POST", "/api/v1/price-rounds/1/submissions", `{"prices":[{"location_id":1,"location_id":2}]}`, "", 400, "invalid", "more than once", "prices[0].location_id"},
			{"body over 1 MB", "POST", "/api/v1/providers", huge, "", 413, "too_large", "1024 KB or smaller", ""},
		}
		for _, tt := range tests {
			subtest(t, tt.name, func(t *testing.T) {
				r := apiReq{method: tt.method, path: tt.path, token: f.commissioner, body: tt.body}
				switch tt.contentType {
				case "-":
					r.header = map[string]string{"Content-Type": ""}
				case "":
				default:
					r.header = map[string]string{"Content-Type": tt.contentType}
				}
				before := f.counts(t)
				resp := f.must(t, tt.status, r)
				if tt.status < 300 {
					return
				}
				if resp.errCode() != tt.code || !strings.Contains(resp.errMessage(), tt.msg) {
					t.Errorf("%s\nwant code %s and a message with %q", resp.raw, tt.code, tt.msg)
				}
				if tt.field != "" && resp.errField(tt.field) == "" {
					t.Errorf("%s\nwant a message for field %q", resp.raw, tt.field)
				}
				if after := f.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("a refused request changed rows: %v -> %v", before, after)
				}
			})
		}
	})
}

// TestIDsHaveOneSpelling: "+1" and "01" are not record 1.
func TestIDsHaveOneSpelling(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newAPIFixture(t, db)
		id := idOf(f.alpha.ID)
		f.must(t, 200, apiReq{method: "GET", path: "/api/v1/providers/" + id, token: f.commissioner})
		for _, spelling := range []string{"+" + id, "0" + id, "00" + id, id + ".0", " " + id} {
			f.must(t, 404, apiReq{method: "GET", path: "/api/v1/providers/" + strings.ReplaceAll(spelling, " ", "%20"), token: f.commissioner})
		}
	})
	for _, tt := range []struct {
		in string
		ok bool
	}{{"1", true}, {"42", true}, {"9223372036854775807", true}, {"+1", false}, {"01", false}, {"0", false}, {"-1", false}, {"", false}, {"1e3", false}, {"9223372036854775808", false}} {
		if _, err := parseID(tt.in); (err == nil) != tt.ok {
			t.Errorf("parseID(%q) err = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

// TestLargeFormIs413: a form over the limit is "too large", not a CSRF
// failure (the token could not be read from it).
func TestLargeFormIs413(t *testing.T) {
	s := newTestServer(t)
	body := "email=a%40b.example&password=x&pad=" + strings.Repeat("a", 10<<20)
	r := httptest.NewRequest("POST", "/sign-in", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("10 MB form = %d, want 413\n%.300s", w.Code, w.Body.String())
	}
}

// TestFlashCookieIsSecure: the flash cookie is Secure like the session,
// unless the server is told to send cookies over plain HTTP.
func TestFlashCookieIsSecure(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		rec := httptest.NewRecorder()
		flash(&statusWriter{ResponseWriter: rec, insecureCookies: insecure}, "Saved")
		c := rec.Result().Cookies()
		if len(c) != 1 || c[0].Secure == insecure || !c[0].HttpOnly {
			t.Errorf("insecure %v: cookies %v, want one HttpOnly cookie with Secure %v", insecure, c, !insecure)
		}
	}
}

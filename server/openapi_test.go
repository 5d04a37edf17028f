package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/caremarket/caremarket/storage/storagetest"
)

// The OpenAPI document is written by hand, so these tests keep it honest:
// every API route must be in it, nothing may be in it that is not a route,
// and (through checkResponse, used by api_test.go) every answer the API gives
// in the tests must match the schema the document promises for it.

// docFile is named in failure messages so whoever adds a route knows what to edit.
const docFile = "server/openapi/*.json"

// apiMethods are the HTTP methods an API route may be registered with.
var apiMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// newTestServer builds the real server on a fresh SQLite database, with
// logs discarded (failures show in assertions, not in log noise).
func newTestServer(t testing.TB) *Server {
	t.Helper()
	return New(storagetest.SQLite(t), slog.New(slog.DiscardHandler))
}

// openAPIPath turns a ServeMux path into an OpenAPI one. The two already
// agree on {id}; a trailing {$} (exact match) has no OpenAPI spelling and a
// {rest...} wildcard is a plain parameter there.
func openAPIPath(muxPath string) string {
	p := strings.TrimSuffix(muxPath, "{$}")
	return regexp.MustCompile(`\{([A-Za-z0-9_]+)\.\.\.\}`).ReplaceAllString(p, "{$1}")
}

// apiRoutes returns the method-qualified API routes of s as "METHOD /path",
// and any unqualified ones besides the /api/ catch-all, which cannot be
// described per method and so are a mistake in themselves.
func apiRoutes(s *Server) (routes, unqualified []string) {
	for _, pattern := range s.Routes() {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			if strings.HasPrefix(pattern, "/api/") && pattern != "/api/" {
				unqualified = append(unqualified, pattern)
			}
			continue
		}
		if slices.Contains(apiMethods, method) && strings.HasPrefix(path, "/api") {
			routes = append(routes, method+" "+openAPIPath(path))
		}
	}
	return routes, unqualified
}

// docOperations lists "METHOD /path" for every operation in the document.
func docOperations(t testing.TB, doc map[string]any) []string {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no paths object", docFile)
	}
	var ops []string
	for path, item := range paths {
		obj, ok := item.(map[string]any)
		if !ok {
			t.Errorf("%s: paths[%q] is not an object", docFile, path)
			continue
		}
		for key := range obj {
			if m := strings.ToUpper(key); slices.Contains(append(apiMethods, "HEAD", "OPTIONS", "TRACE"), m) {
				ops = append(ops, m+" "+path)
			}
		}
	}
	sort.Strings(ops)
	return ops
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	s := newTestServer(t)
	doc := parseDoc(t)
	routes, unqualified := apiRoutes(s)
	if len(routes) == 0 {
		t.Fatal("the server registered no API routes: is registerAPI still called from New?")
	}
	for _, p := range unqualified {
		t.Errorf("route %q has no method: register API routes as \"METHOD /path\" so %s can describe them", p, docFile)
	}
	described := docOperations(t, doc)
	for _, r := range routes {
		if !slices.Contains(described, r) {
			method, path, _ := strings.Cut(r, " ")
			t.Errorf("route %s is registered but not described in %s: add paths[%q].%s with its parameters, request body and responses",
				r, docFile, path, strings.ToLower(method))
		}
	}
	for _, op := range described {
		if !slices.Contains(routes, op) {
			t.Errorf("%s describes %s, but the server registers no such route: remove it from %s or register the route", docFile, op, docFile)
		}
	}
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := parseDoc(t)
	if v := doc["openapi"]; v != "3.1.0" {
		t.Errorf(`%s: "openapi" is %v, want "3.1.0"`, docFile, v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Errorf("%s: info needs a title and a version", docFile)
	}
	schemes, _ := jsonAt(doc, "components", "securitySchemes", "bearerAuth").(map[string]any)
	if schemes["type"] != "http" || schemes["scheme"] != "bearer" {
		t.Errorf("%s: components.securitySchemes.bearerAuth must be an http bearer scheme, got %v", docFile, schemes)
	}

	// Every $ref must point at something that exists.
	walkJSON(doc, "#", func(ptr string, obj map[string]any) {
		ref, ok := obj["$ref"].(string)
		if !ok {
			return
		}
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("%s at %s: $ref %q is not local; keep the document self-contained", docFile, ptr, ref)
		} else if resolvePointer(doc, ref) == nil {
			t.Errorf("%s at %s: $ref %q points at nothing", docFile, ptr, ref)
		}
	})

	// Every operation: a unique operationId, responses with a JSON schema
	// each, an error response that uses the one error shape, and its path
	// parameters declared.
	ids := map[string]string{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		pathItem, _ := item.(map[string]any)
		for method, o := range pathItem {
			if !slices.Contains(apiMethods, strings.ToUpper(method)) {
				continue // parameters, summary and the like
			}
			op, _ := o.(map[string]any)
			where := strings.ToUpper(method) + " " + path
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s: %s has no operationId", docFile, where)
			} else if other, dup := ids[id]; dup {
				t.Errorf("%s: operationId %q is used by both %s and %s", docFile, id, other, where)
			}
			ids[id] = where

			declared := map[string]bool{}
			for _, list := range []any{pathItem["parameters"], op["parameters"]} {
				ps, _ := list.([]any)
				for _, p := range ps {
					pm := followRef(doc, p)
					if pm["in"] == "path" {
						declared[fmt.Sprint(pm["name"])] = true
						if pm["required"] != true {
							t.Errorf("%s: %s: path parameter %v must be required", docFile, where, pm["name"])
						}
					}
				}
			}
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: %s: path parameter {%s} is not declared in parameters", docFile, where, m[1])
				}
			}

			responses, _ := op["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s: %s has no responses", docFile, where)
			}
			for status, r := range responses {
				resp := followRef(doc, r)
				if resp["description"] == nil {
					t.Errorf("%s: %s response %s has no description", docFile, where, status)
				}
				schema := jsonAt(resp, "content", "application/json", "schema")
				if schema == nil {
					t.Errorf("%s: %s response %s has no application/json schema", docFile, where, status)
					continue
				}
				if len(status) == 3 && status[0] >= '4' {
					if ref, _ := schema.(map[string]any)["$ref"].(string); ref != "#/components/schemas/Error" {
						t.Errorf("%s: %s response %s must use the one error shape, #/components/schemas/Error", docFile, where, status)
					}
				}
			}
			if strings.HasPrefix(path, "/api/v1/") {
				if _, ok := responses["401"]; !ok {
					t.Errorf("%s: %s needs a 401 response: every /api/v1 route needs a signed-in caller", docFile, where)
				}
			}
		}
	}

	// Every component schema must be a valid JSON Schema 2020-12 schema
	// (the dialect of OpenAPI 3.1); compiling checks it against the meta-schema.
	d := loadDoc(t)
	for name := range jsonAt(doc, "components", "schemas").(map[string]any) {
		if _, err := d.schema("#/components/schemas/" + name); err != nil {
			t.Errorf("%s: components.schemas.%s is not a valid JSON Schema: %v", docFile, name, err)
		}
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	s := newTestServer(t)
	// Anonymous on purpose: tools read the document before they have a token.
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/openapi.json", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.json = %d, want 200", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !bytes.Equal(w.Body.Bytes(), openAPIDoc) {
		t.Error("the served document differs from the embedded openapi.json")
	}
	checkResponse(t, s, "GET", "/api/openapi.json", w.Code, w.Body.Bytes())
}

func parseDoc(t testing.TB) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(openAPIDoc))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s is not valid JSON: %v", docFile, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("%s holds more than one JSON value", docFile)
	}
	return doc
}

// jsonAt walks nested objects by key; nil when any step is missing.
func jsonAt(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// resolvePointer resolves a local JSON pointer like "#/components/schemas/X".
func resolvePointer(doc map[string]any, ref string) any {
	var v any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = m[tok]; !ok {
			return nil
		}
	}
	return v
}

// followRef returns v as an object, through a $ref when it is one.
func followRef(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		m, _ = resolvePointer(doc, ref).(map[string]any)
	}
	return m
}

// walkJSON calls fn on every object in v, with its JSON pointer.
func walkJSON(v any, ptr string, fn func(ptr string, obj map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(ptr, x)
		for k, c := range x {
			walkJSON(c, ptr+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), fn)
		}
	case []any:
		for i, c := range x {
			walkJSON(c, fmt.Sprintf("%s/%d", ptr, i), fn)
		}
	}
}

// apiDoc compiles the document's schemas for checking responses. It is a
// stricter copy of the published document: every object schema that lists
// its properties is closed (additionalProperties: false), so a field the code
// emits but the document does not describe fails the test. The published
// document stays open, so clients tolerate fields added later.
type apiDoc struct {
	raw map[string]any

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

const docURL = "file:///openapi.json"

var (
	docOnce   sync.Once
	sharedDoc *apiDoc
	docErr    error
)

func loadDoc(t testing.TB) *apiDoc {
	t.Helper()
	docOnce.Do(func() {
		var raw map[string]any
		if docErr = json.Unmarshal(openAPIDoc, &raw); docErr != nil {
			return
		}
		strict := map[string]any{}
		json.Unmarshal(openAPIDoc, &strict) // a deep copy to close
		walkJSON(jsonAt(strict, "components", "schemas"), "", func(_ string, obj map[string]any) {
			_, hasProps := obj["properties"].(map[string]any)
			_, open := obj["additionalProperties"]
			if hasProps && !open && obj["type"] == "object" {
				obj["additionalProperties"] = false
			}
		})
		b, _ := json.Marshal(strict)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			docErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat() // date-time fields must really be RFC 3339 times
		if docErr = c.AddResource(docURL, inst); docErr != nil {
			return
		}
		sharedDoc = &apiDoc{raw: raw, compiler: c, compiled: map[string]*jsonschema.Schema{}}
	})
	if docErr != nil {
		t.Fatalf("%s: %v", docFile, docErr)
	}
	return sharedDoc
}

// schema compiles the schema at a local pointer, once.
func (d *apiDoc) schema(ptr string) (*jsonschema.Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.compiled[ptr]; ok {
		return s, nil
	}
	s, err := d.compiler.Compile(docURL + "#" + (&url.URL{Fragment: strings.TrimPrefix(ptr, "#")}).EscapedFragment())
	if err != nil {
		return nil, err
	}
	d.compiled[ptr] = s
	return s, nil
}

// checkResponse fails t unless the document describes the status that the
// route serving method+path answered, and body matches its schema. Paths
// outside the API, and the /api/ catch-all (whose 404 has the error shape),
// are checked as far as they can be.
func checkResponse(t testing.TB, s *Server, method, target string, status int, body []byte) {
	t.Helper()
	u, _ := url.Parse(target)
	if !strings.HasPrefix(u.Path, "/api/") {
		return
	}
	d := loadDoc(t)
	_, pattern := s.mux.Handler(httptest.NewRequest(method, target, nil))
	var ptr string
	if _, path, ok := strings.Cut(pattern, " "); ok {
		path = openAPIPath(path)
		opPtr := "#/paths/" + strings.ReplaceAll(path, "/", "~1") + "/" + strings.ToLower(method)
		op, _ := resolvePointer(d.raw, opPtr).(map[string]any)
		if op == nil {
			t.Errorf("%s %s was served by route %q, which %s does not describe", method, target, pattern, docFile)
			return
		}
		respPtr := opPtr + "/responses/" + fmt.Sprint(status)
		resp, _ := resolvePointer(d.raw, respPtr).(map[string]any)
		if resp == nil {
			t.Errorf("%s %s answered %d, a status %s does not list for %s %s: add it, or fix the code\nbody: %s",
				method, target, status, docFile, strings.ToUpper(method), path, body)
			return
		}
		if ref, ok := resp["$ref"].(string); ok {
			respPtr = ref
		}
		ptr = respPtr + "/content/application~1json/schema"
		if ref, ok := jsonAt(resolvePointer(d.raw, ptr), "$ref").(string); ok {
			ptr = ref
		}
	} else if status >= 400 {
		ptr = "#/components/schemas/Error" // the catch-all, or refused before routing
	} else {
		t.Errorf("%s %s answered %d from unqualified route %q", method, target, status, pattern)
		return
	}
	sch, err := d.schema(ptr)
	if err != nil {
		t.Fatalf("%s: compile %s: %v", docFile, ptr, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s %s answered %d with a body that is not JSON: %v\n%s", method, target, status, err, body)
		return
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s answered %d with a body that does not match %s in %s:\n%v\nbody: %s", method, target, status, ptr, docFile, err, body)
	}
}

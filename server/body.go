package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/caremarket/caremarket"
)

// A request body is checked against what the OpenAPI document promises for
// its route before the handler runs, so every endpoint refuses the same
// things the same way whatever order its handler does its work in:
//   - a body in a format the route does not take is 415;
//   - a JSON body over MaxBodyBytes is 413;
//   - a key given twice in one object is 400 (which one would count?);
//   - a field the document lists as required, missing or null, is 400
//     naming it: a missing number must never silently become 0.
//
// The document is the single list of required fields: a route added with
// its OpenAPI part is checked the day it is added.

// bodySpec is what one operation's requestBody accepts.
type bodySpec struct {
	mediaTypes []string     // e.g. application/json, text/csv
	json       *fieldSchema // the JSON body's schema; nil if none
}

// fieldSchema is the part of a JSON schema the required check needs.
type fieldSchema struct {
	required []string
	props    map[string]*fieldSchema
	items    *fieldSchema
}

var (
	bodySpecsOnce sync.Once
	bodySpecs     map[string]*bodySpec // "METHOD /path" as the document spells it
)

// documentedBodies reads every operation's request body from the merged
// document once.
func documentedBodies() map[string]*bodySpec {
	bodySpecsOnce.Do(func() {
		var doc map[string]any
		if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
			panic(err) // compiled in: the OpenAPI tests catch this first
		}
		bodySpecs = bodySpecsOf(doc)
	})
	return bodySpecs
}

func bodySpecsOf(doc map[string]any) map[string]*bodySpec {
	out := map[string]*bodySpec{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			rb, _ := derefSchema(doc, jsonMap(op)["requestBody"]).(map[string]any)
			content, _ := rb["content"].(map[string]any)
			if content == nil {
				continue
			}
			spec := &bodySpec{}
			for mt, c := range content {
				spec.mediaTypes = append(spec.mediaTypes, mt)
				if mt == "application/json" {
					spec.json = compileSchema(doc, jsonMap(c)["schema"], 0)
				}
			}
			slices.Sort(spec.mediaTypes)
			out[strings.ToUpper(method)+" "+path] = spec
		}
	}
	return out
}

func jsonMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// derefSchema follows local $refs ("#/components/schemas/X").
func derefSchema(doc map[string]any, v any) any {
	for range 20 {
		ref, ok := jsonMap(v)["$ref"].(string)
		if !ok {
			return v
		}
		var cur any = doc
		for _, k := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			k = strings.ReplaceAll(strings.ReplaceAll(k, "~1", "/"), "~0", "~")
			cur = jsonMap(cur)[k]
		}
		v = cur
	}
	return v
}

func compileSchema(doc map[string]any, v any, depth int) *fieldSchema {
	m := jsonMap(derefSchema(doc, v))
	if m == nil || depth > 10 {
		return nil
	}
	fs := &fieldSchema{props: map[string]*fieldSchema{}}
	for _, r := range jsonList(m["required"]) {
		if name, ok := r.(string); ok {
			fs.required = append(fs.required, name)
		}
	}
	for name, p := range jsonMap(m["properties"]) {
		if sub := compileSchema(doc, p, depth+1); sub != nil && (len(sub.required) > 0 || len(sub.props) > 0 || sub.items != nil) {
			fs.props[name] = sub
		}
	}
	if m["items"] != nil {
		if sub := compileSchema(doc, m["items"], depth+1); sub != nil && (len(sub.required) > 0 || len(sub.props) > 0) {
			fs.items = sub
		}
	}
	return fs
}

func jsonList(v any) []any { l, _ := v.([]any); return l }

var restWildcard = regexp.MustCompile(`\{([A-Za-z0-9_]+)\.\.\.\}`)

// operationKey names the route that served r as the OpenAPI document does.
func operationKey(r *http.Request) string {
	method, path, ok := strings.Cut(r.Pattern, " ")
	if !ok {
		return ""
	}
	path = restWildcard.ReplaceAllString(strings.TrimSuffix(path, "{$}"), "{$1}")
	return method + " " + path
}

// checkRequestBody refuses a body the route's document entry does not
// accept, leaving r.Body readable again for the handler.
func checkRequestBody(w http.ResponseWriter, r *http.Request) error {
	spec := documentedBodies()[operationKey(r)]
	if spec == nil || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mt := mediaType(r)
	if !slices.Contains(spec.mediaTypes, mt) {
		if mt == "" && r.ContentLength == 0 {
			return nil // no body at all: the handler says what it needs
		}
		return unsupportedMediaType(spec.mediaTypes)
	}
	if mt != "application/json" {
		return nil // CSV and file uploads set their own limits
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge()
	} else if err != nil {
		return caremarket.Errorf(caremarket.EINVALID, "The request body could not be read")
	}
	if !json.Valid(raw) {
		return nil // decodeJSON says where the syntax is wrong
	}
	if err := duplicateKey(raw); err != nil {
		return err
	}
	if spec.json == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	return spec.json.check(v, "")
}

// mediaType is the request's Content-Type without parameters ("" if none).
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return mt
}

func unsupportedMediaType(accepted []string) error {
	if len(accepted) == 1 && accepted[0] == "application/json" {
		return caremarket.Errorf(caremarket.EMEDIATYPE, "Send the request body as JSON (Content-Type: application/json)")
	}
	return caremarket.Errorf(caremarket.EMEDIATYPE, "Send the request body as one of: %s (in the Content-Type header)", strings.Join(accepted, ", "))
}

func tooLarge() error {
	return caremarket.Errorf(caremarket.ETOOLARGE, "The request body must be %d KB or smaller", MaxBodyBytes/1024)
}

// check reports the first required field that is missing or null, naming
// it by its path in the body ("questions[1].text").
func (fs *fieldSchema) check(v any, at string) error {
	switch v := v.(type) {
	case map[string]any:
		for _, name := range fs.required {
			val, ok := v[name]
			path := joinPath(at, name)
			switch {
			case !ok:
				return &caremarket.Error{Code: caremarket.EINVALID, Message: fmt.Sprintf("Field %q is required", path),
					Fields: map[string]string{path: "This field is required"}}
			case val == nil:
				return &caremarket.Error{Code: caremarket.EINVALID, Message: fmt.Sprintf("Field %q is required and must not be null", path),
					Fields: map[string]string{path: "This field is required and must not be null"}}
			}
		}
		names := make([]string, 0, len(fs.props))
		for name := range fs.props {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if val, ok := v[name]; ok && val != nil {
				if err := fs.props[name].check(val, joinPath(at, name)); err != nil {
					return err
				}
			}
		}
	case []any:
		if fs.items == nil {
			return nil
		}
		for i, item := range v {
			if err := fs.items.check(item, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

// duplicateKey refuses a JSON object that names a key twice (compared as
// encoding/json matches them, ignoring case): the decoder would keep the
// last, the caller may have meant the first. raw must be valid JSON.
func duplicateKey(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return walkKeys(dec, "", 0)
}

func walkKeys(dec *json.Decoder, at string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return nil // the decoder reports syntax; this only looks for twins
	}
	if depth > 100 {
		return caremarket.Errorf(caremarket.EINVALID, "The request body is nested too deeply")
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil
			}
			key, _ := kt.(string)
			path := joinPath(at, key)
			if folded := strings.ToLower(key); seen[folded] {
				return &caremarket.Error{Code: caremarket.EINVALID, Message: fmt.Sprintf("Field %q is given more than once", path),
					Fields: map[string]string{path: "Give this field once"}}
			} else {
				seen[folded] = true
			}
			if err := walkKeys(dec, path, depth+1); err != nil {
				return err
			}
		}
		dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkKeys(dec, fmt.Sprintf("%s[%d]", at, i), depth+1); err != nil {
				return err
			}
		}
		dec.Token()
	}
	return nil
}

// addBodyResponses lists 413 and 415 on every operation that takes a body:
// checkRequestBody answers them for every such route alike.
func addBodyResponses(doc map[string]any) {
	for _, item := range jsonMap(doc["paths"]) {
		for _, op := range jsonMap(item) {
			if jsonMap(op)["requestBody"] == nil {
				continue
			}
			responses := jsonMap(jsonMap(op)["responses"])
			if responses == nil {
				continue
			}
			for status, name := range map[string]string{"413": "TooLarge", "415": "UnsupportedMediaType"} {
				if _, ok := responses[status]; !ok {
					responses[status] = map[string]any{"$ref": "#/components/responses/" + name}
				}
			}
		}
	}
}

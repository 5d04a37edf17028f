package server

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
)

// The OpenAPI document is written by hand in parts: openapi/core.json holds
// the document's head (info, security, shared parameters and responses) and
// the registry's paths; each feature adds its own openapi/NAME.json holding
// only "paths", "tags" and "components" entries. They are merged once at
// start-up, and a name defined twice stops the tests.
//
//go:embed openapi/*.json
var openAPIParts embed.FS

var openAPIDoc = mustMergeOpenAPI(openAPIParts)

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPIDoc)
}

func mustMergeOpenAPI(fsys fs.FS) []byte {
	doc, err := mergeOpenAPI(fsys)
	if err != nil {
		panic(err) // the parts are compiled in: a bad one is a build error
	}
	return doc
}

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	// core.json first: it is the document the others add to.
	slices.SortFunc(names, func(a, b string) int {
		ac, bc := path.Base(a) == "core.json", path.Base(b) == "core.json"
		switch {
		case ac && !bc:
			return -1
		case bc && !ac:
			return 1
		}
		return bytes.Compare([]byte(a), []byte(b))
	})
	var doc map[string]any
	for _, n := range names {
		raw, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("server/%s: %w", n, err)
		}
		if doc == nil {
			doc = part
			continue
		}
		if err := mergeOpenAPIPart(doc, part, n); err != nil {
			return nil, err
		}
	}
	addBodyResponses(doc)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mergeOpenAPIPart(doc, part map[string]any, name string) error {
	for key, v := range part {
		switch key {
		case "paths":
			if err := mergeNames(doc, "paths", v, name); err != nil {
				return err
			}
		case "components":
			comps, _ := v.(map[string]any)
			docComps, _ := doc["components"].(map[string]any)
			for kind, entries := range comps {
				if err := mergeNames(docComps, kind, entries, name); err != nil {
					return err
				}
			}
		case "tags":
			tags, _ := v.([]any)
			doc["tags"] = append(doc["tags"].([]any), tags...)
		default:
			return fmt.Errorf("server/%s: a part may hold only paths, tags and components, not %q", name, key)
		}
	}
	return nil
}

// mergeNames adds the entries of from to into[key], refusing a name that is
// already there.
func mergeNames(into map[string]any, key string, from any, file string) error {
	entries, _ := from.(map[string]any)
	dst, _ := into[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		into[key] = dst
	}
	for name, v := range entries {
		if _, dup := dst[name]; dup {
			return fmt.Errorf("server/%s: %s %q is defined twice", file, key, name)
		}
		dst[name] = v
	}
	return nil
}

// Package ocdstest validates OCDS release packages against the official OCDS
// 1.1.5 JSON schemas (draft-04) kept in procurement/testdata/ocds, with a
// real JSON Schema validator and without the network: the release schema is
// registered under its published $id, which the package schema's $ref names.
package ocdstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schemas' published ids.
const (
	ReleasePackageSchemaURL = "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"
	ReleaseSchemaURL        = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
)

var (
	once    sync.Once
	schema  *jsonschema.Schema
	loadErr error
)

// schemaDir is procurement/testdata/ocds, found from this file's path so any
// package's tests can use it.
func schemaDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "ocds")
}

type noNetwork struct{}

func (noNetwork) Load(url string) (any, error) {
	return nil, fmt.Errorf("ocdstest: refusing to fetch %s: every schema must be registered locally", url)
}

// Schema compiles (once) the release package schema.
func Schema() (*jsonschema.Schema, error) {
	once.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		c.AssertFormat()
		c.UseLoader(noNetwork{})
		for url, file := range map[string]string{ReleasePackageSchemaURL: "release-package-schema.json", ReleaseSchemaURL: "release-schema.json"} {
			f, err := os.Open(filepath.Join(schemaDir(), file))
			if err != nil {
				loadErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(f)
			f.Close()
			if err != nil {
				loadErr = err
				return
			}
			if err := c.AddResource(url, doc); err != nil {
				loadErr = err
				return
			}
		}
		schema, loadErr = c.Compile(ReleasePackageSchemaURL)
	})
	return schema, loadErr
}

// Check validates v (a package struct, or its JSON as []byte) and returns
// the validator's error, nil when there are none.
func Check(v any) error {
	sch, err := Schema()
	if err != nil {
		return err
	}
	b, ok := v.([]byte)
	if !ok {
		if b, err = json.Marshal(v); err != nil {
			return err
		}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// Validate fails the test unless v validates with zero errors.
func Validate(t testing.TB, v any) {
	t.Helper()
	if err := Check(v); err != nil {
		b, _ := json.MarshalIndent(v, "", "  ")
		if raw, ok := v.([]byte); ok {
			b = raw
		}
		t.Fatalf("OCDS package does not validate against the OCDS 1.1.5 schema:\n%v\n%s", err, b)
	}
}

package cqc

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseAPI feeds the CQC API record reader arbitrary files: it never
// panics, and every record it cannot use is reported as an error, never
// returned as a location without its CQC id.
//
//	go test ./market/cqc -run XXX -fuzz FuzzParseAPI -fuzztime 30s
func FuzzParseAPI(f *testing.F) {
	files, _ := filepath.Glob("testdata/api/*/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"locationId":"1-1","providerId":"1-2","name":"x"},{"providerId":"1-2","name":"P"},3,"x"]`))
	f.Add([]byte("\ufeff{\"locationId\": null}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs := ParseAPI("fuzz.json", data)
		if recs == nil {
			t.Fatal("nil records")
		}
		for _, l := range recs.Locations {
			if l == nil {
				t.Fatal("a nil location")
			}
		}
	})
}

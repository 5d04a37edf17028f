package pricing

import (
	"strings"
	"testing"
)

// FuzzParseLegacyCSV feeds the legacy placements reader arbitrary files: it
// never panics, and every line it refuses names its line and reason.
//
//	go test ./pricing -run XXX -fuzz FuzzParseLegacyCSV -fuzztime 30s
func FuzzParseLegacyCSV(f *testing.F) {
	f.Add("home,reference,service_type,band,current_weekly,guide_weekly\nOak House,MOS-1,nursing,standard,1050.00,1100.00\n")
	f.Add("location,ref,service_type,current\n\"a,b\",x,homecare,-1\n,,,\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		_, errs := ParseLegacyCSV(strings.NewReader(s))
		for _, e := range errs {
			if e.Reason == "" {
				t.Fatalf("an error without a reason: %+v", e)
			}
		}
	})
}

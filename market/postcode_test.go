package market

import (
	"strings"
	"testing"
)

// TestNormalizePostcode: the shortcut for postcodes already in normal form
// gives what the full normalisation gives, for every kind of input.
func TestNormalizePostcode(t *testing.T) {
	slow := func(s string) string {
		s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
		if len(s) > 3 {
			s = s[:len(s)-3] + " " + s[len(s)-3:]
		}
		return s
	}
	for _, in := range []string{"", "A", "CT9", "CT9 ", " CT9", "ABC", " ABC", "A 1AA", "CT9 1AA", "ct9 1aa", "CT91AA", "CT9  1AA", "CT9\t1AA",
		"CT9 1AA ", "CT91 AA", "SW1A 1AA", "SW1A1AA", "CT9 1Aa", "CT9\u00a01AA", "ÇT9 1AA", "A B", "AB C", "ABCD", "A BCD", "AB CDE F"} {
		if got, want := NormalizePostcode(in), slow(in); got != want {
			t.Errorf("NormalizePostcode(%q) = %q; want %q", in, got, want)
		}
	}
	if got := testing.AllocsPerRun(100, func() { Outcode("CT9 1AA") }); got != 0 {
		t.Errorf("Outcode of a normal postcode makes %v allocations; want 0", got)
	}
}

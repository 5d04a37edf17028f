package market

import (
	"slices"
	"testing"
)

// An upload's line names its location by CQC id or else by location_id,
// and says what is wrong with either.
func TestLineLocation(t *testing.T) {
	for _, c := range []struct {
		cqc, id  string
		want     int64
		problems []string
	}{
		{cqc: "1-123456789", want: 0},
		{cqc: "1-123456789", id: "x", want: 0}, // the CQC id wins; location_id is not read
		{id: "42", want: 42},
		{id: "0", problems: []string{`location_id "0" is not a location number`}},
		{id: "x", problems: []string{`location_id "x" is not a location number`}},
		{problems: []string{"give the location's cqc_location_id (like 1-123456789) or location_id"}},
		{cqc: "1-12345", problems: []string{`cqc_location_id "1-12345" does not look like 1-123456789`}},
		{cqc: "1-12345678901", want: 0},
		{cqc: "1-123456789012", problems: []string{`cqc_location_id "1-123456789012" does not look like 1-123456789`}},
	} {
		got, problems := LineLocation(c.cqc, c.id)
		if got != c.want || !slices.Equal(problems, c.problems) {
			t.Errorf("LineLocation(%q, %q) = %d, %q; want %d, %q", c.cqc, c.id, got, problems, c.want, c.problems)
		}
	}
}

package procurement

import (
	"math"
	"testing"
)

func TestValuesAreBounded(t *testing.T) {
	for _, tt := range []struct {
		name                    string
		annual, lifetime, soFar int64
		variations              []Variation
		field, want             string
	}{
		{"ordinary", 8_970_000_000, 80_700_000_000, 0, nil, "", ""},
		{"at the bound", MaxValuePence, MaxValuePence, MaxValuePence, nil, "", ""},
		{"over the bound", 1, MaxValuePence + 1, 0, nil, "lifetime_value_pence", "Lifetime value must be at most £10,000,000,000"},
		{"int64's largest", math.MaxInt64, math.MaxInt64, 0, nil, "annual_value_pence", "Annual value must be at most £10,000,000,000"},
		{"negative", -1, 0, 0, nil, "annual_value_pence", "Annual value must be zero or more"},
		{"a variation down", 0, 100, 0, []Variation{{ValueChangePence: -50}}, "", ""},
		{"a huge variation", 0, 100, 0, []Variation{{ValueChangePence: math.MaxInt64}}, "variations.0", "A variation's change in value must be at most £10,000,000,000"},
		{"variations adding up past the bound", 0, MaxValuePence, 0, []Variation{{ValueChangePence: 1}}, "variations", "The lifetime value with its variations must be at most £10,000,000,000"},
	} {
		f := map[string]string{}
		checkValues(f, tt.annual, tt.lifetime, tt.soFar, tt.variations)
		if tt.field == "" && len(f) != 0 || tt.field != "" && f[tt.field] != tt.want {
			t.Errorf("%s: %v, want %s: %q", tt.name, f, tt.field, tt.want)
		}
	}
}

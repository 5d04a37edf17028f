package server

import (
	"net/url"
	"testing"

	"github.com/caremarket/caremarket/market"
)

// A code on its list is read; a blank one is none and no problem; one not
// on the list is none and the field's problem, with the field's message.
func TestListedCodes(t *testing.T) {
	f := readFields(url.Values{"st": {"nursing"}, "rating": {"Great"}, "blank": {""}})
	if got := f.serviceType("st"); got != market.Nursing {
		t.Errorf("service type = %q, want nursing", got)
	}
	if got := f.serviceType("blank"); got != "" {
		t.Errorf("blank service type = %q, want none", got)
	}
	if got := f.rating("rating"); got != "" {
		t.Errorf("unlisted rating = %q, want none", got)
	}
	want := map[string]string{"rating": "Choose a rating from the list"}
	if len(f.errs) != len(want) || f.errs["rating"] != want["rating"] {
		t.Errorf("problems = %v, want %v", f.errs, want)
	}
}

package server

import (
	"encoding/json"
	"time"

	"github.com/caremarket/caremarket"
)

// dateOnly is a calendar date in JSON as "2006-01-02".
type dateOnly struct{ time.Time }

func (d *dateOnly) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return caremarket.Errorf(caremarket.EINVALID, "Dates must be text like \"2025-06-30\"")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return caremarket.Errorf(caremarket.EINVALID, "%q is not a real date: write dates like \"2025-06-30\"", s)
	}
	d.Time = t
	return nil
}

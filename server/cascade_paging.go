package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// cascadePageOf reads the cascade's paging from the query: offset and limit
// (each stage's eligible and excluded lists; stage 3, off contract, is read
// nearest first only as far as offset + limit).
func cascadePageOf(r *http.Request) (brokerage.CascadePage, error) {
	var p brokerage.CascadePage
	fields := map[string]string{}
	read := func(name string, lo, hi int, msg string) int {
		raw := strings.TrimSpace(r.URL.Query().Get(name))
		if raw == "" {
			return 0
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < lo || n > hi {
			fields[name] = msg
		}
		return n
	}
	p.Offset = read("offset", 0, 100_000, "Give offset as a whole number from 0")
	p.Limit = read("limit", 1, brokerage.MaxCascadeLimit, "Give limit as a whole number from 1 to "+strconv.Itoa(brokerage.MaxCascadeLimit))
	if err := caremarket.Invalid(fields); err != nil {
		return p, err
	}
	return p.Normalize(), nil
}

// cascadeShow is how many of each stage the requirement page lists: the
// "Show more" link asks for more (?show=50), up to the most allowed.
func cascadeShow(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("show"))
	if err != nil || n < brokerage.DefaultCascadeLimit {
		return brokerage.DefaultCascadeLimit
	}
	return min(n, brokerage.MaxCascadeLimit)
}

package server

import (
	"net/url"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// TestWebEndPlacement ends a demo placement through its page: without a
// reason the message sits by the end form's own reason field (the price form
// on the same page has one too), then with one the placement ends.
func TestWebEndPlacement(t *testing.T) {
	db, res, srv := demoWeb(t)
	broker := demoSignIn(t, srv.URL, res, caremarket.RoleBroker)
	ctx := demoBroker(res)
	ps, err := db.ListPlacements(ctx, brokerage.PlacementFilter{})
	if err != nil || len(ps) == 0 {
		t.Fatalf("demo placements: %d, %v", len(ps), err)
	}
	page := "/placements/" + idStr(ps[0].ID)
	end := time.Now().AddDate(0, 1, 0)
	form := url.Values{"end_date-day": {end.Format("2")}, "end_date-month": {end.Format("1")}, "end_date-year": {end.Format("2006")}}

	status, body := broker.post(page+"/end", form)
	if status != 400 {
		t.Fatalf("end without a reason: status %d", status)
	}
	checkBody(t, "end without a reason", body, `href="#end_reason"`, `id="end_reason-error"`, `!id="reason-error"`)

	form.Set("end_reason", "Moved to a nursing home nearer family")
	status, body = broker.post(page+"/end", form)
	if status != 200 {
		t.Fatalf("end with a reason: status %d\n%s", status, body)
	}
	checkBody(t, "ended", body, "Placement ended")
	p, err := db.Placement(ctx, ps[0].ID)
	if err != nil || p.EndDate == nil {
		t.Fatalf("placement not ended: %+v %v", p, err)
	}
}

package server

import (
	"net/url"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestWebSeriousConcerns drives the serious-concerns form on a provider's
// page: a commissioner records one (the cascade then passes the provider
// over), the form's errors come back in the error summary, a broker sees the
// concern but cannot record or end one, the provider never sees the section,
// and ending it is recorded.
func TestWebSeriousConcerns(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		page := "/providers/" + idStr(e.acorn.ID)
		comm := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		comm.expectPage(page, 200, "Serious concerns and suspensions", "There are no concerns recorded", "Record the concern")

		tests := []struct {
			name   string
			form   url.Values
			status int
			want   []string
		}{
			{"no reason", url.Values{"kind": {"serious_concerns"}}, 400, []string{"There is a problem", `href="#reason"`, "Enter the reason"}},
			{"unknown kind", url.Values{"kind": {"banished"}, "reason": {"x"}}, 400, []string{`href="#kind"`}},
			{"location not a number", url.Values{"kind": {"suspension"}, "reason": {"x"}, "location_id": {"abc"}}, 400, []string{"Choose a location from the list"}},
			{"another provider's location", url.Values{"kind": {"suspension"}, "reason": {"x"}, "location_id": {idStr(e.birchLodge.ID)}}, 400, nil},
		}
		for _, tt := range tests {
			status, body := comm.post(page+"/concerns", tt.form)
			if status != tt.status {
				t.Errorf("%s: status %d, want %d", tt.name, status, tt.status)
			}
			checkBody(t, tt.name, body, tt.want...)
		}
		concerns := func() []brokerage.Concern {
			cs, err := db.ListConcerns(e.kent, false)
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		if cs := concerns(); len(cs) != 0 {
			t.Fatalf("refused forms saved concerns: %+v", cs)
		}

		status, body := comm.post(page+"/concerns", url.Values{"kind": {"suspension"}, "reason": {"Safeguarding enquiry opened"},
			"location_id": {idStr(e.acornHouse.ID)}})
		if status != 200 {
			t.Fatalf("record concern: status %d\n%s", status, body)
		}
		checkBody(t, "after recording", body, "Concern recorded", "Safeguarding enquiry opened", "Suspension", "Open")
		cs := concerns()
		if len(cs) != 1 || cs[0].LocationID != e.acornHouse.ID || cs[0].EndedAt != nil {
			t.Fatalf("concerns = %+v", cs)
		}

		broker := e.signIn(e.kent, caremarket.RoleBroker, 0)
		broker.expectPage(page, 200, "Safeguarding enquiry opened", "!Record the concern", "!this concern</span></button>")
		if status, _ := broker.post(page+"/concerns", url.Values{"reason": {"x"}}); status != 403 {
			t.Errorf("broker recorded a concern: status %d", status)
		}
		if status, _ := broker.post("/concerns/"+idStr(cs[0].ID)+"/end", nil); status != 403 {
			t.Errorf("broker ended a concern: status %d", status)
		}
		e.signIn(e.kent, caremarket.RoleProvider, e.acorn.ID).expectPage(page, 200, "Acorn House", "!Serious concerns", "!Safeguarding")
		// Another council cannot reach it.
		surrey := e.signIn(e.surrey, caremarket.RoleCommissioner, 0)
		if status, _ := surrey.post("/concerns/"+idStr(cs[0].ID)+"/end", url.Values{"provider_id": {idStr(e.acorn.ID)}}); status != 404 {
			t.Errorf("Surrey ended Kent's concern: status %d", status)
		}

		status, body = comm.post("/concerns/"+idStr(cs[0].ID)+"/end", url.Values{"provider_id": {idStr(e.acorn.ID)}})
		if status != 200 {
			t.Fatalf("end concern: status %d", status)
		}
		checkBody(t, "after ending", body, "Concern ended", "Ended")
		if cs := concerns(); len(cs) != 1 || cs[0].EndedAt == nil {
			t.Errorf("concern not ended: %+v", cs)
		}
	})
}

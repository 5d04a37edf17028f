package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// The broker's daily work in the web UI: the board searched and paged,
// the offer made from a button on the ranked list, withdrawn, extended or
// sent again, urgency and notes.
func (s *Server) registerBrokerWorkflowPages() {
	s.route("POST /requirements/{id}/urgency", s.page(s.urgencyPost))
	s.route("POST /requirements/{id}/notes", s.page(s.notePost))
	s.route("POST /offers/{id}/withdraw", s.page(s.withdrawPost))
	s.route("POST /offers/{id}/extend", s.page(s.extendPost))
	s.route("POST /offers/{id}/resend", s.page(s.resendPost))
	s.route("GET /off-contract/skips", s.page(s.skipsPage))
}

func init() {
	funcs["offerTitle"] = func(v any) string {
		o, ok := v.(*brokerage.Offer)
		if x, isValue := v.(brokerage.Offer); isValue {
			o, ok = &x, true
		}
		if !ok || o == nil || o.Requirement == nil {
			return "Offer of care"
		}
		return brokerage.OfferTitle(o.Requirement.ServiceType, o.LocationName)
	}
}

// boardRow is a requirement on the board with what is happening to it.
type boardRow struct {
	brokerage.Requirement
	Urgency brokerage.Urgency
	Next    string
}

func (s *Server) boardPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Store.ExpireOffers(r.Context()); err != nil {
		return err
	}
	qv := r.URL.Query()
	f := readFields(qv)
	q := brokerage.RequirementQuery{Status: qv.Get("status"), AreaID: f.id("area_id", "Choose a district from the list"),
		ServiceType: f.serviceType("service_type"), Urgent: qv.Get("urgent") == "yes", CaseReference: qv.Get("case_reference")}
	if q.Status == "" {
		q.Status = brokerage.StatusOpen
	}
	if q.Status == "all" {
		q.Status = ""
	}
	pg := f.page()
	q.Page, q.PerPage = pg.Number, 25
	var page *brokerage.RequirementPage
	ferr := f.err()
	if ferr == nil {
		var err error
		if page, err = s.Store.SearchRequirements(r.Context(), q); err != nil && !hasFormErrors(err) {
			return err
		} else if err != nil {
			ferr = err
		}
	}
	if page == nil {
		page = &brokerage.RequirementPage{Page: 1, PerPage: 25}
	}
	rows := make([]boardRow, 0, len(page.Requirements))
	for i, q := range page.Requirements {
		rows = append(rows, boardRow{Requirement: q, Urgency: page.Urgency[i], Next: boardNext(&q)})
	}
	areas, err := s.Store.ListAreas(r.Context())
	if err != nil {
		return err
	}
	status := qv.Get("status")
	if status == "" {
		status = brokerage.StatusOpen
	}
	statuses := []option{{Value: "open", Label: "Open"}, {Value: "placed", Label: "Placed"}, {Value: "cancelled", Label: "Cancelled"}, {Value: "all", Label: "Any status"}}
	filtered := qv.Get("area_id") != "" || qv.Get("service_type") != "" || qv.Get("urgent") != "" || qv.Get("case_reference") != "" || status != "open"
	s.render(w, r, http.StatusOK, "brokerage_board", "Care requirements", map[string]any{"Rows": rows, "Query": qv, "Status": status,
		"Statuses": statuses, "AreaOptions": areaOptions(areas), "ServiceTypeOptions": serviceTypeOptions(), "Filtered": filtered,
		"UrgentOptions": []option{{Value: "yes", Label: "Urgent only"}},
		"Pages":         paginate("/requirements", qv, market.Page{Number: page.Page, PerPage: page.PerPage}, page.Total),
		"CanBroker":     isBroker(caremarket.ActorFrom(r.Context()))}, ferr)
	return nil
}

// boardNext says what is happening to a requirement now.
func boardNext(q *brokerage.Requirement) string {
	switch {
	case q.PendingOffer != nil:
		return fmt.Sprintf("Offered to %s until %s", q.PendingOffer.LocationName, localTime(q.PendingOffer.ExpiresAt, "2 January 2006 15:04", true))
	case q.OpenCompetitionID != 0:
		return "Mini-competition running"
	case q.Status == brokerage.StatusOpen && q.MoveFromPlacementID != 0:
		return "Moving to contract: broker to act"
	case q.Status == brokerage.StatusOpen:
		return "Broker to act"
	case q.Status == brokerage.StatusPlaced:
		return "Placed"
	}
	return "Cancelled"
}

// requirementExtras is what the requirement page shows beyond the view:
// its urgency and notes.
func (s *Server) requirementExtras(r *http.Request, id int64, data map[string]any) error {
	u, err := s.Store.Urgencies(r.Context(), []int64{id})
	if err != nil {
		return err
	}
	data["Urgency"] = u[id]
	// An urgent requirement's offer is short: the form starts at 2 hours.
	if form, ok := data["Form"].(url.Values); ok && r.Method == http.MethodGet && u[id].Urgent {
		form.Set("expires_in_hours", strconv.Itoa(int(brokerage.UrgentOfferExpiry/time.Hour)))
	}
	notes, err := s.Store.Notes(r.Context(), id)
	if err != nil {
		return err
	}
	data["Notes"] = notes
	// The person's details open with a reason, which is logged.
	if reason := brokerage.ViewReason(r.URL.Query().Get("reason")); reason.Valid() {
		if person, err := s.Store.ViewPerson(r.Context(), id, reason); err == nil {
			data["Person"] = person
		}
	} else if _, err := s.Store.Person(r.Context(), id); err == nil {
		data["PersonReasons"] = viewReasonOptions()
	}
	return nil
}

// offerRequest reads the offer form: the location chosen (the button
// pressed), how long it stays open, the cost off contract and the reasons.
func offerRequest(r *http.Request, f *formFields) brokerage.OfferRequest {
	q := brokerage.OfferRequest{LocationID: f.id("location_id", "Choose a location from the list"), OffContractReason: r.PostFormValue("off_contract_reason"),
		SkipReason: r.PostFormValue("skip_reason"),
		ExpiresIn:  time.Duration(f.whole("expires_in_hours", "Enter the hours the offer stays open, like 24")) * time.Hour}
	if raw := strings.TrimSpace(r.PostFormValue("weekly_cost")); raw != "" {
		m, err := money.Parse(raw)
		if err != nil {
			f.fail("weekly_cost_pence", "Enter the weekly cost in pounds, like 1250.00")
		}
		q.WeeklyCost = m
	}
	return q
}

func (s *Server) offerPost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	q := offerRequest(r, f)
	if err := f.err(); err != nil {
		return s.showRequirement(w, r, http.StatusBadRequest, err)
	}
	o, err := b.MakeOffer(r.Context(), id, q)
	if err != nil {
		return reshow(w, r, err, s.showRequirement)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/requirements/%d", id), "Offered to "+o.LocationName)
	return nil
}

// offerAction runs a broker's action on an offer and goes back to its
// requirement; a problem is shown on the requirement's page.
func (s *Server) offerAction(w http.ResponseWriter, r *http.Request, do func(id int64, f *formFields) (*brokerage.Offer, string, error)) error {
	o, err := loadPath(r, pathID, s.Store.Offer)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	done, msg, err := do(o.ID, f)
	if err != nil {
		if !hasFormErrors(err) {
			return err
		}
		r.SetPathValue("id", strconv.FormatInt(o.RequirementID, 10))
		return s.showRequirement(w, r, statusOf(err), err)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/requirements/%d", done.RequirementID), msg)
	return nil
}

func (s *Server) withdrawPost(w http.ResponseWriter, r *http.Request) error {
	return s.offerAction(w, r, func(id int64, f *formFields) (*brokerage.Offer, string, error) {
		o, err := s.Store.WithdrawOffer(r.Context(), id, r.PostFormValue("withdraw_reason"))
		if err != nil {
			return nil, "", err
		}
		return o, "Offer to " + o.LocationName + " withdrawn: choose who to offer it to next", nil
	})
}

func (s *Server) extendPost(w http.ResponseWriter, r *http.Request) error {
	return s.offerAction(w, r, func(id int64, f *formFields) (*brokerage.Offer, string, error) {
		hours := f.whole("extend_hours", "Enter the extra hours as a whole number, like 12")
		if hours == 0 {
			f.fail("extend_hours", "Enter the extra hours as a whole number, like 12")
		}
		if err := f.err(); err != nil {
			return nil, "", err
		}
		o, err := s.Store.ExtendOffer(r.Context(), id, time.Duration(hours)*time.Hour)
		if err != nil {
			return nil, "", err
		}
		return o, fmt.Sprintf("%s now has until %s to answer", o.LocationName, localTime(o.ExpiresAt, "2 January 2006 15:04", true)), nil
	})
}

func (s *Server) resendPost(w http.ResponseWriter, r *http.Request) error {
	return s.offerAction(w, r, func(id int64, f *formFields) (*brokerage.Offer, string, error) {
		q := offerRequest(r, f)
		if err := f.err(); err != nil {
			return nil, "", err
		}
		o, err := s.Store.ResendOffer(r.Context(), id, q)
		if err != nil {
			return nil, "", err
		}
		return o, "Offered again to " + o.LocationName, nil
	})
}

func (s *Server) urgencyPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	u := &brokerage.Urgency{RequirementID: id, Urgent: r.PostFormValue("urgent") == "yes", Reason: r.PostFormValue("urgent_reason")}
	if u.Urgent {
		if d := f.date("needed_by", "Date needed by"); d != nil {
			t, ok := clockTime(*d, r.PostFormValue("needed_by_time"))
			if !ok {
				f.fail("needed_by_time", "Enter the time as hours and minutes, like 14:30")
			}
			u.NeededBy = &t
		}
	}
	if err := f.err(); err != nil {
		return s.showRequirement(w, r, http.StatusBadRequest, err)
	}
	if err := s.Store.SetUrgency(r.Context(), u); err != nil {
		return reshow(w, r, err, s.showRequirement)
	}
	msg := "No longer urgent"
	if u.Urgent {
		msg = "Marked urgent: offers now stay open 2 hours and go first in providers' inboxes"
	}
	redirectWithFlash(w, r, fmt.Sprintf("/requirements/%d", id), msg)
	return nil
}

// clockTime is the London time hh:mm on day d (noon when blank).
func clockTime(d time.Time, hhmm string) (time.Time, bool) {
	hhmm = strings.TrimSpace(hhmm)
	h, m := 12, 0
	if hhmm != "" {
		t, err := time.Parse("15:04", strings.ReplaceAll(hhmm, ".", ":"))
		if err != nil {
			return time.Time{}, false
		}
		h, m = t.Hour(), t.Minute()
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, london), true
}

func (s *Server) notePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.Store.AddNote(r.Context(), id, r.PostFormValue("body")); err != nil {
		return reshow(w, r, err, s.showRequirement)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/requirements/%d#notes", id), "Note added")
	return nil
}

func (s *Server) skipsPage(w http.ResponseWriter, r *http.Request) error {
	if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "This report is for council staff")
	}
	skips, err := s.Store.SkipReports(r.Context(), 200)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "brokerage_skips", "Higher-ranked providers passed over", map[string]any{"Skips": skips}, nil)
	return nil
}

// inboxOrder puts pending offers for urgent requirements first, then the
// other pending offers, then the rest, each group as listed (newest first).
func inboxOrder(os []brokerage.Offer, urg map[int64]brokerage.Urgency) []brokerage.Offer {
	rank := func(o *brokerage.Offer) int {
		switch {
		case o.Status == brokerage.OfferPending && urg[o.RequirementID].Urgent:
			return 0
		case o.Status == brokerage.OfferPending:
			return 1
		}
		return 2
	}
	out := make([]brokerage.Offer, 0, len(os))
	for k := 0; k <= 2; k++ {
		for i := range os {
			if rank(&os[i]) == k {
				out = append(out, os[i])
			}
		}
	}
	return out
}

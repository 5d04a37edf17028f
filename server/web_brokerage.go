package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/money"
)

// registerBrokeragePages registers the brokerage pages: the broker's board
// of requirements and each requirement's cascade; the provider's inbox of
// anonymised offers and mini-competitions; placements; the off-contract
// register and the market-intelligence report.
func (s *Server) registerBrokeragePages() {
	s.route("GET /requirements", s.page(s.boardPage))
	s.route("GET /requirements/new", s.page(s.requirementFormPage))
	s.route("POST /requirements", s.page(s.requirementPost))
	s.route("GET /requirements/{id}", s.page(s.requirementPage))
	s.route("POST /requirements/{id}/offer", s.page(s.offerPost))
	s.route("POST /requirements/{id}/competition", s.page(s.competitionPost))
	s.route("POST /requirements/{id}/cancel", s.page(s.cancelPost))
	s.route("GET /offers", s.page(s.inboxPage))
	s.route("GET /offers/{id}", s.page(s.offerPage))
	s.route("POST /offers/{id}/accept", s.page(s.acceptPost))
	s.route("POST /offers/{id}/decline", s.page(s.declinePost))
	s.route("GET /competitions/{id}", s.page(s.competitionPage))
	s.route("POST /competitions/{id}/bids", s.page(s.bidPost))
	s.route("POST /competitions/{id}/award", s.page(s.awardPost))
	s.route("GET /placements", s.page(s.placementsPage))
	s.route("GET /placements/{id}", s.page(s.placementPage))
	s.route("POST /placements/{id}/price", s.page(s.placementPricePost))
	s.route("POST /placements/{id}/top-up", s.page(s.placementTopUpPost))
	s.route("POST /placements/{id}/end", s.page(s.placementEndPost))
	s.route("POST /placements/{id}/hand-back", s.page(s.placementHandBackPost))
	s.route("GET /off-contract", s.page(s.offContractPage))
	s.route("POST /off-contract/{id}/move", s.page(s.movePost))
	s.route("GET /off-contract/report", s.page(s.reportPage))
	s.registerBrokerWorkflowPages()
}

func isBroker(a *caremarket.Actor) bool { return a.Is(caremarket.RoleBroker, caremarket.RoleAdmin) }

// brokerAndID is the brokerage store and the path id.
func (s *Server) brokerAndID(r *http.Request) (brokerage.Store, int64, error) {
	b, err := s.brokers()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r)
	return b, id, err
}

// brokerEntity is the brokerage store and what get finds by the path id
// (brokerage.Store.Competition, .Placement, ...).
func brokerEntity[T any](s *Server, r *http.Request, get func(brokerage.Store, context.Context, int64) (T, error)) (brokerage.Store, T, error) {
	var zero T
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return nil, zero, err
	}
	v, err := get(b, r.Context(), id)
	if err != nil {
		return nil, zero, err
	}
	return b, v, nil
}

// reshow answers an action's error: a problem with the form shows the page
// again with its messages (show); any other error is returned.
func reshow(w http.ResponseWriter, r *http.Request, err error, show func(http.ResponseWriter, *http.Request, int, error) error) error {
	if hasFormErrors(err) {
		return show(w, r, statusOf(err), err)
	}
	return err
}

func (s *Server) requirementFormPage(w http.ResponseWriter, r *http.Request) error {
	return s.showRequirementForm(w, r, http.StatusOK, url.Values{"method": {string(brokerage.ByDirectAward)}}, nil)
}

func (s *Server) showRequirementForm(w http.ResponseWriter, r *http.Request, status int, form url.Values, ferr error) error {
	if !isBroker(caremarket.ActorFrom(r.Context())) {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "Only brokers record requirements")
	}
	areas, err := s.Store.ListAreas(r.Context())
	if err != nil {
		return err
	}
	methods := []option{{Value: string(brokerage.ByDirectAward), Label: brokerage.ByDirectAward.Label(), Hint: "Offer to the top-ranked provider; a decline or expiry moves to the next"},
		{Value: string(brokerage.ByMiniCompetition), Label: brokerage.ByMiniCompetition.Label(), Hint: "Invite every eligible provider of the stage to bid by a deadline"}}
	s.render(w, r, status, "brokerage_requirement_form", "Record a care requirement", map[string]any{"Form": form, "Areas": areaOptions(areas),
		"ServiceTypes": serviceTypeOptions(), "Methods": methods}, ferr)
	return nil
}

// hoursToMinutes reads hours a week like "10.5" or "10:30".
func hoursToMinutes(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if h, m, ok := strings.Cut(s, ":"); ok {
		hi, err1 := strconv.Atoi(h)
		mi, err2 := strconv.Atoi(m)
		return hi*60 + mi, err1 == nil && err2 == nil && mi >= 0 && mi < 60
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 168 {
		return 0, false
	}
	return int(math.Round(f * 60)), true
}

func (s *Server) requirementPost(w http.ResponseWriter, r *http.Request) error {
	b, err := s.brokers()
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	mins, ok := hoursToMinutes(r.PostFormValue("hours_per_week"))
	if !ok {
		f.fail("hours_per_week", "Enter the hours a week as a number, like 10.5")
	}
	req := &brokerage.Requirement{CaseReference: r.PostFormValue("case_reference"), ServiceType: f.serviceType("service_type"),
		NeedBand: r.PostFormValue("need_band"), MinutesPerWeek: mins, VisitPattern: r.PostFormValue("visit_pattern"),
		AreaID: f.id("area_id", "Choose the district the person lives in"), SpecialistNeeds: r.PostFormValue("specialist_needs"),
		Method: brokerage.Method(r.PostFormValue("method"))}
	f.dateInto(&req.StartDate, "start_date", "Start date")
	p := &brokerage.Person{FullName: r.PostFormValue("full_name"), Address: r.PostFormValue("address"), Postcode: r.PostFormValue("postcode"),
		Phone: r.PostFormValue("phone"), DateOfBirth: f.date("date_of_birth", "Date of birth")}
	f.check(req.Validate(p))
	if err := f.err(); err != nil {
		return s.showRequirementForm(w, r, http.StatusBadRequest, r.PostForm, err)
	}
	if err := b.CreateRequirement(r.Context(), req, p); err != nil {
		if hasFormErrors(err) {
			return s.showRequirementForm(w, r, statusOf(err), r.PostForm, err)
		}
		return err
	}
	redirectWithFlash(w, r, fmt.Sprintf("/requirements/%d", req.ID), "Requirement recorded: now offer it through the cascade")
	return nil
}

func (s *Server) requirementPage(w http.ResponseWriter, r *http.Request) error {
	return s.showRequirement(w, r, http.StatusOK, nil)
}

func (s *Server) showRequirement(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Requirement not found")
	}
	if _, err := b.ExpireOffers(r.Context()); err != nil {
		return err
	}
	show := cascadeShow(r)
	v, err := b.RequirementViewPage(r.Context(), id, brokerage.CascadePage{Limit: show})
	if err != nil {
		return err
	}
	form := r.PostForm
	if form == nil {
		form = url.Values{"expires_in_hours": {"24"}}
		dl := s.Now().Add(48 * time.Hour)
		dateValues(form, "deadline", &dl)
	}
	data := map[string]any{"V": v, "Form": form, "CanBroker": isBroker(caremarket.ActorFrom(r.Context())),
		"NextShow": min(show+brokerage.DefaultCascadeLimit, brokerage.MaxCascadeLimit)}
	if err := s.requirementExtras(r, id, data); err != nil {
		return err
	}
	s.render(w, r, status, "brokerage_requirement", "Requirement "+v.Requirement.CaseReference, data, ferr)
	return nil
}

func (s *Server) competitionPost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	d := f.date("deadline", "Deadline")
	weight := -1
	if strings.TrimSpace(r.PostFormValue("price_weight")) != "" {
		weight = f.whole("price_weight", "Enter the price weight as a whole per cent, like 60")
	}
	if d == nil {
		f.fail("deadline", "Enter the deadline for bids")
	}
	if err := f.err(); err != nil {
		return s.showRequirement(w, r, http.StatusBadRequest, err)
	}
	// Bids close at noon, London time, on the day chosen.
	deadline := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, london)
	c, err := b.StartCompetition(r.Context(), id, deadline, weight)
	if err != nil {
		return reshow(w, r, err, s.showRequirement)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/competitions/%d", c.ID), fmt.Sprintf("Mini-competition started: %d invited", len(c.Invited)))
	return nil
}

func (s *Server) cancelPost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	if err := b.CancelRequirement(r.Context(), id, r.PostFormValue("reason")); err != nil {
		return reshow(w, r, err, s.showRequirement)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/requirements/%d", id), "Requirement cancelled")
	return nil
}

func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) error {
	b, err := s.brokers()
	if err != nil {
		return err
	}
	if _, err := b.ExpireOffers(r.Context()); err != nil {
		return err
	}
	os, err := b.ListOffers(r.Context(), brokerage.OfferFilter{})
	if err != nil {
		return err
	}
	cs, err := b.ListCompetitions(r.Context(), false)
	if err != nil {
		return err
	}
	title := "Offers"
	if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
		title = "Offers inbox"
	}
	var reqIDs []int64
	for _, o := range os {
		reqIDs = append(reqIDs, o.RequirementID)
	}
	urg, err := s.Store.Urgencies(r.Context(), reqIDs)
	if err != nil {
		return err
	}
	offers, pages := pageOf(r, "/offers", inboxOrder(os, urg), 50)
	s.render(w, r, http.StatusOK, "brokerage_inbox", title, map[string]any{"Offers": offers, "Pages": pages, "Urgency": urg, "Competitions": cs, "Now": s.Now()}, nil)
	return nil
}

func (s *Server) offerPage(w http.ResponseWriter, r *http.Request) error {
	return s.showOffer(w, r, http.StatusOK, nil)
}

func (s *Server) showOffer(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	if _, err := b.ExpireOffers(r.Context()); err != nil {
		return err
	}
	o, err := b.Offer(r.Context(), id)
	if err != nil {
		return err
	}
	a := caremarket.ActorFrom(r.Context())
	urg, err := s.Store.Urgencies(r.Context(), []int64{o.RequirementID})
	if err != nil {
		return err
	}
	title := "Offer of care"
	if o.Requirement != nil {
		title = brokerage.OfferTitle(o.Requirement.ServiceType, o.LocationName)
	}
	s.render(w, r, status, "brokerage_offer", title, map[string]any{"Offer": o, "Urgency": urg[o.RequirementID], "CanAnswer": o.Status == brokerage.OfferPending &&
		(a.Role == caremarket.RoleProvider || isBroker(a))}, ferr)
	return nil
}

func (s *Server) acceptPost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	p, err := b.AcceptOffer(r.Context(), id)
	if err != nil {
		return reshow(w, r, err, s.showOffer)
	}
	// Accepting is arranging the placement: the person's details open with
	// that reason, logged.
	redirectWithFlash(w, r, fmt.Sprintf("/placements/%d?reason=%s", p.ID, brokerage.ViewArranging), "Accepted: the placement is yours")
	return nil
}

func (s *Server) declinePost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	if _, err := b.DeclineOffer(r.Context(), id, r.PostFormValue("reason")); err != nil {
		return reshow(w, r, err, s.showOffer)
	}
	redirectWithFlash(w, r, "/offers", "Offer declined")
	return nil
}

func (s *Server) competitionPage(w http.ResponseWriter, r *http.Request) error {
	return s.showCompetition(w, r, http.StatusOK, nil)
}

func (s *Server) showCompetition(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	_, c, err := brokerEntity(s, r, brokerage.Store.Competition)
	if err != nil {
		return err
	}
	a := caremarket.ActorFrom(r.Context())
	form := r.PostForm
	if form == nil {
		form = url.Values{}
		if c.Requirement != nil {
			dateValues(form, "start_date", &c.Requirement.StartDate)
		}
	}
	unit := "a week"
	if c.Requirement != nil && !c.Requirement.ServiceType.IsBedBased() {
		unit = "an hour"
	}
	s.render(w, r, status, "brokerage_competition", "Mini-competition", map[string]any{"C": c, "Closed": c.Closed(s.Now()), "Form": form,
		"IsProvider": a.Role == caremarket.RoleProvider, "CanBroker": isBroker(a), "Unit": unit}, ferr)
	return nil
}

func (s *Server) bidPost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	bid := &brokerage.Bid{CompetitionID: id, LocationID: f.id("location_id", "Choose your location"), Notes: r.PostFormValue("notes")}
	if m, err := money.Parse(r.PostFormValue("price")); err != nil {
		f.fail("price_pence", "Enter your price in pounds, like 1150.00")
	} else {
		bid.Price = m
	}
	f.dateInto(&bid.StartDate, "start_date", "Start date")
	if err := f.err(); err != nil {
		return s.showCompetition(w, r, http.StatusBadRequest, err)
	}
	if err := b.SubmitBid(r.Context(), bid); err != nil {
		return reshow(w, r, err, s.showCompetition)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/competitions/%d", id), "Your bid was received")
	return nil
}

func (s *Server) awardPost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	bidID := f.id("bid_id", "Choose a bid")
	if err := f.err(); err != nil {
		return s.showCompetition(w, r, http.StatusBadRequest, err)
	}
	p, err := b.AwardBid(r.Context(), id, bidID)
	if err != nil {
		return reshow(w, r, err, s.showCompetition)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/placements/%d", p.ID), "Awarded: placement made")
	return nil
}

func (s *Server) placementsPage(w http.ResponseWriter, r *http.Request) error {
	b, err := s.brokers()
	if err != nil {
		return err
	}
	ps, err := b.ListPlacements(r.Context(), brokerage.PlacementFilter{Status: r.URL.Query().Get("status")})
	if err != nil {
		return err
	}
	ps, pages := pageOf(r, "/placements", ps, 50)
	s.render(w, r, http.StatusOK, "brokerage_placements", "Placements", map[string]any{"Placements": ps, "Pages": pages}, nil)
	return nil
}

func (s *Server) placementPage(w http.ResponseWriter, r *http.Request) error {
	return s.showPlacement(w, r, http.StatusOK, nil)
}

func (s *Server) showPlacement(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	b, p, err := brokerEntity(s, r, brokerage.Store.Placement)
	if err != nil {
		return err
	}
	a := caremarket.ActorFrom(r.Context())
	data := map[string]any{"P": p, "CanBroker": isBroker(a), "IsProvider": a.Role == caremarket.RoleProvider, "Now": s.Now()}
	// The person: brokers, and the provider the placement was awarded to,
	// once they say why (each look is logged).
	if reason := brokerage.ViewReason(r.URL.Query().Get("reason")); reason.Valid() {
		if person, err := s.Store.ViewPerson(r.Context(), p.RequirementID, reason); err == nil {
			data["Person"] = person
		}
	} else if _, err := b.Person(r.Context(), p.RequirementID); err == nil {
		data["PersonReasons"] = viewReasonOptions()
	}
	form := r.PostForm
	if form == nil {
		form = url.Values{"notice_days": {strconv.Itoa(brokerage.DefaultHandBackNotice)}, "top_up_payer": {p.TopUpPayer}}
		if p.TopUp > 0 {
			form.Set("top_up", p.TopUp.Plain())
		}
	}
	data["Form"] = form
	s.render(w, r, status, "brokerage_placement", "Placement", data, ferr)
	return nil
}

// placementAction reads a placement form and runs do, showing the form
// again on a problem.
func (s *Server) placementAction(w http.ResponseWriter, r *http.Request, msg string, do func(b brokerage.Store, id int64, f *formFields) error) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	err = do(b, id, f)
	if err == nil {
		redirectWithFlash(w, r, fmt.Sprintf("/placements/%d", id), msg)
		return nil
	}
	return reshow(w, r, err, s.showPlacement)
}

func (s *Server) placementPricePost(w http.ResponseWriter, r *http.Request) error {
	return s.placementAction(w, r, "Weekly cost changed", func(b brokerage.Store, id int64, f *formFields) error {
		c := brokerage.PriceChange{Reason: r.PostFormValue("reason")}
		if m, err := money.Parse(r.PostFormValue("weekly_cost")); err != nil {
			f.fail("weekly_cost_pence", "Enter the new weekly cost in pounds, like 1250.00")
		} else {
			c.WeeklyCost = m
		}
		f.dateInto(&c.EffectiveFrom, "effective_from", "Date the change takes effect")
		if err := f.err(); err != nil {
			return err
		}
		_, err := b.ChangePlacementPrice(r.Context(), id, c)
		return err
	})
}

func (s *Server) placementTopUpPost(w http.ResponseWriter, r *http.Request) error {
	return s.placementAction(w, r, "Top-up recorded", func(b brokerage.Store, id int64, f *formFields) error {
		var amount money.Money
		if raw := strings.TrimSpace(r.PostFormValue("top_up")); raw != "" {
			m, err := money.Parse(raw)
			if err != nil {
				f.fail("top_up_pence", "Enter the weekly top-up in pounds, like 75.00")
			}
			amount = m
		}
		if err := f.err(); err != nil {
			return err
		}
		_, err := b.SetTopUp(r.Context(), id, amount, r.PostFormValue("top_up_payer"))
		return err
	})
}

func (s *Server) placementEndPost(w http.ResponseWriter, r *http.Request) error {
	return s.placementAction(w, r, "Placement ended", func(b brokerage.Store, id int64, f *formFields) error {
		var end time.Time
		f.dateInto(&end, "end_date", "End date")
		if err := f.err(); err != nil {
			return err
		}
		// The end form's reason has a name of its own: the price form on the
		// same page has a reason too, and each error must sit by its field.
		_, err := b.EndPlacement(r.Context(), id, end, r.PostFormValue("end_reason"))
		return renameField(err, "reason", "end_reason")
	})
}

// renameField moves an invalid-input error's message from one field to
// another, for a form whose field is named differently from the domain's.
func renameField(err error, from, to string) error {
	fields := caremarket.ErrorFields(err)
	msg, ok := fields[from]
	if !ok {
		return err
	}
	moved := map[string]string{to: msg}
	for k, v := range fields {
		if k != from {
			moved[k] = v
		}
	}
	return &caremarket.Error{Code: caremarket.ErrorCode(err), Message: caremarket.ErrorMessage(err), Fields: moved}
}

func (s *Server) placementHandBackPost(w http.ResponseWriter, r *http.Request) error {
	return s.placementAction(w, r, "Notice given: the council will find another provider", func(b brokerage.Store, id int64, f *formFields) error {
		days := f.whole("notice_days", "Enter the days of notice, like 28")
		if err := f.err(); err != nil {
			return err
		}
		_, err := b.HandBackPlacement(r.Context(), id, days, r.PostFormValue("reason"))
		return err
	})
}

func (s *Server) offContractPage(w http.ResponseWriter, r *http.Request) error {
	return s.showOffContract(w, r, http.StatusOK, nil)
}

// showOffContract shows the register, with ferr's problem when a move to
// contract could not be made.
func (s *Server) showOffContract(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	b, err := s.brokers()
	if err != nil {
		return err
	}
	if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "The off-contract register is for council staff")
	}
	ps, err := b.ListPlacements(r.Context(), brokerage.PlacementFilter{OffContract: true, Status: brokerage.PlacementActive})
	if err != nil {
		return err
	}
	var total money.Money
	for _, p := range ps {
		total += p.WeeklyCost
	}
	ps, pages := pageOf(r, "/off-contract", ps, 50)
	s.render(w, r, status, "brokerage_offcontract", "Off-contract register", map[string]any{"Placements": ps, "Pages": pages, "Total": total, "Now": s.Now(),
		"CanBroker": isBroker(caremarket.ActorFrom(r.Context()))}, ferr)
	return nil
}

func (s *Server) movePost(w http.ResponseWriter, r *http.Request) error {
	b, id, err := s.brokerAndID(r)
	if err != nil {
		return err
	}
	req, err := b.MoveToContract(r.Context(), id)
	if err != nil {
		// Nobody contracted can take it yet: a problem to show on the
		// register, not a confirmation.
		if caremarket.ErrorCode(err) == caremarket.ECONFLICT {
			return s.showOffContract(w, r, http.StatusConflict, err)
		}
		return err
	}
	redirectWithFlash(w, r, fmt.Sprintf("/requirements/%d", req.ID), "The cascade is running again for a contracted provider")
	return nil
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request) error {
	b, err := s.brokers()
	if err != nil {
		return err
	}
	rep, err := b.OffContractReport(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "brokerage_report", "Off-contract use", map[string]any{"R": rep}, nil)
	return nil
}

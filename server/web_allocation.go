package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// registerAllocationPages registers the broker's batch: choose open
// requirements, see the plan beside the one-at-a-time cascade, change a
// line, send the offers.
func (s *Server) registerAllocationPages() {
	s.route("GET /allocations", s.page(s.allocationsPage))
	s.route("POST /allocations", s.page(s.allocationPreviewPost))
	s.route("GET /allocations/simulation", s.page(s.allocationSimulationPage))
	s.route("GET /allocations/{id}", s.page(s.allocationPage))
	s.route("POST /allocations/{id}/send", s.page(s.allocationSendPost))
	s.route("GET /allocations/{id}/lines/{requirement}", s.page(s.allocationLinePage))
	s.route("POST /allocations/{id}/lines/{requirement}", s.page(s.allocationLinePost))
}

func (s *Server) allocationsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAllocations(w, r, http.StatusOK, nil)
}

func (s *Server) showAllocations(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	waiting, err := s.Store.WaitingRequirements(r.Context())
	if err != nil {
		return err
	}
	batches, err := s.Store.ListAllocations(r.Context())
	if err != nil {
		return err
	}
	var chosen []string
	if r.Method == http.MethodPost {
		chosen = r.PostForm["requirement_id"]
	}
	s.render(w, r, status, "allocation_list", "Allocate a batch of requirements", map[string]any{"Waiting": waiting, "Batches": batches,
		"Chosen": chosen, "CanBroker": isBroker(caremarket.ActorFrom(r.Context())), "Max": brokerage.MaxBatch}, ferr)
	return nil
}

func (s *Server) allocationPreviewPost(w http.ResponseWriter, r *http.Request) error {
	var ids []int64
	if r.PostFormValue("all") == "" {
		ids = []int64{}
		for _, v := range r.PostForm["requirement_id"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return s.showAllocations(w, r, http.StatusBadRequest, caremarket.Invalid(map[string]string{"requirement_id": "Choose requirements from the list"}))
			}
			ids = append(ids, id)
		}
	}
	b, err := s.Store.PreviewAllocation(r.Context(), ids)
	if err != nil {
		if f := caremarket.ErrorFields(err); f["requirement_ids"] != "" {
			err = caremarket.Invalid(map[string]string{"requirement_id": f["requirement_ids"]})
		}
		return reshow(w, r, err, s.showAllocations)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/allocations/%d", b.ID), fmt.Sprintf("Planned %d requirements together", len(b.Lines)))
	return nil
}

// allocationRow is a line of the batch page.
type allocationRow struct {
	brokerage.BatchLine
	Changed bool // the line's location differs from the plan's
}

func (s *Server) allocationPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAllocation(w, r, http.StatusOK, nil)
}

func (s *Server) showAllocation(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	b, err := loadPath(r, pathID, s.Store.Allocation)
	if err != nil {
		return err
	}
	rows := make([]allocationRow, len(b.Lines))
	toSend := 0
	for i, l := range b.Lines {
		rows[i] = allocationRow{BatchLine: l, Changed: l.LocationID != l.Proposed.LocationID}
		if l.LocationID != 0 {
			toSend++
		}
	}
	s.render(w, r, status, "allocation_batch", fmt.Sprintf("Batch allocation %d", b.ID), map[string]any{"Batch": b, "Rows": rows, "ToSend": toSend,
		"CanSend": b.Status == brokerage.BatchProposed && isBroker(caremarket.ActorFrom(r.Context())),
		"Compare": compareTotals(b.Totals, b.OneAtATimeTotals)}, ferr)
	return nil
}

// totalsRow is a line of the comparison table: the batch against one at a
// time.
type totalsRow struct {
	Label, Batch, OneAtATime string
}

func compareTotals(a, b brokerage.AllocTotals) []totalsRow {
	share := func(n, of int) string {
		if of == 0 {
			return "0"
		}
		return fmt.Sprintf("%d (%d%%)", n, (200*n+of)/(2*of))
	}
	cost := func(t brokerage.AllocTotals) string {
		s := t.WeeklyCost.String()
		if t.NoPrice > 0 {
			s += fmt.Sprintf(", and %d places without an agreed price", t.NoPrice)
		}
		return s
	}
	return []totalsRow{
		{"Contracted providers in the person's area", share(a.OwnArea, a.Requirements), share(b.OwnArea, b.Requirements)},
		{"Contracted providers in neighbouring areas", share(a.Neighbouring, a.Requirements), share(b.Neighbouring, b.Requirements)},
		{"Off-contract providers (temporary)", share(a.OffContract, a.Requirements), share(b.OffContract, b.Requirements)},
		{"No place available", share(a.Unplaced, a.Requirements), share(b.Unplaced, b.Requirements)},
		{"Total weekly cost", cost(a), cost(b)},
		{"Total distance (postcode district steps)", strconv.Itoa(a.Distance), strconv.Itoa(b.Distance)},
	}
}

func (s *Server) allocationSendPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := s.Store.SendAllocation(r.Context(), id, nil)
	if err != nil {
		return reshow(w, r, err, s.showAllocation)
	}
	sent := 0
	for _, l := range b.Lines {
		if l.OfferID != 0 {
			sent++
		}
	}
	msg := fmt.Sprintf("Sent %d offers", sent)
	if n := len(b.Lines) - sent; n > 0 {
		msg += fmt.Sprintf("; %d lines were not sent (see why below)", n)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/allocations/%d", id), msg)
	return nil
}

func (s *Server) allocationLinePage(w http.ResponseWriter, r *http.Request) error {
	return s.showAllocationLine(w, r, http.StatusOK, nil)
}

// lineIDs reads the path of a batch's line: the batch's id and the
// requirement's.
func lineIDs(r *http.Request) (id, rid int64, err error) {
	if id, err = pathID(r); err != nil {
		return 0, 0, err
	}
	rid, err = strconv.ParseInt(r.PathValue("requirement"), 10, 64)
	if err != nil || rid <= 0 {
		return 0, 0, caremarket.Errorf(caremarket.ENOTFOUND, "Page not found")
	}
	return id, rid, nil
}

func (s *Server) showAllocationLine(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	id, rid, err := lineIDs(r)
	if err != nil {
		return err
	}
	b, err := s.Store.Allocation(r.Context(), id)
	if err != nil {
		return err
	}
	var line *brokerage.BatchLine
	for i := range b.Lines {
		if b.Lines[i].RequirementID == rid {
			line = &b.Lines[i]
		}
	}
	if line == nil {
		return caremarket.Errorf(caremarket.ENOTFOUND, "That requirement is not in this batch")
	}
	if !isBroker(caremarket.ActorFrom(r.Context())) {
		return caremarket.Errorf(caremarket.EFORBIDDEN, "Only brokers change a batch's lines")
	}
	if b.Status != brokerage.BatchProposed {
		return caremarket.Errorf(caremarket.ECONFLICT, "This batch was sent: its lines can no longer be changed")
	}
	st, eligible, err := s.Store.AllocationChoices(r.Context(), id, rid)
	if err != nil {
		return err
	}
	options := []option{}
	for _, e := range eligible {
		label := fmt.Sprintf("%s (%s, %s)", e.LocationName, e.ProviderName, e.AreaName)
		if e.Price > 0 {
			label += ", " + brokerage.WeeklyCost(line.ServiceType, e.Price, 0).String() + " contracted price"
		}
		if e.SpareMinutes != nil {
			label += ", " + market.SpareHoursLabel(*e.SpareMinutes) + " before this batch"
		}
		options = append(options, option{Value: strconv.FormatInt(e.LocationID, 10), Label: label})
	}
	options = append(options, option{Value: "0", Label: "No offer for now: leave the requirement open for the cascade"})
	value := strconv.FormatInt(line.LocationID, 10)
	cost := ""
	if line.WeeklyCost > 0 {
		cost = strings.TrimPrefix(line.WeeklyCost.String(), "£")
	}
	if r.Method == http.MethodPost {
		value, cost = r.PostFormValue("location_id"), r.PostFormValue("weekly_cost")
	}
	s.render(w, r, status, "allocation_line", "Change "+line.CaseReference, map[string]any{"Batch": b, "Line": line, "Stage": st, "StageLabel": st.Label(),
		"Options": options, "Value": value, "Cost": cost}, ferr)
	return nil
}

func (s *Server) allocationLinePost(w http.ResponseWriter, r *http.Request) error {
	id, rid, err := lineIDs(r)
	if err != nil {
		return err
	}
	f := readFields(r.PostForm)
	e := brokerage.LineEdit{RequirementID: rid, OffContractReason: f.text("off_contract_reason", "The reason", brokerage.MaxReasonLen)}
	if v := r.PostFormValue("location_id"); v == "0" {
		e.LocationID = 0
	} else {
		e.LocationID = f.id("location_id", "Choose a location")
	}
	if raw := strings.TrimSpace(r.PostFormValue("weekly_cost")); raw != "" {
		m, err := money.Parse(raw)
		if err != nil || m < 0 {
			f.fail("weekly_cost", "Enter the weekly cost in pounds, like 1250.00")
		}
		e.WeeklyCost = m
	}
	if err := f.err(); err != nil {
		return s.showAllocationLine(w, r, http.StatusBadRequest, err)
	}
	if _, err := s.Store.EditAllocation(r.Context(), id, e); err != nil {
		if f := caremarket.ErrorFields(err); f["weekly_cost_pence"] != "" {
			err = caremarket.Invalid(map[string]string{"weekly_cost": f["weekly_cost_pence"]})
		}
		return reshow(w, r, err, s.showAllocationLine)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/allocations/%d", id), "Changed the line for this requirement")
	return nil
}

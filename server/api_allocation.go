package server

import (
	"net/http"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/money"
)

// registerAllocation registers batch allocation: a broker plans many open
// requirements at once, sees the plan beside the one-at-a-time cascade,
// changes lines, and sends every line as a normal offer. Roles and council
// are checked by the store.
func (s *Server) registerAllocation() {
	s.route("GET /api/v1/allocations", s.api(s.apiListAllocations))
	s.route("POST /api/v1/allocations/preview", s.api(s.apiPreviewAllocation))
	s.route("GET /api/v1/allocations/{id}", s.api(s.apiGetAllocation))
	s.route("GET /api/v1/allocations/{id}/choices", s.api(s.apiAllocationChoices))
	s.route("POST /api/v1/allocations/{id}/send", s.api(s.apiSendAllocation))
	s.registerAllocationPages()
}

type previewInput struct {
	// RequirementIDs are the requirements to plan; AllWaiting plans every
	// open requirement waiting for an offer instead.
	RequirementIDs []int64 `json:"requirement_ids"`
	AllWaiting     bool    `json:"all_waiting"`
}

func (s *Server) apiPreviewAllocation(w http.ResponseWriter, r *http.Request) error {
	var in previewInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ids := in.RequirementIDs
	switch {
	case in.AllWaiting && len(ids) > 0:
		return caremarket.Invalid(map[string]string{"requirement_ids": "Give requirement_ids or all_waiting, not both"})
	case !in.AllWaiting && ids == nil:
		ids = []int64{}
	}
	return reply(w, http.StatusCreated)(s.Store.PreviewAllocation(r.Context(), ids))
}

func (s *Server) apiListAllocations(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(s.Store.ListAllocations(r.Context())))
}

func (s *Server) apiGetAllocation(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(loadPath(r, pathID, s.Store.Allocation))
}

// choice is a location a line may be changed to.
type choice struct {
	LocationID   int64       `json:"location_id"`
	LocationName string      `json:"location_name"`
	ProviderName string      `json:"provider_name"`
	AreaName     string      `json:"area_name"`
	Rank         int         `json:"rank"`
	Price        money.Money `json:"price_pence"`
	Distance     int         `json:"distance"`
}

type choices struct {
	RequirementID int64           `json:"requirement_id"`
	Stage         brokerage.Stage `json:"stage"`
	Locations     []choice        `json:"locations"`
}

func toChoices(requirementID int64, st brokerage.Stage, eligible []brokerage.Ranked) choices {
	out := choices{RequirementID: requirementID, Stage: st, Locations: []choice{}}
	for _, e := range eligible {
		out.Locations = append(out.Locations, choice{LocationID: e.LocationID, LocationName: e.LocationName, ProviderName: e.ProviderName,
			AreaName: e.AreaName, Rank: e.Rank, Price: e.Price, Distance: e.Distance})
	}
	return out
}

func (s *Server) apiAllocationChoices(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := newQuery(r)
	rid := q.int("requirement_id")
	if rid <= 0 {
		q.fields["requirement_id"] = "Give the requirement_id of a line of the batch"
	}
	if err := q.err(); err != nil {
		return err
	}
	st, eligible, err := s.Store.AllocationChoices(r.Context(), id, rid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toChoices(rid, st, eligible))
	return nil
}

type sendInput struct {
	Lines []brokerage.LineEdit `json:"lines"`
}

func (s *Server) apiSendAllocation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in sendInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	if len(in.Lines) > brokerage.MaxBatch {
		return caremarket.Invalid(map[string]string{"lines": "A batch has at most 200 lines"})
	}
	return reply(w, http.StatusOK)(s.Store.SendAllocation(r.Context(), id, in.Lines))
}

package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
)

// inBandApprover approves a round's in-band prices in one go (storage).
type inBandApprover interface {
	ApproveInBand(ctx context.Context, roundID int64, ids []int64) (int, error)
}

// roundPerPage is how many prices a round's page lists at once.
const roundPerPage = 50

func (s *Server) registerPricingBulk(h *pricingHandlers) {
	s.route("GET /pricing/rounds/{id}/approve-in-band", s.page(h.inBandPage))
	s.route("POST /pricing/rounds/{id}/approve-in-band", s.page(h.inBandPost))
}

// pageOfSubmissions is one page of a round's prices, with its pagination
// (the status filter kept), and how many await a decision within the band.
func pageOfSubmissions(r *http.Request, roundID int64, subs []pricing.Submission) ([]pricing.Submission, pagination, int) {
	if q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q"))); q != "" {
		var found []pricing.Submission
		for _, s := range subs {
			if strings.Contains(strings.ToLower(s.LocationName+" "+s.ProviderName+" "+s.AreaName), q) {
				found = append(found, s)
			}
		}
		subs = found
	}
	inBand := 0
	for _, s := range subs {
		if s.Status == pricing.SubmissionSubmitted && s.Check.Within {
			inBand++
		}
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p := market.Page{Number: n, PerPage: roundPerPage}.Normalize()
	from := min(p.Offset(), len(subs))
	to := min(from+p.PerPage, len(subs))
	return subs[from:to], paginate(fmt.Sprintf("/pricing/rounds/%d", roundID), r.URL.Query(), p, len(subs)), inBand
}

// inBandOf is the round's prices awaiting a decision within the guide band.
func (h *pricingHandlers) inBandOf(r *http.Request) (*pricing.Round, []pricing.Submission, error) {
	if !canSetPricesWeb(r) {
		return nil, nil, caremarket.Errorf(caremarket.EFORBIDDEN, "Only commissioners decide prices")
	}
	rd, err := loadPath(r, pathID, h.st.PriceRound)
	if err != nil {
		return nil, nil, err
	}
	subs, err := h.st.ListSubmissions(r.Context(), pricing.SubmissionFilter{RoundID: rd.ID, Status: pricing.SubmissionSubmitted})
	if err != nil {
		return nil, nil, err
	}
	var in []pricing.Submission
	for _, s := range subs {
		if s.Check.Within {
			in = append(in, s)
		}
	}
	return rd, in, nil
}

// inBandPage previews the bulk approval: every price it will approve.
func (h *pricingHandlers) inBandPage(w http.ResponseWriter, r *http.Request) error {
	rd, in, err := h.inBandOf(r)
	if err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "pricing_bulk", "Approve every price within the guide band", map[string]any{"Round": rd, "Prices": in}, nil)
	return nil
}

func (h *pricingHandlers) inBandPost(w http.ResponseWriter, r *http.Request) error {
	postForm(w, r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var ids []int64
	for _, v := range r.PostForm["id"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			ids = append(ids, n)
		}
	}
	approver, ok := h.s.Store.(inBandApprover)
	if !ok {
		return caremarket.Errorf(caremarket.EINTERNAL, "Bulk approval is not available")
	}
	n, err := approver.ApproveInBand(r.Context(), id, ids)
	if err != nil {
		if hasFormErrors(err) {
			rd, in, lerr := h.inBandOf(r)
			if lerr != nil {
				return lerr
			}
			h.s.render(w, r, statusOf(err), "pricing_bulk", "Approve every price within the guide band", map[string]any{"Round": rd, "Prices": in}, err)
			return nil
		}
		return err
	}
	msg := fmt.Sprintf("%d prices within the guide band approved", n)
	if n == 1 {
		msg = "1 price within the guide band approved"
	}
	redirectWithFlash(w, r, fmt.Sprintf("/pricing/rounds/%d?%s", id, url.Values{"status": {pricing.SubmissionSubmitted}}.Encode()), msg)
	return nil
}

// inviteOptions are who a new round invites: not a form of hundreds of
// checkboxes, but the agreement's contracted providers or every provider
// of a service type.
func inviteOptions() []option {
	return []option{
		{Value: "contracted", Label: "Every provider contracted under the agreement"},
		{Value: "service_type", Label: "Every provider with a location offering one service type", Hint: "Choose the service type below"},
	}
}

// inviteByServiceType fills the round's providers from the service type
// chosen, when the form invites by service type.
func (h *pricingHandlers) inviteByServiceType(r *http.Request, f *formFields, rd *pricing.Round) error {
	if r.PostFormValue("invite") != "service_type" {
		return nil
	}
	st := f.serviceType("invite_service_type")
	if st == "" {
		f.fail("invite_service_type", "Choose the service type whose providers are invited")
		return nil
	}
	seen := map[int64]bool{}
	for page := 1; ; page++ {
		locs, total, err := h.s.Store.ListLocations(r.Context(), market.LocationFilter{ServiceType: st, Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			return err
		}
		for _, l := range locs {
			if !seen[l.ProviderID] {
				seen[l.ProviderID] = true
				rd.ProviderIDs = append(rd.ProviderIDs, l.ProviderID)
			}
		}
		if len(locs) == 0 || page*market.MaxPerPage >= total {
			break
		}
	}
	if len(rd.ProviderIDs) == 0 {
		f.fail("invite_service_type", "No provider offers "+st.Label()+": choose another service type")
	}
	return nil
}

// pageOf is one page of a list held in memory, with its pagination (the
// query's filters kept): for lists a store returns whole.
func pageOf[T any](r *http.Request, path string, items []T, perPage int) ([]T, pagination) {
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p := market.Page{Number: n, PerPage: perPage}.Normalize()
	from := min(p.Offset(), len(items))
	to := min(from+p.PerPage, len(items))
	return items[from:to], paginate(path, r.URL.Query(), p, len(items))
}

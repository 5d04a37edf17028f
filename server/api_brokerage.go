package server

import (
	"net/http"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// registerBrokerage registers the brokerage API and pages: requirements and
// their cascade, direct-award offers, mini-competitions and bids,
// placements and their lifecycle, the off-contract register and report, and
// serious concerns. Roles and provider isolation are checked by the store.
func (s *Server) registerBrokerage() {
	s.route("GET /api/v1/requirements", s.api(s.apiListRequirements))
	s.route("POST /api/v1/requirements", s.api(s.apiCreateRequirement))
	s.route("GET /api/v1/requirements/{id}", s.api(s.apiGetRequirement))
	s.route("GET /api/v1/requirements/{id}/person", s.api(s.apiGetPerson))
	s.route("GET /api/v1/requirements/{id}/cascade", s.api(s.apiCascade))
	s.route("POST /api/v1/requirements/{id}/offers", s.api(s.apiMakeOffer))
	s.route("POST /api/v1/requirements/{id}/competitions", s.api(s.apiStartCompetition))
	s.route("POST /api/v1/requirements/{id}/cancel", s.api(s.apiCancelRequirement))
	s.route("GET /api/v1/offers", s.api(s.apiListOffers))
	s.route("GET /api/v1/offers/{id}", s.api(s.apiGetOffer))
	s.route("POST /api/v1/offers/{id}/accept", s.api(s.apiAcceptOffer))
	s.route("POST /api/v1/offers/{id}/decline", s.api(s.apiDeclineOffer))
	s.route("GET /api/v1/competitions", s.api(s.apiListCompetitions))
	s.route("GET /api/v1/competitions/{id}", s.api(s.apiGetCompetition))
	s.route("POST /api/v1/competitions/{id}/award", s.api(s.apiAwardBid))
	s.route("GET /api/v1/bids", s.api(s.apiListBids))
	s.route("POST /api/v1/bids", s.api(s.apiSubmitBid))
	s.route("GET /api/v1/bids/{id}", s.api(s.apiGetBid))
	s.route("GET /api/v1/placements", s.api(s.apiListPlacements))
	s.route("GET /api/v1/placements/{id}", s.api(s.apiGetPlacement))
	s.route("POST /api/v1/placements/{id}/price-changes", s.api(s.apiChangePrice))
	s.route("PUT /api/v1/placements/{id}/top-up", s.api(s.apiSetTopUp))
	s.route("POST /api/v1/placements/{id}/end", s.api(s.apiEndPlacement))
	s.route("POST /api/v1/placements/{id}/hand-back", s.api(s.apiHandBack))
	s.route("GET /api/v1/off-contract-placements", s.api(s.apiListOffContract))
	s.route("POST /api/v1/off-contract-placements/{id}/move", s.api(s.apiMoveToContract))
	s.route("GET /api/v1/off-contract-report", s.api(s.apiOffContractReport))
	s.route("GET /api/v1/serious-concerns", s.api(s.apiListConcerns))
	s.route("POST /api/v1/serious-concerns", s.api(s.apiRaiseConcern))
	s.route("POST /api/v1/serious-concerns/{id}/end", s.api(s.apiEndConcern))
	s.registerBrokeragePages()
	s.registerBrokerWorkflowAPI()
}

// brokers is the store's brokerage side.
func (s *Server) brokers() (brokerage.Store, error) {
	return s.Store, nil
}

// withBrokers runs h with the brokerage store and the path id (0 when the
// route has none).
func (s *Server) withBrokers(h func(b brokerage.Store, id int64) error) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		b, err := s.brokers()
		if err != nil {
			return err
		}
		var id int64
		if r.PathValue("id") != "" {
			if id, err = pathID(r); err != nil {
				return err
			}
		}
		return h(b, id)
	}
}

// withBrokersAfterExpiry is withBrokers for a read that shows offers: the
// offers past their expiry are marked expired first, so it shows them so.
func (s *Server) withBrokersAfterExpiry(h func(b brokerage.Store, id int64) error) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		return s.withBrokers(func(b brokerage.Store, id int64) error {
			if _, err := b.ExpireOffers(r.Context()); err != nil {
				return err
			}
			return h(b, id)
		})(w, r)
	}
}

// requirementInput is a new requirement and, apart, the person.
type requirementInput struct {
	CaseReference   string             `json:"case_reference"`
	ServiceType     market.ServiceType `json:"service_type"`
	NeedBand        string             `json:"need_band"`
	MinutesPerWeek  int                `json:"minutes_per_week"`
	VisitPattern    string             `json:"visit_pattern"`
	StartDate       dateOnly           `json:"start_date"`
	AreaID          int64              `json:"area_id"`
	SpecialistNeeds string             `json:"specialist_needs"`
	Method          brokerage.Method   `json:"method"`
	Person          struct {
		FullName    string    `json:"full_name"`
		DateOfBirth *dateOnly `json:"date_of_birth"`
		Address     string    `json:"address"`
		Postcode    string    `json:"postcode"`
		Phone       string    `json:"phone"`
	} `json:"person"`
}

func (s *Server) apiListRequirements(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokersAfterExpiry(func(b brokerage.Store, _ int64) error {
		q := newQuery(r)
		f := brokerage.RequirementFilter{Status: q.str("status", 20), AreaID: q.int("area_id")}
		if err := q.err(); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(listResult(b.ListRequirements(r.Context(), f)))
	})(w, r)
}

func (s *Server) apiCreateRequirement(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		var in requirementInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		req := &brokerage.Requirement{CaseReference: in.CaseReference, ServiceType: in.ServiceType, NeedBand: in.NeedBand, MinutesPerWeek: in.MinutesPerWeek,
			VisitPattern: in.VisitPattern, StartDate: in.StartDate.Time, AreaID: in.AreaID, SpecialistNeeds: in.SpecialistNeeds, Method: in.Method}
		p := &brokerage.Person{FullName: in.Person.FullName, Address: in.Person.Address, Postcode: in.Person.Postcode, Phone: in.Person.Phone}
		if in.Person.DateOfBirth != nil {
			p.DateOfBirth = &in.Person.DateOfBirth.Time
		}
		if err := b.CreateRequirement(r.Context(), req, p); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, req)
		return nil
	})(w, r)
}

// apiGetRequirement: staff get the requirement; a provider offered it or
// invited to bid gets the anonymised view (the same schema, fewer fields).
func (s *Server) apiGetRequirement(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
			return reply(w, http.StatusOK)(b.AnonymisedRequirement(r.Context(), id))
		}
		return reply(w, http.StatusOK)(b.Requirement(r.Context(), id))
	})(w, r)
}

// apiGetPerson answers who a requirement is for, given why the caller
// needs to know (?reason=arranging, review, ...): each look is logged.
func (s *Server) apiGetPerson(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		return reply(w, http.StatusOK)(s.Store.ViewPerson(r.Context(), id, brokerage.ViewReason(r.URL.Query().Get("reason"))))
	})(w, r)
}

func (s *Server) apiCascade(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Requirement not found")
		}
		if _, err := b.ExpireOffers(r.Context()); err != nil {
			return err
		}
		page, err := cascadePageOf(r)
		if err != nil {
			return err
		}
		return reply(w, http.StatusOK)(b.RequirementViewPage(r.Context(), id, page))
	})(w, r)
}

type offerInput struct {
	LocationID        int64       `json:"location_id"`
	ExpiresInHours    int         `json:"expires_in_hours"`
	WeeklyCost        money.Money `json:"weekly_cost_pence"`
	OffContractReason string      `json:"off_contract_reason"`
	SkipReason        string      `json:"skip_reason"`
}

func (s *Server) apiMakeOffer(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in offerInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		o, err := b.MakeOffer(r.Context(), id, brokerage.OfferRequest{LocationID: in.LocationID, ExpiresIn: time.Duration(in.ExpiresInHours) * time.Hour,
			WeeklyCost: in.WeeklyCost, OffContractReason: in.OffContractReason, SkipReason: in.SkipReason})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, o)
		return nil
	})(w, r)
}

type competitionInput struct {
	Deadline    time.Time `json:"deadline"`
	PriceWeight *int      `json:"price_weight"`
}

func (s *Server) apiStartCompetition(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in competitionInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		weight := -1
		if in.PriceWeight != nil {
			weight = *in.PriceWeight
		}
		return reply(w, http.StatusCreated)(b.StartCompetition(r.Context(), id, in.Deadline, weight))
	})(w, r)
}

type reasonInput struct {
	Reason string `json:"reason"`
}

func (s *Server) apiCancelRequirement(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in reasonInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		if err := b.CancelRequirement(r.Context(), id, in.Reason); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(b.Requirement(r.Context(), id))
	})(w, r)
}

func (s *Server) apiListOffers(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokersAfterExpiry(func(b brokerage.Store, _ int64) error {
		q := newQuery(r)
		f := brokerage.OfferFilter{Status: q.str("status", 20), RequirementID: q.int("requirement_id")}
		if err := q.err(); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(listResult(b.ListOffers(r.Context(), f)))
	})(w, r)
}

func (s *Server) apiGetOffer(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokersAfterExpiry(func(b brokerage.Store, id int64) error {
		return reply(w, http.StatusOK)(b.Offer(r.Context(), id))
	})(w, r)
}

func (s *Server) apiAcceptOffer(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		return reply(w, http.StatusCreated)(b.AcceptOffer(r.Context(), id))
	})(w, r)
}

func (s *Server) apiDeclineOffer(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in reasonInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(b.DeclineOffer(r.Context(), id, in.Reason))
	})(w, r)
}

func (s *Server) apiListCompetitions(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		return reply(w, http.StatusOK)(listResult(b.ListCompetitions(r.Context(), r.URL.Query().Get("open") == "true")))
	})(w, r)
}

func (s *Server) apiGetCompetition(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		return reply(w, http.StatusOK)(b.Competition(r.Context(), id))
	})(w, r)
}

type awardInput struct {
	BidID int64 `json:"bid_id"`
}

func (s *Server) apiAwardBid(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in awardInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		return reply(w, http.StatusCreated)(b.AwardBid(r.Context(), id, in.BidID))
	})(w, r)
}

func (s *Server) apiListBids(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		q := newQuery(r)
		cid := q.int("competition_id")
		if cid == 0 {
			q.fields["competition_id"] = "Give the competition_id whose bids to list"
		}
		if err := q.err(); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(listResult(b.ListBids(r.Context(), cid)))
	})(w, r)
}

type bidInput struct {
	CompetitionID int64       `json:"competition_id"`
	LocationID    int64       `json:"location_id"`
	Price         money.Money `json:"price_pence"`
	StartDate     dateOnly    `json:"start_date"`
	Notes         string      `json:"notes"`
}

func (s *Server) apiSubmitBid(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		var in bidInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		bid := &brokerage.Bid{CompetitionID: in.CompetitionID, LocationID: in.LocationID, Price: in.Price, StartDate: in.StartDate.Time, Notes: in.Notes}
		if err := b.SubmitBid(r.Context(), bid); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, bid)
		return nil
	})(w, r)
}

func (s *Server) apiGetBid(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		return reply(w, http.StatusOK)(b.Bid(r.Context(), id))
	})(w, r)
}

func (s *Server) apiListPlacements(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		q := newQuery(r)
		f := brokerage.PlacementFilter{Status: q.str("status", 20), ProviderID: q.int("provider_id"), RequirementID: q.int("requirement_id")}
		if err := q.err(); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(listResult(b.ListPlacements(r.Context(), f)))
	})(w, r)
}

func (s *Server) apiGetPlacement(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		return reply(w, http.StatusOK)(b.Placement(r.Context(), id))
	})(w, r)
}

type priceChangeInput struct {
	WeeklyCost    money.Money `json:"weekly_cost_pence"`
	EffectiveFrom dateOnly    `json:"effective_from"`
	Reason        string      `json:"reason"`
}

func (s *Server) apiChangePrice(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in priceChangeInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(b.ChangePlacementPrice(r.Context(), id, brokerage.PriceChange{WeeklyCost: in.WeeklyCost, EffectiveFrom: in.EffectiveFrom.Time, Reason: in.Reason}))
	})(w, r)
}

type topUpInput struct {
	Amount money.Money `json:"top_up_pence"`
	Payer  string      `json:"top_up_payer"`
}

func (s *Server) apiSetTopUp(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in topUpInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(b.SetTopUp(r.Context(), id, in.Amount, in.Payer))
	})(w, r)
}

type endInput struct {
	EndDate dateOnly `json:"end_date"`
	Reason  string   `json:"reason"`
}

func (s *Server) apiEndPlacement(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in endInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(b.EndPlacement(r.Context(), id, in.EndDate.Time, in.Reason))
	})(w, r)
}

type handBackInput struct {
	NoticeDays int    `json:"notice_days"`
	Reason     string `json:"reason"`
}

func (s *Server) apiHandBack(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		var in handBackInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		return reply(w, http.StatusOK)(b.HandBackPlacement(r.Context(), id, in.NoticeDays, in.Reason))
	})(w, r)
}

func (s *Server) apiListOffContract(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		q := newQuery(r)
		f := brokerage.PlacementFilter{OffContract: true, Status: q.str("status", 20)}
		if err := q.err(); err != nil {
			return err
		}
		if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
			return caremarket.Errorf(caremarket.EFORBIDDEN, "The off-contract register is for council staff")
		}
		return reply(w, http.StatusOK)(listResult(b.ListPlacements(r.Context(), f)))
	})(w, r)
}

func (s *Server) apiMoveToContract(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		return reply(w, http.StatusOK)(b.MoveToContract(r.Context(), id))
	})(w, r)
}

func (s *Server) apiOffContractReport(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		return reply(w, http.StatusOK)(b.OffContractReport(r.Context()))
	})(w, r)
}

func (s *Server) apiListConcerns(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		return reply(w, http.StatusOK)(listResult(b.ListConcerns(r.Context(), r.URL.Query().Get("open") == "true")))
	})(w, r)
}

type concernInput struct {
	ProviderID int64  `json:"provider_id"`
	LocationID int64  `json:"location_id"`
	Kind       string `json:"kind"`
	Reason     string `json:"reason"`
}

func (s *Server) apiRaiseConcern(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, _ int64) error {
		var in concernInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		c := &brokerage.Concern{ProviderID: in.ProviderID, LocationID: in.LocationID, Kind: in.Kind, Reason: in.Reason}
		if err := b.RaiseConcern(r.Context(), c); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, c)
		return nil
	})(w, r)
}

func (s *Server) apiEndConcern(w http.ResponseWriter, r *http.Request) error {
	return s.withBrokers(func(b brokerage.Store, id int64) error {
		return reply(w, http.StatusOK)(b.EndConcern(r.Context(), id))
	})(w, r)
}

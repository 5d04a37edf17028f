package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
)

// The home page is each role's "what needs me now": a few sections of
// count-and-link panels. A provider's figures come only from store calls
// the store scopes to that provider, so it never sees the council's.

// homePanel is one figure with the link that acts on it.
type homePanel struct {
	ID       string // for tests and the e2e journeys
	Heading  string
	Count    string
	Money    bool // Count is an amount of money, shown smaller to fit
	Hint     string
	Link     string
	LinkText string
	Links    []homeLink // optional itemised links (a round each, say)
}

type homeLink struct{ Href, Text string }

type homeSection struct {
	Heading string
	Panels  []homePanel
}

// Rows splits the panels into grid rows of three, so that panels of
// different heights do not break the layout.
func (h homeSection) Rows() [][]homePanel {
	var rows [][]homePanel
	for i := 0; i < len(h.Panels); i += 3 {
		rows = append(rows, h.Panels[i:min(i+3, len(h.Panels))])
	}
	return rows
}

// homeScorer lists the applications an evaluator has still to score
// (storage.DB provides it).
type homeScorer interface {
	AwaitingMyScore(ctx context.Context) ([]procurement.Application, error)
}

// homeVacancies lists a provider user's own vacancy figures.
type homeVacancies interface {
	OwnVacancies(ctx context.Context) ([]market.Vacancy, error)
}

func count(n int) string { return strconv.Itoa(n) }

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := caremarket.ActorFrom(ctx)
	data := map[string]any{}
	var sections []homeSection
	var err error
	switch a.Role {
	case caremarket.RoleProvider:
		p, perr := s.Store.Provider(ctx, a.ProviderID)
		if perr != nil {
			return perr
		}
		data["Provider"] = p
		sections, err = s.providerHome(ctx)
	case caremarket.RoleBroker:
		sections, err = s.brokerHome(ctx)
	case caremarket.RoleCommissioner:
		sections, err = s.commissionerHome(ctx)
	case caremarket.RoleEvaluator:
		sections, err = s.evaluatorHome(ctx)
	case caremarket.RoleAdmin:
		sections, err = s.adminHome(ctx)
	case caremarket.RoleFinance:
		sections, err = s.financeHome(ctx)
	}
	if err != nil {
		return err
	}
	if a.Role != caremarket.RoleProvider {
		reg, err := s.marketSection(ctx)
		if err != nil {
			return err
		}
		sections = append(sections, reg)
	}
	data["Sections"] = sections
	s.render(w, r, http.StatusOK, "home", "Home", data, nil)
	return nil
}

// marketSection is the council-wide register size, for council staff only.
func (s *Server) marketSection(ctx context.Context) (homeSection, error) {
	_, locations, err := s.Store.ListLocations(ctx, market.LocationFilter{Page: market.Page{PerPage: 1}})
	if err != nil {
		return homeSection{}, err
	}
	_, providers, err := s.Store.ListProviders(ctx, market.ProviderFilter{Page: market.Page{PerPage: 1}})
	if err != nil {
		return homeSection{}, err
	}
	return homeSection{Heading: "The market", Panels: []homePanel{
		{ID: "providers", Heading: "Providers", Count: count(providers), Link: "/providers", LinkText: "Search providers"},
		{ID: "locations", Heading: "Registered locations", Count: count(locations), Link: "/locations", LinkText: "Search locations"},
	}}, nil
}

func (s *Server) alertsPanel(ctx context.Context) (homePanel, bool, error) {
	cs, ok := s.cqcStore()
	if !ok {
		return homePanel{}, false, nil
	}
	alerts, err := cs.ListAlerts(ctx, true)
	if err != nil {
		return homePanel{}, false, err
	}
	return homePanel{ID: "open-alerts", Heading: "Open market alerts", Count: count(len(alerts)),
		Hint: "Locations rated Inadequate or no longer registered with CQC.", Link: "/alerts", LinkText: "Review open market alerts"}, true, nil
}

// offContract sums the active off-contract placements and says how many
// are due for review by today.
func offContract(ctx context.Context, b brokerage.Store, now time.Time) (active, due int, weekly money.Money, err error) {
	ps, err := b.ListPlacements(ctx, brokerage.PlacementFilter{OffContract: true, Status: brokerage.PlacementActive})
	if err != nil {
		return 0, 0, 0, err
	}
	for _, p := range ps {
		active++
		weekly += p.WeeklyCost
		if p.ReviewDate != nil && !p.ReviewDate.After(now) {
			due++
		}
	}
	return active, due, weekly, nil
}

func (s *Server) brokerHome(ctx context.Context) ([]homeSection, error) {
	b := s.Store
	reqs, err := b.ListRequirements(ctx, brokerage.RequirementFilter{Status: brokerage.StatusOpen})
	if err != nil {
		return nil, err
	}
	byStage := map[brokerage.Stage]int{}
	for _, q := range reqs {
		byStage[brokerage.Stage(q.Stage)]++
	}
	cascade := homeSection{Heading: "Open requirements by cascade stage"}
	for _, st := range []brokerage.Stage{0, brokerage.StageLocal, brokerage.StageNeighbours, brokerage.StageOffContract} {
		cascade.Panels = append(cascade.Panels, homePanel{ID: fmt.Sprintf("stage-%d", st), Heading: st.Label(), Count: count(byStage[st])})
	}
	cascade.Panels[0].Heading = "Not yet offered"
	cascade.Panels = append(cascade.Panels, homePanel{ID: "open-requirements", Heading: "All open requirements", Count: count(len(reqs)),
		Link: "/requirements?status=open", LinkText: "Go to the open requirements"})
	offers, comps, err := pendingWork(ctx, b)
	if err != nil {
		return nil, err
	}
	active, due, _, err := offContract(ctx, b, s.Now())
	if err != nil {
		return nil, err
	}
	waiting := homeSection{Heading: "Waiting on others, or on you", Panels: []homePanel{
		{ID: "pending-offers", Heading: "Offers awaiting providers", Count: count(len(offers)), Hint: "Offers made that no provider has yet accepted or declined.",
			Link: "/requirements?status=open", LinkText: "Follow up offers on the requirements board"},
		{ID: "open-competitions", Heading: "Open mini-competitions", Count: count(len(comps)), Hint: "Still taking bids or waiting for you to award."},
		{ID: "reviews-due", Heading: "Off-contract placements due for review", Count: count(due),
			Hint: fmt.Sprintf("Of %d active off-contract placements, those whose review date has come.", active), Link: "/off-contract", LinkText: "Review off-contract placements"},
	}}
	return []homeSection{cascade, waiting}, nil
}

func (s *Server) commissionerHome(ctx context.Context) ([]homeSection, error) {
	var panels []homePanel
	if p, ok, err := s.alertsPanel(ctx); err != nil {
		return nil, err
	} else if ok {
		panels = append(panels, p)
	}
	if st := pricing.Store(s.Store); st != nil {
		subs, err := st.ListSubmissions(ctx, pricing.SubmissionFilter{Status: pricing.SubmissionSubmitted})
		if err != nil {
			return nil, err
		}
		p := homePanel{ID: "price-submissions", Heading: "Price submissions awaiting a decision", Count: count(len(subs)), Link: "/pricing/rounds", LinkText: "Go to price rounds"}
		var order []pricing.Submission // one per round, in the order met
		byRound := map[int64]int{}
		for _, sub := range subs {
			if byRound[sub.RoundID] == 0 {
				order = append(order, sub)
			}
			byRound[sub.RoundID]++
		}
		for _, sub := range order {
			p.Links = append(p.Links, homeLink{Href: fmt.Sprintf("/pricing/rounds/%d", sub.RoundID), Text: fmt.Sprintf("Decide %s (%d waiting)", sub.RoundName, byRound[sub.RoundID])})
		}
		panels = append(panels, p)
	}
	if pr := procurement.Store(s.Store); pr != nil {
		p, err := s.awaitingAward(ctx, pr)
		if err != nil {
			return nil, err
		}
		panels = append(panels, p)
	}
	sections := []homeSection{{Heading: "Needs your decision", Panels: panels}}
	if qp, err := s.qualityPanels(ctx); err != nil {
		return nil, err
	} else {
		sections = append(sections, homeSection{Heading: "Contract monitoring", Panels: qp})
	}
	if b := brokerage.Store(s.Store); b != nil {
		active, due, weekly, err := offContract(ctx, b, s.Now())
		if err != nil {
			return nil, err
		}
		sections = append(sections, homeSection{Heading: "Off-contract placements", Panels: []homePanel{
			{ID: "off-contract", Heading: "Active off-contract placements", Count: count(active), Hint: fmt.Sprintf("%d due for review.", due),
				Link: "/off-contract", LinkText: "Go to the off-contract register"},
			{ID: "off-contract-cost", Heading: "Weekly cost of off-contract placements", Count: weekly.String(), Money: true,
				Hint: "The current weekly cost of the active off-contract placements, before any third-party top-up.", Link: "/off-contract/report", LinkText: "See the off-contract report"},
		}})
	}
	return sections, nil
}

// awaitingAward counts the closed windows with submitted applications and
// no award yet.
func (s *Server) awaitingAward(ctx context.Context, pr procurement.Store) (homePanel, error) {
	p := homePanel{ID: "awaiting-award", Heading: "Windows awaiting award", Hint: "Closed windows with applications and no award yet.", Link: "/windows", LinkText: "Go to the procurement windows"}
	ws, err := pr.ListWindows(ctx, 0)
	if err != nil {
		return p, err
	}
	apps, err := pr.ListApplications(ctx, procurement.ApplicationFilter{Status: procurement.Submitted})
	if err != nil {
		return p, err
	}
	awards, err := pr.ListAwards(ctx, procurement.AwardFilter{})
	if err != nil {
		return p, err
	}
	applied, awarded := map[int64]int{}, map[int64]bool{}
	for _, ap := range apps {
		applied[ap.WindowID]++
	}
	for _, aw := range awards {
		awarded[aw.WindowID] = true
	}
	n, now := 0, s.Now()
	for _, win := range ws {
		if win.Status(now) != "closed" || applied[win.ID] == 0 || awarded[win.ID] {
			continue
		}
		n++
		p.Links = append(p.Links, homeLink{Href: fmt.Sprintf("/windows/%d/awards", win.ID), Text: fmt.Sprintf("Award %s (%d applications)", win.Title, applied[win.ID])})
	}
	p.Count = count(n)
	return p, nil
}

func (s *Server) evaluatorHome(ctx context.Context) ([]homeSection, error) {
	sc := s.Store
	apps, err := sc.AwaitingMyScore(ctx)
	if err != nil {
		return nil, err
	}
	p := homePanel{ID: "awaiting-score", Heading: "Applications awaiting your score", Count: count(len(apps)),
		Hint: "Submitted applications in the windows you evaluate with answers you have not yet scored.", Link: "/windows", LinkText: "Go to the procurement windows"}
	for _, ap := range apps {
		p.Links = append(p.Links, homeLink{Href: fmt.Sprintf("/applications/%d/scoring", ap.ID), Text: "Score " + ap.ProviderName + "'s application"})
	}
	return []homeSection{{Heading: "Your evaluation work", Panels: []homePanel{p}}}, nil
}

func (s *Server) adminHome(ctx context.Context) ([]homeSection, error) {
	users, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	panels := []homePanel{{ID: "users", Heading: "User accounts", Count: count(len(users)), Link: "/admin/users", LinkText: "Manage user accounts"}}
	if p, ok, err := s.alertsPanel(ctx); err != nil {
		return nil, err
	} else if ok {
		panels = append(panels, p)
	}
	panels = append(panels, homePanel{ID: "audit", Heading: "Audit log", Hint: "Every change, who made it and when.", Link: "/admin/audit", LinkText: "Search the audit log"})
	return []homeSection{{Heading: "Running the service", Panels: panels}}, nil
}

func (s *Server) financeHome(ctx context.Context) ([]homeSection, error) {
	b := s.Store
	ps, err := b.ListPlacements(ctx, brokerage.PlacementFilter{Status: brokerage.PlacementActive})
	if err != nil {
		return nil, err
	}
	var weekly money.Money
	for _, p := range ps {
		weekly += p.WeeklyCost
	}
	return []homeSection{{Heading: "Commitments", Panels: []homePanel{
		{ID: "live-placements", Heading: "Live placements", Count: count(len(ps)), Link: "/placements?status=active", LinkText: "See the live placements"},
		{ID: "weekly-committed", Heading: "Weekly committed cost", Count: weekly.String(), Money: true,
			Hint: "The sum of the current weekly cost of every live placement, paid by the council (third-party top-ups excluded).", Link: "/placements?status=active", LinkText: "See what makes up the weekly committed cost"},
	}}}, nil
}

// pendingWork reads the offers waiting for an answer and the open
// mini-competitions.
func pendingWork(ctx context.Context, b brokerage.Store) ([]brokerage.Offer, []brokerage.Competition, error) {
	offers, err := b.ListOffers(ctx, brokerage.OfferFilter{Status: brokerage.OfferPending})
	if err != nil {
		return nil, nil, err
	}
	comps, err := b.ListCompetitions(ctx, true)
	return offers, comps, err
}

func (s *Server) providerHome(ctx context.Context) ([]homeSection, error) {
	var panels []homePanel
	if b := brokerage.Store(s.Store); b != nil {
		offers, comps, err := pendingWork(ctx, b)
		if err != nil {
			return nil, err
		}
		unanswered, now := 0, s.Now()
		for _, c := range comps {
			if c.Closed(now) {
				continue
			}
			bids, err := b.ListBids(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			if len(bids) == 0 {
				unanswered++
			}
		}
		panels = append(panels,
			homePanel{ID: "offers", Heading: "Offers awaiting your answer", Count: count(len(offers)), Link: "/offers", LinkText: "Answer your offers"},
			homePanel{ID: "competitions", Heading: "Mini-competitions awaiting your bid", Count: count(unanswered), Link: "/offers", LinkText: "Bid in your mini-competitions"})
	}
	if pr := procurement.Store(s.Store); pr != nil {
		ws, err := pr.ListWindows(ctx, 0)
		if err != nil {
			return nil, err
		}
		apps, err := pr.ListApplications(ctx, procurement.ApplicationFilter{})
		if err != nil {
			return nil, err
		}
		submitted := map[int64]bool{}
		for _, ap := range apps {
			if ap.Status == procurement.Submitted {
				submitted[ap.WindowID] = true
			}
		}
		n, now := 0, s.Now()
		for _, win := range ws {
			if win.Status(now) == "open" && !submitted[win.ID] {
				n++
			}
		}
		panels = append(panels, homePanel{ID: "windows", Heading: "Open tenders you have not applied to", Count: count(n), Link: "/windows", LinkText: "See open tenders and your applications"})
	}
	if st := pricing.Store(s.Store); st != nil {
		rounds, err := st.ListPriceRounds(ctx) // only the rounds it is invited to
		if err != nil {
			return nil, err
		}
		p := homePanel{ID: "price-rounds", Heading: "Price rounds awaiting your prices", Link: "/pricing/rounds", LinkText: "Go to your price rounds"}
		n, now := 0, s.Now()
		for _, rd := range rounds {
			taking := !now.Before(rd.OpensOn) && now.Before(rd.ClosesOn.AddDate(0, 0, 1))
			if rd.Status == pricing.RoundOpen && taking && rd.Submissions == 0 { // Submissions counts its own
				n++
				p.Links = append(p.Links, homeLink{Href: fmt.Sprintf("/pricing/rounds/%d", rd.ID), Text: "Submit prices for " + rd.Name})
			}
		}
		p.Count = count(n)
		panels = append(panels, p)
	}
	if vs := homeVacancies(s.Store); vs != nil {
		own, err := vs.OwnVacancies(ctx)
		if err != nil {
			return nil, err
		}
		stale, seen, now := 0, map[int64]bool{}, s.Now()
		var locs []int64
		for _, v := range own {
			if now.Sub(v.UpdatedAt) > s.staleAfter() {
				stale++
				if !seen[v.LocationID] {
					seen[v.LocationID] = true
					locs = append(locs, v.LocationID)
				}
			}
		}
		p := homePanel{ID: "stale-vacancies", Heading: "Stale vacancy figures", Count: count(stale),
			Hint: fmt.Sprintf("Figures at your locations not updated for more than %s. Brokers may not trust them.", staleAfterWords(s.staleAfter())),
			Link: "/locations", LinkText: "Update vacancies at your locations"}
		names, err := s.Store.LocationNames(ctx, locs)
		if err != nil {
			return nil, err
		}
		for _, id := range locs {
			p.Links = append(p.Links, homeLink{Href: fmt.Sprintf("/locations/%d", id), Text: "Update " + names[id]})
		}
		panels = append(panels, p)
	}
	return []homeSection{{Heading: "Waiting for you", Panels: panels}}, nil
}

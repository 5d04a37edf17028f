package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/quality"
)

func (s *Server) registerRiskPages() {
	s.route("GET /risk", s.page(s.watchListPage))
	s.route("GET /risk/weights", s.page(s.weightsPage))
	s.route("POST /risk/weights", s.page(s.weightsPost))
	s.route("GET /providers/{id}/risk", s.page(s.riskPage))
	s.route("POST /providers/{id}/risk/events", s.page(s.eventPost))
}

var levelOptions = []option{{Value: string(quality.RiskVeryHigh), Label: "Very high"}, {Value: string(quality.RiskHigh), Label: "High and above"},
	{Value: string(quality.RiskMedium), Label: "Medium and above"}, {Value: string(quality.RiskLow), Label: "Every provider"}}

func (s *Server) watchListPage(w http.ResponseWriter, r *http.Request) error {
	level := quality.Level(r.URL.Query().Get("level"))
	switch level {
	case quality.RiskLow, quality.RiskMedium, quality.RiskHigh, quality.RiskVeryHigh:
	default:
		level = quality.RiskHigh
	}
	list, err := s.Store.WatchList(r.Context(), level)
	if err != nil {
		return err
	}
	shownItems, pg := pageOf(r, r.URL.Path, list, 0)
	s.render(w, r, http.StatusOK, "quality_watch", "Provider watch list", map[string]any{"Providers": shownItems, "Pages": pg,
		"Level": string(level), "Levels": levelOptions, "Officer": isOfficer(caremarket.ActorFrom(r.Context()))}, nil)
	return nil
}

func (s *Server) riskPage(w http.ResponseWriter, r *http.Request) error {
	return s.showRisk(w, r, http.StatusOK, nil)
}

func (s *Server) showRisk(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	risk, err := s.Store.ProviderRisk(r.Context(), id)
	if err != nil {
		return err
	}
	a := caremarket.ActorFrom(r.Context())
	data := map[string]any{"Risk": risk, "Officer": isOfficer(a), "Staff": a.IsStaff(),
		"Kinds": []option{{Value: quality.EventComplaint, Label: "Complaints"}, {Value: quality.EventSafeguarding, Label: "Safeguarding referrals"}}}
	if a.IsStaff() {
		events, err := s.Store.ListEvents(r.Context(), id)
		if err != nil {
			return err
		}
		data["Events"] = events
		var locs []option
		for _, l := range risk.Locations {
			locs = append(locs, option{Value: idValue(l.LocationID), Label: l.LocationName})
		}
		data["Locations"] = locs
	}
	s.render(w, r, status, "quality_risk", "Risk: "+risk.ProviderName, data, ferr)
	return nil
}

func (s *Server) eventPost(w http.ResponseWriter, r *http.Request) error {
	ff := readFields(r.PostForm)
	e := &quality.Event{LocationID: ff.id("location_id", "Choose the location"), Kind: r.PostFormValue("kind"), Count: ff.whole("count", "Enter how many, like 2"),
		Note: r.PostFormValue("note")}
	ff.dateInto(&e.Date, "date", "Date received")
	err := ff.err()
	if err == nil {
		err = s.Store.RecordEvent(r.Context(), e)
	}
	if err != nil {
		return reshow(w, r, err, s.showRisk)
	}
	id, _ := pathID(r)
	redirectWithFlash(w, r, fmt.Sprintf("/providers/%d/risk", id), "Recorded: "+strconv.Itoa(e.Count)+" "+quality.EventLabel(e.Kind)+" at "+e.LocationName)
	return nil
}

// weightField is one weight on the form.
type weightField struct {
	Name, Label, Hint string
	Value             int
}

func weightFields(w quality.Weights) []weightField {
	return []weightField{
		{"cqc_rating", "CQC rating", "Points per step below Good: Requires improvement or not rated 1 step, Inadequate 2", w.CQCRating},
		{"cqc_trend", "CQC rating fell", "Points when the latest CQC rating change was a drop", w.CQCTrend},
		{"audit_rating", "Council audit rating", "Points per step below Good: Requires improvement 1 step, Poor 2 (a location not yet audited scores nothing)", w.AuditRating},
		{"concerns", "Open serious concerns", "Points for each", w.Concerns},
		{"suspensions", "Open suspensions", "Points for each", w.Suspensions},
		{"overdue", "Overdue actions", "Points for each", w.Overdue},
		{"hand_backs", "Placements handed back in the last 12 months", "Points for each", w.HandBacks},
		{"complaints", "Complaints in the last 12 months", "Points for each", w.Complaints},
		{"safeguarding", "Safeguarding referrals in the last 12 months", "Points for each", w.Safeguarding},
		{"medium_from", "Medium from", "A total score this high or more is Medium", w.Medium},
		{"high_from", "High from", "A total score this high or more is High", w.High},
		{"very_high_from", "Very high from", "A total score this high or more is Very high", w.VeryHigh},
	}
}

func (s *Server) weightsPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.CouncilStaff...); err != nil {
		return err
	}
	ws, err := s.Store.RiskWeights(r.Context())
	if err != nil {
		return err
	}
	return s.showWeights(w, r, http.StatusOK, weightFields(ws), nil)
}

func (s *Server) showWeights(w http.ResponseWriter, r *http.Request, status int, fields []weightField, ferr error) error {
	s.render(w, r, status, "quality_weights", "Risk weights", map[string]any{"Weights": fields, "Officer": isOfficer(caremarket.ActorFrom(r.Context()))}, ferr)
	return nil
}

func (s *Server) weightsPost(w http.ResponseWriter, r *http.Request) error {
	ff := readFields(r.PostForm)
	n := func(name string) int { return ff.whole(name, "Enter a whole number") }
	ws := quality.Weights{CQCRating: n("cqc_rating"), CQCTrend: n("cqc_trend"), AuditRating: n("audit_rating"), Concerns: n("concerns"),
		Suspensions: n("suspensions"), Overdue: n("overdue"), HandBacks: n("hand_backs"), Complaints: n("complaints"), Safeguarding: n("safeguarding"),
		Medium: n("medium_from"), High: n("high_from"), VeryHigh: n("very_high_from")}
	err := ff.err()
	if err == nil {
		err = s.Store.SetRiskWeights(r.Context(), ws)
	}
	if err != nil {
		if hasFormErrors(err) {
			return s.showWeights(w, r, statusOf(err), weightFields(ws), err)
		}
		return err
	}
	redirectWithFlash(w, r, "/risk/weights", "Risk weights saved: every risk level now uses them")
	return nil
}

// qualityPanels are the commissioner's home-page flags: overdue actions and
// the watch list.
func (s *Server) qualityPanels(ctx context.Context) ([]homePanel, error) {
	overdue, err := s.Store.ListActions(ctx, quality.ActionFilter{Status: quality.ActionOverdue})
	if err != nil {
		return nil, err
	}
	watch, err := s.Store.WatchList(ctx, quality.RiskHigh)
	if err != nil {
		return nil, err
	}
	p := homePanel{ID: "overdue-actions", Heading: "Overdue monitoring actions", Count: count(len(overdue)),
		Hint: "Actions from monitoring visits past their due date and not yet accepted.", Link: "/monitoring/actions?status=overdue", LinkText: "See overdue actions"}
	seen := map[int64]bool{}
	for _, x := range overdue {
		if !seen[x.ProviderID] && len(p.Links) < 3 {
			seen[x.ProviderID] = true
			p.Links = append(p.Links, homeLink{Href: fmt.Sprintf("/monitoring/visits/%d", x.VisitID), Text: x.LocationName + ": due " + localTime(x.DueDate, "2 January 2006", false)})
		}
	}
	wp := homePanel{ID: "watch-list", Heading: "Providers on the watch list", Count: count(len(watch)),
		Hint: "Providers at High or Very high risk.", Link: "/risk", LinkText: "See the watch list"}
	return []homePanel{p, wp}, nil
}

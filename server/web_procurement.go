package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
)

// registerProcurementPages registers the procurement pages: agreements and
// their lots, windows with their funnel and results (staff), applications
// (a provider sees only its own, with its assessment summary), and the OCDS
// download.
func (s *Server) registerProcurementPages() {
	s.route("GET /agreements", s.page(s.agreementsPage))
	s.route("GET /agreements/{id}", s.page(s.agreementPage))
	s.route("GET /agreements/{id}/ocds.json", s.page(s.apiOCDS))
	s.route("GET /windows/{id}", s.page(s.windowPage))
	s.route("GET /applications/{id}", s.page(s.applicationPage))
	s.route("POST /applications/{id}/submit", s.page(s.submitApplicationPost))
	s.registerProcurementForms()
}

func (s *Server) agreementsPage(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	as, err := p.ListAgreements(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "procurement_agreements", "Agreements", map[string]any{"Agreements": as,
		"CanSetUp": caremarket.ActorFrom(r.Context()).Is(procSetUp...)}, nil)
	return nil
}

// windowRow is a window with its funnel (for staff).
type windowRow struct {
	Window procurement.Window
	Status string
	Funnel *procurement.Funnel
}

func (s *Server) agreementPage(w http.ResponseWriter, r *http.Request) error {
	p, _, a, err := procEntity(s, r, procurement.Store.Agreement)
	if err != nil {
		return err
	}
	ws, err := p.ListWindows(r.Context(), a.ID)
	if err != nil {
		return err
	}
	actor := caremarket.ActorFrom(r.Context())
	var rows []windowRow
	for _, win := range ws {
		row := windowRow{Window: win, Status: win.Status(s.Now())}
		if actor.IsStaff() {
			res, err := p.WindowResults(r.Context(), win.ID)
			if err != nil {
				return err
			}
			row.Funnel = &res.Funnel
		}
		rows = append(rows, row)
	}
	contracts, err := p.ListContracts(r.Context(), procurement.ContractFilter{AgreementID: a.ID})
	if err != nil {
		return err
	}
	// The providers admitted to each lot: staff see every award, others
	// (a provider sees only its own) once its notice is published.
	awards, err := p.ListAwards(r.Context(), procurement.AwardFilter{AgreementID: a.ID})
	if err != nil {
		return err
	}
	admitted := map[int64][]procurement.Award{}
	for _, aw := range awards {
		if aw.NoticeAt != nil || actor.IsStaff() {
			admitted[aw.LotID] = append(admitted[aw.LotID], aw)
		}
	}
	// Each lot's districts, by name.
	areas, err := s.Store.ListAreas(r.Context())
	if err != nil {
		return err
	}
	areaNames := map[int64]string{}
	for _, ar := range areas {
		areaNames[ar.ID] = ar.Name
	}
	s.render(w, r, http.StatusOK, "procurement_agreement", a.Title, map[string]any{"Agreement": a, "Windows": rows, "Contracts": contracts, "Admitted": admitted,
		"AreaNames":     areaNames,
		"NextReopening": a.NextReopeningDue(s.Now()), "CanSetUp": actor.Is(procSetUp...)}, nil)
	return nil
}

func (s *Server) windowPage(w http.ResponseWriter, r *http.Request) error {
	p, id, win, err := procEntity(s, r, procurement.Store.Window)
	if err != nil {
		return err
	}
	data := map[string]any{"Window": win, "Status": win.Status(s.Now())}
	actor := caremarket.ActorFrom(r.Context())
	data["CanSetUp"] = actor.Is(procSetUp...)
	data["IsProvider"] = actor.Role == caremarket.RoleProvider
	if actor.IsStaff() {
		res, err := p.WindowResults(r.Context(), id)
		if err != nil {
			return err
		}
		data["Results"] = res
		aws, err := p.ListAwards(r.Context(), procurement.AwardFilter{WindowID: id})
		if err != nil {
			return err
		}
		data["Outcomes"], data["Decided"] = applicationOutcomes(res.Results, aws), len(aws) > 0
		es, err := p.Evaluators(r.Context(), id)
		if err != nil {
			return err
		}
		// The signed-in person's own assignment, to offer the declaration
		// and the scoring pages.
		if me := myEvaluator(es, actor.UserID); me != nil {
			data["Me"] = me
		}
	}
	apps, err := p.ListApplications(r.Context(), procurement.ApplicationFilter{WindowID: id})
	if err != nil {
		return err
	}
	data["Applications"] = apps
	s.render(w, r, http.StatusOK, "procurement_window", win.Title, data, nil)
	return nil
}

func (s *Server) applicationPage(w http.ResponseWriter, r *http.Request) error {
	p, id, app, err := procEntity(s, r, procurement.Store.Application)
	if err != nil {
		return err
	}
	win, err := p.Window(r.Context(), app.WindowID)
	if err != nil {
		return err
	}
	data := map[string]any{"Application": app, "Window": win, "Open": win.Status(s.Now()) == "open"}
	if clock, err := p.AssessmentClock(r.Context(), id); err == nil && clock != nil {
		data["Clock"] = clock
	}
	if sum, err := p.AssessmentSummary(r.Context(), id); err == nil {
		data["Summary"] = sum
	} else if caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
		return err
	}
	if caremarket.ActorFrom(r.Context()).Is(caremarket.RoleEvaluator, caremarket.RoleCommissioner, caremarket.RoleAdmin) {
		sheet, err := p.ScoreSheet(r.Context(), id)
		if err != nil {
			return err
		}
		data["Sheet"] = sheet
		data["CanScore"] = true
	}
	if caremarket.ActorFrom(r.Context()).Role == caremarket.RoleProvider {
		// The one resubmission of a failed quality answer, where allowed.
		a, err := p.Agreement(r.Context(), win.AgreementID)
		if err != nil {
			return err
		}
		var qs []procurement.Question
		for i := range win.Questions {
			if resubmittable(a, app, &win.Questions[i]) {
				qs = append(qs, win.Questions[i])
			}
		}
		data["Resubmit"] = qs
	}
	s.render(w, r, http.StatusOK, "procurement_application", "Application from "+app.ProviderName, data, nil)
	return nil
}

func (s *Server) submitApplicationPost(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r)
	if err != nil {
		return err
	}
	if _, err := p.SubmitApplication(r.Context(), id); hasFormErrors(err) {
		// Unanswered questions or the deadline: show the application form
		// again with the messages beside the answers.
		app, aerr := p.Application(r.Context(), id)
		if aerr != nil {
			return aerr
		}
		win, werr := p.Window(r.Context(), app.WindowID)
		if werr != nil {
			return werr
		}
		return s.renderApply(w, r, statusOf(err), p, win, app, applicationValues(app), err)
	} else if err != nil {
		return err
	}
	flash(w, "Your application has been submitted")
	http.Redirect(w, r, "/applications/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func init() {
	funcs["pounds"] = func(pence int64) string { return money.Money(pence).Short() }
	funcs["percent"] = func(hundredths int) string {
		return strconv.Itoa(hundredths/100) + "." + fmt.Sprintf("%02d", hundredths%100) + "%"
	}
	funcs["deref"] = func(b *bool) bool { return b != nil && *b }
}

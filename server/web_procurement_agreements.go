package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
)

// --- Agreements

const maxReopenings = 3

func agreementValues(a *procurement.Agreement) url.Values {
	v := url.Values{"reference": {a.Reference}, "title": {a.Title}, "description": {a.Description}, "type": {string(a.Type)},
		"regime": {string(a.Regime)}, "annual_value_pence": {money.Money(a.AnnualValuePence).Input()}, "lifetime_value_pence": {money.Money(a.LifetimeValuePence).Input()}}
	for flag, on := range map[string]bool{"light_touch": a.LightTouch, "voluntary_standstill": a.VoluntaryStandstill,
		"allow_resubmission": a.AllowResubmission, "single_supplier": a.SingleSupplier} {
		if on {
			v.Add("options", flag)
		}
	}
	dateValues(v, "start", &a.Start)
	dateValues(v, "end", &a.End)
	for i, r := range a.Reopenings {
		dateValues(v, "reopenings."+strconv.Itoa(i), &r)
	}
	return v
}

// agreementFromForm builds an agreement from the agreement form, with the
// law's messages (PA 2023 s.47, s.49; PCR 2015) beside the fields.
func agreementFromForm(v url.Values, id int64) (*procurement.Agreement, func(error) error, error) {
	f := readFields(v)
	flags := v["options"]
	in := agreementInput{Reference: v.Get("reference"), Title: v.Get("title"), Description: v.Get("description"),
		Type: procurement.Type(v.Get("type")), Regime: procurement.Regime(v.Get("regime")),
		LightTouch: slices.Contains(flags, "light_touch"), VoluntaryStandstill: slices.Contains(flags, "voluntary_standstill"),
		AllowResubmission: slices.Contains(flags, "allow_resubmission"), SingleSupplier: slices.Contains(flags, "single_supplier"),
		AnnualValuePence:   f.pounds("annual_value_pence", "Annual value", false),
		LifetimeValuePence: f.pounds("lifetime_value_pence", "Lifetime value", false)}
	f.dateInto(&in.Start.Time, "start", "Start date")
	f.dateInto(&in.End.Time, "end", "End date")
	var rows []int
	for i := range maxReopenings {
		if d := f.date("reopenings."+strconv.Itoa(i), "Reopening "+strconv.Itoa(i+1)); d != nil {
			in.Reopenings = append(in.Reopenings, dateOnly{*d})
			rows = append(rows, i)
		}
	}
	a := in.agreement(id)
	fix := func(err error) error {
		return remapFields(err, chain(rowRename("reopenings", rows),
			renameKeys(map[string]string{"single_supplier": "options", "reopenings": "reopenings.0"})))
	}
	f.check(fix(a.Validate()))
	return a, fix, f.err()
}

func agreementFormView(id int64, v url.Values) procForm {
	pf := procForm{View: "procurement_agreement_form", Form: v, Rows: seq(maxReopenings),
		Choices: map[string][]option{"type": agreementTypeOptions(), "regime": regimeOptions(), "options": agreementFlagOptions()}}
	if id == 0 {
		pf.Heading, pf.Action, pf.Back, pf.Button = "Set up an agreement", "/agreements/new", "/agreements", "Save agreement"
	} else {
		href := "/agreements/" + idValue(id)
		pf.Heading, pf.Action, pf.Back, pf.Button = "Change the agreement", href+"/edit", href, "Save changes"
	}
	return pf
}

func (s *Server) newAgreementPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(procSetUp...); err != nil {
		return err
	}
	v := url.Values{"regime": {string(procurement.PA2023)}, "options": {"light_touch"}}
	return s.renderProc(w, r, http.StatusOK, agreementFormView(0, v), "Set up an agreement", nil)
}

func (s *Server) newAgreementPost(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	if err := caremarket.ActorFrom(r.Context()).Require(procSetUp...); err != nil {
		return err
	}
	a, fix, err := agreementFromForm(r.PostForm, 0)
	if err == nil {
		err = fix(p.CreateAgreement(r.Context(), a))
	}
	if hasFormErrors(err) {
		return s.renderProc(w, r, statusOf(err), agreementFormView(0, r.PostForm), "Set up an agreement", err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/agreements/"+idValue(a.ID), a.Reference+" has been set up: now add its lots")
	return nil
}

func (s *Server) editAgreementPage(w http.ResponseWriter, r *http.Request) error {
	_, id, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return err
	}
	pf := agreementFormView(id, agreementValues(a))
	pf.Caption = a.Reference
	return s.renderProc(w, r, http.StatusOK, pf, pf.Heading, nil)
}

func (s *Server) editAgreementPost(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r, procSetUp...)
	if err != nil {
		return err
	}
	a, fix, err := agreementFromForm(r.PostForm, id)
	if err == nil {
		err = fix(p.UpdateAgreement(r.Context(), a))
	}
	if hasFormErrors(err) {
		return s.renderProc(w, r, statusOf(err), agreementFormView(id, r.PostForm), "Change the agreement", err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/agreements/"+idValue(id), "The changes to "+a.Reference+" have been saved")
	return nil
}

// procAndID is the procurement store and the path id, after an early role
// check when roles are given.
func (s *Server) procAndID(r *http.Request, roles ...caremarket.Role) (procurement.Store, int64, error) {
	if len(roles) > 0 {
		if err := caremarket.ActorFrom(r.Context()).Require(roles...); err != nil {
			return nil, 0, err
		}
	}
	p := s.Store
	id, err := pathID(r)
	return p, id, err
}

// procEntity is the procurement store, the path id and what get finds by
// it (procurement.Store.Agreement, .Window, ...), after an early role check
// when roles are given.
func procEntity[T any](s *Server, r *http.Request, get func(procurement.Store, context.Context, int64) (T, error), roles ...caremarket.Role) (procurement.Store, int64, T, error) {
	var zero T
	p, id, err := s.procAndID(r, roles...)
	if err != nil {
		return nil, 0, zero, err
	}
	v, err := get(p, r.Context(), id)
	if err != nil {
		return nil, 0, zero, err
	}
	return p, id, v, nil
}

// --- Lots

var lotIndexRe = regexp.MustCompile(`^lots\.[0-9]+\.`)

// lotFromForm builds a lot from the lot form.
func lotFromForm(v url.Values) (procurement.Lot, *formFields) {
	f := readFields(v)
	in := lotInput{Number: f.whole("number", "Lot number must be a whole number, like 3"), Title: v.Get("title"),
		ServiceTypes: f.serviceTypes("service_types"), AreaIDs: f.ids("area_ids", "Choose areas from the list"),
		ProviderCap: f.whole("provider_cap", "The cap must be a whole number of providers, like 12, or 0 for no cap"),
		CallOff:     procurement.CallOff(v.Get("call_off")), CallOffTerms: v.Get("call_off_terms"), Mechanism: v.Get("mechanism")}
	for i := 1; i <= rankKeys; i++ {
		if k := v.Get("ranking-" + strconv.Itoa(i)); k != "" {
			in.Ranking = append(in.Ranking, procurement.RankBy(k))
		}
	}
	return in.lot(), f
}

func fixLotErr(err error) error {
	return remapFields(err, func(k string) string {
		k = lotIndexRe.ReplaceAllString(k, "")
		if k == "ranking" {
			return "ranking-1"
		}
		return k
	})
}

func (s *Server) renderLotForm(w http.ResponseWriter, r *http.Request, status int, a *procurement.Agreement, v url.Values, ferr error) error {
	return s.renderLotFormAs(w, r, status, a, nil, v, ferr)
}

// renderLotFormAs shows the form to add a lot, or (lot not nil) to change one.
func (s *Server) renderLotFormAs(w http.ResponseWriter, r *http.Request, status int, a *procurement.Agreement, lot *procurement.Lot, v url.Values, ferr error) error {
	areas, err := s.Store.ListAreas(r.Context())
	if err != nil {
		return err
	}
	href := "/agreements/" + idValue(a.ID)
	heading, action, button := "Add a lot", href+"/lots/new", "Add lot"
	if lot != nil {
		heading, action, button = "Change lot "+strconv.Itoa(lot.Number), href+"/lots/"+idValue(lot.ID)+"/edit", "Save changes"
	}
	pf := procForm{View: "procurement_lot_form", Heading: heading, Caption: a.Reference + " · " + a.Title, Action: action, Back: href,
		Button: button, Form: v, Agreement: a, Rows: seq(rankKeys),
		Choices: map[string][]option{"service_types": serviceTypeOptions(), "area_ids": areaOptions(areas), "call_off": callOffOptions(), "ranking": rankOptions()}}
	return s.renderProc(w, r, status, pf, heading, ferr)
}

// lotValues fills the lot form from a lot.
func lotValues(l *procurement.Lot) url.Values {
	v := url.Values{"number": {strconv.Itoa(l.Number)}, "title": {l.Title}, "call_off": {string(l.CallOff)},
		"call_off_terms": {l.CallOffTerms}, "mechanism": {l.Mechanism}}
	if l.ProviderCap > 0 {
		v.Set("provider_cap", strconv.Itoa(l.ProviderCap))
	}
	for _, st := range l.ServiceTypes {
		v.Add("service_types", string(st))
	}
	for _, id := range l.AreaIDs {
		v.Add("area_ids", idValue(id))
	}
	for i, k := range l.Ranking {
		v.Set("ranking-"+strconv.Itoa(i+1), string(k))
	}
	return v
}

// agreementLot is the agreement of the path and its lot {lot}. A lot of
// another agreement is not found.
func (s *Server) agreementLot(r *http.Request) (procurement.Store, *procurement.Agreement, *procurement.Lot, error) {
	p, _, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return nil, nil, nil, err
	}
	lotID, err := parseID(r.PathValue("lot"))
	for i := range a.Lots {
		if err == nil && a.Lots[i].ID == lotID {
			return p, a, &a.Lots[i], nil
		}
	}
	return nil, nil, nil, caremarket.Errorf(caremarket.ENOTFOUND, "This agreement has no such lot")
}

// lotAwardedMessage explains why a lot with awards cannot be changed.
func lotAwardedMessage(l *procurement.Lot) error {
	return caremarket.Errorf(caremarket.ECONFLICT, "Lot %d has been awarded (%d %s), so it can no longer be changed: the award was made on the lot as it stands. Add a new lot instead",
		l.Number, l.Admitted, map[bool]string{true: "award", false: "awards"}[l.Admitted == 1])
}

func (s *Server) editLotPage(w http.ResponseWriter, r *http.Request) error {
	_, a, lot, err := s.agreementLot(r)
	if err != nil {
		return err
	}
	var ferr error
	status := http.StatusOK
	if lot.Admitted > 0 {
		ferr, status = lotAwardedMessage(lot), http.StatusConflict
	}
	return s.renderLotFormAs(w, r, status, a, lot, lotValues(lot), ferr)
}

func (s *Server) editLotPost(w http.ResponseWriter, r *http.Request) error {
	p, a, lot, err := s.agreementLot(r)
	if err != nil {
		return err
	}
	l, f := lotFromForm(r.PostForm)
	l.ID = lot.ID
	f.check(fixLotErr(l.Validate(a)))
	err = f.err()
	if err == nil {
		err = fixLotErr(p.UpdateLot(r.Context(), &l))
	}
	if hasFormErrors(err) {
		return s.renderLotFormAs(w, r, statusOf(err), a, lot, r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/agreements/"+idValue(a.ID), "The changes to lot "+strconv.Itoa(l.Number)+" have been saved")
	return nil
}

func (s *Server) newLotPage(w http.ResponseWriter, r *http.Request) error {
	_, _, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return err
	}
	v := url.Values{}
	if !a.Type.IsFramework() {
		v.Set("call_off", string(procurement.DirectAward))
	}
	return s.renderLotForm(w, r, http.StatusOK, a, v, nil)
}

func (s *Server) newLotPost(w http.ResponseWriter, r *http.Request) error {
	p, id, a, err := procEntity(s, r, procurement.Store.Agreement, procSetUp...)
	if err != nil {
		return err
	}
	l, f := lotFromForm(r.PostForm)
	f.check(fixLotErr(l.Validate(a)))
	err = f.err()
	if err == nil {
		err = fixLotErr(p.AddLot(r.Context(), id, &l))
	}
	if hasFormErrors(err) {
		return s.renderLotForm(w, r, statusOf(err), a, r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/agreements/"+idValue(id), "Lot "+strconv.Itoa(l.Number)+" has been added")
	return nil
}

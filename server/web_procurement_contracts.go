package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
)

// --- Contracts

const contractOptionRows = 3

type contractsView struct {
	View      string
	Back      string
	Contracts []procurement.Contract
	CanSetUp  bool
	Now       time.Time
	// Agreement, when set, is the agreement whose contracts these are.
	Agreement *procurement.Agreement
	Pages     pagination
}

func (s *Server) contractsPage(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	v := contractsView{View: "procurement_contracts", CanSetUp: caremarket.ActorFrom(r.Context()).Is(procSetUp...), Now: s.Now()}
	f := procurement.ContractFilter{}
	if raw := r.URL.Query().Get("agreement"); raw != "" {
		id, err := parseID(raw)
		if err != nil {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Not found: %q is not an agreement", raw)
		}
		if v.Agreement, err = p.Agreement(r.Context(), id); err != nil {
			return err
		}
		f.AgreementID, v.Back = id, "/agreements/"+idValue(id)
	}
	cs, err := p.ListContracts(r.Context(), f)
	if err != nil {
		return err
	}
	v.Contracts, v.Pages = pageOf(r, "/contracts", cs, 50)
	title := "Contracts"
	if v.Agreement != nil {
		title = "Contracts under " + v.Agreement.Reference
	}
	return s.renderProc(w, r, http.StatusOK, v, title, nil)
}

func contractValues(c *procurement.Contract) url.Values {
	v := url.Values{"reference": {c.Reference}, "title": {c.Title}, "provider_id": {idValue(c.ProviderID)},
		"annual_value_pence": {money.Money(c.AnnualValuePence).Input()}, "lifetime_value_pence": {money.Money(c.LifetimeValuePence).Input()},
		"value_so_far_pence": {money.Money(c.ValueSoFarPence).Input()}}
	dateValues(v, "start", &c.Start)
	dateValues(v, "initial_end", &c.InitialEnd)
	for i, e := range c.Extensions {
		v.Set("extensions."+strconv.Itoa(i), strconv.Itoa(e.Months))
	}
	for i, b := range c.BreakClauses {
		k := "break_clauses." + strconv.Itoa(i)
		dateValues(v, k+".from", &b.From)
		v.Set(k+".notice_months", strconv.Itoa(b.NoticeMonths))
		v.Set(k, b.Description)
	}
	return v
}

// contractFromForm builds a contract from the contract form. before is the
// saved contract when changing one: options already taken, variations and
// the award stay as they are.
func contractFromForm(v url.Values, id int64, before *procurement.Contract) (*procurement.Contract, func(error) error, error) {
	f := readFields(v)
	in := contractInput{AgreementID: f.id("agreement_id", "Choose an agreement"), AwardID: f.id("award_id", "Choose an award"),
		ProviderID: f.id("provider_id", "Choose the provider from the list"), Reference: v.Get("reference"), Title: v.Get("title"),
		AnnualValuePence:   f.pounds("annual_value_pence", "Annual value", false),
		LifetimeValuePence: f.pounds("lifetime_value_pence", "Lifetime value", false),
		ValueSoFarPence:    f.pounds("value_so_far_pence", "Value so far", false)}
	f.dateInto(&in.Start.Time, "start", "Start date")
	f.dateInto(&in.InitialEnd.Time, "initial_end", "End date")
	var extRows, breakRows []int
	n := contractOptionRows
	if before != nil {
		n = max(n, len(before.Extensions)+1, len(before.BreakClauses)+1)
	}
	for i := range n {
		k := "extensions." + strconv.Itoa(i)
		if before != nil && i < len(before.Extensions) && before.Extensions[i].Taken {
			in.Extensions = append(in.Extensions, before.Extensions[i])
			extRows = append(extRows, i)
		} else if strings.TrimSpace(v.Get(k)) != "" {
			in.Extensions = append(in.Extensions, procurement.Extension{Months: f.whole(k, "Extension "+strconv.Itoa(i+1)+" must be a whole number of months, like 12")})
			extRows = append(extRows, i)
		}
		bk := "break_clauses." + strconv.Itoa(i)
		from := f.date(bk+".from", "Break clause "+strconv.Itoa(i+1)+" date")
		desc, months := v.Get(bk), v.Get(bk+".notice_months")
		if from == nil && strings.TrimSpace(desc+months) == "" {
			continue
		}
		b := breakClauseInput{NoticeMonths: f.whole(bk+".notice_months", "Notice must be a whole number of months, like 6"), Description: desc}
		if from == nil {
			f.fail(bk+".from", "Enter the date from which break clause "+strconv.Itoa(i+1)+" may be used")
		} else {
			b.From.Time = *from
		}
		in.BreakClauses = append(in.BreakClauses, b)
		breakRows = append(breakRows, i)
	}
	c := in.contract(id)
	if before != nil {
		c.Variations = before.Variations
	}
	fix := func(err error) error {
		return remapFields(err, chain(rowRename("extensions", extRows), rowRename("break_clauses", breakRows)))
	}
	f.check(fix(c.Validate()))
	return c, fix, f.err()
}

func (s *Server) renderContractForm(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, id int64, before *procurement.Contract, v url.Values, ferr error) error {
	ctx := r.Context()
	pf := procForm{View: "procurement_contract_form", Form: v, Contract: before, Taken: map[int]procurement.Extension{}}
	n := contractOptionRows
	if before != nil {
		n = max(n, len(before.Extensions)+1, len(before.BreakClauses)+1)
		for i, e := range before.Extensions {
			if e.Taken {
				pf.Taken[i] = e
			}
		}
	}
	pf.Rows, pf.BreakRows = seq(n), seq(n)
	if id != 0 {
		href := "/contracts/" + idValue(id)
		pf.Heading, pf.Action, pf.Back, pf.Button = "Change the contract", href+"/edit", href, "Save changes"
		return s.renderProc(w, r, status, pf, pf.Heading, ferr)
	}
	pf.Heading, pf.Action, pf.Back, pf.Button = "Record a contract", "/contracts/new", "/contracts", "Enter contract"
	f := readFields(v)
	if awardID := f.id("award_id", "Choose an award"); awardID != 0 {
		aws, err := p.ListAwards(ctx, procurement.AwardFilter{})
		if err != nil {
			return err
		}
		for i := range aws {
			if aws[i].ID == awardID {
				pf.Award = &aws[i]
			}
		}
		if pf.Award == nil {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Award not found")
		}
		pf.Heading, pf.Button = "Enter the contract with "+pf.Award.ProviderName, "Enter contract"
		if pf.Agreement, err = p.Agreement(ctx, pf.Award.AgreementID); err != nil {
			return err
		}
		pf.Back = "/windows/" + idValue(pf.Award.WindowID) + "/awards"
	} else {
		if agreementID := f.id("agreement_id", "Choose an agreement"); agreementID != 0 {
			a, err := p.Agreement(ctx, agreementID)
			if err != nil {
				return err
			}
			pf.Agreement, pf.Back = a, "/agreements/"+idValue(a.ID)
		}
		providers, err := s.allProviders(ctx)
		if err != nil {
			return err
		}
		pf.Choices = map[string][]option{"provider_id": providerOptions(providers)}
	}
	return s.renderProc(w, r, status, pf, pf.Heading, ferr)
}

func (s *Server) newContractPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(procSetUp...); err != nil {
		return err
	}
	p := s.Store
	var err error
	q := r.URL.Query()
	v := url.Values{"award_id": {q.Get("award_id")}, "agreement_id": {q.Get("agreement_id")}}
	if f := readFields(v); f.id("award_id", "") != 0 || f.id("agreement_id", "") != 0 {
		// Prefill the title and values from the agreement.
		var a *procurement.Agreement
		if awardID := f.id("award_id", ""); awardID != 0 {
			aws, err := p.ListAwards(r.Context(), procurement.AwardFilter{})
			if err != nil {
				return err
			}
			for _, aw := range aws {
				if aw.ID == awardID {
					a, err = p.Agreement(r.Context(), aw.AgreementID)
					if err != nil {
						return err
					}
				}
			}
		} else if a, err = p.Agreement(r.Context(), f.id("agreement_id", "")); err != nil {
			return err
		}
		if a != nil {
			v.Set("title", a.Title)
		}
	}
	return s.renderContractForm(w, r, http.StatusOK, p, 0, nil, v, nil)
}

func (s *Server) newContractPost(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(procSetUp...); err != nil {
		return err
	}
	p := s.Store
	v := r.PostForm
	if awardID := readFields(v).id("award_id", ""); awardID != 0 {
		// The award decides the provider.
		aws, err := p.ListAwards(r.Context(), procurement.AwardFilter{})
		if err != nil {
			return err
		}
		v.Del("provider_id")
		for _, aw := range aws {
			if aw.ID == awardID {
				v.Set("provider_id", idValue(aw.ProviderID))
			}
		}
		if v.Get("provider_id") == "" {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Award not found")
		}
	}
	c, fix, err := contractFromForm(v, 0, nil)
	if err == nil {
		err = fix(p.CreateContract(r.Context(), c))
	}
	if hasFormErrors(err) {
		return s.renderContractForm(w, r, statusOf(err), p, 0, nil, v, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/contracts/"+idValue(c.ID), "Contract "+c.Reference+" with "+c.ProviderName+" has been entered")
	return nil
}

func (s *Server) editContractPage(w http.ResponseWriter, r *http.Request) error {
	p, id, c, err := procEntity(s, r, procurement.Store.Contract, procSetUp...)
	if err != nil {
		return err
	}
	return s.renderContractForm(w, r, http.StatusOK, p, id, c, contractValues(c), nil)
}

func (s *Server) editContractPost(w http.ResponseWriter, r *http.Request) error {
	p, id, before, err := procEntity(s, r, procurement.Store.Contract, procSetUp...)
	if err != nil {
		return err
	}
	v := r.PostForm
	v.Set("provider_id", idValue(before.ProviderID))
	c, fix, err := contractFromForm(v, id, before)
	if err == nil {
		err = fix(p.UpdateContract(r.Context(), c))
	}
	if hasFormErrors(err) {
		return s.renderContractForm(w, r, statusOf(err), p, id, before, v, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/contracts/"+idValue(id), "The changes to contract "+c.Reference+" have been saved")
	return nil
}

type contractView struct {
	View      string
	Back      string
	Contract  *procurement.Contract
	Status    string
	Remaining int
	MaxEnd    time.Time
	Varied    int64
	CanSetUp  bool
	Form      url.Values
}

func (s *Server) renderContract(w http.ResponseWriter, r *http.Request, status int, p procurement.Store, id int64, v url.Values, ferr error) error {
	c, err := p.Contract(r.Context(), id)
	if err != nil {
		return err
	}
	data := contractView{View: "procurement_contract", Contract: c, Status: c.Status(s.Now().In(procurement.London)), Remaining: c.ExtensionMonthsRemaining(),
		MaxEnd: c.MaxEnd(), Varied: c.VariedLifetimeValuePence(), CanSetUp: caremarket.ActorFrom(r.Context()).Is(procSetUp...), Form: v}
	return s.renderProc(w, r, status, data, "Contract "+c.Reference, ferr)
}

func (s *Server) contractPage(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r)
	if err != nil {
		return err
	}
	return s.renderContract(w, r, http.StatusOK, p, id, url.Values{}, nil)
}

func (s *Server) takeExtensionPost(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.procAndID(r, procSetUp...)
	if err != nil {
		return err
	}
	c, err := p.TakeExtension(r.Context(), id)
	if hasFormErrors(err) {
		return s.renderContract(w, r, statusOf(err), p, id, url.Values{}, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/contracts/"+idValue(id), "The extension has been taken: the contract now ends on "+localTime(c.End, "2 January 2006", false))
	return nil
}

func (s *Server) variationPost(w http.ResponseWriter, r *http.Request) error {
	p, id, c, err := procEntity(s, r, procurement.Store.Contract, procSetUp...)
	if err != nil {
		return err
	}
	v := r.PostForm
	f := readFields(v)
	vr := procurement.Variation{Description: v.Get("variation_description"), ValueChangePence: f.pounds("variation_value", "Change in value", true)}
	if d := f.date("variation_date", "Date of the variation"); d != nil {
		vr.Date = *d
	} else {
		f.fail("variation_date", "Enter the date of the variation")
	}
	c.Variations = append(c.Variations, vr)
	n := len(c.Variations) - 1
	fix := func(err error) error {
		return remapFields(err, renameKeys(map[string]string{"variations." + strconv.Itoa(n): "variation_description"}))
	}
	f.check(fix(c.Validate()))
	err = f.err()
	if err == nil {
		err = fix(p.UpdateContract(r.Context(), c))
	}
	if hasFormErrors(err) {
		return s.renderContract(w, r, statusOf(err), p, id, v, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/contracts/"+idValue(id), "The variation has been recorded")
	return nil
}

// Package procdemo loads the procurement part of the demo into a council
// that already has areas and providers (the demo package's Kent): the
// finished Care and Support in the Home tender of 2019-20 (CSIH-2020) whose
// funnel matches Kent's award report (108 applications, 93 passed selection,
// 63 passed quality first time), the Older Persons Residential and Nursing
// open framework (OPRN-2026) with its window open, the All Age Home Care open
// framework (AAHC-2027) with its window to come, and the 2019 Care and
// Support in the Home contract with its extensions.
//
// Everything goes through storage's ordinary, audited methods, acting as
// the council's people; the clock is moved to when each step happened.
package procdemo

import (
	"context"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
)

// The 2020 Care and Support in the Home tender as Kent's award report
// counts it: "108 providers submitted a response", "93 of these passed the
// initial selection criteria", "63 providers passed the Quality Question
// criteria in the first instance".
const (
	CSIHApplications       = 108
	CSIHPassedSelection    = 93
	CSIHPassedQualityFirst = 63
	// CSIHPassedAfterResubmission is how many of the 30 who failed quality
	// first time passed on resubmission (the report does not say; ours).
	CSIHPassedAfterResubmission = 20
)

// Result counts what LoadDemo created.
type Result struct {
	Agreements   int
	Applications int
	Awards       int
	Contracts    int
}

func london(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, procurement.London)
}

// LoadDemo loads the procurement demo into the council of the actor in ctx
// (a system admin, as the demo loader and CLI use). It does nothing if
// CSIH-2020 already exists. now is the demo's present.
func LoadDemo(ctx context.Context, db *storage.DB, now time.Time) (*Result, error) {
	sys := caremarket.ActorFrom(ctx)
	if sys == nil {
		return nil, caremarket.Errorf(caremarket.EUNAUTHORIZED, "LoadDemo needs a council actor")
	}
	if _, err := db.AgreementByReference(ctx, "CSIH-2020"); err == nil {
		return &Result{}, nil
	} else if caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
		return nil, err
	}
	saved := db.Now
	defer func() { db.Now = saved }()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }
	at(now)

	comm, err := Person(ctx, db, "commissioner", caremarket.RoleCommissioner)
	if err != nil {
		return nil, err
	}
	eval, err := Person(ctx, db, "evaluator", caremarket.RoleEvaluator)
	if err != nil {
		return nil, err
	}
	areas, err := db.ListAreas(ctx)
	if err != nil {
		return nil, err
	}
	if len(areas) == 0 {
		return nil, caremarket.Errorf(caremarket.ECONFLICT, "Load the market (areas and providers) before the procurement demo")
	}
	var allAreas []int64
	for _, a := range areas {
		allAreas = append(allAreas, a.ID)
	}
	providers, err := providersFor(ctx, db, CSIHApplications)
	if err != nil {
		return nil, err
	}
	res := &Result{}

	if err := loadCSIH(ctx, db, at, comm, eval, sys, allAreas, providers, res); err != nil {
		return nil, fmt.Errorf("procdemo: CSIH-2020: %w", err)
	}
	at(now)
	if err := loadOPRN(ctx, db, comm, areas, now, res); err != nil {
		return nil, fmt.Errorf("procdemo: OPRN-2026: %w", err)
	}
	if err := loadAAHC(ctx, db, comm, allAreas, now, res); err != nil {
		return nil, fmt.Errorf("procdemo: AAHC-2027: %w", err)
	}
	// The 2019 Care and Support in the Home contract, extended a
	// year to 7 April 2024 and then by its three-year option with break clauses.
	taken1, taken2 := procurement.Date(2022, 10, 3), procurement.Date(2024, 1, 25)
	c := &procurement.Contract{ProviderID: providers[0].ID, Reference: "CSIH-2019", Title: "Care and Support in the Home (2019 framework)",
		Start: procurement.Date(2019, 4, 8), InitialEnd: procurement.Date(2023, 4, 7),
		Extensions: []procurement.Extension{{Months: 12, Taken: true, TakenOn: &taken1}, {Months: 36, Taken: true, TakenOn: &taken2}},
		BreakClauses: []procurement.BreakClause{{From: procurement.Date(2024, 4, 8), NoticeMonths: 3,
			Description: "The council may end the extension on notice to fit the mobilisation of the new service"}},
		Variations:       []procurement.Variation{{Date: procurement.Date(2024, 4, 8), Description: "Three-year extension to 7 April 2027", ValueChangePence: 33_000_000_000}},
		AnnualValuePence: 11_000_000_000, LifetimeValuePence: 44_000_000_000, ValueSoFarPence: 7_600_000_000, EnteredOn: procurement.Date(2019, 4, 1)}
	if err := db.CreateContract(comm, c); err != nil {
		return nil, fmt.Errorf("procdemo: CSIH-2019 contract: %w", err)
	}
	res.Contracts++
	return res, nil
}

// Person finds the council's demo account for a role (role@slug.example)
// or creates one, and returns a context acting as it. sys acts as the
// council's system actor.
func Person(sys context.Context, db *storage.DB, role string, r caremarket.Role) (context.Context, error) {
	a := caremarket.ActorFrom(sys)
	email := role + "@" + a.CouncilSlug + ".example"
	u, err := db.UserByEmail(sys, email)
	if caremarket.ErrorCode(err) == caremarket.ENOTFOUND {
		u = &access.User{Email: email, Name: "Demo " + role, Role: r}
		err = db.CreateUser(sys, u)
		u.CouncilID, u.CouncilSlug = a.CouncilID, a.CouncilSlug
	}
	if err != nil {
		return nil, err
	}
	return caremarket.NewContext(context.Background(), u.Actor()), nil
}

// providersFor returns n providers of the council, creating the shortfall.
func providersFor(ctx context.Context, db *storage.DB, n int) ([]market.Provider, error) {
	ps, _, err := db.ListProviders(ctx, market.ProviderFilter{Page: market.Page{PerPage: n}})
	if err != nil {
		return nil, err
	}
	for i := len(ps); i < n; i++ {
		p := &market.Provider{Name: fmt.Sprintf("Tender Demo Care %03d", i+1)}
		if err := db.CreateProvider(ctx, p); err != nil {
			return nil, err
		}
		ps = append(ps, *p)
	}
	return ps[:n], nil
}

func providerCtx(sys *caremarket.Actor, p market.Provider) context.Context {
	return caremarket.NewContext(context.Background(), &caremarket.Actor{Email: fmt.Sprintf("bids@provider-%d.example", p.ID),
		CouncilID: sys.CouncilID, CouncilSlug: sys.CouncilSlug, Role: caremarket.RoleProvider, ProviderID: p.ID})
}

func loadCSIH(ctx context.Context, db *storage.DB, at func(time.Time), comm, eval context.Context, sys *caremarket.Actor,
	areas []int64, providers []market.Provider, res *Result) error {
	lot := func(n int, title string, terms string, sts ...market.ServiceType) procurement.Lot {
		return procurement.Lot{Number: n, Title: title, ServiceTypes: sts, AreaIDs: areas, CallOff: procurement.Either,
			Ranking:      []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance},
			CallOffTerms: terms, Mechanism: "Lowest price, then highest quality score, then nearest to the person"}
	}
	at(london(2019, 9, 20, 9, 0))
	a := &procurement.Agreement{Reference: "CSIH-2020", Title: "Care and Support in the Home Service (Phase 2)", Type: procurement.ClosedFramework,
		Regime: procurement.PCR2015, LightTouch: true, AllowResubmission: true,
		Description:      "Competitive Procedure with Negotiation: ITT, selection, quality (resubmission allowed), negotiation, final tender, moderation.",
		AnnualValuePence: 6_000_000_000, LifetimeValuePence: 24_000_000_000,
		Start: procurement.Date(2020, 6, 15), End: procurement.Date(2024, 6, 14),
		Lots: []procurement.Lot{
			lot(1, "LD, PD and MH residential care homes (specialist needs)", "Residential call-off terms", market.ResidentialLD, market.ResidentialPD, market.ResidentialMH),
			lot(2, "LD, PD and MH residential care homes (mid and high needs)", "Residential call-off terms", market.ResidentialLD, market.ResidentialPD, market.ResidentialMH),
			lot(3, "Supported Living", "Supported living call-off terms: banded accommodation and client need; sleep-ins hourly at the NLW", market.SupportedLiving),
			lot(4, "Discharge Support Services", "Discharge support call-off terms: starts within 24 hours of a hospital discharge", market.SIS),
			lot(5, "Care and Support in the Home: community vacancies", "Homecare call-off terms", market.Homecare, market.SIS),
		}}
	if err := db.CreateAgreement(comm, a); err != nil {
		return err
	}
	res.Agreements++
	lotIDs := []int64{}
	for _, l := range a.Lots {
		lotIDs = append(lotIDs, l.ID)
	}
	w := &procurement.Window{AgreementID: a.ID, Kind: procurement.Tender, Title: "Invitation to tender (October 2019)",
		Opens: london(2019, 10, 1, 9, 0), Deadline: london(2019, 11, 1, 12, 0), LotIDs: lotIDs,
		Questions: []procurement.Question{
			{Kind: procurement.Selection, Text: "Registration with the Care Quality Commission for the regulated activities bid for", EvidenceRequired: true},
			{Kind: procurement.Selection, Text: "Economic and financial standing: accounts and insurance", EvidenceRequired: true},
			{Kind: procurement.Quality, Text: "Person-centred, outcome-focused support", Weight: 40, MaxScore: 5, PassMark: 3},
			{Kind: procurement.Quality, Text: "Workforce: recruitment, retention and training", Weight: 30, MaxScore: 5, PassMark: 3},
			{Kind: procurement.Quality, Text: "Safeguarding and quality assurance", Weight: 30, MaxScore: 5, PassMark: 3},
		}}
	if err := db.CreateWindow(comm, w); err != nil {
		return err
	}
	evalUser := caremarket.ActorFrom(eval).UserID
	if err := db.AssignEvaluator(comm, w.ID, evalUser, false); err != nil {
		return err
	}
	c := &csih{db: db, at: at, comm: comm, eval: eval, sys: sys, providers: providers, res: res, w: w, lotIDs: lotIDs}
	for _, step := range []func() error{c.apply, c.evaluate, c.resubmit, c.award} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// csih is the 2020 Care and Support in the Home tender as loadCSIH runs
// it: its window, lots and applications, and who acts.
type csih struct {
	db         *storage.DB
	at         func(time.Time)
	comm, eval context.Context
	sys        *caremarket.Actor
	providers  []market.Provider
	res        *Result
	w          *procurement.Window
	lotIDs     []int64
	apps       []*procurement.Application
}

func (c *csih) apply() error {
	// Applications: all 108 in October 2019.
	c.apps = make([]*procurement.Application, len(c.providers))
	for i, p := range c.providers {
		c.at(london(2019, 10, 2+i%29, 9+i%8, i%60))
		pctx := providerCtx(c.sys, p)
		app := &procurement.Application{WindowID: c.w.ID, LotIDs: []int64{c.lotIDs[i%len(c.lotIDs)]}}
		if i%3 == 0 {
			app.LotIDs = append(app.LotIDs, c.lotIDs[(i+1)%len(c.lotIDs)])
		}
		for _, q := range c.w.Questions {
			an := procurement.Answer{QuestionID: q.ID, Attempt: 1, Text: fmt.Sprintf("%s: our answer to question %d.", p.Name, q.Number)}
			if q.EvidenceRequired {
				an.Evidence = "Certificate and accounts uploaded to the Kent Business Portal"
			}
			app.Answers = append(app.Answers, an)
		}
		if err := c.db.SaveApplication(pctx, app); err != nil {
			return err
		}
		if _, err := c.db.SubmitApplication(pctx, app.ID); err != nil {
			return err
		}
		c.apps[i] = app
		c.res.Applications++
	}
	return nil
}

func (c *csih) evaluate() error {
	// Evaluation in November 2019: the first 93 pass selection; of those the
	// first 63 pass quality first time; the next 20 fail one answer and pass
	// on resubmission; the last 10 fail and do not recover.
	c.at(london(2019, 11, 12, 10, 0))
	if err := c.db.DeclareInterests(c.eval, c.w.ID, nil, "No conflicts of interest"); err != nil {
		return err
	}
	yes, no := true, false
	type mark struct {
		pass   *bool
		points int
	}
	marksFor := func(i int, q procurement.Question) mark {
		if q.Kind == procurement.Selection {
			if i >= CSIHPassedSelection && q.Number == 2 {
				return mark{&no, 0}
			}
			return mark{&yes, 0}
		}
		switch {
		case i < CSIHPassedQualityFirst:
			return mark{nil, 3 + (i+q.Number)%3}
		case q.Number == 3:
			return mark{nil, 2}
		}
		return mark{nil, 3 + i%2}
	}
	for i, app := range c.apps {
		for _, q := range c.w.Questions {
			if q.Kind == procurement.Quality && i >= CSIHPassedSelection {
				continue // quality is not assessed after failing selection
			}
			m := marksFor(i, q)
			t := c.db.Now()
			if err := c.db.SaveScore(c.eval, &procurement.Score{ApplicationID: app.ID, QuestionID: q.ID, Attempt: 1, Pass: m.pass, Points: m.points,
				Comment: "Scored against the published criteria", SubmittedAt: &t}); err != nil {
				return err
			}
		}
	}
	c.at(london(2019, 11, 18, 15, 0))
	for i, app := range c.apps {
		for _, q := range c.w.Questions {
			if q.Kind == procurement.Quality && i >= CSIHPassedSelection {
				continue
			}
			m := marksFor(i, q)
			if err := c.db.Moderate(c.comm, &procurement.Moderation{ApplicationID: app.ID, QuestionID: q.ID, Attempt: 1, Pass: m.pass, Points: m.points,
				Reason: "Agreed at moderation against the published criteria"}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *csih) resubmit() error {
	// Resubmission by 5 January 2020, moderated 14-18 January 2020.
	for i := CSIHPassedQualityFirst; i < CSIHPassedSelection; i++ {
		c.at(london(2020, 1, 3, 10, i%60))
		if err := c.db.ResubmitAnswer(providerCtx(c.sys, c.providers[i]), c.apps[i].ID, c.w.Questions[2].ID, "Our revised answer with the detail asked for", ""); err != nil {
			return err
		}
	}
	for i := CSIHPassedQualityFirst; i < CSIHPassedSelection; i++ {
		points := 3
		if i >= CSIHPassedQualityFirst+CSIHPassedAfterResubmission {
			points = 2
		}
		c.at(london(2020, 1, 14, 10, 0))
		t := c.db.Now()
		if err := c.db.SaveScore(c.eval, &procurement.Score{ApplicationID: c.apps[i].ID, QuestionID: c.w.Questions[2].ID, Attempt: 2, Points: points,
			Comment: "Resubmitted answer scored", SubmittedAt: &t}); err != nil {
			return err
		}
		c.at(london(2020, 1, 16, 10, 0))
		if err := c.db.Moderate(c.comm, &procurement.Moderation{ApplicationID: c.apps[i].ID, QuestionID: c.w.Questions[2].ID, Attempt: 2, Points: points,
			Reason: "Agreed at moderation of resubmissions"}); err != nil {
			return err
		}
	}
	return nil
}

func (c *csih) award() error {
	// Award, May 2020: every provider that passed, on each lot it bid for.
	c.at(london(2020, 5, 11, 10, 0))
	results, err := c.db.WindowResults(c.comm, c.w.ID)
	if err != nil {
		return err
	}
	for _, lid := range c.lotIDs {
		var ids []int64
		for _, r := range results.Results {
			for _, l := range r.LotIDs {
				if l == lid && r.Passed() {
					ids = append(ids, r.ApplicationID)
				}
			}
		}
		aws, err := c.db.AwardLot(c.comm, c.w.ID, lid, ids)
		if err != nil {
			return err
		}
		c.res.Awards += len(aws)
	}
	// The award decision goes out on Tuesday 2 June 2020 (PCR 2015 reg. 87:
	// 10 days, to Friday 12 June); contracts commence Monday 15 June 2020.
	c.at(london(2020, 6, 2, 10, 0))
	if _, err := c.db.PublishAwards(c.comm, c.w.ID); err != nil {
		return err
	}
	c.at(london(2020, 6, 15, 9, 0))
	aws, err := c.db.ListAwards(c.comm, procurement.AwardFilter{WindowID: c.w.ID})
	if err != nil {
		return err
	}
	// The contracts' three-year option was taken in spring 2024: they run
	// to 14 June 2027, with no option left to take.
	extended := procurement.Date(2024, 3, 12)
	for i, aw := range aws {
		if i >= 10 {
			break // a sample of signed contracts; the rest are admitted to their lots
		}
		ct := &procurement.Contract{AwardID: aw.ID, Reference: fmt.Sprintf("CSIH-2020-%03d", i+1), Title: "Care and Support in the Home: " + aw.ProviderName,
			Start: procurement.Date(2020, 6, 15), InitialEnd: procurement.Date(2024, 6, 14),
			Extensions:       []procurement.Extension{{Months: 36, Taken: true, TakenOn: &extended}},
			AnnualValuePence: 60_000_000, LifetimeValuePence: 420_000_000}
		if err := c.db.CreateContract(c.comm, ct); err != nil {
			return err
		}
		c.res.Contracts++
	}
	return nil
}

func loadOPRN(ctx context.Context, db *storage.DB, comm context.Context, areas []market.Area, now time.Time, res *Result) error {
	byCluster := map[string][]int64{}
	var clusters []string
	for _, a := range areas {
		if _, ok := byCluster[a.Cluster.Name]; !ok {
			clusters = append(clusters, a.Cluster.Name)
		}
		byCluster[a.Cluster.Name] = append(byCluster[a.Cluster.Name], a.ID)
	}
	// The Dynamic Purchasing System it replaces ended on 31 March 2026:
	// placements made under it run on, new ones are called off OPRN-2026.
	var all []int64
	for _, ar := range areas {
		all = append(all, ar.ID)
	}
	dps := &procurement.Agreement{Reference: "OPRN-DPS-2019", Title: "Older Persons Residential and Nursing Care (Dynamic Purchasing System)",
		Type: procurement.DPS, Regime: procurement.PCR2015, LightTouch: true,
		Description:      "Ended on 31 March 2026, replaced by the OPRN-2026 open framework. Placements made under it continue on their own terms.",
		AnnualValuePence: 20_500_000_000, LifetimeValuePence: 143_500_000_000,
		Start: procurement.Date(2019, 4, 1), End: procurement.Date(2026, 3, 31),
		Lots: []procurement.Lot{{Number: 1, Title: "Residential and nursing care homes", ServiceTypes: []market.ServiceType{market.Residential,
			market.ResidentialHigh, market.Nursing, market.NursingHigh}, AreaIDs: all, CallOff: procurement.DirectAward,
			Ranking:      []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance},
			CallOffTerms: "Care Service terms and conditions", Mechanism: "Lowest weekly price, then quality score, then distance"}}}
	if err := db.CreateAgreement(comm, dps); err != nil {
		return fmt.Errorf("the DPS it replaces: %w", err)
	}
	res.Agreements++
	a := &procurement.Agreement{Reference: "OPRN-2026", Title: "Older Persons Residential and Nursing Care", Type: procurement.OpenFramework,
		Regime: procurement.PA2023, LightTouch: true, VoluntaryStandstill: true, AllowResubmission: true,
		Description:      "Light Touch Open Framework replacing the OPRN Dynamic Purchasing System: guide prices for Residential, Residential High and Nursing.",
		AnnualValuePence: 22_200_000_000, LifetimeValuePence: 178_000_000_000,
		Start: procurement.Date(2026, 4, 1), End: procurement.Date(2034, 3, 31),
		Reopenings: []time.Time{procurement.Date(2029, 3, 31), procurement.Date(2032, 3, 31)}}
	n := 0
	for _, st := range []market.ServiceType{market.Residential, market.ResidentialHigh, market.Nursing} {
		for _, cl := range clusters {
			n++
			a.Lots = append(a.Lots, procurement.Lot{Number: n, Title: st.Label() + ", " + cl, ServiceTypes: []market.ServiceType{st}, AreaIDs: byCluster[cl],
				CallOff: procurement.Either, Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance},
				CallOffTerms: "Care Service terms and conditions (framework and non-framework call-offs)",
				Mechanism:    "Direct award to the provider ranked first by lowest weekly price, then quality score, then distance; or mini-competition"})
		}
	}
	if err := db.CreateAgreement(comm, a); err != nil {
		return err
	}
	res.Agreements++
	var lots []int64
	for _, l := range a.Lots {
		lots = append(lots, l.ID)
	}
	w := &procurement.Window{AgreementID: a.ID, Kind: procurement.Tender, Title: "Open window: new providers may apply to join",
		Opens: now.AddDate(0, 0, -14), Deadline: time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, procurement.London).AddDate(0, 0, 21),
		LotIDs: lots, Questions: standardQuestions()}
	return db.CreateWindow(comm, w)
}

func loadAAHC(ctx context.Context, db *storage.DB, comm context.Context, areas []int64, now time.Time, res *Result) error {
	a := &procurement.Agreement{Reference: "AAHC-2027", Title: "All Age Home Care Service", Type: procurement.OpenFramework, Regime: procurement.PA2023,
		LightTouch: true, AllowResubmission: true,
		Description:      "Open framework for homecare for adults, care and support in prisons and community support for disabled children: 8 years, reopened at the end of years 3 and 6.",
		AnnualValuePence: 8_970_000_000, LifetimeValuePence: 80_700_000_000,
		Start: procurement.Date(2027, 4, 1), End: procurement.Date(2035, 3, 31),
		Reopenings: []time.Time{procurement.Date(2030, 3, 31), procurement.Date(2033, 3, 31)},
		Lots: []procurement.Lot{
			{Number: 1, Title: "Homecare for adults", ServiceTypes: []market.ServiceType{market.Homecare}, AreaIDs: areas, CallOff: procurement.DirectAward,
				Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance}, CallOffTerms: "Homecare call-off terms with transparent unit costs",
				Mechanism: "Lowest hourly rate, then quality score, then distance"},
			{Number: 2, Title: "Care and support in prisons", ServiceTypes: []market.ServiceType{market.Prisons}, AreaIDs: areas, CallOff: procurement.Either,
				Ranking: []procurement.RankBy{procurement.RankQuality, procurement.RankPrice}, CallOffTerms: "Prisons call-off terms",
				Mechanism: "Direct award to the highest quality score, then lowest price; or mini-competition"},
			{Number: 3, Title: "Homecare and community support for disabled children", ServiceTypes: []market.ServiceType{market.DisabledChildren}, AreaIDs: areas,
				CallOff: procurement.MiniCompetition},
		}}
	if err := db.CreateAgreement(comm, a); err != nil {
		return err
	}
	res.Agreements++
	w := &procurement.Window{AgreementID: a.ID, Kind: procurement.Tender, Title: "Invitation to tender: first framework in the scheme",
		Opens: now.AddDate(0, 1, 0), Deadline: now.AddDate(0, 2, 0), LotIDs: []int64{a.Lots[0].ID, a.Lots[1].ID, a.Lots[2].ID}, Questions: standardQuestions()}
	return db.CreateWindow(comm, w)
}

func standardQuestions() []procurement.Question {
	return []procurement.Question{
		{Kind: procurement.Selection, Text: "CQC registration and current rating for each location bid", EvidenceRequired: true},
		{Kind: procurement.Selection, Text: "Insurance: employer's liability, public liability and professional indemnity", EvidenceRequired: true},
		{Kind: procurement.Quality, Text: "How you deliver person-centred care that promotes independence", Weight: 40, MaxScore: 5, PassMark: 3},
		{Kind: procurement.Quality, Text: "Workforce: paying at least the National Living Wage, recruitment and retention", Weight: 35, MaxScore: 5, PassMark: 3},
		{Kind: procurement.Quality, Text: "Safeguarding and quality assurance", Weight: 25, MaxScore: 5, PassMark: 3},
	}
}

package server

import (
	"net/http"
	"time"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
)

// OCIDPrefix is the publisher prefix of exported OCDS notices.
var OCIDPrefix = procurement.DefaultOCIDPrefix

// registerProcurement registers the procurement API and pages: agreements,
// lots, windows, applications, scores, awards, contracts and OCDS notices.
// Roles are checked by the store.
func (s *Server) registerProcurement() {
	s.route("GET /api/v1/agreements", s.api(s.apiListAgreements))
	s.route("POST /api/v1/agreements", s.api(s.apiCreateAgreement))
	s.route("GET /api/v1/agreements/{id}", s.api(s.apiGetAgreement))
	s.route("PUT /api/v1/agreements/{id}", s.api(s.apiUpdateAgreement))
	s.route("POST /api/v1/agreements/{id}/lots", s.api(s.apiAddLot))
	s.route("GET /api/v1/agreements/{id}/ocds", s.api(s.apiOCDS))
	s.route("GET /api/v1/windows", s.api(s.apiListWindows))
	s.route("POST /api/v1/windows", s.api(s.apiCreateWindow))
	s.route("GET /api/v1/windows/{id}", s.api(s.apiGetWindow))
	s.route("GET /api/v1/windows/{id}/results", s.api(s.apiWindowResults))
	s.route("POST /api/v1/windows/{id}/evaluators", s.api(s.apiAssignEvaluator))
	s.route("POST /api/v1/windows/{id}/declaration", s.api(s.apiDeclare))
	s.route("POST /api/v1/windows/{id}/awards", s.api(s.apiAwardLot))
	s.route("POST /api/v1/windows/{id}/award-notice", s.api(s.apiPublishAwards))
	s.route("GET /api/v1/applications", s.api(s.apiListApplications))
	s.route("POST /api/v1/applications", s.api(s.apiSaveApplication))
	s.route("GET /api/v1/applications/{id}", s.api(s.apiGetApplication))
	s.route("PUT /api/v1/applications/{id}", s.api(s.apiSaveApplication))
	s.route("POST /api/v1/applications/{id}/submit", s.api(s.apiSubmitApplication))
	s.route("POST /api/v1/applications/{id}/resubmissions", s.api(s.apiResubmit))
	s.route("GET /api/v1/applications/{id}/scores", s.api(s.apiScoreSheet))
	s.route("GET /api/v1/applications/{id}/summary", s.api(s.apiSummary))
	s.route("GET /api/v1/applications/{id}/clock", s.api(s.apiClock))
	s.route("POST /api/v1/scores", s.api(s.apiSaveScore))
	s.route("POST /api/v1/moderations", s.api(s.apiModerate))
	s.route("GET /api/v1/awards", s.api(s.apiListAwards))
	s.route("GET /api/v1/contracts", s.api(s.apiListContracts))
	s.route("POST /api/v1/contracts", s.api(s.apiCreateContract))
	s.route("GET /api/v1/contracts/{id}", s.api(s.apiGetContract))
	s.route("PUT /api/v1/contracts/{id}", s.api(s.apiUpdateContract))
	s.route("POST /api/v1/contracts/{id}/extensions", s.api(s.apiTakeExtension))
	s.route("PUT /api/v1/lots/{id}", s.api(s.apiUpdateLot))
	s.registerBankHolidays()
	s.registerProcurementPages()
}

// proc is the store's procurement side.

// agreementInput is what a caller sets on an agreement; dates are "2006-01-02".
type agreementInput struct {
	Reference           string             `json:"reference"`
	Title               string             `json:"title"`
	Description         string             `json:"description"`
	Type                procurement.Type   `json:"type"`
	Regime              procurement.Regime `json:"regime"`
	LightTouch          bool               `json:"light_touch"`
	VoluntaryStandstill bool               `json:"voluntary_standstill"`
	AllowResubmission   bool               `json:"allow_resubmission"`
	SingleSupplier      bool               `json:"single_supplier"`
	AnnualValuePence    int64              `json:"annual_value_pence"`
	LifetimeValuePence  int64              `json:"lifetime_value_pence"`
	Start               dateOnly           `json:"start"`
	End                 dateOnly           `json:"end"`
	Reopenings          []dateOnly         `json:"reopenings"`
	Lots                []lotInput         `json:"lots"`
}

type lotInput struct {
	ID           int64                `json:"id"`
	Number       int                  `json:"number"`
	Title        string               `json:"title"`
	ServiceTypes []market.ServiceType `json:"service_types"`
	AreaIDs      []int64              `json:"area_ids"`
	ProviderCap  int                  `json:"provider_cap"`
	CallOff      procurement.CallOff  `json:"call_off"`
	Ranking      []procurement.RankBy `json:"ranking"`
	CallOffTerms string               `json:"call_off_terms"`
	Mechanism    string               `json:"mechanism"`
}

func (in lotInput) lot() procurement.Lot {
	return procurement.Lot{ID: in.ID, Number: in.Number, Title: in.Title, ServiceTypes: in.ServiceTypes, AreaIDs: in.AreaIDs, ProviderCap: in.ProviderCap,
		CallOff: in.CallOff, Ranking: in.Ranking, CallOffTerms: in.CallOffTerms, Mechanism: in.Mechanism}
}

func (in agreementInput) agreement(id int64) *procurement.Agreement {
	a := &procurement.Agreement{ID: id, Reference: in.Reference, Title: in.Title, Description: in.Description, Type: in.Type, Regime: in.Regime,
		LightTouch: in.LightTouch, VoluntaryStandstill: in.VoluntaryStandstill, AllowResubmission: in.AllowResubmission, SingleSupplier: in.SingleSupplier,
		AnnualValuePence: in.AnnualValuePence, LifetimeValuePence: in.LifetimeValuePence, Start: in.Start.Time, End: in.End.Time, Reopenings: []time.Time{}}
	for _, r := range in.Reopenings {
		a.Reopenings = append(a.Reopenings, r.Time)
	}
	for _, l := range in.Lots {
		a.Lots = append(a.Lots, l.lot())
	}
	return a
}

func (s *Server) apiListAgreements(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	return reply(w, http.StatusOK)(listResult(p.ListAgreements(r.Context())))
}

func (s *Server) apiCreateAgreement(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	var in agreementInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a := in.agreement(0)
	if err := p.CreateAgreement(r.Context(), a); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiGetAgreement(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) { return p.Agreement(r.Context(), id) })
}

func (s *Server) apiUpdateAgreement(w http.ResponseWriter, r *http.Request) error {
	var in agreementInput
	return s.withBody(w, r, &in, http.StatusOK, func(p procurement.Store, id int64) (any, error) {
		a := in.agreement(id)
		return a, p.UpdateAgreement(r.Context(), a)
	})
}

func (s *Server) apiAddLot(w http.ResponseWriter, r *http.Request) error {
	var in lotInput
	return s.withBody(w, r, &in, http.StatusCreated, func(p procurement.Store, id int64) (any, error) {
		l := in.lot()
		return &l, p.AddLot(r.Context(), id, &l)
	})
}

// apiUpdateLot changes one lot before any award on it. Field errors name the
// lot's own fields (call_off_terms, not lots.2.call_off_terms).
func (s *Server) apiUpdateLot(w http.ResponseWriter, r *http.Request) error {
	var in lotInput
	return s.withBody(w, r, &in, http.StatusOK, func(p procurement.Store, id int64) (any, error) {
		in.ID = id
		l := in.lot()
		return &l, fixLotErr(p.UpdateLot(r.Context(), &l))
	})
}

// apiOCDS downloads the agreement's notices as an OCDS 1.1.5 release package.
func (s *Server) apiOCDS(w http.ResponseWriter, r *http.Request) error {
	_, _, n, err := procEntity(s, r, procurement.Store.Notices)
	if err != nil {
		return err
	}
	now := s.Now()
	pkg := procurement.ReleasePackage(*n, procurement.OCDSOptions{OCIDPrefix: OCIDPrefix, BaseURI: "https://" + r.Host + "/ocds/", Published: now}, now)
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(n.Agreement.Reference)+`-ocds.json"`)
	writeJSON(w, http.StatusOK, pkg)
	return nil
}

// withID runs fn with the store and the path id and writes its result.
func (s *Server) withID(w http.ResponseWriter, r *http.Request, fn func(p procurement.Store, id int64) (any, error)) error {
	p, id, err := s.procAndID(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(fn(p, id))
}

// withBody decodes the body into dst, then runs fn with the store and the
// path id (0 when the route has none) and writes its result with status.
func (s *Server) withBody(w http.ResponseWriter, r *http.Request, dst any, status int, fn func(p procurement.Store, id int64) (any, error)) error {
	p := s.Store
	var err error
	var id int64
	if r.PathValue("id") != "" {
		if id, err = pathID(r); err != nil {
			return err
		}
	}
	if err := decodeJSON(w, r, dst); err != nil {
		return err
	}
	v, err := fn(p, id)
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

func (s *Server) apiListWindows(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	q := newQuery(r)
	agreementID := q.int("agreement_id")
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(p.ListWindows(r.Context(), agreementID)))
}

type windowInput struct {
	AgreementID    int64                  `json:"agreement_id"`
	Kind           procurement.WindowKind `json:"kind"`
	Title          string                 `json:"title"`
	Opens          time.Time              `json:"opens"`
	Deadline       time.Time              `json:"deadline"`
	AssessmentDays int                    `json:"assessment_days"`
	Justification  string                 `json:"justification"`
	LotIDs         []int64                `json:"lot_ids"`
	Questions      []questionInput        `json:"questions"`
}

type questionInput struct {
	Kind             procurement.QuestionKind `json:"kind"`
	Text             string                   `json:"text"`
	EvidenceRequired bool                     `json:"evidence_required"`
	Weight           int                      `json:"weight"`
	MaxScore         int                      `json:"max_score"`
	PassMark         int                      `json:"pass_mark"`
}

// window builds the window to open (shared by the API and the web form).
func (in windowInput) window() *procurement.Window {
	win := &procurement.Window{AgreementID: in.AgreementID, Kind: in.Kind, Title: in.Title, Opens: in.Opens, Deadline: in.Deadline,
		AssessmentDays: in.AssessmentDays, Justification: in.Justification, LotIDs: in.LotIDs}
	for _, q := range in.Questions {
		win.Questions = append(win.Questions, procurement.Question{Kind: q.Kind, Text: q.Text, EvidenceRequired: q.EvidenceRequired,
			Weight: q.Weight, MaxScore: q.MaxScore, PassMark: q.PassMark})
	}
	return win
}

func (s *Server) apiCreateWindow(w http.ResponseWriter, r *http.Request) error {
	var in windowInput
	return s.withBody(w, r, &in, http.StatusCreated, func(p procurement.Store, _ int64) (any, error) {
		win := in.window()
		return win, p.CreateWindow(r.Context(), win)
	})
}

func (s *Server) apiGetWindow(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) {
		win, err := p.Window(r.Context(), id)
		if err != nil {
			return nil, err
		}
		return map[string]any{"window": win, "status": win.Status(s.Now())}, nil
	})
}

func (s *Server) apiWindowResults(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) { return p.WindowResults(r.Context(), id) })
}

// evaluatorInput assigns a user to evaluate (or moderate) a window.
type evaluatorInput struct {
	UserID    int64 `json:"user_id"`
	Moderator bool  `json:"moderator"`
}

func (s *Server) apiAssignEvaluator(w http.ResponseWriter, r *http.Request) error {
	var in evaluatorInput
	return s.withBody(w, r, &in, http.StatusOK, func(p procurement.Store, id int64) (any, error) {
		if err := p.AssignEvaluator(r.Context(), id, in.UserID, in.Moderator); err != nil {
			return nil, err
		}
		es, err := p.Evaluators(r.Context(), id)
		return listOf(es), err
	})
}

// declarationInput is an evaluator's declaration of interests.
type declarationInput struct {
	ConflictedProviderIDs []int64 `json:"conflicted_provider_ids"`
	Statement             string  `json:"statement"`
}

func (s *Server) apiDeclare(w http.ResponseWriter, r *http.Request) error {
	var in declarationInput
	return s.withBody(w, r, &in, http.StatusOK, func(p procurement.Store, id int64) (any, error) {
		return map[string]string{"status": "declared"}, p.DeclareInterests(r.Context(), id, in.ConflictedProviderIDs, in.Statement)
	})
}

// awardLotInput admits applications to a lot.
type awardLotInput struct {
	LotID          int64   `json:"lot_id"`
	ApplicationIDs []int64 `json:"application_ids"`
}

func (s *Server) apiAwardLot(w http.ResponseWriter, r *http.Request) error {
	var in awardLotInput
	return s.withBody(w, r, &in, http.StatusCreated, func(p procurement.Store, id int64) (any, error) {
		aws, err := p.AwardLot(r.Context(), id, in.LotID, in.ApplicationIDs)
		return listOf(aws), err
	})
}

func (s *Server) apiPublishAwards(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) {
		aws, err := p.PublishAwards(r.Context(), id)
		return listOf(aws), err
	})
}

func (s *Server) apiListApplications(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	q := newQuery(r)
	f := procurement.ApplicationFilter{WindowID: q.int("window_id"), ProviderID: q.int("provider_id"), Status: procurement.ApplicationStatus(q.str("status", 20))}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(p.ListApplications(r.Context(), f)))
}

func (s *Server) apiGetApplication(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) { return p.Application(r.Context(), id) })
}

// applicationInput is a provider's draft: the lots applied for and the
// first answers to the window's questions.
type applicationInput struct {
	WindowID int64                `json:"window_id"`
	LotIDs   []int64              `json:"lot_ids"`
	Answers  []procurement.Answer `json:"answers"`
}

// application builds the draft to save (shared by the API and the web form).
func (in applicationInput) application(id int64) *procurement.Application {
	a := &procurement.Application{ID: id, WindowID: in.WindowID, LotIDs: in.LotIDs}
	for _, an := range in.Answers {
		a.Answers = append(a.Answers, procurement.Answer{QuestionID: an.QuestionID, Attempt: 1, Text: an.Text, Evidence: an.Evidence})
	}
	return a
}

func (s *Server) apiSaveApplication(w http.ResponseWriter, r *http.Request) error {
	var in applicationInput
	status := http.StatusCreated
	if r.Method == http.MethodPut {
		status = http.StatusOK
	}
	return s.withBody(w, r, &in, status, func(p procurement.Store, id int64) (any, error) {
		a := in.application(id)
		return a, p.SaveApplication(r.Context(), a)
	})
}

func (s *Server) apiSubmitApplication(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) { return p.SubmitApplication(r.Context(), id) })
}

// resubmissionInput is a provider's new answer to one question.
type resubmissionInput struct {
	QuestionID int64  `json:"question_id"`
	Text       string `json:"text"`
	Evidence   string `json:"evidence"`
}

func (s *Server) apiResubmit(w http.ResponseWriter, r *http.Request) error {
	var in resubmissionInput
	return s.withBody(w, r, &in, http.StatusCreated, func(p procurement.Store, id int64) (any, error) {
		if err := p.ResubmitAnswer(r.Context(), id, in.QuestionID, in.Text, in.Evidence); err != nil {
			return nil, err
		}
		return p.Application(r.Context(), id)
	})
}

func (s *Server) apiScoreSheet(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) { return p.ScoreSheet(r.Context(), id) })
}

func (s *Server) apiSummary(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) { return p.AssessmentSummary(r.Context(), id) })
}

func (s *Server) apiClock(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) {
		c, err := p.AssessmentClock(r.Context(), id)
		if err == nil && c == nil {
			return map[string]any{"applies": false}, nil
		}
		return c, err
	})
}

// scoreInput is an evaluator's mark for one answer; Submit makes it final.
type scoreInput struct {
	ApplicationID int64  `json:"application_id"`
	QuestionID    int64  `json:"question_id"`
	Attempt       int    `json:"attempt"`
	Pass          *bool  `json:"pass"`
	Points        int    `json:"points"`
	Comment       string `json:"comment"`
	Submit        bool   `json:"submit"`
}

// score builds the score to save (shared by the API and the web form).
func (in scoreInput) score(now time.Time) *procurement.Score {
	sc := &procurement.Score{ApplicationID: in.ApplicationID, QuestionID: in.QuestionID, Attempt: in.Attempt, Pass: in.Pass, Points: in.Points, Comment: in.Comment}
	if in.Submit {
		sc.SubmittedAt = &now
	}
	return sc
}

func (s *Server) apiSaveScore(w http.ResponseWriter, r *http.Request) error {
	var in scoreInput
	return s.withBody(w, r, &in, http.StatusOK, func(p procurement.Store, _ int64) (any, error) {
		sc := in.score(s.Now())
		return sc, p.SaveScore(r.Context(), sc)
	})
}

// moderationInput is the agreed final mark for one answer, with its reason.
type moderationInput struct {
	ApplicationID int64  `json:"application_id"`
	QuestionID    int64  `json:"question_id"`
	Attempt       int    `json:"attempt"`
	Pass          *bool  `json:"pass"`
	Points        int    `json:"points"`
	Reason        string `json:"reason"`
}

func (in moderationInput) moderation() *procurement.Moderation {
	return &procurement.Moderation{ApplicationID: in.ApplicationID, QuestionID: in.QuestionID, Attempt: in.Attempt, Pass: in.Pass, Points: in.Points, Reason: in.Reason}
}

func (s *Server) apiModerate(w http.ResponseWriter, r *http.Request) error {
	var in moderationInput
	return s.withBody(w, r, &in, http.StatusOK, func(p procurement.Store, _ int64) (any, error) {
		m := in.moderation()
		return m, p.Moderate(r.Context(), m)
	})
}

func (s *Server) apiListAwards(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	q := newQuery(r)
	f := procurement.AwardFilter{AgreementID: q.int("agreement_id"), WindowID: q.int("window_id"), LotID: q.int("lot_id"), ProviderID: q.int("provider_id")}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(p.ListAwards(r.Context(), f)))
}

// contractInput is what a caller sets on a contract; dates are "2006-01-02".
type contractInput struct {
	AgreementID        int64                   `json:"agreement_id"`
	AwardID            int64                   `json:"award_id"`
	ProviderID         int64                   `json:"provider_id"`
	Reference          string                  `json:"reference"`
	Title              string                  `json:"title"`
	Start              dateOnly                `json:"start"`
	InitialEnd         dateOnly                `json:"initial_end"`
	Extensions         []procurement.Extension `json:"extensions"`
	BreakClauses       []breakClauseInput      `json:"break_clauses"`
	Variations         []variationInput        `json:"variations"`
	AnnualValuePence   int64                   `json:"annual_value_pence"`
	LifetimeValuePence int64                   `json:"lifetime_value_pence"`
	ValueSoFarPence    int64                   `json:"value_so_far_pence"`
	EnteredOn          *dateOnly               `json:"entered_on"`
}

type breakClauseInput struct {
	From         dateOnly `json:"from"`
	NoticeMonths int      `json:"notice_months"`
	Description  string   `json:"description"`
}

type variationInput struct {
	Date             dateOnly `json:"date"`
	Description      string   `json:"description"`
	ValueChangePence int64    `json:"value_change_pence"`
}

func (in contractInput) contract(id int64) *procurement.Contract {
	c := &procurement.Contract{ID: id, AgreementID: in.AgreementID, AwardID: in.AwardID, ProviderID: in.ProviderID, Reference: in.Reference, Title: in.Title,
		Start: in.Start.Time, InitialEnd: in.InitialEnd.Time, Extensions: in.Extensions, AnnualValuePence: in.AnnualValuePence,
		LifetimeValuePence: in.LifetimeValuePence, ValueSoFarPence: in.ValueSoFarPence,
		BreakClauses: []procurement.BreakClause{}, Variations: []procurement.Variation{}}
	if c.Extensions == nil {
		c.Extensions = []procurement.Extension{}
	}
	for _, b := range in.BreakClauses {
		c.BreakClauses = append(c.BreakClauses, procurement.BreakClause{From: b.From.Time, NoticeMonths: b.NoticeMonths, Description: b.Description})
	}
	for _, v := range in.Variations {
		c.Variations = append(c.Variations, procurement.Variation{Date: v.Date.Time, Description: v.Description, ValueChangePence: v.ValueChangePence})
	}
	if in.EnteredOn != nil {
		c.EnteredOn = in.EnteredOn.Time
	}
	return c
}

func (s *Server) apiListContracts(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	q := newQuery(r)
	f := procurement.ContractFilter{AgreementID: q.int("agreement_id"), ProviderID: q.int("provider_id")}
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(p.ListContracts(r.Context(), f)))
}

func (s *Server) apiGetContract(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) { return p.Contract(r.Context(), id) })
}

func (s *Server) apiCreateContract(w http.ResponseWriter, r *http.Request) error {
	var in contractInput
	return s.withBody(w, r, &in, http.StatusCreated, func(p procurement.Store, _ int64) (any, error) {
		c := in.contract(0)
		return c, p.CreateContract(r.Context(), c)
	})
}

func (s *Server) apiUpdateContract(w http.ResponseWriter, r *http.Request) error {
	var in contractInput
	return s.withBody(w, r, &in, http.StatusOK, func(p procurement.Store, id int64) (any, error) {
		c := in.contract(id)
		return c, p.UpdateContract(r.Context(), c)
	})
}

func (s *Server) apiTakeExtension(w http.ResponseWriter, r *http.Request) error {
	return s.withID(w, r, func(p procurement.Store, id int64) (any, error) { return p.TakeExtension(r.Context(), id) })
}

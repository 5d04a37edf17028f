package procurement

import (
	"context"
	"time"
)

// Funnel and results of one window, for the commissioner's dashboard.
type WindowResults struct {
	Window  Window   `json:"window"`
	Results []Result `json:"results"`
	Funnel  Funnel   `json:"funnel"`
}

// ScoreSheet is what a caller may see of an application's marks: the scores
// the blind rule lets them see, and the moderated marks.
type ScoreSheet struct {
	Scores      []Score      `json:"scores"`
	Moderations []Moderation `json:"moderations"`
}

// ApplicationFilter narrows a list of applications. Zero values mean any.
type ApplicationFilter struct {
	WindowID   int64
	ProviderID int64
	Status     ApplicationStatus
}

// AwardFilter narrows a list of awards.
type AwardFilter struct {
	AgreementID int64
	WindowID    int64
	LotID       int64
	ProviderID  int64
}

// ContractFilter narrows a list of contracts.
type ContractFilter struct {
	AgreementID int64
	ProviderID  int64
}

// Store is what storage provides for procurement. Every method takes the
// actor from ctx, sees only that actor's council, and checks the role:
// commissioners (and admins) set up and award; assigned evaluators score; a
// provider user sees only its own applications, scores and assessment
// summaries, and another's is not found.
type Store interface {
	ListAgreements(ctx context.Context) ([]Agreement, error)
	Agreement(ctx context.Context, id int64) (*Agreement, error)
	AgreementByReference(ctx context.Context, ref string) (*Agreement, error)
	CreateAgreement(ctx context.Context, a *Agreement) error
	UpdateAgreement(ctx context.Context, a *Agreement) error
	AddLot(ctx context.Context, agreementID int64, l *Lot) error
	UpdateLot(ctx context.Context, l *Lot) error

	ListWindows(ctx context.Context, agreementID int64) ([]Window, error)
	Window(ctx context.Context, id int64) (*Window, error)
	CreateWindow(ctx context.Context, w *Window) error
	AssignEvaluator(ctx context.Context, windowID, userID int64, moderator bool) error
	Evaluators(ctx context.Context, windowID int64) ([]Evaluator, error)
	DeclareInterests(ctx context.Context, windowID int64, conflicts []int64, statement string) error

	ListApplications(ctx context.Context, f ApplicationFilter) ([]Application, error)
	Application(ctx context.Context, id int64) (*Application, error)
	SaveApplication(ctx context.Context, a *Application) error
	SubmitApplication(ctx context.Context, id int64) (*Application, error)
	ResubmitAnswer(ctx context.Context, applicationID, questionID int64, text, evidence string) error
	AssessmentClock(ctx context.Context, applicationID int64) (*AssessmentClock, error)

	ScoreSheet(ctx context.Context, applicationID int64) (*ScoreSheet, error)
	SaveScore(ctx context.Context, s *Score) error
	Moderate(ctx context.Context, m *Moderation) error
	WindowResults(ctx context.Context, windowID int64) (*WindowResults, error)

	AwardLot(ctx context.Context, windowID, lotID int64, applicationIDs []int64) ([]Award, error)
	PublishAwards(ctx context.Context, windowID int64) ([]Award, error)
	ListAwards(ctx context.Context, f AwardFilter) ([]Award, error)
	AssessmentSummary(ctx context.Context, applicationID int64) (*AssessmentSummary, error)

	ListContracts(ctx context.Context, f ContractFilter) ([]Contract, error)
	Contract(ctx context.Context, id int64) (*Contract, error)
	CreateContract(ctx context.Context, c *Contract) error
	UpdateContract(ctx context.Context, c *Contract) error
	TakeExtension(ctx context.Context, contractID int64) (*Contract, error)

	Calendar(ctx context.Context) (*Calendar, error)
	CouncilHolidays(ctx context.Context) ([]Holiday, error)
	AddHoliday(ctx context.Context, h Holiday) error
	RemoveHoliday(ctx context.Context, date time.Time) error

	Notices(ctx context.Context, agreementID int64) (*NoticeSet, error)
}

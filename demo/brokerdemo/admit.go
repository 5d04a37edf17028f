// Package brokerdemo loads the brokerage part of the Kent demo (care
// requirements and placements across Kent that exercise every stage of the
// sourcing cascade: the area, its neighbours, then off contract) and gives tests, benchmarks and the demo
// one way to admit providers to a lot through the procurement journey.
//
// Everything goes through storage's ordinary, audited methods.
package brokerdemo

import (
	"context"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
)

// Admission is a provider to admit to a lot, with its quality mark (1-5
// on the one quality question: the award's score is mark x 20%).
type Admission struct {
	LotID      int64
	ProviderID int64
	Mark       int
}

// Admit runs the shortest honest procurement journey that admits providers
// to lots of a created agreement: a tender window, each provider's
// application, the commissioner's moderated marks and the award. It moves
// db.Now through the window and puts it back. sys acts as the council's
// system admin.
func Admit(sys context.Context, db *storage.DB, a *procurement.Agreement, admissions []Admission) error {
	comm, err := procdemo.Person(sys, db, "commissioner", caremarket.RoleCommissioner)
	if err != nil {
		return err
	}
	saved := db.Now
	defer func() { db.Now = saved }()
	now := saved().UTC()
	db.Now = func() time.Time { return now }
	var lotIDs []int64
	seenLot := map[int64]bool{}
	for _, ad := range admissions {
		if !seenLot[ad.LotID] {
			seenLot[ad.LotID] = true
			lotIDs = append(lotIDs, ad.LotID)
		}
	}
	w := &procurement.Window{AgreementID: a.ID, Kind: procurement.Tender, Title: "Tender for " + a.Reference,
		Opens: now.Add(-2 * time.Hour), Deadline: now.Add(time.Hour), LotIDs: lotIDs,
		Questions: []procurement.Question{
			{Kind: procurement.Selection, Text: "CQC registration for the regulated activities bid for", EvidenceRequired: true},
			{Kind: procurement.Quality, Text: "Person-centred care, workforce and safeguarding", Weight: 100, MaxScore: 5, PassMark: 2},
		}}
	if err := db.CreateWindow(comm, w); err != nil {
		return fmt.Errorf("brokerdemo: window: %w", err)
	}
	sysActor := caremarket.ActorFrom(sys)
	byProvider := map[int64][]Admission{}
	var order []int64
	for _, ad := range admissions {
		if _, ok := byProvider[ad.ProviderID]; !ok {
			order = append(order, ad.ProviderID)
		}
		byProvider[ad.ProviderID] = append(byProvider[ad.ProviderID], ad)
	}
	apps := map[int64]*procurement.Application{}
	for _, pid := range order {
		pctx := caremarket.NewContext(context.Background(), &caremarket.Actor{Email: fmt.Sprintf("tenders@provider-%d.example", pid),
			CouncilID: sysActor.CouncilID, CouncilSlug: sysActor.CouncilSlug, Role: caremarket.RoleProvider, ProviderID: pid})
		app := &procurement.Application{WindowID: w.ID}
		for _, ad := range byProvider[pid] {
			app.LotIDs = append(app.LotIDs, ad.LotID)
		}
		app.Answers = []procurement.Answer{
			{QuestionID: w.Questions[0].ID, Attempt: 1, Text: "Registered with CQC", Evidence: "Certificate of registration"},
			{QuestionID: w.Questions[1].ID, Attempt: 1, Text: "Our approach to care, our workforce and safeguarding"},
		}
		if err := db.SaveApplication(pctx, app); err != nil {
			return fmt.Errorf("brokerdemo: application of provider %d: %w", pid, err)
		}
		if _, err := db.SubmitApplication(pctx, app.ID); err != nil {
			return fmt.Errorf("brokerdemo: submit application of provider %d: %w", pid, err)
		}
		apps[pid] = app
	}
	now = w.Deadline.Add(time.Minute)
	eval, err := procdemo.Person(sys, db, "evaluator", caremarket.RoleEvaluator)
	if err != nil {
		return err
	}
	if err := db.AssignEvaluator(comm, w.ID, caremarket.ActorFrom(eval).UserID, false); err != nil {
		return fmt.Errorf("brokerdemo: assign evaluator: %w", err)
	}
	if err := db.DeclareInterests(eval, w.ID, nil, "No conflicts of interest"); err != nil {
		return fmt.Errorf("brokerdemo: declare: %w", err)
	}
	pass := true
	for _, pid := range order {
		mark := byProvider[pid][0].Mark
		if mark < 2 || mark > 5 {
			mark = 3
		}
		at := now
		for _, sc := range []*procurement.Score{
			{ApplicationID: apps[pid].ID, QuestionID: w.Questions[0].ID, Attempt: 1, Pass: &pass, Comment: "Registration confirmed", SubmittedAt: &at},
			{ApplicationID: apps[pid].ID, QuestionID: w.Questions[1].ID, Attempt: 1, Points: mark, Comment: "Scored against the criteria", SubmittedAt: &at},
		} {
			if err := db.SaveScore(eval, sc); err != nil {
				return fmt.Errorf("brokerdemo: score provider %d: %w", pid, err)
			}
		}
		for _, m := range []*procurement.Moderation{
			{ApplicationID: apps[pid].ID, QuestionID: w.Questions[0].ID, Attempt: 1, Pass: &pass, Reason: "Registration confirmed"},
			{ApplicationID: apps[pid].ID, QuestionID: w.Questions[1].ID, Attempt: 1, Points: mark, Reason: "Agreed at moderation"},
		} {
			if err := db.Moderate(comm, m); err != nil {
				return fmt.Errorf("brokerdemo: moderate provider %d: %w", pid, err)
			}
		}
	}
	for _, lot := range lotIDs {
		var ids []int64
		for _, pid := range order {
			for _, ad := range byProvider[pid] {
				if ad.LotID == lot {
					ids = append(ids, apps[pid].ID)
				}
			}
		}
		if _, err := db.AwardLot(comm, w.ID, lot, ids); err != nil {
			return fmt.Errorf("brokerdemo: award lot %d: %w", lot, err)
		}
	}
	return nil
}

// Price is a contracted price to set for a location.
type Price struct {
	ProviderID  int64
	LocationID  int64
	ServiceType market.ServiceType
	Band        string
	Price       money.Money
}

// SetPrices makes prices contracted through a price round: the commissioner
// opens a round for the providers, enters their prices (as a commissioner
// may for prices sent by email) and approves them, effective today.
func SetPrices(sys context.Context, db *storage.DB, name string, prices []Price) error {
	comm, err := procdemo.Person(sys, db, "commissioner", caremarket.RoleCommissioner)
	if err != nil {
		return err
	}
	today := db.Now().UTC().Truncate(24 * time.Hour)
	r := &pricing.Round{Name: name, OpensOn: today, ClosesOn: today, EffectiveFrom: today, Tolerance: 1000}
	seen := map[int64]bool{}
	for _, p := range prices {
		if !seen[p.ProviderID] {
			seen[p.ProviderID] = true
			r.ProviderIDs = append(r.ProviderIDs, p.ProviderID)
		}
	}
	if err := db.OpenPriceRound(comm, r); err != nil {
		return fmt.Errorf("brokerdemo: open round: %w", err)
	}
	rows := make([]pricing.SubmissionRow, len(prices))
	for i, p := range prices {
		band := p.Band
		if band == "" {
			band = pricing.StandardBand
		}
		rows[i] = pricing.SubmissionRow{Line: i + 1, LocationID: p.LocationID, ServiceType: p.ServiceType, Band: band, Price: p.Price,
			Reason: "Price agreed with the provider"}
	}
	subs, lineErrs, err := db.SubmitPrices(comm, r.ID, rows, "api")
	if err != nil {
		return fmt.Errorf("brokerdemo: submit prices: %w %v", err, lineErrs)
	}
	for _, s := range subs {
		if _, err := db.DecideSubmission(comm, s.ID, true, "Approved for the placements demo"); err != nil {
			return fmt.Errorf("brokerdemo: approve price: %w", err)
		}
	}
	return db.ClosePriceRound(comm, r.ID)
}

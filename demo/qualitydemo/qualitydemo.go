// Package qualitydemo loads the quality part of the Kent demo: the
// council's monitoring framework, 40 visits over two years with published
// reports and their action plans (accepted, awaiting a decision, open and
// overdue), complaints and safeguarding referrals, a serious concern, a
// minimum audit rating on the nursing lot, and two years of brokerage
// history (offers answered, declined and let expire, placements handed back
// and ended, home care hours delivered) from which the performance figures
// are worked out. Nothing is typed in as a figure.
//
// Everything goes through storage's ordinary, audited methods, with db.Now
// moved to the time each thing happened.
package qualitydemo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/quality"
	"github.com/caremarket/caremarket/storage"
)

// FrameworkName names the demo's monitoring framework.
const FrameworkName = "Kent contract monitoring framework"

// Visits is how many visits the demo records.
const Visits = 40

// Result counts what LoadDemo made.
type Result struct {
	Visits       int
	Actions      int
	Requirements int
	Offers       int
}

// Domains is the demo framework: the areas the ADASS PAMMS tool looks at.
var Domains = []quality.Domain{
	{Name: "Assessment and care planning", Questions: []quality.Question{
		{Text: "Each person has an up-to-date assessment and care plan", Evidence: "Care plans sampled; review dates"},
		{Text: "People and their families are involved in planning their care", Evidence: "Signed care plans; conversations with people"}}},
	{Name: "Safeguarding", Questions: []quality.Question{
		{Text: "Staff know how to recognise and report abuse", Evidence: "Training records; staff interviews"},
		{Text: "Safeguarding concerns are raised with the council promptly", Evidence: "Incident log against referrals"}}},
	{Name: "Medication", Questions: []quality.Question{
		{Text: "Medicines are stored, given and recorded safely", Evidence: "MAR charts; storage temperatures"},
		{Text: "Staff giving medicines are trained and assessed as competent", Evidence: "Competency assessments"}}},
	{Name: "Staffing", Questions: []quality.Question{
		{Text: "There are enough suitably skilled staff on every shift", Evidence: "Rotas against dependency tool"},
		{Text: "Staff are recruited safely", Evidence: "DBS checks; references in staff files"}}},
	{Name: "Environment", Questions: []quality.Question{
		{Text: "The home is clean, safe and well maintained", Evidence: "Walk-round; maintenance log; fire checks"}}},
	{Name: "Leadership", Questions: []quality.Question{
		{Text: "There is a registered manager and a clear line of accountability", Evidence: "CQC registration; organisation chart"},
		{Text: "The provider audits its own quality and acts on what it finds", Evidence: "Audit schedule and action logs"}}},
}

// rnd is a small deterministic generator (the demo is the same every time).
type rnd uint64

func (r *rnd) next(n int) int {
	*r = *r*6364136223846793005 + 1442695040888963407
	return int((uint64(*r) >> 33) % uint64(n))
}

// LoadDemo loads the quality demo once: it does nothing when the framework
// exists. ctx acts as the council's system admin; now is the demo's present.
func LoadDemo(ctx context.Context, db *storage.DB, now time.Time) (*Result, error) {
	sys := caremarket.ActorFrom(ctx)
	if sys == nil {
		return nil, caremarket.Errorf(caremarket.EUNAUTHORIZED, "LoadDemo needs a council actor")
	}
	comm, err := procdemo.Person(ctx, db, "commissioner", caremarket.RoleCommissioner)
	if err != nil {
		return nil, err
	}
	if fs, err := db.ListFrameworks(comm); err != nil || len(fs) > 0 {
		return &Result{}, err
	}
	now = now.UTC()
	saved := db.Now
	defer func() { db.Now = saved }()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }
	at(now.AddDate(-2, 0, -14))
	fw := &quality.Framework{Name: FrameworkName, Domains: Domains}
	if err := db.CreateFramework(comm, fw); err != nil {
		return nil, fmt.Errorf("qualitydemo: framework: %w", err)
	}
	res := &Result{}
	locs, err := allLocations(ctx, db)
	if err != nil {
		return nil, err
	}
	if err := history(ctx, db, now, at, res); err != nil {
		return nil, err
	}
	if err := visits(ctx, db, comm, fw, locs, now, at, res); err != nil {
		return nil, err
	}
	return res, nil
}

func allLocations(ctx context.Context, db *storage.DB) ([]market.Location, error) {
	var out []market.Location
	for page := 1; ; page++ {
		ls, total, err := db.ListLocations(ctx, market.LocationFilter{Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
		if len(out) >= total || len(ls) == 0 {
			return out, nil
		}
	}
}

// providerCtx acts as a user of provider id.
func providerCtx(sys *caremarket.Actor, id int64) context.Context {
	return caremarket.NewContext(context.Background(), &caremarket.Actor{Email: fmt.Sprintf("quality@provider-%d.example", id),
		CouncilID: sys.CouncilID, CouncilSlug: sys.CouncilSlug, Role: caremarket.RoleProvider, ProviderID: id})
}

// watched are the locations the demo puts on the watch list: their visits
// go badly and complaints and safeguarding referrals follow.
func watched(i int) bool { return i%13 == 5 }

// visits records the 40 visits, oldest first, with their actions.
func visits(ctx context.Context, db *storage.DB, comm context.Context, fw *quality.Framework, locs []market.Location, now time.Time,
	at func(time.Time), res *Result) error {
	sys := caremarket.ActorFrom(ctx)
	own, err := db.UserByEmail(ctx, "provider@"+sys.CouncilSlug+".example")
	if err != nil {
		return err
	}
	chosen := chooseLocations(locs, own.ProviderID)
	vd := &visitDemo{db: db, comm: comm, sys: sys, fw: fw, now: now, at: at, res: res, r: rnd(20261205)}
	for i := range min(Visits, len(chosen)) {
		if err := vd.visit(i, chosen[(i*7)%len(chosen)]); err != nil {
			return err
		}
	}
	at(now.Add(-2 * time.Hour))
	// A serious concern on the last watched location's provider, and a
	// minimum audit rating on the nursing lot.
	for i := Visits - 1; i >= 0; i-- {
		if watched(i) {
			loc := chosen[(i*7)%len(chosen)]
			if err := db.RaiseConcern(comm, &brokerage.Concern{ProviderID: loc.ProviderID, LocationID: loc.ID,
				Reason: "Safeguarding referrals under investigation after the last monitoring visit"}); err != nil {
				return err
			}
			break
		}
	}
	return nursingMinimum(comm, db)
}

// chooseLocations picks the visited locations: the demo provider's own
// first, then every thirteenth.
func chooseLocations(locs []market.Location, own int64) []market.Location {
	var chosen []market.Location
	for _, l := range locs {
		if l.ProviderID == own {
			chosen = append(chosen, l)
		}
	}
	for i := 0; len(chosen) < Visits && i < len(locs); i += 13 {
		if locs[i].ProviderID != own {
			chosen = append(chosen, locs[i])
		}
	}
	return chosen
}

// visitDemo is what each of the demo's visits is recorded with.
type visitDemo struct {
	db   *storage.DB
	comm context.Context
	sys  *caremarket.Actor
	fw   *quality.Framework
	now  time.Time
	at   func(time.Time)
	res  *Result
	r    rnd
}

// visit records visit i at loc: its answers, actions, report, the
// provider's response and evidence, and what follows a bad one.
func (vd *visitDemo) visit(i int, loc market.Location) error {
	db, comm, at := vd.db, vd.comm, vd.at
	// Oldest first: visit i is (Visits-i) x 18 days ago.
	day := vd.now.AddDate(0, 0, -(Visits-i)*18+3).Truncate(24 * time.Hour)
	v := &quality.Visit{FrameworkID: vd.fw.ID, LocationID: loc.ID, VisitDate: day, Announced: i%3 != 0, Officers: []string{"Priya Shah", "Tom Evans, Ade Bello", "Sarah Hill"}[i%3],
		Answers: vd.answers(i)}
	at(day.Add(26 * time.Hour))
	if err := db.CreateVisit(comm, v); err != nil {
		return fmt.Errorf("qualitydemo: visit %d: %w", i, err)
	}
	vd.res.Visits++
	actions, err := vd.actions(v, day)
	if err != nil {
		return err
	}
	at(day.AddDate(0, 0, 8))
	if _, err := db.PublishVisit(comm, v.ID); err != nil {
		return err
	}
	pctx := providerCtx(vd.sys, v.ProviderID)
	if i%2 == 0 {
		at(day.AddDate(0, 0, 12))
		if _, err := db.RespondToVisit(pctx, v.ID, "Thank you for the visit. We accept the findings and have shared them with the staff team."); err != nil {
			return err
		}
	}
	if err := vd.evidence(pctx, i, actions); err != nil {
		return err
	}
	if watched(i) {
		return vd.events(loc, day)
	}
	return nil
}

// answers rates every question of the framework, mostly Good; on watched
// visits about half are Poor.
func (vd *visitDemo) answers(i int) []quality.Answer {
	ratings := []quality.Rating{quality.Excellent, quality.Good, quality.Good, quality.Good, quality.RequiresImprovement}
	var out []quality.Answer
	for _, d := range vd.fw.Domains {
		for _, q := range d.Questions {
			a := ratings[vd.r.next(len(ratings))]
			if watched(i) && vd.r.next(2) == 0 {
				a = quality.Poor
			}
			out = append(out, quality.Answer{QuestionKey: q.Key, Rating: a})
		}
	}
	return out
}

// actions adds an action for each answer below Good, due in four or eight
// weeks.
func (vd *visitDemo) actions(v *quality.Visit, day time.Time) ([]*quality.Action, error) {
	var actions []*quality.Action
	for _, a := range v.Answers {
		if a.Rating.Score() >= quality.Good.Score() {
			continue
		}
		_, q := vd.fw.Question(a.QuestionKey)
		due := day.AddDate(0, 0, 28*(1+len(actions)%2))
		x := &quality.Action{VisitID: v.ID, QuestionKey: a.QuestionKey, Finding: "Put right: " + q.Text, Owner: "Registered manager", DueDate: due}
		if err := vd.db.AddAction(vd.comm, x); err != nil {
			return nil, fmt.Errorf("qualitydemo: action: %w", err)
		}
		actions = append(actions, x)
		vd.res.Actions++
	}
	return actions, nil
}

// evidence is the provider's answer to visit i's actions: sent in time and
// accepted for older visits; on recent ones some wait for a decision, some
// are open, some overdue.
func (vd *visitDemo) evidence(pctx context.Context, i int, actions []*quality.Action) error {
	db, at := vd.db, vd.at
	for j, x := range actions {
		age := vd.now.Sub(x.DueDate)
		switch {
		case watched(i) && age > 0 && j < 2:
			continue // overdue: nothing sent
		case age <= 0 && j == 0 && i%2 == 1:
			// Sent early; the officer has still to decide.
			at(vd.now.AddDate(0, 0, -1))
			if _, err := db.SubmitEvidence(pctx, x.ID, "New medicines audit and staff sign-off sheet attached."); err != nil {
				return err
			}
		case age > 20*24*time.Hour || (age > 0 && j%2 == 0):
			at(x.DueDate.AddDate(0, 0, -3))
			if _, err := db.SubmitEvidence(pctx, x.ID, "Updated records and the manager's audit attached."); err != nil {
				return err
			}
			if age > 10*24*time.Hour {
				at(x.DueDate.AddDate(0, 0, 2))
				if _, err := db.DecideAction(vd.comm, x.ID, quality.Decision{Accept: true, Note: "Seen on the follow-up call"}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// events records the complaints and safeguarding referrals that follow a
// watched location's visit, those already past.
func (vd *visitDemo) events(loc market.Location, day time.Time) error {
	for k, kind := range []string{quality.EventComplaint, quality.EventSafeguarding} {
		vd.at(day.AddDate(0, 0, 20+k))
		e := &quality.Event{LocationID: loc.ID, Kind: kind, Date: day.AddDate(0, 0, 15+k), Count: 2 - k, Note: "Recorded from the customer care and safeguarding teams"}
		if e.Date.Before(vd.now.AddDate(0, 0, -1)) {
			if err := vd.db.RecordEvent(vd.comm, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// nursingMinimum sets a minimum audit rating on the nursing lots. Nursing
// is called off the live framework's lots (OPRN-2026); the older
// placements agreement is the fallback.
func nursingMinimum(comm context.Context, db *storage.DB) error {
	for _, ref := range []string{"OPRN-2026", brokerdemo.Agreement} {
		ag, err := db.AgreementByReference(comm, ref)
		if err != nil {
			continue
		}
		set := false
		for _, l := range ag.Lots {
			if slices.Contains(l.ServiceTypes, market.Nursing) {
				if err := db.SetLotMinimum(comm, l.ID, quality.RequiresImprovement); err != nil {
					return err
				}
				set = true
			}
		}
		if set {
			return nil
		}
	}
	return nil
}

package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/quality"
)

// Quality storage: monitoring frameworks, visits and their action plans.
// Risk is in quality_risk.go, performance in quality_perf.go.

var (
	// canMonitor are the monitoring officers: council staff who set
	// frameworks, record visits and decide actions.
	canMonitor = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner}
	// canSeeQuality read reports, risk and performance: council staff, and
	// a provider for its own.
	canSeeQuality = caremarket.Roles
)

// providerScope returns the provider a provider user is limited to (0 for
// council staff).
func providerScope(a *caremarket.Actor) int64 {
	if a.Role == caremarket.RoleProvider {
		return a.ProviderID
	}
	return 0
}

// --- Frameworks

// CreateFramework saves a new monitoring framework. Officers.
func (db *DB) CreateFramework(ctx context.Context, f *quality.Framework) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		f.CreatedAt, f.CreatedBy = tx.now, tx.actor.Email
		if err := tx.QueryRowContext(ctx, `INSERT INTO monitoring_frameworks (council_id, name, domains, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			tx.actor.CouncilID, f.Name, toJSON(f.Domains), f.CreatedAt, f.CreatedBy).Scan(&f.ID); err != nil {
			return fmt.Errorf("storage: create framework: %w", err)
		}
		return tx.audit(ctx, "framework.create", "monitoring_framework", f.ID, nil, map[string]any{"name": f.Name, "domains": len(f.Domains)})
	})
}

func scanFramework(row interface{ Scan(...any) error }) (*quality.Framework, error) {
	var f quality.Framework
	var domains string
	if err := row.Scan(&f.ID, &f.Name, &domains, &f.CreatedAt, &f.CreatedBy); err != nil {
		return nil, err
	}
	f.CreatedAt = f.CreatedAt.UTC()
	return &f, fromJSON(domains, &f.Domains)
}

// ListFrameworks lists the council's frameworks, newest first. Staff.
func (db *DB) ListFrameworks(ctx context.Context) ([]quality.Framework, error) {
	a, err := actorRequire(ctx, caremarket.CouncilStaff...)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, name, domains, created_at, created_by FROM monitoring_frameworks WHERE council_id = $1 ORDER BY id DESC`, a.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list frameworks: %w", err)
	}
	return scanAll(rows, "framework", scanFramework)
}

// Framework returns one framework. Anyone in the council (a provider reads
// the questions its reports answer).
func (db *DB) Framework(ctx context.Context, id int64) (*quality.Framework, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.framework(ctx, db.sql, a.CouncilID, id)
}

func (db *DB) framework(ctx context.Context, q queryer, council, id int64) (*quality.Framework, error) {
	f, err := scanFramework(q.QueryRowContext(ctx, `SELECT id, name, domains, created_at, created_by FROM monitoring_frameworks WHERE id = $1 AND council_id = $2`, id, council))
	return f, notFound(err, "Monitoring framework")
}

// --- Visits

const visitColumns = `v.id, v.framework_id, f.name, v.location_id, l.name, v.provider_id, p.name, v.announced, v.visit_date, v.officers, v.summary,
	v.answers, v.domain_ratings, v.overall, v.status, v.published_at, v.response, v.responded_at, v.created_by, v.created_at`
const visitFrom = ` FROM monitoring_visits v JOIN monitoring_frameworks f ON f.id = v.framework_id JOIN locations l ON l.id = v.location_id JOIN providers p ON p.id = v.provider_id`

func scanVisit(row interface{ Scan(...any) error }) (*quality.Visit, error) {
	var v quality.Visit
	var answers, domains, overall string
	var published, responded sql.NullTime
	if err := row.Scan(&v.ID, &v.FrameworkID, &v.FrameworkName, &v.LocationID, &v.LocationName, &v.ProviderID, &v.ProviderName, &v.Announced, &v.VisitDate,
		&v.Officers, &v.Summary, &answers, &domains, &overall, &v.Status, &published, &v.Response, &responded, &v.CreatedBy, &v.CreatedAt); err != nil {
		return nil, err
	}
	v.Overall = quality.Rating(overall)
	v.VisitDate, v.CreatedAt = day(v.VisitDate), v.CreatedAt.UTC()
	v.PublishedAt, v.RespondedAt = ptrTime(published), ptrTime(responded)
	v.Working, v.Actions = []string{}, []quality.Action{}
	if err := fromJSON(answers, &v.Answers); err != nil {
		return nil, err
	}
	return &v, fromJSON(domains, &v.Domains)
}

// ListVisits lists visits, newest first: every visit for council staff,
// only its own published reports for a provider.
func (db *DB) ListVisits(ctx context.Context, f quality.VisitFilter) ([]quality.Visit, error) {
	a, err := actorRequire(ctx, canSeeQuality...)
	if err != nil {
		return nil, err
	}
	s := scopeFor(a, "v", byProvider)
	if s.provider() {
		s.and("v.status = ?", quality.VisitPublished)
	}
	s.filter("v.provider_id = ?", f.ProviderID).filter("v.location_id = ?", f.LocationID).filter("v.status = ?", f.Status)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+visitColumns+visitFrom+` WHERE `+s.where()+` ORDER BY v.visit_date DESC, v.id DESC`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list visits: %w", err)
	}
	return scanAll(rows, "visit", scanVisit)
}

// visit reads one visit the actor may see (a provider: its own, published).
func (db *DB) visit(ctx context.Context, q queryer, a *caremarket.Actor, id int64) (*quality.Visit, error) {
	cond := ""
	args := []any{id, a.CouncilID}
	if pid := providerScope(a); pid != 0 {
		cond = ` AND v.provider_id = $3 AND v.status = 'published'`
		args = append(args, pid)
	}
	v, err := scanVisit(q.QueryRowContext(ctx, `SELECT `+visitColumns+visitFrom+` WHERE v.id = $1 AND v.council_id = $2`+cond, args...))
	return v, notFound(err, "Monitoring visit")
}

// Visit returns a visit with its actions and the working of its ratings.
func (db *DB) Visit(ctx context.Context, id int64) (*quality.Visit, error) {
	a, err := actorRequire(ctx, canSeeQuality...)
	if err != nil {
		return nil, err
	}
	v, err := db.visit(ctx, db.sql, a, id)
	if err != nil {
		return nil, err
	}
	if f, err := db.framework(ctx, db.sql, a.CouncilID, v.FrameworkID); err == nil {
		_, _, v.Working = quality.Combine(f, v.Answers)
	}
	v.Actions, err = db.ListActions(ctx, quality.ActionFilter{VisitID: id})
	return v, err
}

// rate checks a visit against its framework and works out its ratings.
func (tx *Tx) rate(ctx context.Context, v *quality.Visit) error {
	f, err := tx.db.framework(ctx, tx, tx.actor.CouncilID, v.FrameworkID)
	if err != nil {
		return caremarket.Invalid(map[string]string{"framework_id": "Choose the monitoring framework"})
	}
	v.FrameworkName = f.Name
	if err := v.Validate(f, tx.now); err != nil {
		return err
	}
	v.Domains, v.Overall, v.Working = quality.Combine(f, v.Answers)
	if err := tx.QueryRowContext(ctx, `SELECT l.provider_id, l.name, p.name FROM locations l JOIN providers p ON p.id = l.provider_id WHERE l.id = $1 AND l.council_id = $2`,
		v.LocationID, tx.actor.CouncilID).Scan(&v.ProviderID, &v.LocationName, &v.ProviderName); err != nil {
		return caremarket.Invalid(map[string]string{"location_id": "Choose a location of the council's register"})
	}
	return nil
}

// CreateVisit records a visit as a draft report. Officers.
func (db *DB) CreateVisit(ctx context.Context, v *quality.Visit) error {
	return db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		if err := tx.rate(ctx, v); err != nil {
			return err
		}
		v.Status, v.CreatedBy, v.CreatedAt = quality.VisitDraft, tx.actor.Email, tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO monitoring_visits (council_id, framework_id, location_id, provider_id, announced, visit_date, officers, summary,
			answers, domain_ratings, overall, status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
			tx.actor.CouncilID, v.FrameworkID, v.LocationID, v.ProviderID, v.Announced, ymd(v.VisitDate), v.Officers, v.Summary, toJSON(v.Answers), toJSON(v.Domains),
			string(v.Overall), v.Status, v.CreatedBy, tx.now).Scan(&v.ID); err != nil {
			return fmt.Errorf("storage: create visit: %w", err)
		}
		return tx.audit(ctx, "visit.create", "monitoring_visit", v.ID, nil, visitSummary(v))
	})
}

func visitSummary(v *quality.Visit) map[string]any {
	return map[string]any{"location_id": v.LocationID, "visit_date": ymd(v.VisitDate), "overall": v.Overall, "status": v.Status}
}

// UpdateVisit changes a draft report. Officers; a published report is final.
func (db *DB) UpdateVisit(ctx context.Context, v *quality.Visit) error {
	return db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		old, err := tx.db.visit(ctx, tx, tx.actor, v.ID)
		if err != nil {
			return err
		}
		if old.Status != quality.VisitDraft {
			return caremarket.Errorf(caremarket.ECONFLICT, "This report is published and can no longer be changed")
		}
		v.FrameworkID = old.FrameworkID
		if err := tx.rate(ctx, v); err != nil {
			return err
		}
		v.Status, v.CreatedBy, v.CreatedAt = old.Status, old.CreatedBy, old.CreatedAt
		if _, err := tx.ExecContext(ctx, `UPDATE monitoring_visits SET location_id = $1, provider_id = $2, announced = $3, visit_date = $4, officers = $5, summary = $6,
			answers = $7, domain_ratings = $8, overall = $9, updated_at = $10 WHERE id = $11 AND council_id = $12`,
			v.LocationID, v.ProviderID, v.Announced, ymd(v.VisitDate), v.Officers, v.Summary, toJSON(v.Answers), toJSON(v.Domains), string(v.Overall), tx.now,
			v.ID, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: update visit: %w", err)
		}
		return tx.audit(ctx, "visit.update", "monitoring_visit", v.ID, visitSummary(old), visitSummary(v))
	})
}

// PublishVisit publishes a draft report to its provider. Officers.
func (db *DB) PublishVisit(ctx context.Context, id int64) (*quality.Visit, error) {
	err := db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		v, err := tx.db.visit(ctx, tx, tx.actor, id)
		if err != nil {
			return err
		}
		if v.Status == quality.VisitPublished {
			return caremarket.Errorf(caremarket.ECONFLICT, "This report is already published")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE monitoring_visits SET status = 'published', published_at = $1, updated_at = $1 WHERE id = $2 AND council_id = $3`,
			tx.now, id, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: publish visit: %w", err)
		}
		return tx.audit(ctx, "visit.publish", "monitoring_visit", id, map[string]string{"status": v.Status}, map[string]string{"status": quality.VisitPublished})
	})
	if err != nil {
		return nil, err
	}
	return db.Visit(ctx, id)
}

// RespondToVisit records the provider's response to its published report.
// The provider's own users only; a later response replaces the earlier.
func (db *DB) RespondToVisit(ctx context.Context, id int64, response string) (*quality.Visit, error) {
	response, err := providerText("response", response)
	if err != nil {
		return nil, err
	}
	err = db.updateBy(ctx, onlyProviders, func(tx *Tx) error {
		v, err := tx.db.visit(ctx, tx, tx.actor, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE monitoring_visits SET response = $1, responded_at = $2, updated_at = $2 WHERE id = $3 AND council_id = $4`,
			response, tx.now, id, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: respond to visit: %w", err)
		}
		return tx.audit(ctx, "visit.respond", "monitoring_visit", id, map[string]string{"response": v.Response}, map[string]string{"response": response})
	})
	if err != nil {
		return nil, err
	}
	return db.Visit(ctx, id)
}

// providerText trims a provider's written answer (a response to a report,
// evidence for an action) and checks it is given and not too long.
func providerText(field, text string) (string, error) {
	text = strings.TrimSpace(text)
	f := map[string]string{}
	caremarket.CheckText(f, field, field, text, true, quality.MaxTextLen*2)
	return text, caremarket.Invalid(f)
}

// --- Actions

const actionColumns = `x.id, x.visit_id, x.location_id, l.name, x.provider_id, p.name, x.question_key, x.finding, x.owner, x.due_date, x.status,
	x.evidence, x.evidence_at, x.decision_note, x.decided_at, x.created_at`
const actionFrom = ` FROM quality_actions x JOIN monitoring_visits v ON v.id = x.visit_id JOIN locations l ON l.id = x.location_id JOIN providers p ON p.id = x.provider_id`

func scanAction(today time.Time) func(row interface{ Scan(...any) error }) (*quality.Action, error) {
	return func(row interface{ Scan(...any) error }) (*quality.Action, error) {
		var x quality.Action
		var evAt, decAt sql.NullTime
		if err := row.Scan(&x.ID, &x.VisitID, &x.LocationID, &x.LocationName, &x.ProviderID, &x.ProviderName, &x.QuestionKey, &x.Finding, &x.Owner,
			&x.DueDate, &x.Stored, &x.Evidence, &evAt, &x.DecisionNote, &decAt, &x.CreatedAt); err != nil {
			return nil, err
		}
		x.DueDate, x.CreatedAt = day(x.DueDate), x.CreatedAt.UTC()
		x.EvidenceAt, x.DecidedAt = ptrTime(evAt), ptrTime(decAt)
		x.Status = quality.EffectiveStatus(x.Stored, x.DueDate, today)
		return &x, nil
	}
}

// ListActions lists actions, soonest due first. A provider sees only the
// actions of its own published reports.
func (db *DB) ListActions(ctx context.Context, f quality.ActionFilter) ([]quality.Action, error) {
	a, err := actorRequire(ctx, canSeeQuality...)
	if err != nil {
		return nil, err
	}
	today := db.now()
	s := scopeFor(a, "x", byProvider)
	if s.provider() {
		s.and("v.status = ?", quality.VisitPublished)
	}
	s.filter("x.provider_id = ?", f.ProviderID).filter("x.location_id = ?", f.LocationID).filter("x.visit_id = ?", f.VisitID)
	switch f.Status {
	case "":
	case quality.ActionOverdue:
		s.and("x.status <> ?", quality.ActionAccepted).and("x.due_date < ?", ymd(today))
	case quality.ActionOpen, quality.ActionEvidenceSubmitted:
		s.and("x.status = ?", f.Status).and("x.due_date >= ?", ymd(today))
	default:
		s.and("x.status = ?", f.Status)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+actionColumns+actionFrom+` WHERE `+s.where()+` ORDER BY x.due_date, x.id`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list actions: %w", err)
	}
	return scanAll(rows, "action", scanAction(today))
}

func (db *DB) action(ctx context.Context, q queryer, a *caremarket.Actor, id int64) (*quality.Action, error) {
	cond := ""
	args := []any{id, a.CouncilID}
	if pid := providerScope(a); pid != 0 {
		cond = ` AND x.provider_id = $3 AND v.status = 'published'`
		args = append(args, pid)
	}
	x, err := scanAction(db.now())(q.QueryRowContext(ctx, `SELECT `+actionColumns+actionFrom+` WHERE x.id = $1 AND x.council_id = $2`+cond, args...))
	return x, notFound(err, "Action")
}

// Action returns one action.
func (db *DB) Action(ctx context.Context, id int64) (*quality.Action, error) {
	a, err := actorRequire(ctx, canSeeQuality...)
	if err != nil {
		return nil, err
	}
	return db.action(ctx, db.sql, a, id)
}

// AddAction raises an action from a finding of a visit. Officers.
func (db *DB) AddAction(ctx context.Context, x *quality.Action) error {
	if err := x.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		v, err := tx.db.visit(ctx, tx, tx.actor, x.VisitID)
		if err != nil {
			return err
		}
		if x.QuestionKey != "" {
			found := false
			for _, ans := range v.Answers {
				found = found || ans.QuestionKey == x.QuestionKey
			}
			if !found {
				return caremarket.Invalid(map[string]string{"question_key": "Choose a question of the visit's framework"})
			}
		}
		x.LocationID, x.ProviderID, x.LocationName, x.ProviderName = v.LocationID, v.ProviderID, v.LocationName, v.ProviderName
		x.Stored, x.CreatedAt = quality.ActionOpen, tx.now
		x.Status = quality.EffectiveStatus(x.Stored, x.DueDate, tx.now)
		if err := tx.QueryRowContext(ctx, `INSERT INTO quality_actions (council_id, visit_id, location_id, provider_id, question_key, finding, owner, due_date, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, tx.actor.CouncilID, x.VisitID, x.LocationID, x.ProviderID, x.QuestionKey, x.Finding, x.Owner,
			ymd(x.DueDate), x.Stored, tx.now).Scan(&x.ID); err != nil {
			return fmt.Errorf("storage: add action: %w", err)
		}
		return tx.audit(ctx, "action.create", "quality_action", x.ID, nil, map[string]any{"visit_id": x.VisitID, "finding": x.Finding, "due_date": ymd(x.DueDate)})
	})
}

// SubmitEvidence records the provider's evidence that an action is done.
// The provider's own users, on an action not yet accepted.
func (db *DB) SubmitEvidence(ctx context.Context, id int64, evidence string) (*quality.Action, error) {
	evidence, err := providerText("evidence", evidence)
	if err != nil {
		return nil, err
	}
	err = db.updateBy(ctx, onlyProviders, func(tx *Tx) error {
		x, err := tx.db.action(ctx, tx, tx.actor, id)
		if err != nil {
			return err
		}
		if x.Stored == quality.ActionAccepted {
			return caremarket.Errorf(caremarket.ECONFLICT, "This action is already accepted")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE quality_actions SET status = 'evidence_submitted', evidence = $1, evidence_at = $2 WHERE id = $3 AND council_id = $4`,
			evidence, tx.now, id, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: submit evidence: %w", err)
		}
		return tx.audit(ctx, "action.evidence", "quality_action", id, map[string]string{"status": x.Stored}, map[string]string{"status": quality.ActionEvidenceSubmitted})
	})
	if err != nil {
		return nil, err
	}
	return db.Action(ctx, id)
}

// DecideAction accepts submitted evidence, closing the action, or returns
// it to the provider (open again) with a note saying what is missing.
// Officers.
func (db *DB) DecideAction(ctx context.Context, id int64, d quality.Decision) (*quality.Action, error) {
	d.Note = strings.TrimSpace(d.Note)
	f := map[string]string{}
	caremarket.CheckText(f, "note", "note", d.Note, !d.Accept, quality.MaxTextLen)
	if err := caremarket.Invalid(f); err != nil {
		if !d.Accept && d.Note == "" {
			return nil, caremarket.Invalid(map[string]string{"note": "Say what evidence is still needed"})
		}
		return nil, err
	}
	err := db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		x, err := tx.db.action(ctx, tx, tx.actor, id)
		if err != nil {
			return err
		}
		if x.Stored != quality.ActionEvidenceSubmitted {
			return caremarket.Errorf(caremarket.ECONFLICT, "There is no evidence waiting for a decision on this action")
		}
		status := quality.ActionOpen
		if d.Accept {
			status = quality.ActionAccepted
		}
		if _, err := tx.ExecContext(ctx, `UPDATE quality_actions SET status = $1, decision_note = $2, decided_at = $3 WHERE id = $4 AND council_id = $5`,
			status, d.Note, tx.now, id, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: decide action: %w", err)
		}
		return tx.audit(ctx, "action.decide", "quality_action", id, map[string]string{"status": x.Stored}, map[string]string{"status": status, "note": d.Note})
	})
	if err != nil {
		return nil, err
	}
	return db.Action(ctx, id)
}

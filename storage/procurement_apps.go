package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

// Applications, scoring, moderation, awards, assessment summaries and
// contracts. A provider user sees only its own applications, marks, summaries
// and contracts: another provider's are not found, exactly as if they did
// not exist.

const applicationColumns = `ap.id, ap.council_id, ap.window_id, ap.provider_id, p.name, ap.lot_ids, ap.status, ap.submitted_at, ap.assessed_at, ap.created_at, ap.updated_at`
const applicationFrom = ` FROM applications ap JOIN providers p ON p.id = ap.provider_id`

func scanApplication(row interface{ Scan(...any) error }) (*procurement.Application, error) {
	var a procurement.Application
	var lots string
	var submitted, assessed sql.NullTime
	if err := row.Scan(&a.ID, &a.CouncilID, &a.WindowID, &a.ProviderID, &a.ProviderName, &lots, &a.Status, &submitted, &assessed, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.SubmittedAt, a.AssessedAt = ptrTime(submitted), ptrTime(assessed)
	a.Answers = []procurement.Answer{}
	return &a, fromJSON(lots, &a.LotIDs)
}

func loadAnswers(ctx context.Context, q queryer, councilID int64, a *procurement.Application) error {
	rows, err := q.QueryContext(ctx, `SELECT question_id, attempt, text, evidence, submitted_at FROM answers
		WHERE council_id = $1 AND application_id = $2 ORDER BY question_id, attempt`, councilID, a.ID)
	if err != nil {
		return fmt.Errorf("storage: list answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var an procurement.Answer
		var at sql.NullTime
		if err := rows.Scan(&an.QuestionID, &an.Attempt, &an.Text, &an.Evidence, &at); err != nil {
			return fmt.Errorf("storage: scan answer: %w", err)
		}
		an.SubmittedAt = ptrTime(at)
		a.Answers = append(a.Answers, an)
	}
	return rows.Err()
}

// visibleApplication applies the read rules to one application: a provider
// sees only its own; council staff see every submitted one, but drafts stay
// the provider's own.
func visibleApplication(actor *caremarket.Actor, a *procurement.Application) error {
	if actor.Role == caremarket.RoleProvider {
		if a.ProviderID != actor.ProviderID {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Application not found")
		}
		return nil
	}
	if a.Status == procurement.Draft {
		return caremarket.Errorf(caremarket.ENOTFOUND, "Application not found")
	}
	return nil
}

func (db *DB) application(ctx context.Context, q queryer, actor *caremarket.Actor, id int64, lock string) (*procurement.Application, error) {
	s := scopeFor(actor, "ap", byProvider).and("ap.id = ?", id)
	a, err := scanApplication(q.QueryRowContext(ctx, `SELECT `+applicationColumns+applicationFrom+` WHERE `+s.where()+lock, s.args...))
	if err != nil {
		return nil, notFound(err, "Application")
	}
	if err := visibleApplication(actor, a); err != nil {
		return nil, err
	}
	return a, loadAnswers(ctx, q, actor.CouncilID, a)
}

// ListApplications lists applications, by window and submission. A provider
// sees only its own; staff see submitted ones.
func (db *DB) ListApplications(ctx context.Context, f procurement.ApplicationFilter) ([]procurement.Application, error) {
	s, err := scopeOf(ctx, "ap", byProvider)
	if err != nil {
		return nil, err
	}
	if !s.provider() {
		s.also("ap.status <> 'draft'") // a draft is its provider's alone
	}
	s.filter("ap.window_id = ?", f.WindowID).filter("ap.provider_id = ?", f.ProviderID).filter("ap.status = ?", string(f.Status))
	rows, err := db.sql.QueryContext(ctx, `SELECT `+applicationColumns+applicationFrom+` WHERE `+s.where()+
		` ORDER BY ap.window_id DESC, p.name, ap.id`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list applications: %w", err)
	}
	return scanAll(rows, "application", scanApplication)
}

// Application returns one application with its answers.
func (db *DB) Application(ctx context.Context, id int64) (*procurement.Application, error) {
	_, app, err := db.actorsApplication(ctx, id)
	return app, err
}

// actorsApplication reads an application as the actor of ctx sees it, and
// returns the actor with it.
func (db *DB) actorsApplication(ctx context.Context, id int64) (*caremarket.Actor, *procurement.Application, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	app, err := db.application(ctx, db.sql, actor, id, "")
	return actor, app, err
}

func writeAnswers(ctx context.Context, tx *Tx, a *procurement.Application) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM answers WHERE application_id = $1 AND council_id = $2 AND attempt = 1`, a.ID, tx.actor.CouncilID); err != nil {
		return fmt.Errorf("storage: clear answers: %w", err)
	}
	seen := map[int64]bool{}
	for _, an := range a.Answers {
		if an.Attempt != 1 || seen[an.QuestionID] {
			continue
		}
		seen[an.QuestionID] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO answers (application_id, question_id, attempt, council_id, text, evidence) VALUES ($1, $2, 1, $3, $4, $5)`,
			a.ID, an.QuestionID, tx.actor.CouncilID, an.Text, an.Evidence); err != nil {
			return fmt.Errorf("storage: save answer: %w", err)
		}
	}
	return nil
}

// checkApplicationTime refuses an application to w outside the times it
// takes them. The server's clock decides, to the moment: never the
// browser's.
func (db *DB) checkApplicationTime(ctx context.Context, tx *Tx, w *procurement.Window) error {
	published, err := noticePublished(ctx, tx, tx.actor.CouncilID, w.ID)
	if err != nil {
		return err
	}
	return procurement.CheckApplicationTime(w, db.Now(), published)
}

// SaveApplication creates or changes the signed-in provider's draft for a
// window. Provider users only; a submitted application cannot be changed,
// and nothing can be saved once the window has closed (server clock).
func (db *DB) SaveApplication(ctx context.Context, a *procurement.Application) error {
	return db.updateBy(ctx, onlyProviders, func(tx *Tx) error {
		w, err := db.window(ctx, tx, tx.actor.CouncilID, a.WindowID)
		if err != nil {
			return err
		}
		if err := a.Validate(w); err != nil {
			return err
		}
		if err := db.checkApplicationTime(ctx, tx, w); err != nil {
			return err
		}
		a.ProviderID, a.CouncilID, a.UpdatedAt, a.Status = tx.actor.ProviderID, tx.actor.CouncilID, tx.now, procurement.Draft
		var before *procurement.Application
		if a.ID == 0 {
			var existing int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM applications WHERE window_id = $1 AND provider_id = $2 AND council_id = $3`,
				a.WindowID, a.ProviderID, a.CouncilID).Scan(&existing)
			if err == nil {
				a.ID = existing
			} else if err != sql.ErrNoRows {
				return fmt.Errorf("storage: find application: %w", err)
			}
		}
		if a.ID != 0 {
			before, err = db.application(ctx, tx, tx.actor, a.ID, tx.db.dialect.forUpdate)
			if err != nil {
				return err
			}
			if before.WindowID != a.WindowID {
				return caremarket.Errorf(caremarket.ENOTFOUND, "Application not found")
			}
			if before.Status != procurement.Draft {
				return caremarket.Errorf(caremarket.ECONFLICT, "This application has been submitted and can no longer be changed")
			}
			a.CreatedAt = before.CreatedAt
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET lot_ids = $1, updated_at = $2 WHERE id = $3 AND council_id = $4`,
				toJSON(a.LotIDs), a.UpdatedAt, a.ID, a.CouncilID); err != nil {
				return fmt.Errorf("storage: update application: %w", err)
			}
		} else {
			a.CreatedAt = tx.now
			if err := tx.QueryRowContext(ctx, `INSERT INTO applications (council_id, window_id, provider_id, lot_ids, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'draft', $5, $6) RETURNING id`, a.CouncilID, a.WindowID, a.ProviderID, toJSON(a.LotIDs), a.CreatedAt, a.UpdatedAt).Scan(&a.ID); err != nil {
				return fmt.Errorf("storage: create application: %w", err)
			}
		}
		if err := writeAnswers(ctx, tx, a); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT name FROM providers WHERE id = $1`, a.ProviderID).Scan(&a.ProviderName); err != nil {
			return fmt.Errorf("storage: read provider: %w", err)
		}
		action := "application.create"
		if before != nil {
			action = "application.update"
		}
		return tx.audit(ctx, action, "application", a.ID, before, a)
	})
}

// SubmitApplication submits the provider's draft: refused after the deadline
// by the server's clock, or with anything unanswered.
func (db *DB) SubmitApplication(ctx context.Context, id int64) (*procurement.Application, error) {
	var out *procurement.Application
	err := db.updateBy(ctx, onlyProviders, func(tx *Tx) error {
		a, err := db.application(ctx, tx, tx.actor, id, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if a.Status != procurement.Draft {
			return caremarket.Errorf(caremarket.ECONFLICT, "This application has already been submitted")
		}
		w, err := db.window(ctx, tx, tx.actor.CouncilID, a.WindowID)
		if err != nil {
			return err
		}
		if err := db.checkApplicationTime(ctx, tx, w); err != nil {
			return err
		}
		if err := a.CheckComplete(w); err != nil {
			return err
		}
		at := tx.now
		a.Status, a.SubmittedAt, a.UpdatedAt = procurement.Submitted, &at, at
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET status = 'submitted', submitted_at = $1, updated_at = $1 WHERE id = $2 AND council_id = $3`,
			at, a.ID, a.CouncilID); err != nil {
			return fmt.Errorf("storage: submit application: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE answers SET submitted_at = $1 WHERE application_id = $2 AND council_id = $3`, at, a.ID, a.CouncilID); err != nil {
			return fmt.Errorf("storage: submit answers: %w", err)
		}
		for i := range a.Answers {
			a.Answers[i].SubmittedAt = &at
		}
		out = a
		return tx.audit(ctx, "application.submit", "application", a.ID, nil, map[string]any{"status": a.Status, "submitted_at": at})
	})
	return out, err
}

func (db *DB) moderations(ctx context.Context, q queryer, councilID int64, cond string, arg any) ([]procurement.Moderation, error) {
	rows, err := q.QueryContext(ctx, `SELECT application_id, question_id, attempt, pass, points, reason, moderator_id, moderator, at
		FROM moderations WHERE council_id = $1 AND `+cond+` ORDER BY application_id, question_id, attempt`, councilID, arg)
	if err != nil {
		return nil, fmt.Errorf("storage: list moderations: %w", err)
	}
	defer rows.Close()
	out := []procurement.Moderation{}
	for rows.Next() {
		var m procurement.Moderation
		var pass sql.NullBool
		if err := rows.Scan(&m.ApplicationID, &m.QuestionID, &m.Attempt, &pass, &m.Points, &m.Reason, &m.ModeratorID, &m.Moderator, &m.At); err != nil {
			return nil, fmt.Errorf("storage: scan moderation: %w", err)
		}
		if pass.Valid {
			b := pass.Bool
			m.Pass = &b
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ResubmitAnswer is the provider's one resubmission of a failed quality
// answer, where the agreement allows it.
func (db *DB) ResubmitAnswer(ctx context.Context, applicationID, questionID int64, text, evidence string) error {
	text, evidence = strings.TrimSpace(text), strings.TrimSpace(evidence)
	if text == "" {
		return caremarket.Invalid(map[string]string{"text": "Enter your new answer"})
	}
	if len(text) > procurement.MaxTextLen || len(evidence) > procurement.MaxTextLen {
		return caremarket.Invalid(map[string]string{"text": "The answer is too long"})
	}
	return db.updateBy(ctx, onlyProviders, func(tx *Tx) error {
		app, err := db.application(ctx, tx, tx.actor, applicationID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		w, q, err := db.windowQuestion(ctx, tx, app.WindowID, questionID)
		if err != nil {
			return err
		}
		if published, err := noticePublished(ctx, tx, tx.actor.CouncilID, w.ID); err != nil {
			return err
		} else if err := procurement.CheckResubmissionTime(published); err != nil {
			return err
		}
		a, err := db.agreementWhere(ctx, tx, tx.actor.CouncilID, "id = $2", w.AgreementID, "")
		if err != nil {
			return err
		}
		mods, err := db.moderations(ctx, tx, tx.actor.CouncilID, "application_id = $2", app.ID)
		if err != nil {
			return err
		}
		if err := procurement.CheckResubmit(a, w, app, q, mods); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO answers (application_id, question_id, attempt, council_id, text, evidence, submitted_at) VALUES ($1, $2, 2, $3, $4, $5, $6)`,
			app.ID, q.ID, tx.actor.CouncilID, text, evidence, tx.now); err != nil {
			return fmt.Errorf("storage: resubmit answer: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET assessed_at = NULL, updated_at = $1 WHERE id = $2`, tx.now, app.ID); err != nil {
			return fmt.Errorf("storage: reopen assessment: %w", err)
		}
		return tx.audit(ctx, "application.resubmit_answer", "application", app.ID, nil, map[string]any{"question_id": q.ID, "attempt": 2})
	})
}

// AssessmentClock is a DPS application's PCR 2015 reg. 34(15) clock.
func (db *DB) AssessmentClock(ctx context.Context, applicationID int64) (*procurement.AssessmentClock, error) {
	actor, app, err := db.actorsApplication(ctx, applicationID)
	if err != nil {
		return nil, err
	}
	w, err := db.window(ctx, db.sql, actor.CouncilID, app.WindowID)
	if err != nil {
		return nil, err
	}
	cal, err := db.calendar(ctx, db.sql, actor.CouncilID)
	if err != nil {
		return nil, err
	}
	return app.Clock(w, cal, db.Now()), nil
}

var _ procurement.Store = (*DB)(nil)

// windowQuestion reads an application's window and one of its questions,
// which scoring, moderation and resubmission all need inside their change.
func (db *DB) windowQuestion(ctx context.Context, tx *Tx, windowID, questionID int64) (*procurement.Window, *procurement.Question, error) {
	w, err := db.window(ctx, tx, tx.actor.CouncilID, windowID)
	if err != nil {
		return nil, nil, err
	}
	q := w.Question(questionID)
	if q == nil {
		return nil, nil, caremarket.Errorf(caremarket.ENOTFOUND, "Question not found")
	}
	return w, q, nil
}

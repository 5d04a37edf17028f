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
	a, err := scanApplication(q.QueryRowContext(ctx, `SELECT `+applicationColumns+applicationFrom+` WHERE ap.council_id = $1 AND ap.id = $2`+lock, actor.CouncilID, id))
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
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	where := []string{"ap.council_id = $1"}
	args := []any{actor.CouncilID}
	add := addWhere(&where, &args)
	if actor.Role == caremarket.RoleProvider {
		add("ap.provider_id = ?", actor.ProviderID)
	} else {
		where = append(where, "ap.status <> 'draft'")
	}
	if f.WindowID != 0 {
		add("ap.window_id = ?", f.WindowID)
	}
	if f.ProviderID != 0 {
		add("ap.provider_id = ?", f.ProviderID)
	}
	if f.Status != "" {
		add("ap.status = ?", string(f.Status))
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+applicationColumns+applicationFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY ap.window_id DESC, p.name, ap.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list applications: %w", err)
	}
	return scanAll(rows, "application", scanApplication)
}

// Application returns one application with its answers.
func (db *DB) Application(ctx context.Context, id int64) (*procurement.Application, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.application(ctx, db.sql, actor, id, "")
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

// SaveApplication creates or changes the signed-in provider's draft for a
// window. Provider users only; a submitted application cannot be changed,
// and nothing can be saved once the window has closed (server clock).
func (db *DB) SaveApplication(ctx context.Context, a *procurement.Application) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(caremarket.RoleProvider); err != nil {
			return err
		}
		w, err := db.window(ctx, tx, tx.actor.CouncilID, a.WindowID)
		if err != nil {
			return err
		}
		if err := a.Validate(w); err != nil {
			return err
		}
		published, err := noticePublished(ctx, tx, tx.actor.CouncilID, w.ID)
		if err != nil {
			return err
		}
		if err := procurement.CheckApplicationTime(w, db.Now(), published); err != nil {
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
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(caremarket.RoleProvider); err != nil {
			return err
		}
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
		published, err := noticePublished(ctx, tx, tx.actor.CouncilID, w.ID)
		if err != nil {
			return err
		}
		// The server's clock decides, to the moment: never the browser's.
		if err := procurement.CheckApplicationTime(w, db.Now(), published); err != nil {
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
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(caremarket.RoleProvider); err != nil {
			return err
		}
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
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	app, err := db.application(ctx, db.sql, actor, applicationID, "")
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

const scoreColumns = `id, application_id, question_id, attempt, evaluator_id, evaluator, pass, points, comment, submitted_at, updated_at`

func (db *DB) scores(ctx context.Context, q queryer, councilID int64, cond string, arg any) ([]procurement.Score, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+scoreColumns+` FROM scores WHERE council_id = $1 AND `+cond+` ORDER BY application_id, question_id, attempt, evaluator`, councilID, arg)
	if err != nil {
		return nil, fmt.Errorf("storage: list scores: %w", err)
	}
	defer rows.Close()
	out := []procurement.Score{}
	for rows.Next() {
		var s procurement.Score
		var pass sql.NullBool
		var sub sql.NullTime
		if err := rows.Scan(&s.ID, &s.ApplicationID, &s.QuestionID, &s.Attempt, &s.EvaluatorID, &s.Evaluator, &pass, &s.Points, &s.Comment, &sub, &s.UpdatedAt); err != nil {
			return nil, fmt.Errorf("storage: scan score: %w", err)
		}
		if pass.Valid {
			b := pass.Bool
			s.Pass = &b
		}
		s.SubmittedAt = ptrTime(sub)
		out = append(out, s)
	}
	return out, rows.Err()
}

// isModerator reports whether the actor sees every score of a window:
// commissioners and admins, and an evaluator assigned as its moderator.
func isModerator(ctx context.Context, q queryer, actor *caremarket.Actor, windowID int64) (bool, error) {
	if actor.Is(canSetUp...) {
		return true, nil
	}
	e, err := evaluatorOf(ctx, q, actor, windowID)
	if err != nil {
		return false, err
	}
	return e != nil && e.Moderator, nil
}

// ScoreSheet returns the marks the caller may see of an application: an
// evaluator the scores the blind rule allows, a moderator all submitted
// scores; the provider only its own moderated marks, and only once its
// assessment summary has been generated.
func (db *DB) ScoreSheet(ctx context.Context, applicationID int64) (*procurement.ScoreSheet, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	app, err := db.application(ctx, db.sql, actor, applicationID, "")
	if err != nil {
		return nil, err
	}
	sheet := &procurement.ScoreSheet{Scores: []procurement.Score{}, Moderations: []procurement.Moderation{}}
	if actor.Role == caremarket.RoleProvider {
		var n int
		if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM assessment_summaries WHERE application_id = $1 AND council_id = $2`, app.ID, actor.CouncilID).Scan(&n); err != nil {
			return nil, fmt.Errorf("storage: check summary: %w", err)
		}
		if n > 0 {
			sheet.Moderations, err = db.moderations(ctx, db.sql, actor.CouncilID, "application_id = $2", app.ID)
		}
		return sheet, err
	}
	if err := actor.Require(caremarket.RoleEvaluator, caremarket.RoleCommissioner, caremarket.RoleAdmin); err != nil {
		return nil, err
	}
	mod, err := isModerator(ctx, db.sql, actor, app.WindowID)
	if err != nil {
		return nil, err
	}
	all, err := db.scores(ctx, db.sql, actor.CouncilID, "application_id = $2", app.ID)
	if err != nil {
		return nil, err
	}
	sheet.Scores = procurement.VisibleScores(all, procurement.Viewer{UserID: actor.UserID, Moderator: mod})
	if mod {
		sheet.Moderations, err = db.moderations(ctx, db.sql, actor.CouncilID, "application_id = $2", app.ID)
	}
	return sheet, err
}

// SaveScore saves the signed-in evaluator's score for an answer: a draft, or
// submitted (with SubmittedAt set) after which it cannot change. The
// evaluator must be assigned, have declared their interests, and have no
// conflict with the provider.
func (db *DB) SaveScore(ctx context.Context, s *procurement.Score) error {
	submit := s.SubmittedAt != nil
	return db.update(ctx, func(tx *Tx) error {
		app, err := db.application(ctx, tx, tx.actor, s.ApplicationID, "")
		if err != nil {
			return err
		}
		if tx.actor.Role == caremarket.RoleProvider {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Application not found")
		}
		e, err := evaluatorOf(ctx, tx, tx.actor, app.WindowID)
		if err != nil {
			return fmt.Errorf("storage: read evaluator: %w", err)
		}
		if err := e.CheckCanScore(app); err != nil {
			return err
		}
		if app.Status != procurement.Submitted {
			return caremarket.Errorf(caremarket.ECONFLICT, "Only a submitted application is scored")
		}
		if published, err := noticePublished(ctx, tx, tx.actor.CouncilID, app.WindowID); err != nil {
			return err
		} else if err := procurement.CheckMarksOpen(published); err != nil {
			return err
		}
		_, q, err := db.windowQuestion(ctx, tx, app.WindowID, s.QuestionID)
		if err != nil {
			return err
		}
		if s.Attempt == 0 {
			s.Attempt = 1
		}
		found := false
		for _, an := range app.Answers {
			found = found || (an.QuestionID == q.ID && an.Attempt == s.Attempt)
		}
		if !found {
			return caremarket.Errorf(caremarket.ECONFLICT, "There is no answer %d to question %d to score", s.Attempt, q.Number)
		}
		if submit {
			at := tx.now
			s.SubmittedAt = &at
		}
		if err := s.Validate(q); err != nil {
			return err
		}
		s.EvaluatorID, s.Evaluator, s.UpdatedAt = tx.actor.UserID, tx.actor.Email, tx.now
		var id int64
		var was sql.NullTime
		err = tx.QueryRowContext(ctx, `SELECT id, submitted_at FROM scores WHERE application_id = $1 AND question_id = $2 AND attempt = $3 AND evaluator_id = $4`+tx.db.dialect.forUpdate,
			s.ApplicationID, s.QuestionID, s.Attempt, s.EvaluatorID).Scan(&id, &was)
		var pass any
		if s.Pass != nil {
			pass = *s.Pass
		}
		switch {
		case err == sql.ErrNoRows:
			err = tx.QueryRowContext(ctx, `INSERT INTO scores (council_id, application_id, question_id, attempt, evaluator_id, evaluator, pass, points, comment, submitted_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, tx.actor.CouncilID, s.ApplicationID, s.QuestionID, s.Attempt,
				s.EvaluatorID, s.Evaluator, pass, s.Points, s.Comment, timeOrNil(s.SubmittedAt), s.UpdatedAt).Scan(&s.ID)
			if err != nil {
				return fmt.Errorf("storage: create score: %w", err)
			}
		case err != nil:
			return fmt.Errorf("storage: read score: %w", err)
		case was.Valid:
			return caremarket.Errorf(caremarket.ECONFLICT, "You have submitted this score; it can no longer be changed (the moderator agrees the final mark)")
		default:
			s.ID = id
			if _, err := tx.ExecContext(ctx, `UPDATE scores SET pass = $1, points = $2, comment = $3, submitted_at = $4, updated_at = $5 WHERE id = $6`,
				pass, s.Points, s.Comment, timeOrNil(s.SubmittedAt), s.UpdatedAt, s.ID); err != nil {
				return fmt.Errorf("storage: update score: %w", err)
			}
		}
		action := "score.save"
		if submit {
			action = "score.submit"
		}
		return tx.audit(ctx, action, "application", s.ApplicationID, nil, s)
	})
}

// Moderate records the agreed final mark for an answer, with its reason. A
// window's moderator, or a commissioner. Once every answer is moderated the
// application is marked assessed (stopping a DPS clock).
func (db *DB) Moderate(ctx context.Context, m *procurement.Moderation) error {
	return db.update(ctx, func(tx *Tx) error {
		if tx.actor.Role == caremarket.RoleProvider {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Application not found")
		}
		app, err := db.application(ctx, tx, tx.actor, m.ApplicationID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		e, err := evaluatorOf(ctx, tx, tx.actor, app.WindowID)
		if err != nil {
			return fmt.Errorf("storage: read evaluator: %w", err)
		}
		if err := procurement.CheckModerator(tx.actor.Role, e != nil && e.Moderator); err != nil {
			return err
		}
		if published, err := noticePublished(ctx, tx, tx.actor.CouncilID, app.WindowID); err != nil {
			return err
		} else if err := procurement.CheckMarksOpen(published); err != nil {
			return err
		}
		w, q, err := db.windowQuestion(ctx, tx, app.WindowID, m.QuestionID)
		if err != nil {
			return err
		}
		if m.Attempt == 0 {
			m.Attempt = 1
		}
		scores, err := db.scores(ctx, tx, tx.actor.CouncilID, "application_id = $2", app.ID)
		if err != nil {
			return err
		}
		if err := m.Validate(q, scores); err != nil {
			return err
		}
		m.ModeratorID, m.Moderator, m.At = tx.actor.UserID, tx.actor.Email, tx.now
		var pass any
		if m.Pass != nil {
			pass = *m.Pass
		}
		before, err := db.moderations(ctx, tx, tx.actor.CouncilID, "application_id = $2", app.ID)
		if err != nil {
			return err
		}
		var prev *procurement.Moderation
		for i := range before {
			if before[i].QuestionID == m.QuestionID && before[i].Attempt == m.Attempt {
				prev = &before[i]
			}
		}
		if prev != nil {
			_, err = tx.ExecContext(ctx, `UPDATE moderations SET pass = $1, points = $2, reason = $3, moderator_id = $4, moderator = $5, at = $6
				WHERE application_id = $7 AND question_id = $8 AND attempt = $9`, pass, m.Points, m.Reason, m.ModeratorID, m.Moderator, m.At, m.ApplicationID, m.QuestionID, m.Attempt)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO moderations (application_id, question_id, attempt, council_id, pass, points, reason, moderator_id, moderator, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, m.ApplicationID, m.QuestionID, m.Attempt, tx.actor.CouncilID, pass, m.Points, m.Reason, m.ModeratorID, m.Moderator, m.At)
		}
		if err != nil {
			return fmt.Errorf("storage: save moderation: %w", err)
		}
		mods, err := db.moderations(ctx, tx, tx.actor.CouncilID, "application_id = $2", app.ID)
		if err != nil {
			return err
		}
		res := procurement.Evaluate(w, []procurement.Application{*app}, mods)
		if len(res) == 1 && res[0].Selection != procurement.Pending && res[0].Quality != procurement.Pending {
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET assessed_at = $1 WHERE id = $2 AND assessed_at IS NULL`, tx.now, app.ID); err != nil {
				return fmt.Errorf("storage: mark assessed: %w", err)
			}
		}
		return tx.audit(ctx, "moderation.save", "application", app.ID, prev, m)
	})
}

// windowResults evaluates every submitted application of a window.
func (db *DB) windowResults(ctx context.Context, q queryer, actor *caremarket.Actor, windowID int64) (*procurement.Window, []procurement.Application, []procurement.Moderation, []procurement.Result, error) {
	w, err := db.window(ctx, q, actor.CouncilID, windowID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+applicationColumns+applicationFrom+` WHERE ap.council_id = $1 AND ap.window_id = $2 AND ap.status = 'submitted' ORDER BY ap.id`,
		actor.CouncilID, windowID)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("storage: list applications: %w", err)
	}
	var apps []procurement.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			rows.Close()
			return nil, nil, nil, nil, err
		}
		apps = append(apps, *a)
	}
	rows.Close()
	// Second attempts matter to the results; load them in one query.
	arows, err := q.QueryContext(ctx, `SELECT application_id, question_id FROM answers WHERE council_id = $1 AND attempt = 2
		AND application_id IN (SELECT id FROM applications WHERE window_id = $2)`, actor.CouncilID, windowID)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("storage: list resubmissions: %w", err)
	}
	second := map[int64][]int64{}
	for arows.Next() {
		var a, qid int64
		if err := arows.Scan(&a, &qid); err != nil {
			arows.Close()
			return nil, nil, nil, nil, err
		}
		second[a] = append(second[a], qid)
	}
	arows.Close()
	for i := range apps {
		for _, qid := range second[apps[i].ID] {
			apps[i].Answers = append(apps[i].Answers, procurement.Answer{QuestionID: qid, Attempt: 2})
		}
	}
	mods, err := db.moderations(ctx, q, actor.CouncilID, "application_id IN (SELECT id FROM applications WHERE window_id = $2)", windowID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return w, apps, mods, procurement.Evaluate(w, apps, mods), nil
}

// WindowResults gives a window's results, ranked, and its funnel (submitted,
// passed selection, passed quality first time and after resubmission,
// awarded). Council staff.
func (db *DB) WindowResults(ctx context.Context, windowID int64) (*procurement.WindowResults, error) {
	actor, err := actorRequire(ctx, caremarket.CouncilStaff...)
	if err != nil {
		return nil, err
	}
	w, _, _, results, err := db.windowResults(ctx, db.sql, actor, windowID)
	if err != nil {
		return nil, err
	}
	var awarded int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(DISTINCT application_id) FROM awards WHERE council_id = $1 AND window_id = $2`, actor.CouncilID, windowID).Scan(&awarded); err != nil {
		return nil, fmt.Errorf("storage: count awards: %w", err)
	}
	if results == nil {
		results = []procurement.Result{}
	}
	return &procurement.WindowResults{Window: *w, Results: results, Funnel: procurement.FunnelOf(results, awarded)}, nil
}

const awardColumns = `aw.id, aw.council_id, aw.agreement_id, aw.window_id, aw.lot_id, aw.application_id, aw.provider_id, p.name, aw.score, aw.decided_at, aw.notice_at, aw.standstill,
	COALESCE((SELECT c.id FROM contracts c WHERE c.award_id = aw.id), 0)`
const awardFrom = ` FROM awards aw JOIN providers p ON p.id = aw.provider_id`

func scanAward(row interface{ Scan(...any) error }) (*procurement.Award, error) {
	var a procurement.Award
	var notice sql.NullTime
	var ss string
	if err := row.Scan(&a.ID, &a.CouncilID, &a.AgreementID, &a.WindowID, &a.LotID, &a.ApplicationID, &a.ProviderID, &a.ProviderName, &a.Score,
		&a.DecidedAt, &notice, &ss, &a.ContractID); err != nil {
		return nil, err
	}
	a.NoticeAt = ptrTime(notice)
	if ss != "" {
		a.Standstill = &procurement.Standstill{}
		if err := fromJSON(ss, a.Standstill); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// ListAwards lists awards. A provider sees only its own.
func (db *DB) ListAwards(ctx context.Context, f procurement.AwardFilter) ([]procurement.Award, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.listAwards(ctx, db.sql, actor, f)
}

func (db *DB) listAwards(ctx context.Context, q queryer, actor *caremarket.Actor, f procurement.AwardFilter) ([]procurement.Award, error) {
	where := []string{"aw.council_id = $1"}
	args := []any{actor.CouncilID}
	add := addWhere(&where, &args)
	if actor.Role == caremarket.RoleProvider {
		add("aw.provider_id = ?", actor.ProviderID)
	}
	if f.AgreementID != 0 {
		add("aw.agreement_id = ?", f.AgreementID)
	}
	if f.WindowID != 0 {
		add("aw.window_id = ?", f.WindowID)
	}
	if f.LotID != 0 {
		add("aw.lot_id = ?", f.LotID)
	}
	if f.ProviderID != 0 {
		add("aw.provider_id = ?", f.ProviderID)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+awardColumns+awardFrom+` WHERE `+strings.Join(where, " AND ")+` ORDER BY aw.lot_id, aw.score DESC, aw.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list awards: %w", err)
	}
	return scanAll(rows, "award", scanAward)
}

// AwardLot admits applications to a lot: each must have passed every stage,
// applied for the lot, and fit under the lot's cap. Commissioners and admins.
func (db *DB) AwardLot(ctx context.Context, windowID, lotID int64, applicationIDs []int64) ([]procurement.Award, error) {
	var out []procurement.Award
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canSetUp...); err != nil {
			return err
		}
		w, _, _, results, err := db.windowResults(ctx, tx, tx.actor, windowID)
		if err != nil {
			return err
		}
		if err := procurement.CheckAwardTime(w, db.Now()); err != nil {
			return err
		}
		if !procurementHasLot(w.LotIDs, lotID) {
			return caremarket.Errorf(caremarket.ENOTFOUND, "The lot is not open in this window")
		}
		a, err := db.agreementWhere(ctx, tx, tx.actor.CouncilID, "id = $2", w.AgreementID, "")
		if err != nil {
			return err
		}
		lot := a.Lot(lotID)
		byApp := map[int64]*procurement.Result{}
		for i := range results {
			byApp[results[i].ApplicationID] = &results[i]
		}
		for _, id := range applicationIDs {
			r := byApp[id]
			if r == nil {
				return caremarket.Errorf(caremarket.ENOTFOUND, "Application %d is not a submitted application of this window", id)
			}
			if err := procurement.CheckAward(lot, r); err != nil {
				return err
			}
			aw := procurement.Award{CouncilID: tx.actor.CouncilID, AgreementID: a.ID, WindowID: w.ID, LotID: lotID, ApplicationID: id,
				ProviderID: r.ProviderID, ProviderName: r.ProviderName, Score: r.Score, DecidedAt: tx.now}
			err := tx.QueryRowContext(ctx, `INSERT INTO awards (council_id, agreement_id, window_id, lot_id, application_id, provider_id, score, decided_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, aw.CouncilID, aw.AgreementID, aw.WindowID, aw.LotID, aw.ApplicationID,
				aw.ProviderID, aw.Score, aw.DecidedAt).Scan(&aw.ID)
			if isUniqueViolation(err) {
				return caremarket.Errorf(caremarket.ECONFLICT, "%s already has a place on lot %d", r.ProviderName, lot.Number)
			} else if err != nil {
				return fmt.Errorf("storage: create award: %w", err)
			}
			lot.Admitted++
			out = append(out, aw)
			if err := tx.audit(ctx, "award.create", "award", aw.ID, nil, aw); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func procurementHasLot(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// PublishAwards publishes the contract award notice for a window's awards.
// First it generates an assessment summary for every assessed applicant (PA
// 2023 s.50: summaries go out before the notice); then it starts the
// standstill on each award. Commissioners and admins.
func (db *DB) PublishAwards(ctx context.Context, windowID int64) ([]procurement.Award, error) {
	var out []procurement.Award
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canSetUp...); err != nil {
			return err
		}
		w, _, mods, results, err := db.windowResults(ctx, tx, tx.actor, windowID)
		if err != nil {
			return err
		}
		if _, err := noticePublished(ctx, tx, tx.actor.CouncilID, w.ID); err != nil { // takes the window's lock
			return err
		}
		if err := procurement.CheckAwardTime(w, db.Now()); err != nil {
			return err
		}
		a, err := db.agreementWhere(ctx, tx, tx.actor.CouncilID, "id = $2", w.AgreementID, "")
		if err != nil {
			return err
		}
		awards, err := db.listAwards(ctx, tx, tx.actor, procurement.AwardFilter{WindowID: windowID})
		if err != nil {
			return err
		}
		var pending []procurement.Award
		awarded := map[int64]bool{}
		for _, aw := range awards {
			awarded[aw.ApplicationID] = true
			if aw.NoticeAt == nil {
				pending = append(pending, aw)
			}
		}
		if len(pending) == 0 {
			return caremarket.Errorf(caremarket.ECONFLICT, "There are no unpublished awards in this window")
		}
		for _, r := range results {
			if r.Selection == procurement.Pending || (r.Selection == procurement.Pass && r.Quality == procurement.Pending) {
				return caremarket.Errorf(caremarket.ECONFLICT, "%s's application is not fully moderated: finish evaluation before the award notice", r.ProviderName)
			}
		}
		for _, s := range procurement.Summaries(w, results, mods, awarded, tx.now) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM assessment_summaries WHERE application_id = $1 AND council_id = $2`, s.ApplicationID, tx.actor.CouncilID); err != nil {
				return fmt.Errorf("storage: replace summary: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO assessment_summaries (application_id, council_id, window_id, provider_id, body, generated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				s.ApplicationID, tx.actor.CouncilID, w.ID, s.ProviderID, toJSON(s), tx.now); err != nil {
				return fmt.Errorf("storage: save summary: %w", err)
			}
		}
		cal, err := db.calendar(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
		}
		ss := procurement.StandstillFor(a, tx.now, cal)
		for _, aw := range pending {
			at := tx.now
			aw.NoticeAt, aw.Standstill = &at, &ss
			if _, err := tx.ExecContext(ctx, `UPDATE awards SET notice_at = $1, standstill = $2 WHERE id = $3 AND council_id = $4`, at, toJSON(ss), aw.ID, tx.actor.CouncilID); err != nil {
				return fmt.Errorf("storage: publish award: %w", err)
			}
			out = append(out, aw)
		}
		return tx.audit(ctx, "award.publish_notice", "window", w.ID, nil, map[string]any{"awards": len(pending), "summaries": len(results), "standstill": ss})
	})
	return out, err
}

// AssessmentSummary returns an application's assessment summary: to its own
// provider, and to council staff; another provider's is not found.
func (db *DB) AssessmentSummary(ctx context.Context, applicationID int64) (*procurement.AssessmentSummary, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	args := []any{applicationID, actor.CouncilID}
	cond := ""
	if actor.Role == caremarket.RoleProvider {
		cond, args = " AND provider_id = $3", append(args, actor.ProviderID)
	}
	var body string
	if err := db.sql.QueryRowContext(ctx, `SELECT body FROM assessment_summaries WHERE application_id = $1 AND council_id = $2`+cond, args...).Scan(&body); err != nil {
		return nil, notFound(err, "Assessment summary")
	}
	var s procurement.AssessmentSummary
	return &s, fromJSON(body, &s)
}

// Contracts.

const contractColumns = `c.id, c.council_id, COALESCE(c.agreement_id, 0), COALESCE(c.award_id, 0), c.provider_id, p.name, c.reference, c.title, c.start_date, c.initial_end,
	c.end_date, c.extensions, c.break_clauses, c.variations, c.annual_value_pence, c.lifetime_value_pence, c.value_so_far_pence, c.entered_on, c.created_at, c.updated_at`
const contractFrom = ` FROM contracts c JOIN providers p ON p.id = c.provider_id`

func scanContract(row interface{ Scan(...any) error }) (*procurement.Contract, error) {
	var c procurement.Contract
	var ext, breaks, vars string
	var entered sql.NullTime
	if err := row.Scan(&c.ID, &c.CouncilID, &c.AgreementID, &c.AwardID, &c.ProviderID, &c.ProviderName, &c.Reference, &c.Title, &c.Start, &c.InitialEnd,
		&c.End, &ext, &breaks, &vars, &c.AnnualValuePence, &c.LifetimeValuePence, &c.ValueSoFarPence, &entered, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.Start, c.InitialEnd, c.End = day(c.Start.UTC()), day(c.InitialEnd.UTC()), day(c.End.UTC())
	if entered.Valid {
		c.EnteredOn = day(entered.Time.UTC())
	}
	c.Extensions, c.BreakClauses, c.Variations = []procurement.Extension{}, []procurement.BreakClause{}, []procurement.Variation{}
	for _, x := range []struct {
		s string
		v any
	}{{ext, &c.Extensions}, {breaks, &c.BreakClauses}, {vars, &c.Variations}} {
		if err := fromJSON(x.s, x.v); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// ListContracts lists contracts. A provider sees only its own.
func (db *DB) ListContracts(ctx context.Context, f procurement.ContractFilter) ([]procurement.Contract, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	where := []string{"c.council_id = $1"}
	args := []any{actor.CouncilID}
	add := addWhere(&where, &args)
	if actor.Role == caremarket.RoleProvider {
		add("c.provider_id = ?", actor.ProviderID)
	}
	if f.AgreementID != 0 {
		add("c.agreement_id = ?", f.AgreementID)
	}
	if f.ProviderID != 0 {
		add("c.provider_id = ?", f.ProviderID)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+contractColumns+contractFrom+` WHERE `+strings.Join(where, " AND ")+` ORDER BY c.start_date DESC, c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list contracts: %w", err)
	}
	return scanAll(rows, "contract", scanContract)
}

func (db *DB) contract(ctx context.Context, q queryer, actor *caremarket.Actor, id int64, lock string) (*procurement.Contract, error) {
	c, err := scanContract(q.QueryRowContext(ctx, `SELECT `+contractColumns+contractFrom+` WHERE c.council_id = $1 AND c.id = $2`+lock, actor.CouncilID, id))
	if err != nil {
		return nil, notFound(err, "Contract")
	}
	if actor.Role == caremarket.RoleProvider && c.ProviderID != actor.ProviderID {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Contract not found")
	}
	return c, nil
}

// Contract returns one contract.
func (db *DB) Contract(ctx context.Context, id int64) (*procurement.Contract, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.contract(ctx, db.sql, actor, id, "")
}

// CreateContract enters a contract. Under an award it is entered today (the
// server's clock), for the award's provider, and is refused before the
// contract award notice or inside the standstill. Without an award it
// records a contract's history (a contract let before caremarket).
// Commissioners and admins.
func (db *DB) CreateContract(ctx context.Context, c *procurement.Contract) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canSetUp...); err != nil {
			return err
		}
		if c.AwardID != 0 {
			aw, err := scanAward(tx.QueryRowContext(ctx, `SELECT `+awardColumns+awardFrom+` WHERE aw.council_id = $1 AND aw.id = $2`, tx.actor.CouncilID, c.AwardID))
			if err != nil {
				return notFound(err, "Award")
			}
			ss := procurement.Standstill{}
			if aw.Standstill != nil {
				ss = *aw.Standstill
			}
			c.EnteredOn = day(db.Now().In(procurement.London))
			if err := ss.CheckEnter(db.Now()); err != nil {
				return err
			}
			if aw.ContractID != 0 {
				return caremarket.Errorf(caremarket.ECONFLICT, "A contract has already been entered for this award")
			}
			c.AgreementID, c.ProviderID = aw.AgreementID, aw.ProviderID
		} else if c.AgreementID != 0 {
			if _, err := db.agreementWhere(ctx, tx, tx.actor.CouncilID, "id = $2", c.AgreementID, ""); err != nil {
				return err
			}
		}
		if err := c.Validate(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT name FROM providers WHERE id = $1 AND council_id = $2`, c.ProviderID, tx.actor.CouncilID).Scan(&c.ProviderName); err != nil {
			return notFound(err, "Provider")
		}
		c.CouncilID, c.CreatedAt, c.UpdatedAt = tx.actor.CouncilID, tx.now, tx.now
		var entered any
		if !c.EnteredOn.IsZero() {
			entered = day(c.EnteredOn)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO contracts (council_id, agreement_id, award_id, provider_id, reference, title, start_date, initial_end, end_date,
			extensions, break_clauses, variations, annual_value_pence, lifetime_value_pence, value_so_far_pence, entered_on, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
			c.CouncilID, nullInt64(c.AgreementID), nullInt64(c.AwardID), c.ProviderID, c.Reference, c.Title, c.Start, c.InitialEnd, c.End,
			toJSON(c.Extensions), toJSON(c.BreakClauses), toJSON(c.Variations), c.AnnualValuePence, c.LifetimeValuePence, c.ValueSoFarPence,
			entered, c.CreatedAt, c.UpdatedAt).Scan(&c.ID)
		if isUniqueViolation(err) {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: "A contract with reference " + c.Reference + " already exists (or the award already has a contract)",
				Fields: map[string]string{"reference": "A contract with this reference already exists"}}
		} else if err != nil {
			return fmt.Errorf("storage: create contract: %w", err)
		}
		return tx.audit(ctx, "contract.create", "contract", c.ID, nil, c)
	})
}

// UpdateContract changes a contract's term, options, break clauses,
// variations and values; its award, agreement and provider stay.
// Commissioners and admins.
func (db *DB) UpdateContract(ctx context.Context, c *procurement.Contract) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canSetUp...); err != nil {
			return err
		}
		before, err := db.contract(ctx, tx, tx.actor, c.ID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		c.CouncilID, c.AgreementID, c.AwardID, c.ProviderID, c.ProviderName = before.CouncilID, before.AgreementID, before.AwardID, before.ProviderID, before.ProviderName
		c.CreatedAt, c.UpdatedAt = before.CreatedAt, tx.now
		if c.EnteredOn.IsZero() {
			c.EnteredOn = before.EnteredOn
		}
		return db.writeContract(ctx, tx, before, c, "contract.update")
	})
}

func (db *DB) writeContract(ctx context.Context, tx *Tx, before, c *procurement.Contract, action string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var entered any
	if !c.EnteredOn.IsZero() {
		entered = day(c.EnteredOn)
	}
	_, err := tx.ExecContext(ctx, `UPDATE contracts SET reference = $1, title = $2, start_date = $3, initial_end = $4, end_date = $5, extensions = $6,
		break_clauses = $7, variations = $8, annual_value_pence = $9, lifetime_value_pence = $10, value_so_far_pence = $11, entered_on = $12, updated_at = $13
		WHERE id = $14 AND council_id = $15`, c.Reference, c.Title, c.Start, c.InitialEnd, c.End, toJSON(c.Extensions), toJSON(c.BreakClauses),
		toJSON(c.Variations), c.AnnualValuePence, c.LifetimeValuePence, c.ValueSoFarPence, entered, c.UpdatedAt, c.ID, c.CouncilID)
	if isUniqueViolation(err) {
		return caremarket.Errorf(caremarket.ECONFLICT, "Another contract has reference %s", c.Reference)
	} else if err != nil {
		return fmt.Errorf("storage: update contract: %w", err)
	}
	return tx.audit(ctx, action, "contract", c.ID, before, c)
}

// TakeExtension exercises a contract's next extension option today.
func (db *DB) TakeExtension(ctx context.Context, contractID int64) (*procurement.Contract, error) {
	var out *procurement.Contract
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canSetUp...); err != nil {
			return err
		}
		before, err := db.contract(ctx, tx, tx.actor, contractID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		c := *before
		c.Extensions = append([]procurement.Extension(nil), before.Extensions...)
		if err := c.TakeExtension(db.Now().In(procurement.London)); err != nil {
			return err
		}
		c.UpdatedAt = tx.now
		out = &c
		return db.writeContract(ctx, tx, before, &c, "contract.extend")
	})
	return out, err
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

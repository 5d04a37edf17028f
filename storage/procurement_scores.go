package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

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
	actor, app, err := db.actorsApplication(ctx, applicationID)
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
		_, q, err := db.markedQuestion(ctx, tx, app.WindowID, s.QuestionID)
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

// markedQuestion reads the window and the question a score or moderation
// marks, once it has checked that marks are still open: the window's award
// notice is not published.
func (db *DB) markedQuestion(ctx context.Context, tx *Tx, windowID, questionID int64) (*procurement.Window, *procurement.Question, error) {
	published, err := noticePublished(ctx, tx, tx.actor.CouncilID, windowID)
	if err != nil {
		return nil, nil, err
	}
	if err := procurement.CheckMarksOpen(published); err != nil {
		return nil, nil, err
	}
	return db.windowQuestion(ctx, tx, windowID, questionID)
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
		w, q, err := db.markedQuestion(ctx, tx, app.WindowID, m.QuestionID)
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

package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

// Windows.

const windowColumns = `w.id, w.council_id, w.agreement_id, a.reference, w.kind, w.title, w.opens_at, w.deadline, w.assessment_days, w.justification, w.lot_ids, w.created_at`
const windowFrom = ` FROM proc_windows w JOIN agreements a ON a.id = w.agreement_id`

func scanWindow(row interface{ Scan(...any) error }) (*procurement.Window, error) {
	var w procurement.Window
	var lots string
	if err := row.Scan(&w.ID, &w.CouncilID, &w.AgreementID, &w.AgreementRef, &w.Kind, &w.Title, &w.Opens, &w.Deadline, &w.AssessmentDays,
		&w.Justification, &lots, &w.CreatedAt); err != nil {
		return nil, err
	}
	w.Opens, w.Deadline, w.CreatedAt = w.Opens.UTC(), w.Deadline.UTC(), w.CreatedAt.UTC()
	w.Questions = []procurement.Question{}
	return &w, fromJSON(lots, &w.LotIDs)
}

func loadQuestions(ctx context.Context, q queryer, councilID int64, w *procurement.Window) error {
	rows, err := q.QueryContext(ctx, `SELECT id, window_id, number, kind, text, evidence_required, weight, max_score, pass_mark
		FROM questions WHERE council_id = $1 AND window_id = $2 ORDER BY number`, councilID, w.ID)
	if err != nil {
		return fmt.Errorf("storage: list questions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x procurement.Question
		if err := rows.Scan(&x.ID, &x.WindowID, &x.Number, &x.Kind, &x.Text, &x.EvidenceRequired, &x.Weight, &x.MaxScore, &x.PassMark); err != nil {
			return fmt.Errorf("storage: scan question: %w", err)
		}
		w.Questions = append(w.Questions, x)
	}
	return rows.Err()
}

// ListWindows lists windows, newest first; agreementID 0 means all. Anyone
// in the council may see them (providers need the open ones).
func (db *DB) ListWindows(ctx context.Context, agreementID int64) ([]procurement.Window, error) {
	s, err := scopeOf(ctx, "w", councilWide)
	if err != nil {
		return nil, err
	}
	s.filter("w.agreement_id = ?", agreementID)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+windowColumns+windowFrom+` WHERE `+s.where()+` ORDER BY w.opens_at DESC, w.id DESC`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list windows: %w", err)
	}
	return scanAll(rows, "window", scanWindow)
}

func (db *DB) window(ctx context.Context, q queryer, councilID, id int64) (*procurement.Window, error) {
	w, err := scanWindow(q.QueryRowContext(ctx, `SELECT `+windowColumns+windowFrom+` WHERE w.council_id = $1 AND w.id = $2`, councilID, id))
	if err != nil {
		return nil, notFound(err, "Window")
	}
	return w, loadQuestions(ctx, q, councilID, w)
}

// Window returns a window with its questions.
func (db *DB) Window(ctx context.Context, id int64) (*procurement.Window, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.window(ctx, db.sql, actor.CouncilID, id)
}

// CreateWindow opens a window on an agreement with its questions.
// Commissioners and admins.
func (db *DB) CreateWindow(ctx context.Context, w *procurement.Window) error {
	return db.updateBy(ctx, canSetUp, func(tx *Tx) error {
		a, err := db.agreementWhere(ctx, tx, tx.actor.CouncilID, "id = $2", w.AgreementID, "")
		if err != nil {
			return err
		}
		if err := w.Validate(a); err != nil {
			return err
		}
		w.CouncilID, w.AgreementRef, w.CreatedAt = tx.actor.CouncilID, a.Reference, tx.now
		w.Opens, w.Deadline = w.Opens.UTC().Truncate(time.Microsecond), w.Deadline.UTC().Truncate(time.Microsecond)
		if err := tx.QueryRowContext(ctx, `INSERT INTO proc_windows (council_id, agreement_id, kind, title, opens_at, deadline, assessment_days, justification, lot_ids, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			w.CouncilID, w.AgreementID, string(w.Kind), w.Title, w.Opens, w.Deadline, w.AssessmentDays, w.Justification, toJSON(w.LotIDs), w.CreatedAt).Scan(&w.ID); err != nil {
			return fmt.Errorf("storage: create window: %w", err)
		}
		for i := range w.Questions {
			q := &w.Questions[i]
			q.WindowID = w.ID
			err := tx.QueryRowContext(ctx, `INSERT INTO questions (council_id, window_id, number, kind, text, evidence_required, weight, max_score, pass_mark)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
				w.CouncilID, w.ID, q.Number, string(q.Kind), q.Text, q.EvidenceRequired, q.Weight, q.MaxScore, q.PassMark).Scan(&q.ID)
			if isUniqueViolation(err) {
				return caremarket.Errorf(caremarket.EINVALID, "Two questions cannot both be question %d", q.Number)
			} else if err != nil {
				return fmt.Errorf("storage: create question: %w", err)
			}
		}
		return tx.audit(ctx, "window.create", "window", w.ID, nil, w)
	})
}

// AssignEvaluator assigns a council user (an evaluator or commissioner) to
// score a window, or as its moderator. Commissioners and admins.
func (db *DB) AssignEvaluator(ctx context.Context, windowID, userID int64, moderator bool) error {
	return db.updateBy(ctx, canSetUp, func(tx *Tx) error {
		if _, err := db.window(ctx, tx, tx.actor.CouncilID, windowID); err != nil {
			return err
		}
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = $1 AND council_id = $2`, userID, tx.actor.CouncilID).Scan(&role)
		if err != nil {
			return notFound(err, "User")
		}
		if role != string(caremarket.RoleEvaluator) && role != string(caremarket.RoleCommissioner) {
			return &caremarket.Error{Code: caremarket.EINVALID, Message: "Only an evaluator or a commissioner can score applications",
				Fields: map[string]string{"user_id": "Choose an evaluator or a commissioner"}}
		}
		res, err := tx.ExecContext(ctx, `UPDATE window_evaluators SET moderator = $1 WHERE window_id = $2 AND user_id = $3 AND council_id = $4`,
			moderator, windowID, userID, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: assign evaluator: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO window_evaluators (window_id, user_id, council_id, moderator) VALUES ($1, $2, $3, $4)`,
				windowID, userID, tx.actor.CouncilID, moderator); err != nil {
				return fmt.Errorf("storage: assign evaluator: %w", err)
			}
		}
		return tx.audit(ctx, "window.assign_evaluator", "window", windowID, nil, map[string]any{"user_id": userID, "moderator": moderator})
	})
}

func scanEvaluator(row interface{ Scan(...any) error }) (*procurement.Evaluator, error) {
	var e procurement.Evaluator
	var declared sql.NullTime
	var conflicts string
	if err := row.Scan(&e.WindowID, &e.UserID, &e.Email, &e.Moderator, &declared, &conflicts, &e.Statement); err != nil {
		return nil, err
	}
	e.DeclaredAt = ptrTime(declared)
	e.Conflicts = []int64{}
	return &e, fromJSON(conflicts, &e.Conflicts)
}

const evaluatorColumns = `e.window_id, e.user_id, u.email, e.moderator, e.declared_at, e.conflicts, e.statement`

// evaluator returns the actor's assignment to a window, or nil.
func evaluatorOf(ctx context.Context, q queryer, actor *caremarket.Actor, windowID int64) (*procurement.Evaluator, error) {
	e, err := scanEvaluator(q.QueryRowContext(ctx, `SELECT `+evaluatorColumns+` FROM window_evaluators e JOIN users u ON u.id = e.user_id
		WHERE e.window_id = $1 AND e.user_id = $2 AND e.council_id = $3`, windowID, actor.UserID, actor.CouncilID))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return e, err
}

// Evaluators lists a window's evaluators. Council staff.
func (db *DB) Evaluators(ctx context.Context, windowID int64) ([]procurement.Evaluator, error) {
	actor, err := actorRequire(ctx, caremarket.CouncilStaff...)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+evaluatorColumns+` FROM window_evaluators e JOIN users u ON u.id = e.user_id
		WHERE e.window_id = $1 AND e.council_id = $2 ORDER BY u.email`, windowID, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list evaluators: %w", err)
	}
	return scanAll(rows, "evaluator", scanEvaluator)
}

// DeclareInterests records the signed-in evaluator's conflict-of-interest
// declaration for a window: the providers they may not score. It must come
// before they score, and is made once.
func (db *DB) DeclareInterests(ctx context.Context, windowID int64, conflicts []int64, statement string) error {
	statement = strings.TrimSpace(statement)
	if len(statement) > procurement.MaxTextLen {
		return caremarket.Errorf(caremarket.EINVALID, "The statement is too long")
	}
	if conflicts == nil {
		conflicts = []int64{}
	}
	return db.update(ctx, func(tx *Tx) error {
		e, err := evaluatorOf(ctx, tx, tx.actor, windowID)
		if err != nil {
			return fmt.Errorf("storage: read evaluator: %w", err)
		}
		if e == nil {
			return caremarket.Errorf(caremarket.EFORBIDDEN, "You are not an evaluator of this window")
		}
		if e.DeclaredAt != nil {
			return caremarket.Errorf(caremarket.ECONFLICT, "You made your declaration on %s", e.DeclaredAt.Format("2 January 2006"))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE window_evaluators SET declared_at = $1, conflicts = $2, statement = $3
			WHERE window_id = $4 AND user_id = $5 AND council_id = $6`, tx.now, toJSON(conflicts), statement, windowID, tx.actor.UserID, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: declare interests: %w", err)
		}
		return tx.audit(ctx, "window.declare_interests", "window", windowID, nil, map[string]any{"conflicts": conflicts, "statement": statement})
	})
}

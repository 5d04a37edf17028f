package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// Personal data: the council's retention rules, the purge that applies them,
// the log of who looked at a person's identity and why, and the subject
// access export. Information governance is an admin's job here.

// RetentionRules returns the council's rules, or the defaults when it has
// set none. Admins.
func (db *DB) RetentionRules(ctx context.Context) (brokerage.RetentionRules, error) {
	actor, err := actorRequire(ctx, caremarket.RoleAdmin)
	if err != nil {
		return brokerage.RetentionRules{}, err
	}
	return db.retentionRules(ctx, db.sql, actor.CouncilID)
}

func (db *DB) retentionRules(ctx context.Context, q queryer, council int64) (brokerage.RetentionRules, error) {
	r := brokerage.DefaultRetention
	err := q.QueryRowContext(ctx, `SELECT unplaced_months, ended_placement_months FROM retention_rules WHERE council_id = $1`, council).
		Scan(&r.UnplacedMonths, &r.EndedPlacementMonths)
	if err != nil && err != sql.ErrNoRows {
		return r, fmt.Errorf("storage: read retention rules: %w", err)
	}
	return r, nil
}

// SetRetentionRules changes the council's rules. Admins; audited.
func (db *DB) SetRetentionRules(ctx context.Context, r brokerage.RetentionRules) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		before, err := tx.db.retentionRules(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO retention_rules (council_id, unplaced_months, ended_placement_months, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (council_id) DO UPDATE SET unplaced_months = excluded.unplaced_months,
			ended_placement_months = excluded.ended_placement_months, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			tx.actor.CouncilID, r.UnplacedMonths, r.EndedPlacementMonths, tx.actor.Email, tx.now); err != nil {
			return fmt.Errorf("storage: set retention rules: %w", err)
		}
		return tx.audit(ctx, "retention.set", "council", tx.actor.CouncilID, before, r)
	})
}

// PurgeIdentities removes, under the council's rules, the identity of every
// person no longer needed on file: each field is replaced by a marker, and
// a third-party top-up payer's name goes too. The requirement, its
// placements and the audit chain stay. One audit record per person, in one
// transaction. Admins (and the daily job, which acts as the council's
// system admin).
func (db *DB) PurgeIdentities(ctx context.Context, today time.Time) ([]brokerage.Purged, error) {
	var purged []brokerage.Purged
	err := db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		rules, err := tx.db.retentionRules(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
		}
		due, err := tx.purgeCandidates(ctx, rules, today)
		if err != nil {
			return err
		}
		for _, p := range due {
			if _, err := tx.ExecContext(ctx, `UPDATE requirement_people SET full_name = $1, date_of_birth = NULL, address = $1,
				postcode = '', phone = '', purged_at = $2 WHERE requirement_id = $3 AND council_id = $4`,
				brokerage.PurgedMarker, tx.now, p.RequirementID, tx.actor.CouncilID); err != nil {
				return fmt.Errorf("storage: purge person: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE placements SET top_up_payer = $1 WHERE requirement_id = $2 AND council_id = $3 AND top_up_payer <> ''`,
				brokerage.PurgedMarker, p.RequirementID, tx.actor.CouncilID); err != nil {
				return fmt.Errorf("storage: purge top-up payer: %w", err)
			}
			if err := tx.audit(ctx, "person.purge", "requirement", p.RequirementID, nil, p); err != nil {
				return err
			}
		}
		purged = due
		return nil
	})
	return purged, err
}

func (tx *Tx) purgeCandidates(ctx context.Context, rules brokerage.RetentionRules, today time.Time) ([]brokerage.Purged, error) {
	rows, err := tx.QueryContext(ctx, `SELECT r.id, r.case_reference, r.status, r.updated_at,
			(SELECT COUNT(*) FROM placements p WHERE p.requirement_id = r.id),
			(SELECT COUNT(*) FROM placements p WHERE p.requirement_id = r.id AND p.status = 'active'),
			(SELECT MAX(p.end_date) FROM placements p WHERE p.requirement_id = r.id)
		FROM care_requirements r JOIN requirement_people rp ON rp.requirement_id = r.id
		WHERE r.council_id = $1 AND rp.purged_at IS NULL AND r.status <> 'open'
		ORDER BY r.id`, tx.actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: find identities to purge: %w", err)
	}
	defer rows.Close()
	var out []brokerage.Purged
	for rows.Next() {
		var h brokerage.IdentityHolding
		var caseRef string
		var lastEnd time.Time
		if err := rows.Scan(&h.RequirementID, &caseRef, &h.Status, &h.UpdatedAt, &h.Placements, &h.Active, scanDay{&lastEnd}); err != nil {
			return nil, fmt.Errorf("storage: scan identity: %w", err)
		}
		h.LastEnd = lastEnd
		if ok, rule := brokerage.PurgeDue(h, rules, today); ok {
			out = append(out, brokerage.Purged{RequirementID: h.RequirementID, CaseReference: caseRef, Rule: rule})
		}
	}
	return out, rows.Err()
}

// ViewPerson returns who a requirement is for, as Person does, and logs who
// looked and why. A reason from the list is required.
func (db *DB) ViewPerson(ctx context.Context, requirementID int64, reason brokerage.ViewReason) (*brokerage.Person, error) {
	if !reason.Valid() {
		return nil, caremarket.Invalid(map[string]string{"reason": "Choose why you need to see this person's details"})
	}
	p, err := db.Person(ctx, requirementID)
	if err != nil {
		return nil, err
	}
	actor := caremarket.ActorFrom(ctx)
	if _, err := db.sql.ExecContext(ctx, `INSERT INTO identity_views (council_id, requirement_id, user_id, actor, role, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, actor.CouncilID, requirementID, nullInt64(actor.UserID), actor.Email, string(actor.Role),
		string(reason), db.now()); err != nil {
		return nil, fmt.Errorf("storage: log identity view: %w", err)
	}
	return p, nil
}

// IdentityViews searches the log of who looked at a person's identity,
// newest first. Admins.
func (db *DB) IdentityViews(ctx context.Context, f brokerage.IdentityViewFilter) ([]brokerage.IdentityView, error) {
	actor, err := actorRequire(ctx, caremarket.RoleAdmin)
	if err != nil {
		return nil, err
	}
	where, args := []string{"v.council_id = $1"}, []any{actor.CouncilID}
	if f.RequirementID > 0 {
		args = append(args, f.RequirementID)
		where = append(where, fmt.Sprintf("v.requirement_id = $%d", len(args)))
	}
	if f.Actor != "" {
		args = append(args, "%"+strings.ToLower(f.Actor)+"%")
		where = append(where, fmt.Sprintf("LOWER(v.actor) LIKE $%d", len(args)))
	}
	if f.CaseReference != "" {
		args = append(args, f.CaseReference)
		where = append(where, fmt.Sprintf("r.case_reference = $%d", len(args)))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT v.id, v.requirement_id, r.case_reference, v.actor, v.role, v.reason, v.at
		FROM identity_views v JOIN care_requirements r ON r.id = v.requirement_id
		WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY v.id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: identity views: %w", err)
	}
	return scanAll(rows, "identity view", func(row interface{ Scan(...any) error }) (*brokerage.IdentityView, error) {
		var v brokerage.IdentityView
		var reason, role string
		err := row.Scan(&v.ID, &v.RequirementID, &v.CaseReference, &v.Actor, &role, &reason, &v.At)
		v.Reason, v.Role = brokerage.ViewReason(reason), caremarket.Role(role)
		return &v, err
	})
}

package storage

import (
	"context"
	"fmt"
	"slices"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
)

// AwaitingMyScore lists the submitted, not yet assessed applications in the
// windows the actor evaluates that hold an answer the actor has not yet
// submitted a score for, leaving out providers the actor declared a
// conflict with. It is the evaluator's to-do list for the home page.
func (db *DB) AwaitingMyScore(ctx context.Context) ([]procurement.Application, error) {
	actor, err := actorRequire(ctx, caremarket.RoleEvaluator, caremarket.RoleCommissioner, caremarket.RoleAdmin)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+applicationColumns+`, we.conflicts`+applicationFrom+`
		JOIN window_evaluators we ON we.window_id = ap.window_id AND we.council_id = ap.council_id AND we.user_id = $2
		WHERE ap.council_id = $1 AND ap.status = 'submitted' AND ap.assessed_at IS NULL
		AND EXISTS (SELECT 1 FROM answers an WHERE an.application_id = ap.id AND an.council_id = ap.council_id
			AND NOT EXISTS (SELECT 1 FROM scores sc WHERE sc.application_id = an.application_id
				AND sc.question_id = an.question_id AND sc.attempt = an.attempt
				AND sc.evaluator_id = $2 AND sc.submitted_at IS NOT NULL))
		ORDER BY ap.submitted_at, ap.id`, actor.CouncilID, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("storage: applications awaiting score: %w", err)
	}
	defer rows.Close()
	out := []procurement.Application{}
	for rows.Next() {
		var conflicts string
		var conflicted []int64
		a, err := scanApplication(scanPlus{rows, &conflicts})
		if err != nil {
			return nil, fmt.Errorf("storage: scan application: %w", err)
		}
		if err := fromJSON(conflicts, &conflicted); err != nil {
			return nil, err
		}
		if !slices.Contains(conflicted, a.ProviderID) {
			out = append(out, *a)
		}
	}
	return out, rows.Err()
}

// scanPlus scans a row whose last columns are extra, beyond what a shared
// scan function reads.
type scanPlus struct {
	row   interface{ Scan(...any) error }
	extra *string
}

func (s scanPlus) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

// OwnVacancies lists the vacancy figures of the provider user's own
// locations (a provider's to-do list: which figures have gone stale). Only
// provider users have their own.
func (db *DB) OwnVacancies(ctx context.Context) ([]market.Vacancy, error) {
	actor, err := actorRequire(ctx, caremarket.RoleProvider)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT v.location_id, v.service_type, v.vacancies, v.spare_minutes, v.updated_at, v.updated_by
		FROM vacancies v JOIN locations l ON l.id = v.location_id AND l.council_id = v.council_id
		WHERE v.council_id = $1 AND l.provider_id = $2 ORDER BY v.updated_at, v.location_id, v.service_type`, actor.CouncilID, actor.ProviderID)
	if err != nil {
		return nil, fmt.Errorf("storage: own vacancies: %w", err)
	}
	return scanAll(rows, "", scanVacancy)
}

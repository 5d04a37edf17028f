package storage

import (
	"context"
	"fmt"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
)

// Scorers lists the council's accounts that may be assigned to score a
// window (evaluators and commissioners), for the commissioner choosing them.
// Commissioners and admins; only the email, name and role are filled.
func (db *DB) Scorers(ctx context.Context) ([]access.User, error) {
	actor, err := actorRequire(ctx, canSetUp...)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, email, name, role FROM users WHERE council_id = $1 AND role IN ($2, $3) ORDER BY email`,
		actor.CouncilID, string(caremarket.RoleEvaluator), string(caremarket.RoleCommissioner))
	if err != nil {
		return nil, fmt.Errorf("storage: list scorers: %w", err)
	}
	defer rows.Close()
	out := []access.User{}
	for rows.Next() {
		var u access.User
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Role); err != nil {
			return nil, fmt.Errorf("storage: scan scorer: %w", err)
		}
		u.CouncilID = actor.CouncilID
		out = append(out, u)
	}
	return out, rows.Err()
}

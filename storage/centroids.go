package storage

import (
	"context"
	"fmt"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// ImportCentroids replaces the council's postcode district centroids
// (ONS Postcode Directory, supplied by the council) with cs, in one
// transaction with one audit record: the cascade then measures distance in
// miles. Admins.
func (db *DB) ImportCentroids(ctx context.Context, cs []brokerage.OutcodeCentroid) (int, error) {
	err := db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		var before int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM outcode_centroids WHERE council_id = $1`, tx.actor.CouncilID).Scan(&before); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM outcode_centroids WHERE council_id = $1`, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: clear centroids: %w", err)
		}
		const per = 200 // rows a statement: 4 parameters each
		for i := 0; i < len(cs); i += per {
			chunk := cs[i:min(i+per, len(cs))]
			q := `INSERT INTO outcode_centroids (council_id, outcode, latitude, longitude) VALUES `
			args := make([]any, 0, 4*len(chunk))
			for j, c := range chunk {
				if j > 0 {
					q += ", "
				}
				n := len(args)
				q += fmt.Sprintf("($%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4)
				args = append(args, tx.actor.CouncilID, c.Outcode, c.Lat, c.Lon)
			}
			if _, err := tx.ExecContext(ctx, db.positional(q), args...); err != nil {
				if isUniqueViolation(err) {
					return caremarket.Errorf(caremarket.EINVALID, "A postcode district is given twice")
				}
				return fmt.Errorf("storage: load centroids: %w", err)
			}
		}
		return tx.audit(ctx, "centroids.import", "outcode_centroids", tx.actor.CouncilID, map[string]int{"districts": before}, map[string]int{"districts": len(cs)})
	})
	if err != nil {
		return 0, err
	}
	return len(cs), nil
}

// CentroidCount is how many postcode districts of the council have a
// centroid (0: distance is in district steps). Council staff.
func (db *DB) CentroidCount(ctx context.Context) (int, error) {
	actor, err := actorRequire(ctx, caremarket.CouncilStaff...)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM outcode_centroids WHERE council_id = $1`, actor.CouncilID).Scan(&n)
	return n, err
}

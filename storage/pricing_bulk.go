package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/pricing"
)

// InBandReason is the decision reason recorded on each price approved in
// bulk.
const InBandReason = "Within the guide band: approved with the round's other in-band prices"

// ApproveInBand approves, in one transaction, the round's prices named by
// ids that still await a decision and lie within the guide band (what the
// commissioner previewed): each becomes a contracted price from the round's
// effective date, with an audit record of its own. Prices decided since the
// preview, or outside the band, are left alone. It returns how many were
// approved. Commissioners and admins.
func (db *DB) ApproveInBand(ctx context.Context, roundID int64, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, caremarket.Errorf(caremarket.EINVALID, "There are no prices within the guide band to approve")
	}
	if len(ids) > 5000 {
		return 0, caremarket.Errorf(caremarket.EINVALID, "Approve at most 5,000 prices at once")
	}
	n := 0
	err := db.updateBy(ctx, canSetPrices, func(tx *Tx) error {
		var eff time.Time
		if err := tx.QueryRowContext(ctx, `SELECT effective_from FROM price_rounds WHERE id = $1 AND council_id = $2`, roundID, tx.actor.CouncilID).
			Scan(scanDay{&eff}); err != nil {
			return notFound(err, "Price round")
		}
		for _, id := range ids {
			s, err := db.submission(ctx, tx, tx.actor, id, db.dialect.forUpdate)
			if caremarket.ErrorCode(err) == caremarket.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if s.RoundID != roundID || s.Status != pricing.SubmissionSubmitted || !s.Check.Within {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE price_submissions SET status = 'approved', decided_by = $1, decided_at = $2, decision_reason = $3
				WHERE id = $4 AND council_id = $5 AND status = 'submitted'`, tx.actor.Email, tx.now, InBandReason, id, tx.actor.CouncilID); err != nil {
				return fmt.Errorf("storage: approve in band: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO contracted_prices (council_id, provider_id, location_id, service_type, band, basis, price_pence,
				effective_from, source, submission_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submission', $9, $10)`,
				tx.actor.CouncilID, s.ProviderID, s.LocationID, string(s.ServiceType), s.Band, string(s.Basis), int64(s.Price), ymd(eff), s.ID, tx.now); err != nil {
				return fmt.Errorf("storage: contracted price: %w", err)
			}
			if err := tx.audit(ctx, "price_submission.approve", "price_submission", id, map[string]string{"status": s.Status},
				map[string]string{"status": pricing.SubmissionApproved, "reason": InBandReason, "price": s.Price.String()}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

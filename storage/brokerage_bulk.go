package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

// SeedOffers is a bulk loader for race tests and benchmarks only: in one
// transaction, without audit records, it creates n open requirements in
// area (case references SEED-...) each with a pending offer of £1,000 a
// week to location (stage 1 under the first lot buying st, or off contract
// when there is none), and returns the offers' ids. Acceptance then
// goes through the ordinary AcceptOffer.
func SeedOffers(ctx context.Context, db *DB, areaID, locationID int64, st market.ServiceType, n int, expires time.Time) ([]int64, error) {
	actor, err := actorRequire(ctx, caremarket.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var ids []int64
	err = db.updateAs(ctx, actor, func(tx *Tx) error {
		var providerID int64
		var postcode string
		if err := tx.QueryRowContext(ctx, `SELECT provider_id, postcode FROM locations WHERE id = $1 AND council_id = $2`, locationID, actor.CouncilID).
			Scan(&providerID, &postcode); err != nil {
			return notFound(err, "Location")
		}
		var lotID, agreementID int64
		stage, reason := 1, ""
		err := tx.QueryRowContext(ctx, `SELECT id, agreement_id FROM lots WHERE council_id = $1 AND service_types LIKE $2 ORDER BY id LIMIT 1`,
			actor.CouncilID, `%"`+string(st)+`"%`).Scan(&lotID, &agreementID)
		if err != nil {
			stage, reason = 3, "Seeded for a test"
		}
		beds := 0
		if st.IsBedBased() {
			beds = 1
		}
		for i := 0; i < n; i++ {
			var reqID, offerID int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO care_requirements (council_id, case_reference, service_type, need_band, beds, minutes_per_week,
				start_date, outcode, area_id, method, status, stage, created_by, created_at, updated_at)
				VALUES ($1, $2, $3, 'standard', $4, $5, $6, $7, $8, 'direct_award', 'open', 1, 'seed', $9, $9) RETURNING id`,
				actor.CouncilID, fmt.Sprintf("SEED-%d-%d", tx.now.UnixNano(), i), string(st), beds, 60*(1-beds)*10, ymd(tx.now), market.Outcode(postcode),
				areaID, tx.now).Scan(&reqID); err != nil {
				return fmt.Errorf("storage: seed requirement: %w", err)
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO offers (council_id, requirement_id, provider_id, location_id, stage, rank, lot_id, agreement_id,
				price_pence, weekly_cost_pence, off_contract_reason, status, offered_at, offered_by, expires_at)
				VALUES ($1, $2, $3, $4, $5, 1, $6, $7, 100000, 100000, $8, 'pending', $9, 'seed', $10) RETURNING id`,
				actor.CouncilID, reqID, providerID, locationID, stage, nullInt64(lotID), nullInt64(agreementID), reason, tx.now, expires).Scan(&offerID); err != nil {
				return fmt.Errorf("storage: seed offer: %w", err)
			}
			ids = append(ids, offerID)
		}
		return nil
	})
	return ids, err
}

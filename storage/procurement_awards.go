package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

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
	s := scopeFor(actor, "aw", byProvider).
		filter("aw.agreement_id = ?", f.AgreementID).
		filter("aw.window_id = ?", f.WindowID).
		filter("aw.lot_id = ?", f.LotID).
		filter("aw.provider_id = ?", f.ProviderID)
	rows, err := q.QueryContext(ctx, `SELECT `+awardColumns+awardFrom+` WHERE `+s.where()+` ORDER BY aw.lot_id, aw.score DESC, aw.id`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list awards: %w", err)
	}
	return scanAll(rows, "award", scanAward)
}

// AwardLot admits applications to a lot: each must have passed every stage,
// applied for the lot, and fit under the lot's cap. Commissioners and admins.
func (db *DB) AwardLot(ctx context.Context, windowID, lotID int64, applicationIDs []int64) ([]procurement.Award, error) {
	var out []procurement.Award
	err := db.updateBy(ctx, canSetUp, func(tx *Tx) error {
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
	err := db.updateBy(ctx, canSetUp, func(tx *Tx) error {
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
	s, err := scopeOf(ctx, "", byProvider)
	if err != nil {
		return nil, err
	}
	s.and("application_id = ?", applicationID)
	var body string
	if err := db.sql.QueryRowContext(ctx, `SELECT body FROM assessment_summaries WHERE `+s.where(), s.args...).Scan(&body); err != nil {
		return nil, notFound(err, "Assessment summary")
	}
	var sum procurement.AssessmentSummary
	return &sum, fromJSON(body, &sum)
}

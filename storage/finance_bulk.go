package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/market"
)

// HistoryPlacement is a past or present placement loaded in bulk: the demo
// council's placement history and the finance benchmarks' national-scale
// history. Prices are its weekly cost history (the first from its start).
type HistoryPlacement struct {
	CaseRef     string
	ServiceType market.ServiceType
	ProviderID  int64
	LocationID  int64
	AreaID      int64
	Outcode     string
	AgreementID int64
	LotID       int64
	Start       time.Time
	End         *time.Time
	Prices      []finance.Price
	TopUp       int64
	MinutesWeek int
}

// historyBatch is how many placements one round of INSERTs carries.
const historyBatch = 500

// LoadPlacementHistory writes placements in bulk, in one transaction with
// one audit record for the whole load: requirements (placed), placements
// (ended when their end is before today), their price history and their
// stored commitment (the same as recommit would store, its totals added
// once for the whole load), a few multi-row statements per batch. Admins; for demo and benchmark data, not
// for brokering, which goes through the cascade.
func LoadPlacementHistory(ctx context.Context, db *DB, hs []HistoryPlacement) (int, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return 0, err
	}
	if err := actor.Require(caremarket.RoleAdmin); err != nil {
		return 0, err
	}
	err = db.updateAs(ctx, actor, func(tx *Tx) error {
		through, err := tx.commitHorizon(ctx)
		if err != nil {
			return err
		}
		d := newCommitDelta()
		for lo := 0; lo < len(hs); lo += historyBatch {
			if err := tx.loadHistoryBatch(ctx, hs[lo:min(lo+historyBatch, len(hs))], through, d); err != nil {
				return err
			}
		}
		if err := tx.applyCommitDelta(ctx, d); err != nil {
			return err
		}
		return tx.audit(ctx, "placement.history_load", "council", actor.CouncilID, nil, map[string]any{"placements": len(hs)})
	})
	return len(hs), err
}

func (tx *Tx) loadHistoryBatch(ctx context.Context, hs []HistoryPlacement, through finance.Year, d *commitDelta) error {
	council, now, by := tx.actor.CouncilID, tx.now, tx.actor.Email
	today := tx.db.today()
	var b strings.Builder
	var args []any
	for i, h := range hs {
		rowMarks(&b, i, 11, "'standard'", "'direct_award'", "'placed'", "1")
		beds := 1
		if !h.ServiceType.IsBedBased() {
			beds = 0
		}
		args = append(args, council, h.CaseRef, string(h.ServiceType), beds, h.MinutesWeek, ymd(h.Start), h.Outcode, h.AreaID, by, now, now)
	}
	rows, err := tx.QueryContext(ctx, tx.db.positional(`INSERT INTO care_requirements (council_id, case_reference, service_type, beds, minutes_per_week,
		start_date, outcode, area_id, created_by, created_at, updated_at, need_band, method, status, stage) VALUES `+b.String()+` RETURNING id, case_reference`), args...)
	if err != nil {
		return fmt.Errorf("storage: load requirements: %w", err)
	}
	reqs := map[string]int64{}
	for rows.Next() {
		var id int64
		var ref string
		if err := rows.Scan(&id, &ref); err != nil {
			rows.Close()
			return err
		}
		reqs[ref] = id
	}
	rows.Close()
	b.Reset()
	args = args[:0]
	for i, h := range hs {
		rowMarks(&b, i, 17)
		status, end := "active", any(nil)
		if h.End != nil {
			end = ymd(*h.End)
			if h.End.Before(today) {
				status = "ended"
			}
		}
		stage, reason := 1, ""
		if h.AgreementID == 0 {
			stage, reason = 3, "Placed before the council's agreements"
		}
		weekly := h.Prices[len(h.Prices)-1].Weekly
		args = append(args, council, reqs[h.CaseRef], h.ProviderID, h.LocationID, string(h.ServiceType), int64(weekly), h.TopUp,
			ymd(h.Start), end, stage, nullInt64(h.AgreementID), nullInt64(h.LotID), h.AgreementID == 0, reason, status, now, now)
	}
	rows, err = tx.QueryContext(ctx, tx.db.positional(`INSERT INTO placements (council_id, requirement_id, provider_id, location_id, service_type,
		weekly_cost_pence, top_up_pence, start_date, end_date, stage, agreement_id, lot_id, off_contract, off_contract_reason, status, created_at, updated_at)
		VALUES `+b.String()+` RETURNING id, requirement_id`), args...)
	if err != nil {
		return fmt.Errorf("storage: load placements: %w", err)
	}
	placed, ids := map[int64]int64{}, []any{}
	for rows.Next() {
		var id, req int64
		if err := rows.Scan(&id, &req); err != nil {
			rows.Close()
			return err
		}
		placed[req], ids = id, append(ids, id)
	}
	rows.Close()
	if err := tx.perfCount(ctx, perfPlacementsMade, ids...); err != nil {
		return err
	}
	b.Reset()
	args = args[:0]
	n := 0
	for _, h := range hs {
		for _, p := range h.Prices {
			rowMarks(&b, n, 7)
			n++
			args = append(args, council, placed[reqs[h.CaseRef]], int64(p.Weekly), ymd(p.From), "Placement history", by, now)
		}
	}
	if _, err := tx.ExecContext(ctx, tx.db.positional(`INSERT INTO placement_prices (council_id, placement_id, weekly_cost_pence, effective_from, reason, created_by, created_at)
		VALUES `+b.String()), args...); err != nil {
		return fmt.Errorf("storage: load placement prices: %w", err)
	}
	ps := make([]finance.Placement, len(hs))
	ended := make([]bool, len(hs))
	for i, h := range hs {
		// As stored: calendar days.
		p := finance.Placement{ID: placed[reqs[h.CaseRef]], CaseRef: h.CaseRef, ServiceType: h.ServiceType, ProviderID: h.ProviderID,
			AgreementID: h.AgreementID, LotID: h.LotID, AreaID: h.AreaID, Start: finance.Day(h.Start.UTC()), TopUp: finance.Money(h.TopUp)}
		if h.End != nil {
			end := finance.Day(h.End.UTC())
			p.End = &end
		}
		for _, pr := range h.Prices {
			p.Prices = append(p.Prices, finance.Price{Weekly: pr.Weekly, From: finance.Day(pr.From.UTC())})
		}
		ps[i] = p
		ended[i] = h.End != nil && h.End.Before(today)
	}
	return tx.storeCommitments(ctx, ps, ended, through, d)
}

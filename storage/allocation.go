package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// Batch allocations: the broker plans many open requirements together
// (brokerage.Allocate), may change any line to another location the
// cascade allows, and sends every line as a normal offer in one action:
// offerNext makes each, so acceptance, expiry and the race for the last bed
// are those of any offer. Requirements that arrive later go through the
// cascade one at a time as before.

// waitingSQL selects the open requirements a batch may take: called off by
// direct award, with no offer waiting for an answer and no competition.
const waitingSQL = ` WHERE r.council_id = $1 AND r.status = 'open' AND r.method = 'direct_award'
	AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.requirement_id = r.id AND o.status = 'pending')
	AND NOT EXISTS (SELECT 1 FROM competitions c WHERE c.requirement_id = r.id AND c.status = 'open')`

// WaitingRequirements lists the open requirements waiting for an offer,
// oldest first (the order the cascade would take them). Council staff.
func (db *DB) WaitingRequirements(ctx context.Context) ([]brokerage.Requirement, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+requirementColumns+requirementFrom+waitingSQL+` ORDER BY r.id LIMIT 1000`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: waiting requirements: %w", err)
	}
	return scanAll(rows, "requirement", scanRequirement)
}

// allocRequests gathers each requirement's cascade input. Requirements of
// the same service type, need band and start date share one candidate list
// (the same query gives the same rows), which lets the engine prune.
func (db *DB) allocRequests(ctx context.Context, q queryer, council int64, reqs []brokerage.Requirement) ([]brokerage.AllocRequest, error) {
	type key struct {
		st         market.ServiceType
		band, when string
	}
	shared := map[key]brokerage.Input{}
	out := make([]brokerage.AllocRequest, len(reqs))
	for i := range reqs {
		r := &reqs[i]
		in, err := db.allocInput(ctx, q, council, r, allocOffContract)
		if err != nil {
			return nil, err
		}
		k := key{r.ServiceType, r.NeedBand, ymd(r.StartDate)}
		if s, ok := shared[k]; ok {
			in.Candidates, in.Lots = s.Candidates, s.Lots
		} else {
			shared[k] = in
		}
		out[i] = brokerage.AllocRequest{RequirementID: r.ID, CaseReference: r.CaseReference, MinutesPerWeek: r.MinutesPerWeek, Input: in}
	}
	return out, nil
}

// PreviewAllocation plans the requirements (nil: every one waiting, up to
// brokerage.MaxBatch, oldest first) and stores the plan. Brokers.
func (db *DB) PreviewAllocation(ctx context.Context, requirementIDs []int64) (*brokerage.Batch, error) {
	actor, err := actorRequire(ctx, canBroker...)
	if err != nil {
		return nil, err
	}
	waiting, err := db.WaitingRequirements(ctx)
	if err != nil {
		return nil, err
	}
	var reqs []brokerage.Requirement
	if requirementIDs == nil {
		reqs = waiting[:min(len(waiting), brokerage.MaxBatch)]
		if len(reqs) == 0 {
			return nil, caremarket.Invalid(map[string]string{"requirement_ids": "No open requirement is waiting for an offer"})
		}
	} else {
		if err := brokerage.CheckBatch(requirementIDs); err != nil {
			return nil, err
		}
		byID := map[int64]*brokerage.Requirement{}
		for i := range waiting {
			byID[waiting[i].ID] = &waiting[i]
		}
		for _, id := range requirementIDs {
			r, ok := byID[id]
			if !ok {
				if _, err := db.requirement(ctx, db.sql, actor.CouncilID, id); err != nil {
					return nil, err
				}
				return nil, caremarket.Invalid(map[string]string{"requirement_ids": fmt.Sprintf(
					"Requirement %d is not waiting for an offer: it is placed, cancelled, called off by mini-competition or has an offer waiting for an answer", id)})
			}
			reqs = append(reqs, *r)
		}
		slices.SortFunc(reqs, func(a, b brokerage.Requirement) int { return int(a.ID - b.ID) })
	}
	in, err := db.allocRequests(ctx, db.sql, actor.CouncilID, reqs)
	if err != nil {
		return nil, err
	}
	plan := brokerage.Allocate(in)
	var id int64
	err = db.update(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO allocations (council_id, status, totals, one_at_a_time_totals, created_by, created_at)
			VALUES ($1, 'proposed', $2, $3, $4, $5) RETURNING id`, actor.CouncilID, toJSON(plan.Totals), toJSON(plan.OneAtATimeTotals),
			actor.Email, tx.now).Scan(&id); err != nil {
			return fmt.Errorf("storage: create allocation: %w", err)
		}
		for i, l := range plan.Lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO allocation_lines (allocation_id, council_id, position, requirement_id, proposed, one_at_a_time,
				location_id, stage) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, actor.CouncilID, i, l.RequirementID,
				toJSON(l), toJSON(plan.OneAtATime[i]), nullInt64(l.LocationID), int(l.Stage)); err != nil {
				return fmt.Errorf("storage: create allocation line: %w", err)
			}
		}
		return tx.audit(ctx, "allocation.preview", "allocation", id, nil, map[string]any{
			"requirements": len(plan.Lines), "plan": plan.Totals, "one_at_a_time": plan.OneAtATimeTotals})
	})
	if err != nil {
		return nil, err
	}
	return db.Allocation(ctx, id)
}

// Allocation reads a batch and its lines. Council staff.
func (db *DB) Allocation(ctx context.Context, id int64) (*brokerage.Batch, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	return db.allocation(ctx, db.sql, actor.CouncilID, id, false)
}

func (db *DB) allocation(ctx context.Context, q queryer, council, id int64, lock bool) (*brokerage.Batch, error) {
	b := &brokerage.Batch{}
	var totals, one string
	var sentBy sql.NullString
	var sentAt sql.NullTime
	query := `SELECT id, status, totals, one_at_a_time_totals, created_by, created_at, sent_by, sent_at FROM allocations WHERE id = $1 AND council_id = $2`
	if lock {
		query += db.dialect.forUpdate
	}
	if err := q.QueryRowContext(ctx, query, id, council).Scan(&b.ID, &b.Status, &totals, &one, &b.CreatedBy, &b.CreatedAt, &sentBy, &sentAt); err != nil {
		return nil, notFound(err, "Allocation")
	}
	b.SentBy, b.SentAt = sentBy.String, ptrTime(sentAt)
	b.CreatedAt = b.CreatedAt.UTC()
	if err := fromJSON(totals, &b.Totals); err != nil {
		return nil, err
	}
	if err := fromJSON(one, &b.OneAtATimeTotals); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT l.requirement_id, r.case_reference, r.service_type, r.minutes_per_week, a.name, r.outcode, l.proposed, l.one_at_a_time,
		COALESCE(l.location_id, 0), COALESCE(loc.name, ''), l.stage, l.edited, l.weekly_cost_pence, l.off_contract_reason, COALESCE(l.offer_id, 0), l.outcome
		FROM allocation_lines l JOIN care_requirements r ON r.id = l.requirement_id JOIN areas a ON a.id = r.area_id
		LEFT JOIN locations loc ON loc.id = l.location_id
		WHERE l.allocation_id = $1 AND l.council_id = $2 ORDER BY l.position`, id, council)
	if err != nil {
		return nil, fmt.Errorf("storage: allocation lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l brokerage.BatchLine
		var proposed, oneLine string
		var stage int
		var cost int64
		if err := rows.Scan(&l.RequirementID, &l.CaseReference, &l.ServiceType, &l.MinutesPerWeek, &l.AreaName, &l.Outcode, &proposed, &oneLine, &l.LocationID,
			&l.LocationName, &stage, &l.Edited, &cost, &l.OffContractReason, &l.OfferID, &l.Outcome); err != nil {
			return nil, fmt.Errorf("storage: scan allocation line: %w", err)
		}
		l.Stage, l.WeeklyCost = brokerage.Stage(stage), money.Money(cost)
		if fromJSON(proposed, &l.Proposed) != nil || fromJSON(oneLine, &l.OneAtATime) != nil {
			return nil, fmt.Errorf("storage: allocation %d line %d", id, l.RequirementID)
		}
		b.Lines = append(b.Lines, l)
	}
	return b, rows.Err()
}

// ListAllocations lists the council's batches, newest first, without
// their lines. Council staff.
func (db *DB) ListAllocations(ctx context.Context) ([]brokerage.Batch, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, status, totals, one_at_a_time_totals, created_by, created_at, sent_by, sent_at
		FROM allocations WHERE council_id = $1 ORDER BY id DESC LIMIT 50`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list allocations: %w", err)
	}
	return scanAll(rows, "allocation", func(row interface{ Scan(...any) error }) (*brokerage.Batch, error) {
		b := &brokerage.Batch{Lines: []brokerage.BatchLine{}}
		var totals, one string
		var sentBy sql.NullString
		var sentAt sql.NullTime
		if err := row.Scan(&b.ID, &b.Status, &totals, &one, &b.CreatedBy, &b.CreatedAt, &sentBy, &sentAt); err != nil {
			return nil, err
		}
		b.SentBy, b.SentAt, b.CreatedAt = sentBy.String, ptrTime(sentAt), b.CreatedAt.UTC()
		return b, cmpErr(fromJSON(totals, &b.Totals), fromJSON(one, &b.OneAtATimeTotals))
	})
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// held counts the places the batch's other lines (of the same service
// type) hold, by location, and the home care hours they hold, in minutes.
func held(b *brokerage.Batch, requirementID int64, st market.ServiceType) (places, minutes map[int64]int) {
	places, minutes = map[int64]int{}, map[int64]int{}
	for _, l := range b.Lines {
		if l.RequirementID != requirementID && l.LocationID != 0 && l.ServiceType == st {
			places[l.LocationID]++
			minutes[l.LocationID] += l.MinutesPerWeek
		}
	}
	return places, minutes
}

func lineOf(b *brokerage.Batch, requirementID int64) (*brokerage.BatchLine, error) {
	for i := range b.Lines {
		if b.Lines[i].RequirementID == requirementID {
			return &b.Lines[i], nil
		}
	}
	return nil, caremarket.Invalid(map[string]string{"requirement_id": "That requirement is not in this batch"})
}

// choices is the cascade of a line with the other lines holding their
// places: the stage it reaches and who is eligible there.
func (db *DB) choices(ctx context.Context, q queryer, council int64, b *brokerage.Batch, requirementID int64) (brokerage.Stage, []brokerage.Ranked, error) {
	l, err := lineOf(b, requirementID)
	if err != nil {
		return 0, nil, err
	}
	r, err := db.requirement(ctx, q, council, requirementID)
	if err != nil {
		return 0, nil, err
	}
	in, err := db.allocInput(ctx, q, council, r, allocOffContract)
	if err != nil {
		return 0, nil, err
	}
	in.Held, in.HeldMinutes = held(b, l.RequirementID, l.ServiceType)
	res := brokerage.Run(in)
	if st := res.Stage(res.Current); st != nil {
		return res.Current, st.Eligible, nil
	}
	return 0, []brokerage.Ranked{}, nil
}

// AllocationChoices lists the locations a line may be changed to. Staff.
func (db *DB) AllocationChoices(ctx context.Context, id, requirementID int64) (brokerage.Stage, []brokerage.Ranked, error) {
	actor, err := actorRequire(ctx, canSeeBrokerage...)
	if err != nil {
		return 0, nil, err
	}
	b, err := db.allocation(ctx, db.sql, actor.CouncilID, id, false)
	if err != nil {
		return 0, nil, err
	}
	return db.choices(ctx, db.sql, actor.CouncilID, b, requirementID)
}

// editLine applies e to b in tx: the location must be one the line's
// cascade offers once the other lines hold their places (or 0: no offer).
func (tx *Tx) editLine(ctx context.Context, b *brokerage.Batch, e brokerage.LineEdit) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if b.Status != brokerage.BatchProposed {
		return caremarket.Errorf(caremarket.ECONFLICT, "This batch was sent: its lines can no longer be changed")
	}
	l, err := lineOf(b, e.RequirementID)
	if err != nil {
		return err
	}
	before := *l
	var stage brokerage.Stage
	if e.LocationID != 0 {
		st, eligible, err := tx.db.choices(ctx, tx, tx.actor.CouncilID, b, e.RequirementID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(eligible, func(r brokerage.Ranked) bool { return r.LocationID == e.LocationID })
		if i < 0 {
			return caremarket.Invalid(map[string]string{"location_id": "Choose a location from the list: the cascade offers only those while the batch's other lines hold their places"})
		}
		stage, l.LocationName = st, eligible[i].LocationName
	}
	l.LocationID, l.Stage, l.WeeklyCost, l.OffContractReason = e.LocationID, stage, e.WeeklyCost, e.OffContractReason
	l.Edited = e.LocationID != l.Proposed.LocationID || e.WeeklyCost != 0 || e.OffContractReason != ""
	if _, err := tx.ExecContext(ctx, `UPDATE allocation_lines SET location_id = $1, stage = $2, edited = $3, weekly_cost_pence = $4, off_contract_reason = $5
		WHERE allocation_id = $6 AND requirement_id = $7 AND council_id = $8`, nullInt64(l.LocationID), int(l.Stage), l.Edited, int64(l.WeeklyCost),
		l.OffContractReason, b.ID, l.RequirementID, tx.actor.CouncilID); err != nil {
		return fmt.Errorf("storage: edit allocation line: %w", err)
	}
	return tx.audit(ctx, "allocation.edit", "allocation", b.ID, before, *l)
}

// EditAllocation changes one line of a proposed batch. Brokers.
func (db *DB) EditAllocation(ctx context.Context, id int64, e brokerage.LineEdit) (*brokerage.Batch, error) {
	err := db.updateBy(ctx, canBroker, func(tx *Tx) error {
		b, err := tx.db.allocation(ctx, tx, tx.actor.CouncilID, id, true)
		if err != nil {
			return err
		}
		return tx.editLine(ctx, b, e)
	})
	if err != nil {
		return nil, err
	}
	return db.Allocation(ctx, id)
}

// SendAllocation applies edits and makes every line's offer, in one
// transaction. Each offer is made by offerNext, as the broker's own "make
// the offer" does, with the other lines' places held; a line that cannot
// be offered now (placed meanwhile, an offer already waiting, the market
// changed so its location is no longer at the stage its cascade reaches,
// an off-contract line without its weekly cost) is left unsent and says
// why. Brokers.
func (db *DB) SendAllocation(ctx context.Context, id int64, edits []brokerage.LineEdit) (*brokerage.Batch, error) {
	err := db.updateBy(ctx, canBroker, func(tx *Tx) error {
		b, err := tx.db.allocation(ctx, tx, tx.actor.CouncilID, id, true)
		if err != nil {
			return err
		}
		if b.Status != brokerage.BatchProposed {
			return caremarket.Errorf(caremarket.ECONFLICT, "This batch was already sent")
		}
		if err := tx.lockLines(ctx, b); err != nil {
			return err
		}
		for _, e := range edits {
			if err := tx.editLine(ctx, b, e); err != nil {
				return err
			}
		}
		sent := 0
		for i := range b.Lines {
			l := &b.Lines[i]
			if l.LocationID == 0 {
				l.Outcome = "Not sent: no location chosen. The requirement stays open for the cascade"
			} else if l.OfferID, l.Outcome, err = tx.sendLine(ctx, b, l); err != nil {
				return err
			}
			if l.OfferID != 0 {
				sent++
			}
			if _, err := tx.ExecContext(ctx, `UPDATE allocation_lines SET offer_id = $1, outcome = $2 WHERE allocation_id = $3 AND requirement_id = $4`,
				nullInt64(l.OfferID), l.Outcome, b.ID, l.RequirementID); err != nil {
				return fmt.Errorf("storage: record allocation line: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE allocations SET status = 'sent', sent_by = $1, sent_at = $2 WHERE id = $3`,
			tx.actor.Email, tx.now, b.ID); err != nil {
			return fmt.Errorf("storage: send allocation: %w", err)
		}
		return tx.audit(ctx, "allocation.send", "allocation", b.ID, nil, map[string]any{"lines": len(b.Lines), "offers": sent})
	})
	if err != nil {
		return nil, err
	}
	return db.Allocation(ctx, id)
}

// lockLines locks every line's requirement, in id order, before any line
// is sent: each line's offer writes the council's audit head, and a send
// holding the head while it waits for a later line's requirement would
// deadlock with a broker's own offer (its requirement, then the head) or
// another batch sending the same requirement. SQLite's one writer needs no
// lock.
func (tx *Tx) lockLines(ctx context.Context, b *brokerage.Batch) error {
	ids := make([]int64, len(b.Lines))
	for i, l := range b.Lines {
		ids[i] = l.RequirementID
	}
	cond, list := tx.db.dialect.inIDs("id", "$2", ids)
	return tx.lockInOrder(ctx, "care_requirements", `council_id = $1 AND `+cond, "id", tx.actor.CouncilID, list)
}

// sendLine makes one line's offer. Refusals the broker can act on become
// the line's outcome; anything else fails the whole send.
func (tx *Tx) sendLine(ctx context.Context, b *brokerage.Batch, l *brokerage.BatchLine) (int64, string, error) {
	r, err := tx.lockRequirement(ctx, l.RequirementID)
	if err != nil {
		return 0, "", err
	}
	q := brokerage.OfferRequest{LocationID: l.LocationID, WeeklyCost: l.WeeklyCost, OffContractReason: l.OffContractReason}
	q.Held, q.HeldMinutes = held(b, l.RequirementID, l.ServiceType)
	if l.Stage == brokerage.StageOffContract {
		if q.WeeklyCost == 0 && l.LocationID == l.Proposed.LocationID {
			q.WeeklyCost = l.Proposed.WeeklyCost
		}
		if q.OffContractReason == "" {
			q.OffContractReason = brokerage.OffContractDefault(&l.Proposed)
		}
	}
	err = tx.checkSourcing(ctx, r)
	var o *brokerage.Offer
	if err == nil {
		o, err = tx.offerNext(ctx, r, q)
	}
	switch caremarket.ErrorCode(err) {
	case "":
		return o.ID, fmt.Sprintf("Offered to %s at stage %d, %s a week", o.LocationName, o.Stage, o.WeeklyCost), nil
	case caremarket.EINVALID, caremarket.ECONFLICT:
		return 0, "Not sent: " + refusal(err), nil
	}
	return 0, "", err
}

// allocOffContract is how many eligible off-contract locations, nearest
// first, a batch plan weighs for each person: the plan puts people off
// contract only when nothing contracted is left, so the nearest few are
// the ones that matter.
const allocOffContract = 2 * brokerage.DefaultCascadeLimit

// allocInput is the cascade's input for a requirement, with stage 3 read
// as far as eligible off-contract locations.
func (db *DB) allocInput(ctx context.Context, q queryer, council int64, r *brokerage.Requirement, eligible int) (brokerage.Input, error) {
	read, err := db.cascadeInput(ctx, q, council, r, cascadeWant{eligible: eligible})
	if err != nil {
		return brokerage.Input{}, err
	}
	return read.in, nil
}

package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/pricing"
)

// SubmitPrices records a provider's prices in an open round: all of them, or
// none when any line is wrong. A price outside the guide band needs a reason.
// Provider users submit for their own locations; commissioners and admins
// may enter prices for an invited provider (a price sent by email).
//
// What the lines are checked against (their locations and service types,
// the invited providers, the prices already live in the round, the guide
// prices) is read once for the whole file, not once a line.
func (db *DB) SubmitPrices(ctx context.Context, roundID int64, rows []pricing.SubmissionRow, source string) ([]pricing.Submission, []pricing.LineError, error) {
	if source != "form" && source != "csv" && source != "api" {
		source = "api"
	}
	var out []pricing.Submission
	var lineErrs []pricing.LineError
	err := db.update(ctx, func(tx *Tx) error {
		actor := tx.actor
		if !actor.Is(caremarket.RoleProvider) {
			if err := actor.Require(canSetPrices...); err != nil {
				return err
			}
		}
		r, err := db.priceRound(ctx, tx, actor, roundID, db.dialect.forUpdate)
		if err != nil {
			return err
		}
		today := db.today()
		if r.Status != pricing.RoundOpen || today.Before(r.OpensOn) || today.After(r.ClosesOn) {
			return caremarket.Errorf(caremarket.ECONFLICT, "%s is not open for prices: it runs from %s to %s", r.Name,
				r.OpensOn.Format("2 January 2006"), r.ClosesOn.Format("2 January 2006"))
		}
		sub := &priceSubmit{tx: tx, round: r, source: source}
		if err := sub.loadInvited(ctx); err != nil {
			return err
		}
		if len(rows) == 0 {
			return caremarket.Invalid(map[string]string{"prices": "Enter at least one price"})
		}
		if err := sub.load(ctx, rows); err != nil {
			return err
		}
		subs, field, err := sub.check(ctx, rows)
		if err != nil {
			return err
		}
		if lineErrs = sub.lineErrs; len(lineErrs) > 0 {
			if len(rows) == 1 {
				return caremarket.Invalid(map[string]string{field: lineErrs[0].Reason})
			}
			return caremarket.Errorf(caremarket.EINVALID, "%d of the %d lines cannot be used; nothing was saved", len(lineErrs), len(rows))
		}
		if err := sub.write(ctx, subs); err != nil {
			return err
		}
		out = subs
		return nil
	})
	if err != nil {
		return nil, lineErrs, err
	}
	return out, nil, nil
}

// submissionLocation is what a submission needs to know of its location.
type submissionLocation struct {
	id, provider int64
	setting      market.Setting
	services     map[market.ServiceType]bool
}

// submittedPriceKey names one price of a round: a location's service type and band.
type submittedPriceKey struct {
	location int64
	st       market.ServiceType
	band     string
}

type guideKey struct {
	st      market.ServiceType
	band    string
	setting market.Setting
}

// priceSubmit is one SubmitPrices call: the round, and what its lines are
// checked against, read once.
type priceSubmit struct {
	tx       *Tx
	round    *pricing.Round
	source   string
	invited  map[int64]bool
	byID     map[int64]*submissionLocation
	byCQC    map[string]*submissionLocation
	live     map[submittedPriceKey]string // submitted or approved, before this call
	liveID   map[submittedPriceKey]int64  // the id of each submitted one
	guides   map[guideKey]money.Money
	lineErrs []pricing.LineError
}

func (p *priceSubmit) loadInvited(ctx context.Context) error {
	p.invited = map[int64]bool{}
	rs, err := p.tx.QueryContext(ctx, `SELECT provider_id FROM price_round_providers WHERE round_id = $1`, p.round.ID)
	if err != nil {
		return fmt.Errorf("storage: round providers: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return fmt.Errorf("storage: round providers: %w", err)
		}
		p.invited[id] = true
	}
	return rs.Err()
}

// load reads the locations the rows name (by CQC location id when given,
// else by caremarket id) with their service types, and the round's live
// prices.
func (p *priceSubmit) load(ctx context.Context, rows []pricing.SubmissionRow) error {
	p.byID, p.byCQC = map[int64]*submissionLocation{}, map[string]*submissionLocation{}
	p.guides = map[guideKey]money.Money{}
	var ids []int64
	var cqcIDs []string
	for _, row := range rows {
		if row.CQCLocationID != "" {
			cqcIDs = append(cqcIDs, row.CQCLocationID)
		} else {
			ids = append(ids, row.LocationID)
		}
	}
	for chunk := range slices.Chunk(ids, narrowChunk) {
		if err := p.loadLocations(ctx, scopeFor(p.tx.actor, "l", councilWide).in("l.id", chunk)); err != nil {
			return err
		}
	}
	for chunk := range slices.Chunk(cqcIDs, narrowChunk) {
		if err := p.loadLocations(ctx, scopeIn(scopeFor(p.tx.actor, "l", councilWide), "l.cqc_location_id", chunk)); err != nil {
			return err
		}
	}
	if err := p.loadServices(ctx); err != nil {
		return err
	}
	return p.loadLive(ctx)
}

func (p *priceSubmit) loadLocations(ctx context.Context, s *scope) error {
	rows, err := p.tx.QueryContext(ctx, `SELECT l.id, l.cqc_location_id, l.provider_id, c.setting
		FROM locations l JOIN areas a ON a.id = l.area_id JOIN clusters c ON c.id = a.cluster_id WHERE `+s.where(), s.args...)
	if err != nil {
		return fmt.Errorf("storage: find location: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l := &submissionLocation{services: map[market.ServiceType]bool{}}
		var cqcID string
		if err := rows.Scan(&l.id, &cqcID, &l.provider, &l.setting); err != nil {
			return fmt.Errorf("storage: find location: %w", err)
		}
		if old, ok := p.byID[l.id]; ok {
			l = old
		}
		p.byID[l.id], p.byCQC[cqcID] = l, l
	}
	return rows.Err()
}

func (p *priceSubmit) loadServices(ctx context.Context) error {
	ids := make([]int64, 0, len(p.byID))
	for id := range p.byID {
		ids = append(ids, id)
	}
	for chunk := range slices.Chunk(ids, narrowChunk) {
		s := scopeFor(p.tx.actor, "", councilWide).in("location_id", chunk)
		rows, err := p.tx.QueryContext(ctx, `SELECT location_id, service_type FROM location_services WHERE `+s.where(), s.args...)
		if err != nil {
			return fmt.Errorf("storage: find location: %w", err)
		}
		for rows.Next() {
			var id int64
			var st market.ServiceType
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return fmt.Errorf("storage: find location: %w", err)
			}
			p.byID[id].services[st] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("storage: find location: %w", err)
		}
	}
	return nil
}

func (p *priceSubmit) loadLive(ctx context.Context) error {
	p.live, p.liveID = map[submittedPriceKey]string{}, map[submittedPriceKey]int64{}
	s := scopeFor(p.tx.actor, "", councilWide).and("round_id = ?", p.round.ID).also("status IN ('submitted', 'approved')")
	rows, err := p.tx.QueryContext(ctx, `SELECT id, location_id, service_type, band, status FROM price_submissions WHERE `+s.where(), s.args...)
	if err != nil {
		return fmt.Errorf("storage: live submission: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k submittedPriceKey
		var id int64
		var status string
		if err := rows.Scan(&id, &k.location, &k.st, &k.band, &status); err != nil {
			return fmt.Errorf("storage: live submission: %w", err)
		}
		if p.live[k] != pricing.SubmissionApproved {
			p.live[k] = status
		}
		if status == pricing.SubmissionSubmitted {
			p.liveID[k] = id
		}
	}
	return rows.Err()
}

// guide is the guide price in force for the round, read once for each
// service type, band and setting.
func (p *priceSubmit) guide(ctx context.Context, k guideKey) (money.Money, error) {
	if g, ok := p.guides[k]; ok {
		return g, nil
	}
	g, err := guideFor(ctx, p.tx, p.tx.actor.CouncilID, k.st, k.band, k.setting, p.round.EffectiveFrom)
	if err != nil {
		return 0, fmt.Errorf("storage: guide price: %w", err)
	}
	p.guides[k] = g
	return g, nil
}

// check turns each row into a submission, or a line error. field is the
// form field a single wrong price is reported on.
func (p *priceSubmit) check(ctx context.Context, rows []pricing.SubmissionRow) ([]pricing.Submission, string, error) {
	actor, r := p.tx.actor, p.round
	subs := make([]pricing.Submission, len(rows))
	// A form's one price is refused on the field that needs changing:
	// the reason, when that is all that is missing.
	field := "price"
	for i, row := range rows {
		fail := func(format string, a ...any) {
			p.lineErrs = append(p.lineErrs, pricing.LineError{Line: row.Line, Reason: fmt.Sprintf(format, a...)})
		}
		if !row.ServiceType.Valid() || row.Price <= 0 || row.Price > money.Max {
			fail("the service type or price is not valid")
			continue
		}
		if b, ok := pricing.ParseBand(row.Band); !ok {
			fail("band %q is not a band code", row.Band)
			continue
		} else {
			row.Band = b
		}
		if len(row.Reason) > pricing.MaxReasonLen*4 {
			fail("the reason is too long")
			continue
		}
		loc := p.byCQC[row.CQCLocationID]
		if row.CQCLocationID == "" {
			loc = p.byID[row.LocationID]
		}
		if loc == nil || (actor.Role == caremarket.RoleProvider && loc.provider != actor.ProviderID) {
			fail("there is no location %s among yours", lineRef(row))
			continue
		}
		if !p.invited[loc.provider] {
			fail("the provider of location %s is not invited to this round", lineRef(row))
			continue
		}
		if !loc.services[row.ServiceType] {
			fail("location %s is not registered for %s", lineRef(row), row.ServiceType.Label())
			continue
		}
		guide, err := p.guide(ctx, guideKey{row.ServiceType, row.Band, loc.setting})
		if err != nil {
			return nil, "", err
		}
		check := pricing.CheckBand(row.Price, guide, r.Tolerance)
		reason := strings.TrimSpace(row.Reason)
		if !check.Within && reason == "" {
			field = "reason"
			if guide == 0 {
				fail("there is no guide price for %s band %s in a %s area: give a reason for the price %s", row.ServiceType.Label(), row.Band, loc.setting, row.Price)
			} else {
				fail("%s is outside the guide band %s to %s (guide %s, ±%s): give a reason", row.Price, check.Low, check.High, guide, r.Tolerance)
			}
			continue
		}
		if p.live[submittedPriceKey{loc.id, row.ServiceType, row.Band}] == pricing.SubmissionApproved {
			fail("the price for location %s, %s band %s is already approved in this round", lineRef(row), row.ServiceType.Label(), row.Band)
			continue
		}
		subs[i] = pricing.Submission{RoundID: r.ID, RoundName: r.Name, ProviderID: loc.provider, LocationID: loc.id, Setting: loc.setting,
			ServiceType: row.ServiceType, Band: row.Band, Basis: basisOf(row.ServiceType, row.Band), Price: row.Price, Check: check, Reason: reason,
			Source: p.source, Status: pricing.SubmissionSubmitted, SubmittedBy: actor.Email, SubmittedAt: p.tx.now}
	}
	return subs, field, nil
}

// write saves the submissions, each with its audit record. A price sent
// again before a decision replaces the earlier one, which stays as history:
// those sent before this call in one statement, a line that repeats an
// earlier line of this call as it comes.
func (p *priceSubmit) write(ctx context.Context, subs []pricing.Submission) error {
	tx := p.tx
	var replaced []int64
	for _, s := range subs {
		k := submittedPriceKey{s.LocationID, s.ServiceType, s.Band}
		if id, ok := p.liveID[k]; ok {
			replaced = append(replaced, id)
			delete(p.liveID, k)
		}
		p.live[k] = ""
	}
	for chunk := range slices.Chunk(replaced, narrowChunk) {
		s := scopeFor(tx.actor, "", councilWide).and("round_id = ?", p.round.ID).also("status = 'submitted'").in("id", chunk)
		if _, err := tx.ExecContext(ctx, `UPDATE price_submissions SET status = 'superseded' WHERE `+s.where(), s.args...); err != nil {
			return fmt.Errorf("storage: supersede submission: %w", err)
		}
	}
	for i := range subs {
		s := &subs[i]
		k := submittedPriceKey{s.LocationID, s.ServiceType, s.Band}
		if p.live[k] == pricing.SubmissionSubmitted {
			if _, err := tx.ExecContext(ctx, `UPDATE price_submissions SET status = 'superseded' WHERE round_id = $1 AND location_id = $2
				AND service_type = $3 AND band = $4 AND status = 'submitted'`, s.RoundID, s.LocationID, string(s.ServiceType), s.Band); err != nil {
				return fmt.Errorf("storage: supersede submission: %w", err)
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO price_submissions (council_id, round_id, provider_id, location_id, service_type, band, basis,
			price_pence, guide_pence, tolerance_bp, within_band, reason, source, status, submitted_by, submitted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			tx.actor.CouncilID, s.RoundID, s.ProviderID, s.LocationID, string(s.ServiceType), s.Band, string(s.Basis), int64(s.Price),
			int64(s.Check.Guide), int64(s.Check.Tolerance), s.Check.Within, s.Reason, s.Source, s.Status, s.SubmittedBy, s.SubmittedAt).Scan(&s.ID); err != nil {
			if isUniqueViolation(err) {
				return caremarket.Errorf(caremarket.ECONFLICT, "Someone else changed these prices at the same time: try again")
			}
			return fmt.Errorf("storage: add submission: %w", err)
		}
		p.live[k] = pricing.SubmissionSubmitted // a second line for the same price replaces this one
		if err := tx.audit(ctx, "price_submission.create", "price_submission", s.ID, nil, s); err != nil {
			return err
		}
	}
	return nil
}

package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/quality"
)

// --- Complaints and safeguarding referrals, counted by date

// RecordEvent records a count of complaints or safeguarding referrals about
// a location on a day. Officers.
func (db *DB) RecordEvent(ctx context.Context, e *quality.Event) error {
	if err := e.Validate(db.now()); err != nil {
		return err
	}
	return db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT provider_id, name FROM locations WHERE id = $1 AND council_id = $2`, e.LocationID, tx.actor.CouncilID).
			Scan(&e.ProviderID, &e.LocationName); err != nil {
			return caremarket.Invalid(map[string]string{"location_id": "Choose a location of the council's register"})
		}
		e.RecordedBy = tx.actor.Email
		if err := tx.QueryRowContext(ctx, `INSERT INTO quality_events (council_id, provider_id, location_id, kind, on_date, n, note, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, tx.actor.CouncilID, e.ProviderID, e.LocationID, e.Kind, ymd(e.Date), e.Count, e.Note,
			e.RecordedBy, tx.now).Scan(&e.ID); err != nil {
			return fmt.Errorf("storage: record event: %w", err)
		}
		return tx.audit(ctx, "quality_event.record", "location", e.LocationID, nil, map[string]any{"kind": e.Kind, "date": ymd(e.Date), "count": e.Count})
	})
}

// ListEvents lists a provider's recorded complaints and safeguarding
// referrals, newest first. Council staff.
func (db *DB) ListEvents(ctx context.Context, providerID int64) ([]quality.Event, error) {
	a, err := actorRequire(ctx, caremarket.CouncilStaff...)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT e.id, e.provider_id, e.location_id, l.name, e.kind, e.on_date, e.n, e.note, e.recorded_by
		FROM quality_events e JOIN locations l ON l.id = e.location_id WHERE e.council_id = $1 AND e.provider_id = $2 ORDER BY e.on_date DESC, e.id DESC`, a.CouncilID, providerID)
	if err != nil {
		return nil, fmt.Errorf("storage: list events: %w", err)
	}
	events, err := scanAll(rows, "event", func(row interface{ Scan(...any) error }) (*quality.Event, error) {
		var e quality.Event
		err := row.Scan(&e.ID, &e.ProviderID, &e.LocationID, &e.LocationName, &e.Kind, &e.Date, &e.Count, &e.Note, &e.RecordedBy)
		e.Date = day(e.Date)
		return &e, err
	})
	if err == nil && len(events) == 0 {
		// None: tell a provider with none from one that is not the council's.
		_, err = providerName(ctx, db.sql, a.CouncilID, providerID)
	}
	return events, err
}

// --- Weights

// RiskWeights are the council's risk weights (the defaults until it sets
// its own). Anyone in the council: a provider sees how its level is worked.
func (db *DB) RiskWeights(ctx context.Context) (quality.Weights, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return quality.Weights{}, err
	}
	return db.riskWeights(ctx, db.sql, a.CouncilID)
}

func (db *DB) riskWeights(ctx context.Context, q queryer, council int64) (quality.Weights, error) {
	var s string
	err := q.QueryRowContext(ctx, `SELECT weights FROM risk_weights WHERE council_id = $1`, council).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return quality.DefaultWeights, nil
	} else if err != nil {
		return quality.Weights{}, fmt.Errorf("storage: read risk weights: %w", err)
	}
	w := quality.DefaultWeights
	return w, fromJSON(s, &w)
}

// SetRiskWeights sets the council's risk weights. Officers.
func (db *DB) SetRiskWeights(ctx context.Context, w quality.Weights) error {
	if err := w.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		old, err := tx.db.riskWeights(ctx, tx, tx.actor.CouncilID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO risk_weights (council_id, weights, updated_at, updated_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (council_id) DO UPDATE SET weights = excluded.weights, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			tx.actor.CouncilID, toJSON(w), tx.now, tx.actor.Email); err != nil {
			return fmt.Errorf("storage: set risk weights: %w", err)
		}
		return tx.audit(ctx, "risk_weights.set", "council", tx.actor.CouncilID, old, w)
	})
}

// --- Risk

// riskInputs gathers every factor of each location of the council (or of
// one provider when provider is not 0), in a handful of grouped reads.
func (db *DB) riskInputs(ctx context.Context, council, provider int64, now time.Time) ([]quality.LocationRisk, map[int64]*quality.RiskInput, error) {
	r := &riskReader{db: db, ctx: ctx, provider: provider, args: []any{council}, in: map[int64]*quality.RiskInput{}}
	if provider != 0 {
		r.args = append(r.args, provider)
	}
	for _, step := range []func() error{r.locations, r.previousRatings, r.latestAudits, r.openConcerns, func() error { return r.counts(now) }} {
		if err := step(); err != nil {
			return nil, nil, err
		}
	}
	return r.locs, r.in, nil
}

// riskReader reads the risk factors of a council's locations, every read
// scoped alike: the council is $1 and, when not 0, the provider $2.
type riskReader struct {
	db       *DB
	ctx      context.Context
	provider int64
	args     []any
	locs     []quality.LocationRisk
	in       map[int64]*quality.RiskInput
}

// pcond narrows a read to the provider, by the column naming it.
func (r *riskReader) pcond(col string) string {
	if r.provider != 0 {
		return " AND " + col + " = $2"
	}
	return ""
}

// each runs a read with the scope's arguments and then extra, and hands
// each row to fn.
func (r *riskReader) each(query string, extra []any, fn func(rows *sql.Rows) error) error {
	return eachRow(r.ctx, r.db.sql, "risk factors", query, append(slices.Clone(r.args), extra...), fn)
}

// locations reads the registered locations, each with its CQC rating.
func (r *riskReader) locations() error {
	rows, err := r.db.sql.QueryContext(r.ctx, `SELECT l.id, l.name, l.provider_id, p.name, l.rating FROM locations l JOIN providers p ON p.id = l.provider_id
		WHERE l.council_id = $1 AND l.status = 'registered'`+r.pcond("l.provider_id")+` ORDER BY p.name, l.name, l.id`, r.args...)
	if err != nil {
		return fmt.Errorf("storage: risk locations: %w", err)
	}
	for rows.Next() {
		var l quality.LocationRisk
		if err := rows.Scan(&l.LocationID, &l.LocationName, &l.ProviderID, &l.ProviderName, &l.CQCRating); err != nil {
			rows.Close()
			return err
		}
		r.locs = append(r.locs, l)
		r.in[l.LocationID] = &quality.RiskInput{CQCRating: l.CQCRating}
	}
	rows.Close()
	return rows.Err()
}

// previousRatings reads the previous rating of each location's latest
// change.
func (r *riskReader) previousRatings() error {
	return r.each(`SELECT location_id, previous_rating FROM location_ratings r WHERE council_id = $1`+r.pcond("(SELECT provider_id FROM locations WHERE id = r.location_id)")+` ORDER BY id`, nil,
		func(rows *sql.Rows) error {
			var loc int64
			var prev string
			if err := rows.Scan(&loc, &prev); err != nil {
				return err
			}
			if x := r.in[loc]; x != nil {
				x.CQCPrevious = market.Rating(prev)
			}
			return nil
		})
}

// latestAudits reads the latest published audit of each location.
func (r *riskReader) latestAudits() error {
	return r.each(`SELECT location_id, overall, visit_date FROM monitoring_visits WHERE council_id = $1 AND status = 'published'`+r.pcond("provider_id")+` ORDER BY visit_date, id`, nil,
		func(rows *sql.Rows) error {
			var loc int64
			var overall string
			var d time.Time
			if err := rows.Scan(&loc, &overall, &d); err != nil {
				return err
			}
			if x := r.in[loc]; x != nil && overall != "" {
				d = day(d)
				x.AuditRating, x.AuditDate = quality.Rating(overall), &d
			}
			return nil
		})
}

// openConcerns reads open serious concerns and suspensions: on the
// provider (every location) or on the location.
func (r *riskReader) openConcerns() error {
	return r.each(`SELECT provider_id, COALESCE(location_id, 0), kind FROM serious_concerns WHERE council_id = $1 AND ended_at IS NULL`+r.pcond("provider_id"), nil,
		func(rows *sql.Rows) error {
			var pid, loc int64
			var kind string
			if err := rows.Scan(&pid, &loc, &kind); err != nil {
				return err
			}
			for i := range r.locs {
				if r.locs[i].ProviderID == pid && (loc == 0 || loc == r.locs[i].LocationID) {
					x := r.in[r.locs[i].LocationID]
					if kind == "suspension" {
						x.Suspensions++
					} else {
						x.Concerns++
					}
				}
			}
			return nil
		})
}

// counts reads the factors counted per location: overdue actions, and
// hand-backs, complaints and safeguarding events in the last year.
func (r *riskReader) counts(now time.Time) error {
	yearAgo := ymd(now.AddDate(-1, 0, 0))
	p1 := fmt.Sprintf("$%d", len(r.args)+1)
	counts := []struct {
		query string
		extra []any
		field func(*quality.RiskInput) *int
	}{
		{`SELECT location_id, COUNT(*) FROM quality_actions WHERE council_id = $1 AND status <> 'accepted' AND due_date < ` + p1 + r.pcond("provider_id") + ` GROUP BY location_id`,
			[]any{ymd(now)}, func(x *quality.RiskInput) *int { return &x.Overdue }},
		{`SELECT location_id, COUNT(*) FROM placements WHERE council_id = $1 AND status = 'handed_back' AND notice_given_on >= ` + p1 + r.pcond("provider_id") + ` GROUP BY location_id`,
			[]any{yearAgo}, func(x *quality.RiskInput) *int { return &x.HandBacks }},
		{`SELECT location_id, SUM(n) FROM quality_events WHERE council_id = $1 AND kind = 'complaint' AND on_date >= ` + p1 + r.pcond("provider_id") + ` GROUP BY location_id`,
			[]any{yearAgo}, func(x *quality.RiskInput) *int { return &x.Complaints }},
		{`SELECT location_id, SUM(n) FROM quality_events WHERE council_id = $1 AND kind = 'safeguarding' AND on_date >= ` + p1 + r.pcond("provider_id") + ` GROUP BY location_id`,
			[]any{yearAgo}, func(x *quality.RiskInput) *int { return &x.Safeguarding }},
	}
	for _, c := range counts {
		if err := r.each(c.query, c.extra, func(rows *sql.Rows) error {
			var loc int64
			var k int
			if err := rows.Scan(&loc, &k); err != nil {
				return err
			}
			if x := r.in[loc]; x != nil {
				*c.field(x) = k
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// providerRisks assesses every location and groups them by provider: a
// provider's level is its highest-scoring location's.
func providerRisks(locs []quality.LocationRisk, in map[int64]*quality.RiskInput, w quality.Weights) []quality.ProviderRisk {
	var out []quality.ProviderRisk
	idx := map[int64]int{}
	for _, l := range locs {
		l.Risk = quality.Assess(*in[l.LocationID], w)
		i, ok := idx[l.ProviderID]
		if !ok {
			i = len(out)
			idx[l.ProviderID] = i
			out = append(out, quality.ProviderRisk{ProviderID: l.ProviderID, ProviderName: l.ProviderName, Level: quality.RiskLow, Weights: w})
		}
		pr := &out[i]
		pr.Locations = append(pr.Locations, l)
		if l.Score > pr.Score || len(pr.Locations) == 1 {
			pr.Score, pr.Level = max(pr.Score, l.Score), l.Level
		}
	}
	return out
}

// ProviderRisk is a provider's risk, location by location, with the
// working. Council staff, or the provider itself.
func (db *DB) ProviderRisk(ctx context.Context, providerID int64) (*quality.ProviderRisk, error) {
	a, err := actorRequire(ctx, canSeeQuality...)
	if err != nil {
		return nil, err
	}
	if pid := providerScope(a); pid != 0 && pid != providerID {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Provider not found")
	}
	name, err := providerName(ctx, db.sql, a.CouncilID, providerID)
	if err != nil {
		return nil, err
	}
	w, err := db.riskWeights(ctx, db.sql, a.CouncilID)
	if err != nil {
		return nil, err
	}
	locs, in, err := db.riskInputs(ctx, a.CouncilID, providerID, db.now())
	if err != nil {
		return nil, err
	}
	prs := providerRisks(locs, in, w)
	if len(prs) == 0 {
		return &quality.ProviderRisk{ProviderID: providerID, ProviderName: name, Level: quality.RiskLow, Locations: []quality.LocationRisk{}, Weights: w}, nil
	}
	return &prs[0], nil
}

var levelOrder = map[quality.Level]int{quality.RiskLow: 0, quality.RiskMedium: 1, quality.RiskHigh: 2, quality.RiskVeryHigh: 3}

// WatchList is the providers at level atLeast or above, highest score
// first. Council staff.
func (db *DB) WatchList(ctx context.Context, atLeast quality.Level) ([]quality.ProviderRisk, error) {
	a, err := actorRequire(ctx, caremarket.CouncilStaff...)
	if err != nil {
		return nil, err
	}
	w, err := db.riskWeights(ctx, db.sql, a.CouncilID)
	if err != nil {
		return nil, err
	}
	locs, in, err := db.riskInputs(ctx, a.CouncilID, 0, db.now())
	if err != nil {
		return nil, err
	}
	out := []quality.ProviderRisk{}
	for _, pr := range providerRisks(locs, in, w) {
		if levelOrder[pr.Level] >= levelOrder[atLeast] {
			out = append(out, pr)
		}
	}
	slices.SortStableFunc(out, func(x, y quality.ProviderRisk) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.ProviderName, y.ProviderName))
	})
	return out, nil
}

// --- A lot's minimum audit rating, and the cascade

// LotMinimums lists the lots with a minimum audit rating. Council staff.
func (db *DB) LotMinimums(ctx context.Context) ([]quality.LotMinimum, error) {
	a, err := actorRequire(ctx, caremarket.CouncilStaff...)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT m.lot_id, l.title, ag.reference, m.min_rating FROM lot_audit_minimums m JOIN lots l ON l.id = m.lot_id
		JOIN agreements ag ON ag.id = l.agreement_id WHERE m.council_id = $1 ORDER BY ag.reference, l.number`, a.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: lot minimums: %w", err)
	}
	return scanAll(rows, "lot minimum", func(row interface{ Scan(...any) error }) (*quality.LotMinimum, error) {
		var m quality.LotMinimum
		return &m, row.Scan(&m.LotID, &m.LotTitle, &m.AgreementRef, &m.Minimum)
	})
}

// SetLotMinimum sets (or, with "", removes) a lot's minimum audit rating
// for direct award. Officers.
func (db *DB) SetLotMinimum(ctx context.Context, lotID int64, min quality.Rating) error {
	if min != "" && !min.Valid() {
		return caremarket.Invalid(map[string]string{"minimum_audit_rating": "Choose Excellent, Good, Requires improvement or Poor, or no minimum"})
	}
	return db.updateBy(ctx, canMonitor, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM lots WHERE id = $1 AND council_id = $2`, lotID, tx.actor.CouncilID).Scan(&n); err != nil || n == 0 {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Lot not found")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM lot_audit_minimums WHERE lot_id = $1 AND council_id = $2`, lotID, tx.actor.CouncilID); err != nil {
			return fmt.Errorf("storage: clear lot minimum: %w", err)
		}
		if min != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO lot_audit_minimums (lot_id, council_id, min_rating, set_at, set_by) VALUES ($1, $2, $3, $4, $5)`,
				lotID, tx.actor.CouncilID, string(min), tx.now, tx.actor.Email); err != nil {
				return fmt.Errorf("storage: set lot minimum: %w", err)
			}
		}
		return tx.audit(ctx, "lot.audit_minimum", "lot", lotID, nil, map[string]string{"minimum_audit_rating": string(min)})
	})
}

// auditMinimums excludes from the cascade, through the candidate's Blocked
// reason as CQC's Inadequate rating is, every location whose latest
// published audit is below the minimum its lot sets for direct award ("a
// location below the lot's minimum audit rating takes no direct award under
// it"). A location never audited is not excluded: it has no rating to be
// below. The lot is the one the cascade would rank it under: the first of
// in.Lots covering its area that its provider is admitted on.
func (db *DB) auditMinimums(ctx context.Context, q queryer, council int64, in *brokerage.Input) error {
	if len(in.Lots) == 0 {
		return nil
	}
	mins, err := ratingsOf(ctx, q, "lot minimums", `SELECT lot_id, min_rating FROM lot_audit_minimums WHERE council_id = $1`, council)
	if err != nil || len(mins) == 0 {
		return err
	}
	latest, err := ratingsOf(ctx, q, "latest audits",
		`SELECT location_id, overall FROM monitoring_visits WHERE council_id = $1 AND status = 'published' AND overall <> '' ORDER BY visit_date, id`, council)
	if err != nil {
		return err
	}
	for i := range in.Candidates {
		c := &in.Candidates[i]
		got, audited := latest[c.LocationID]
		if c.Blocked != "" || !audited {
			continue
		}
		for _, l := range in.Lots {
			admitted := false
			for _, a := range c.Admissions {
				admitted = admitted || a.LotID == l.ID
			}
			if !admitted || !l.Covers(in.ServiceType, c.AreaID) {
				continue
			}
			if min := mins[l.ID]; min != "" && !got.AtLeast(min) {
				c.Blocked = fmt.Sprintf("Below the lot's minimum audit rating: latest contract monitoring rating %s, lot %d of %s needs %s or better",
					got.Label(), l.Number, l.AgreementRef, min.Label())
			}
			break
		}
	}
	return nil
}

// ratingsOf reads the council's rows of (id, rating) into a map; a later
// row of an id replaces an earlier one.
func ratingsOf(ctx context.Context, q queryer, what, query string, council int64) (map[int64]quality.Rating, error) {
	out := map[int64]quality.Rating{}
	err := eachRow(ctx, q, "read "+what, query, []any{council}, func(rows *sql.Rows) error {
		var id int64
		var r string
		err := rows.Scan(&id, &r)
		out[id] = quality.Rating(r)
		return err
	})
	return out, err
}

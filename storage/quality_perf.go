package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/quality"
)

// Provider performance, worked out from what the platform records: offers,
// competition invitations and bids, placements, vacancy figures and the
// delivered hours of electronic call monitoring uploads. Storage reads the
// records of a period in a few narrow queries; quality.Compute does the
// arithmetic.

// perfScope is whose records to read: a provider's or a lot's.
type perfScope struct {
	column string // "provider_id" or "lot_id"
	id     int64
}

// guideKey finds a guide price: service type, band and the area's setting.
type guideKey struct{ st, band, setting string }

type guidePoint struct {
	from  time.Time
	price int64
}

// guides loads the council's guide prices (a few hundred rows) and the
// setting of each area.
func (db *DB) guides(ctx context.Context, council int64) (map[guideKey][]guidePoint, map[int64]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT service_type, band, setting, effective_from, price_pence FROM guide_prices WHERE council_id = $1 ORDER BY effective_from, id`, council)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: read guide prices: %w", err)
	}
	g := map[guideKey][]guidePoint{}
	for rows.Next() {
		var k guideKey
		var p guidePoint
		if err := rows.Scan(&k.st, &k.band, &k.setting, &p.from, &p.price); err != nil {
			rows.Close()
			return nil, nil, err
		}
		g[k] = append(g[k], p)
	}
	rows.Close()
	rows, err = db.sql.QueryContext(ctx, `SELECT a.id, c.setting FROM areas a JOIN clusters c ON c.id = a.cluster_id WHERE a.council_id = $1`, council)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: read area settings: %w", err)
	}
	defer rows.Close()
	settings := map[int64]string{}
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return nil, nil, err
		}
		settings[id] = s
	}
	return g, settings, rows.Err()
}

func guideOn(points []guidePoint, t time.Time) int64 {
	i := sort.Search(len(points), func(i int) bool { return points[i].from.After(t) })
	if i == 0 {
		return 0
	}
	return points[i-1].price
}

// perfInput reads the scope's records of [from, to).
func (db *DB) perfInput(ctx context.Context, council int64, s perfScope, from, to time.Time) (*quality.PerfInput, error) {
	in := &quality.PerfInput{At: to}
	if now := db.now(); now.Before(to) {
		in.At = now
	}
	g, settings, err := db.guides(ctx, council)
	if err != nil {
		return nil, err
	}
	col := "o." + s.column
	rows, err := db.sql.QueryContext(ctx, `SELECT o.provider_id, o.location_id, COALESCE(o.lot_id, 0), o.offered_at, o.responded_at, o.status, o.reason, o.price_pence,
		r.service_type, r.need_band, r.area_id
		FROM offers o JOIN care_requirements r ON r.id = o.requirement_id
		WHERE o.council_id = $1 AND `+col+` = $2 AND o.offered_at >= $3 AND o.offered_at < $4`, council, s.id, from, to)
	if err != nil {
		return nil, fmt.Errorf("storage: performance offers: %w", err)
	}
	for rows.Next() {
		var o quality.OfferRec
		var responded sql.NullTime
		var k guideKey
		var area int64
		if err := rows.Scan(&o.ProviderID, &o.LocationID, &o.LotID, &o.OfferedAt, &responded, &o.Status, &o.Reason, &o.Price, &k.st, &k.band, &area); err != nil {
			rows.Close()
			return nil, err
		}
		o.RespondedAt = ptrTime(responded)
		if o.Status == "accepted" && o.Price > 0 {
			k.setting = settings[area]
			o.Guide = guideOn(g[k], o.OfferedAt)
		}
		in.Offers = append(in.Offers, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	ccol := "ci.provider_id"
	if s.column == "lot_id" {
		ccol = "c.lot_id"
	}
	rows, err = db.sql.QueryContext(ctx, `SELECT ci.provider_id, ci.location_id, COALESCE(c.lot_id, 0),
		EXISTS (SELECT 1 FROM bids b WHERE b.competition_id = ci.competition_id AND b.location_id = ci.location_id)
		FROM competition_invites ci JOIN competitions c ON c.id = ci.competition_id
		WHERE ci.council_id = $1 AND `+ccol+` = $2 AND c.created_at >= $3 AND c.created_at < $4`, council, s.id, from, to)
	if err != nil {
		return nil, fmt.Errorf("storage: performance invitations: %w", err)
	}
	for rows.Next() {
		var v quality.InviteRec
		if err := rows.Scan(&v.ProviderID, &v.LocationID, &v.LotID, &v.Bid); err != nil {
			rows.Close()
			return nil, err
		}
		in.Invites = append(in.Invites, v)
	}
	rows.Close()

	rows, err = db.sql.QueryContext(ctx, `SELECT provider_id, location_id, COALESCE(lot_id, 0), start_date, end_date, notice_given_on, status, off_contract
		FROM placements WHERE council_id = $1 AND `+s.column+` = $2 AND start_date >= $3 AND start_date < $4`, council, s.id, ymd(from), ymd(to))
	if err != nil {
		return nil, fmt.Errorf("storage: performance placements: %w", err)
	}
	for rows.Next() {
		var p quality.PlacementRec
		var end, notice sql.NullTime
		if err := rows.Scan(&p.ProviderID, &p.LocationID, &p.LotID, &p.Start, &end, &notice, &p.Status, &p.OffContract); err != nil {
			rows.Close()
			return nil, err
		}
		p.End, p.NoticeGiven = ptrTime(end), ptrTime(notice)
		in.Placements = append(in.Placements, p)
	}
	rows.Close()

	// Vacancy figures now, of the provider's locations (or, for a lot, its
	// admitted providers' locations).
	vq := `SELECT l.provider_id, v.location_id, v.updated_at FROM vacancies v JOIN locations l ON l.id = v.location_id WHERE v.council_id = $1 AND l.provider_id = $2`
	if s.column == "lot_id" {
		vq = `SELECT l.provider_id, v.location_id, v.updated_at FROM vacancies v JOIN locations l ON l.id = v.location_id
			WHERE v.council_id = $1 AND l.provider_id IN (SELECT provider_id FROM awards WHERE council_id = $1 AND lot_id = $2)`
	}
	rows, err = db.sql.QueryContext(ctx, vq, council, s.id)
	if err != nil {
		return nil, fmt.Errorf("storage: performance vacancies: %w", err)
	}
	for rows.Next() {
		var v quality.VacancyRec
		if err := rows.Scan(&v.ProviderID, &v.LocationID, &v.UpdatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		in.Vacancies = append(in.Vacancies, v)
	}
	rows.Close()

	rows, err = db.sql.QueryContext(ctx, `SELECT provider_id, location_id, COALESCE(lot_id, 0), commissioned_minutes, delivered_minutes FROM delivered_hours
		WHERE council_id = $1 AND `+s.column+` = $2 AND week_start >= $3 AND week_start < $4`, council, s.id, ymd(from), ymd(to))
	if err != nil {
		return nil, fmt.Errorf("storage: performance delivered hours: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d quality.DeliveryRec
		if err := rows.Scan(&d.ProviderID, &d.LocationID, &d.LotID, &d.Commissioned, &d.Delivered); err != nil {
			return nil, err
		}
		in.Deliveries = append(in.Deliveries, d)
	}
	return in, rows.Err()
}

// checkPeriod refuses a period that ends before it starts or spans more
// than five years.
func checkPeriod(from, to time.Time) error {
	if !to.After(from) {
		return caremarket.Invalid(map[string]string{"to": "The end of the period must be after its start"})
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return caremarket.Invalid(map[string]string{"from": "Choose a period of at most five years"})
	}
	return nil
}

// ProviderPerformance is a provider's figures over [from, to), location by
// location, with its rank in each lot it is admitted to. Council staff, or
// the provider itself.
func (db *DB) ProviderPerformance(ctx context.Context, providerID int64, from, to time.Time) (*quality.ProviderPerformance, error) {
	a, err := actorRequire(ctx, canSeeQuality...)
	if err != nil {
		return nil, err
	}
	if pid := providerScope(a); pid != 0 && pid != providerID {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Provider not found")
	}
	if err := checkPeriod(from, to); err != nil {
		return nil, err
	}
	pp := &quality.ProviderPerformance{ProviderID: providerID, From: from, To: to, Locations: []quality.LocationFigures{}, Lots: []quality.LotRanks{}}
	if err := db.sql.QueryRowContext(ctx, `SELECT name FROM providers WHERE id = $1 AND council_id = $2`, providerID, a.CouncilID).Scan(&pp.ProviderName); err != nil {
		return nil, notFound(err, "Provider")
	}
	in, err := db.perfInput(ctx, a.CouncilID, perfScope{"provider_id", providerID}, from, to)
	if err != nil {
		return nil, err
	}
	pp.Figures = quality.Compute(in)
	rows, err := db.sql.QueryContext(ctx, `SELECT id, name FROM locations WHERE council_id = $1 AND provider_id = $2 ORDER BY name, id`, a.CouncilID, providerID)
	if err != nil {
		return nil, fmt.Errorf("storage: performance locations: %w", err)
	}
	byLoc := quality.Split(in, quality.ByLocation)
	for rows.Next() {
		var lf quality.LocationFigures
		if err := rows.Scan(&lf.LocationID, &lf.LocationName); err != nil {
			rows.Close()
			return nil, err
		}
		part := byLoc[lf.LocationID]
		if part == nil {
			part = &quality.PerfInput{At: in.At}
		}
		lf.Figures = quality.Compute(part)
		pp.Locations = append(pp.Locations, lf)
	}
	rows.Close()
	lots, err := db.sql.QueryContext(ctx, `SELECT DISTINCT lot_id FROM awards WHERE council_id = $1 AND provider_id = $2`, a.CouncilID, providerID)
	if err != nil {
		return nil, fmt.Errorf("storage: performance lots: %w", err)
	}
	var lotIDs []int64
	for lots.Next() {
		var id int64
		if err := lots.Scan(&id); err != nil {
			lots.Close()
			return nil, err
		}
		lotIDs = append(lotIDs, id)
	}
	lots.Close()
	slices.Sort(lotIDs)
	for _, id := range lotIDs {
		lp, err := db.lotTable(ctx, a.CouncilID, id, from, to, "")
		if err != nil {
			return nil, err
		}
		pp.Lots = append(pp.Lots, quality.LotRanks{LotID: id, LotTitle: lp.LotTitle, AgreementRef: lp.AgreementRef, Ranks: quality.RanksOf(lp.Rows, providerID)})
	}
	return pp, nil
}

// lotTable is a lot's whole league table, for staff.
func (db *DB) lotTable(ctx context.Context, council, lotID int64, from, to time.Time, sortKey string) (*quality.LotPerformance, error) {
	lp := &quality.LotPerformance{LotID: lotID, From: from, To: to}
	var min sql.NullString
	if err := db.sql.QueryRowContext(ctx, `SELECT l.title, ag.reference, m.min_rating FROM lots l JOIN agreements ag ON ag.id = l.agreement_id
		LEFT JOIN lot_audit_minimums m ON m.lot_id = l.id WHERE l.id = $1 AND l.council_id = $2`, lotID, council).Scan(&lp.LotTitle, &lp.AgreementRef, &min); err != nil {
		return nil, notFound(err, "Lot")
	}
	lp.MinimumAudit = quality.Rating(min.String)
	in, err := db.perfInput(ctx, council, perfScope{"lot_id", lotID}, from, to)
	if err != nil {
		return nil, err
	}
	byProvider := quality.Split(in, quality.ByProvider)
	// Every admitted provider has a row, with or without records.
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT p.id, p.name FROM providers p WHERE p.council_id = $1
		AND (p.id IN (SELECT provider_id FROM awards WHERE council_id = $1 AND lot_id = $2)
		  OR p.id IN (SELECT provider_id FROM offers WHERE council_id = $1 AND lot_id = $2 AND offered_at >= $3 AND offered_at < $4))`, council, lotID, from, to)
	if err != nil {
		return nil, fmt.Errorf("storage: lot providers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r quality.LeagueRow
		if err := rows.Scan(&r.ProviderID, &r.ProviderName); err != nil {
			return nil, err
		}
		part := byProvider[r.ProviderID]
		if part == nil {
			part = &quality.PerfInput{At: in.At}
		}
		r.Figures = quality.Compute(part)
		lp.Rows = append(lp.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lp.Sort = quality.SortLeague(lp.Rows, sortKey).Key
	lp.Providers = len(lp.Rows)
	if lp.Rows == nil {
		lp.Rows = []quality.LeagueRow{}
	}
	return lp, nil
}

// LotPerformance is a lot's league table over [from, to), sorted by a
// column. Council staff see every row; a provider admitted to the lot sees
// only its own row and its rank on each column, never another provider's
// figures; a lot it is not on is not found.
func (db *DB) LotPerformance(ctx context.Context, lotID int64, from, to time.Time, sortKey string) (*quality.LotPerformance, error) {
	a, err := actorRequire(ctx, canSeeQuality...)
	if err != nil {
		return nil, err
	}
	if err := checkPeriod(from, to); err != nil {
		return nil, err
	}
	lp, err := db.lotTable(ctx, a.CouncilID, lotID, from, to, sortKey)
	if err != nil {
		return nil, err
	}
	pid := providerScope(a)
	if pid == 0 {
		return lp, nil
	}
	var own []quality.LeagueRow
	for _, r := range lp.Rows {
		if r.ProviderID == pid {
			own = append(own, r)
		}
	}
	if len(own) == 0 {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Lot not found")
	}
	lp.Ranks = quality.RanksOf(lp.Rows, pid)
	lp.Rows = own
	return lp, nil
}

// UploadDelivered saves an electronic call monitoring export's delivered
// hours, all lines or none. Each line's placement must be the council's
// hourly care (and, for a provider user, its own); commissioned minutes are
// the placement's hours a week. A week already uploaded is replaced.
// Officers, or the provider for its own placements.
func (db *DB) UploadDelivered(ctx context.Context, lines []quality.Delivered) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(append([]caremarket.Role{caremarket.RoleProvider}, canMonitor...)...); err != nil {
			return err
		}
		bad := map[string]string{}
		for _, d := range lines {
			var provider, location int64
			var lot sql.NullInt64
			var minutes int
			err := tx.QueryRowContext(ctx, `SELECT p.provider_id, p.location_id, p.lot_id, r.minutes_per_week FROM placements p JOIN care_requirements r ON r.id = p.requirement_id
				WHERE p.id = $1 AND p.council_id = $2`, d.PlacementID, tx.actor.CouncilID).Scan(&provider, &location, &lot, &minutes)
			switch {
			case err == sql.ErrNoRows || (tx.actor.Role == caremarket.RoleProvider && provider != tx.actor.ProviderID):
				bad[fmt.Sprintf("line %d", d.Line)] = fmt.Sprintf("placement %d is not one of yours", d.PlacementID)
				continue
			case err != nil:
				return fmt.Errorf("storage: delivered hours placement: %w", err)
			case minutes == 0:
				bad[fmt.Sprintf("line %d", d.Line)] = fmt.Sprintf("placement %d is not hourly care", d.PlacementID)
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM delivered_hours WHERE placement_id = $1 AND week_start = $2 AND council_id = $3`, d.PlacementID, ymd(d.WeekStart), tx.actor.CouncilID); err != nil {
				return fmt.Errorf("storage: replace delivered hours: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO delivered_hours (council_id, provider_id, location_id, placement_id, lot_id, week_start, commissioned_minutes, delivered_minutes, uploaded_at, uploaded_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, tx.actor.CouncilID, provider, location, d.PlacementID, lot, ymd(d.WeekStart), minutes, d.Minutes, tx.now, tx.actor.Email); err != nil {
				return fmt.Errorf("storage: save delivered hours: %w", err)
			}
			n++
		}
		if len(bad) > 0 {
			return &caremarket.Error{Code: caremarket.EINVALID, Message: fmt.Sprintf("The file has %d lines we cannot use: nothing was saved", len(bad)), Fields: bad}
		}
		return tx.audit(ctx, "delivered_hours.upload", "council", tx.actor.CouncilID, nil, map[string]int{"lines": n})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

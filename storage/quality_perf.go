package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
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

// at is a bound time as a timestamp in SQL.
func (db *DB) at(param string) string { return param + db.dialect.timestampParam }

// perfInput reads the scope's records of [from, to), narrowly: a few
// integers a row, the sums of price against guide grouped in SQL.
func (db *DB) perfInput(ctx context.Context, council int64, s perfScope, from, to time.Time) (*quality.PerfInput, error) {
	in := &quality.PerfInput{}
	at := to
	if now := db.now(); now.Before(to) {
		at = now
	}
	each := func(what, query string, args []any, scan func(rows *sql.Rows) error) error {
		return eachRow(ctx, db.sql, "performance "+what, query, args, scan)
	}
	period := []any{council, s.id, from, to}
	col := "o." + s.column
	// Offers counted by how they ended, and the time each answer took.
	if err := each("offers", `SELECT o.provider_id, o.location_id, o.status, CASE WHEN o.status = 'declined' THEN o.reason ELSE '' END, COUNT(*)
		FROM offers o WHERE o.council_id = $1 AND `+col+` = $2 AND o.offered_at >= $3 AND o.offered_at < $4
		GROUP BY o.provider_id, o.location_id, o.status, CASE WHEN o.status = 'declined' THEN o.reason ELSE '' END`, period, func(rows *sql.Rows) error {
		var o quality.OfferRec
		err := rows.Scan(&o.ProviderID, &o.LocationID, &o.Status, &o.Reason, &o.N)
		in.Offers = append(in.Offers, o)
		return err
	}); err != nil {
		return nil, err
	}
	if err := each("responses", `SELECT o.provider_id, o.location_id, `+db.dialect.minutesBetween("o.offered_at", "o.responded_at")+`
		FROM offers o WHERE o.council_id = $1 AND `+col+` = $2 AND o.offered_at >= $3 AND o.offered_at < $4
		AND o.status IN ('accepted', 'declined') AND o.responded_at IS NOT NULL`, period, func(rows *sql.Rows) error {
		var r quality.ResponseRec
		err := rows.Scan(&r.ProviderID, &r.LocationID, &r.Minutes)
		in.Responses = append(in.Responses, r)
		return err
	}); err != nil {
		return nil, err
	}
	// Accepted offers' contracted prices against the guide price in force
	// on the day for the service, need band and the area's setting (not
	// read at all when the council has no guide prices).
	var guides int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM guide_prices WHERE council_id = $1 LIMIT 1) g`, council).Scan(&guides); err != nil {
		return nil, fmt.Errorf("storage: performance guide prices: %w", err)
	}
	priced := func() error {
		return each("prices", `SELECT x.provider_id, x.location_id, COUNT(*), SUM(x.price_pence), SUM(x.guide) FROM (
		SELECT o.provider_id, o.location_id, o.price_pence, (SELECT g.price_pence FROM guide_prices g WHERE g.council_id = $1 AND g.service_type = r.service_type
			AND g.band = r.need_band AND g.setting = c.setting AND g.effective_from <= o.offered_at ORDER BY g.effective_from DESC, g.id DESC LIMIT 1) AS guide
		FROM offers o JOIN care_requirements r ON r.id = o.requirement_id JOIN areas a ON a.id = r.area_id JOIN clusters c ON c.id = a.cluster_id
		WHERE o.council_id = $1 AND `+col+` = $2 AND o.offered_at >= $3 AND o.offered_at < $4 AND o.status = 'accepted' AND o.price_pence > 0
		) x WHERE x.guide IS NOT NULL GROUP BY x.provider_id, x.location_id`, period, func(rows *sql.Rows) error {
			var p quality.PricedRec
			err := rows.Scan(&p.ProviderID, &p.LocationID, &p.Offers, &p.Price, &p.Guide)
			in.Priced = append(in.Priced, p)
			return err
		})
	}
	if guides > 0 {
		if err := priced(); err != nil {
			return nil, err
		}
	}
	ccol := "ci.provider_id"
	if s.column == "lot_id" {
		ccol = "c.lot_id"
	}
	if err := each("invitations", `SELECT ci.provider_id, ci.location_id,
		EXISTS (SELECT 1 FROM bids b WHERE b.competition_id = ci.competition_id AND b.location_id = ci.location_id)
		FROM competition_invites ci JOIN competitions c ON c.id = ci.competition_id
		WHERE ci.council_id = $1 AND `+ccol+` = $2 AND c.created_at >= $3 AND c.created_at < $4`, period, func(rows *sql.Rows) error {
		var v quality.InviteRec
		err := rows.Scan(&v.ProviderID, &v.LocationID, &v.Bid)
		in.Invites = append(in.Invites, v)
		return err
	}); err != nil {
		return nil, err
	}
	days := []any{council, s.id, ymd(from), ymd(to)}
	if err := each("placements", `SELECT provider_id, location_id, status, off_contract,
		COALESCE(`+db.dialect.daysBetween("start_date", "notice_given_on")+`, -1), COALESCE(`+db.dialect.daysBetween("start_date", "end_date")+`, -1)
		FROM placements WHERE council_id = $1 AND `+s.column+` = $2 AND start_date >= $3 AND start_date < $4`, days, func(rows *sql.Rows) error {
		var p quality.PlacementRec
		err := rows.Scan(&p.ProviderID, &p.LocationID, &p.Status, &p.OffContract, &p.NoticeDay, &p.EndDay)
		in.Placements = append(in.Placements, p)
		return err
	}); err != nil {
		return nil, err
	}
	// Vacancy figures now, of the provider's locations (or, for a lot, its
	// admitted providers' locations), aged at the end of the period.
	scope := `l.provider_id = $2`
	if s.column == "lot_id" {
		scope = `l.provider_id IN (SELECT provider_id FROM awards WHERE council_id = $1 AND lot_id = $2)`
	}
	if err := each("vacancies", `SELECT l.provider_id, v.location_id, `+db.dialect.minutesBetween("v.updated_at", db.at("$3"))+`
		FROM vacancies v JOIN locations l ON l.id = v.location_id WHERE v.council_id = $1 AND `+scope, []any{council, s.id, at}, func(rows *sql.Rows) error {
		var v quality.VacancyRec
		err := rows.Scan(&v.ProviderID, &v.LocationID, &v.AgeMinutes)
		in.Vacancies = append(in.Vacancies, v)
		return err
	}); err != nil {
		return nil, err
	}
	if err := each("delivered hours", `SELECT provider_id, location_id, commissioned_minutes, delivered_minutes FROM delivered_hours
		WHERE council_id = $1 AND `+s.column+` = $2 AND week_start >= $3 AND week_start < $4`, days, func(rows *sql.Rows) error {
		var d quality.DeliveryRec
		err := rows.Scan(&d.ProviderID, &d.LocationID, &d.Commissioned, &d.Delivered)
		in.Deliveries = append(in.Deliveries, d)
		return err
	}); err != nil {
		return nil, err
	}
	return in, nil
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

// wholeDays takes a period's bounds to the nearest midnight (UTC): the
// daily performance summary counts whole days. The pages and the API ask
// for whole days already (and a London midnight is within an hour of
// UTC's); a provider's own figures count the same days as its ranks.
func wholeDays(from, to time.Time) (time.Time, time.Time) {
	day := func(t time.Time) time.Time { return t.UTC().Add(12 * time.Hour).Truncate(24 * time.Hour) }
	from, to = day(from), day(to)
	if !to.After(from) {
		to = from.AddDate(0, 0, 1)
	}
	return from, to
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
	from, to = wholeDays(from, to)
	pp := &quality.ProviderPerformance{ProviderID: providerID, From: from, To: to, Locations: []quality.LocationFigures{}, Lots: []quality.LotRanks{}}
	if pp.ProviderName, err = providerName(ctx, db.sql, a.CouncilID, providerID); err != nil {
		return nil, err
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
			part = &quality.PerfInput{}
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
	rows, err := db.cachedLotRows(ctx, council, lotID, from, to, func() ([]quality.LeagueRow, error) {
		return db.lotRows(ctx, council, lotID, from, to)
	})
	if err != nil {
		return nil, err
	}
	lp.Rows = rows
	lp.Sort = quality.SortLeague(lp.Rows, sortKey).Key
	lp.Providers = len(lp.Rows)
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
	from, to = wholeDays(from, to)
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

// otherProviderNames adds the names of the providers with records in
// totals that are no longer admitted to the lot.
func (db *DB) otherProviderNames(ctx context.Context, council int64, names map[int64]string, totals map[int64]*quality.Totals) error {
	var missing []any
	for id := range totals {
		if _, ok := names[id]; !ok {
			missing = append(missing, id)
		}
	}
	for len(missing) > 0 {
		n := min(len(missing), narrowChunk)
		if err := eachRow(ctx, db.sql, "lot providers", `SELECT id, name FROM providers WHERE council_id = $1 AND id IN (`+inMarks(2, n)+`)`,
			append([]any{council}, missing[:n]...), func(rows *sql.Rows) error {
				var id int64
				var name string
				err := rows.Scan(&id, &name)
				names[id] = name
				return err
			}); err != nil {
			return err
		}
		missing = missing[n:]
	}
	return nil
}

// parseMinutes reads a space-separated list of whole minutes.
func parseMinutes(s string) []int {
	if s == "" {
		return nil
	}
	return appendMinutes(make([]int, 0, strings.Count(s, " ")+1), s)
}

// appendMinutes appends a space-separated list of whole minutes to out.
func appendMinutes(out []int, s string) []int {
	n, neg, digits := 0, false, false
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if digits {
				if neg {
					n = -n
				}
				out = append(out, n)
			}
			n, neg, digits = 0, false, false
			continue
		}
		switch c := s[i]; {
		case c == '-':
			neg = true
		case c >= '0' && c <= '9':
			n, digits = n*10+int(c-'0'), true
		}
	}
	return out
}

package storage

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
)

// ApplyVacancies saves a bulk upload of vacancies (market.ParseVacancyCSV)
// all or nothing: if any line names a location that is not the actor's, or a
// service type the location does not offer, nothing is saved and every such
// line is returned with its reason. A provider user may update only its own
// locations. It returns how many figures were saved.
func (db *DB) ApplyVacancies(ctx context.Context, rows []market.VacancyRow) (int, []market.LineError, error) {
	if len(rows) == 0 {
		return 0, nil, caremarket.Errorf(caremarket.EINVALID, "The file has no vacancy lines")
	}
	if len(rows) > market.MaxVacancyRows {
		return 0, nil, caremarket.Errorf(caremarket.EINVALID, "The file has more than %d lines; split it", market.MaxVacancyRows)
	}
	var lineErrs []market.LineError
	err := db.updateBy(ctx, canUpdateVacancies, func(tx *Tx) error {
		locs := vacancyLocations{byID: map[int64]*vacancyLocation{}, byCQC: map[string]*vacancyLocation{}}
		if err := locs.load(ctx, tx, rows); err != nil {
			return err
		}
		var args []any
		var summary []map[string]any
		args, summary, lineErrs = locs.check(tx, rows)
		if len(lineErrs) > 0 {
			return caremarket.Errorf(caremarket.EINVALID, "%d of the file's %d lines have problems; no vacancies were saved", len(lineErrs), len(rows))
		}
		for chunk := range slices.Chunk(args, narrowChunk*7) {
			if _, err := tx.ExecContext(ctx, tx.db.positional(`INSERT INTO vacancies (location_id, council_id, service_type, vacancies, spare_minutes, updated_at, updated_by) VALUES `+
				values(len(chunk)/7, 7)+` ON CONFLICT (location_id, service_type) DO UPDATE SET vacancies = excluded.vacancies,
				spare_minutes = excluded.spare_minutes, updated_at = excluded.updated_at, updated_by = excluded.updated_by`), chunk...); err != nil {
				return fmt.Errorf("storage: unable to save vacancies: %w", err)
			}
		}
		return tx.audit(ctx, "vacancy.bulk_set", "provider", tx.actor.ProviderID, nil, map[string]any{"count": len(rows), "vacancies": summary})
	})
	if err != nil {
		return 0, lineErrs, err
	}
	return len(rows), nil, nil
}

// vacancyLocation is what a vacancy upload needs to know of a location.
type vacancyLocation struct {
	id       int64
	provider int64
	status   string
	services []market.ServiceType
}

// vacancyLocations are the council's locations a vacancy upload names, by
// caremarket id and by CQC location id.
type vacancyLocations struct {
	byID  map[int64]*vacancyLocation
	byCQC map[string]*vacancyLocation
}

// load reads the council's locations the rows name, and their service types.
func (ls *vacancyLocations) load(ctx context.Context, tx *Tx, rows []market.VacancyRow) error {
	var ids, cqcIDs []any
	for _, r := range rows {
		if r.LocationID != 0 {
			ids = append(ids, r.LocationID)
		} else {
			cqcIDs = append(cqcIDs, r.CQCLocationID)
		}
	}
	if err := ls.loadBy(ctx, tx, "id", ids); err != nil {
		return err
	}
	if err := ls.loadBy(ctx, tx, "cqc_location_id", cqcIDs); err != nil {
		return err
	}
	return ls.loadServices(ctx, tx)
}

func (ls *vacancyLocations) loadBy(ctx context.Context, tx *Tx, column string, keys []any) error {
	for chunk := range slices.Chunk(keys, narrowChunk) {
		args := append([]any{tx.actor.CouncilID}, chunk...)
		q, err := tx.QueryContext(ctx, tx.db.positional(`SELECT id, cqc_location_id, provider_id, status FROM locations
			WHERE council_id = $1 AND `+column+` IN (`+inMarks(2, len(chunk))+`)`), args...)
		if err != nil {
			return fmt.Errorf("storage: unable to find locations: %w", err)
		}
		for q.Next() {
			l := &vacancyLocation{}
			var cqcID string
			if err := q.Scan(&l.id, &cqcID, &l.provider, &l.status); err != nil {
				q.Close()
				return fmt.Errorf("storage: unable to find locations: %w", err)
			}
			if old, ok := ls.byID[l.id]; ok {
				l = old
			}
			ls.byID[l.id], ls.byCQC[cqcID] = l, l
		}
		q.Close()
		if err := q.Err(); err != nil {
			return fmt.Errorf("storage: unable to find locations: %w", err)
		}
	}
	return nil
}

func (ls *vacancyLocations) loadServices(ctx context.Context, tx *Tx) error {
	var locIDs []any
	for id := range ls.byID {
		locIDs = append(locIDs, id)
	}
	for chunk := range slices.Chunk(locIDs, narrowChunk) {
		args := append([]any{tx.actor.CouncilID}, chunk...)
		q, err := tx.QueryContext(ctx, tx.db.positional(`SELECT location_id, service_type FROM location_services
			WHERE council_id = $1 AND location_id IN (`+inMarks(2, len(chunk))+`)`), args...)
		if err != nil {
			return fmt.Errorf("storage: unable to read service types: %w", err)
		}
		for q.Next() {
			var id int64
			var st market.ServiceType
			if err := q.Scan(&id, &st); err != nil {
				q.Close()
				return fmt.Errorf("storage: unable to read service types: %w", err)
			}
			ls.byID[id].services = append(ls.byID[id].services, st)
		}
		q.Close()
		if err := q.Err(); err != nil {
			return fmt.Errorf("storage: unable to read service types: %w", err)
		}
	}
	return nil
}

// check turns each row into the arguments of its upsert and a line of the
// audit summary, or into the reason it cannot be saved.
func (ls *vacancyLocations) check(tx *Tx, rows []market.VacancyRow) ([]any, []map[string]any, []market.LineError) {
	args := make([]any, 0, len(rows)*7)
	var summary []map[string]any
	var lineErrs []market.LineError
	// One figure per location and service type: a file may name a
	// location by both ids, and an upsert may not touch a row twice.
	type key struct {
		id int64
		st market.ServiceType
	}
	seen := map[key]int{}
	for _, r := range rows {
		name := r.CQCLocationID
		l := ls.byCQC[r.CQCLocationID]
		if r.LocationID != 0 {
			l, name = ls.byID[r.LocationID], strconv.FormatInt(r.LocationID, 10)
		}
		switch {
		case l == nil || (tx.actor.Role == caremarket.RoleProvider && l.provider != tx.actor.ProviderID):
			// Another provider's location is "not found", as everywhere.
			lineErrs = append(lineErrs, market.LineError{Line: r.Line, Reason: fmt.Sprintf("location %s is not one of yours", name)})
		case l.status != string(cqc.Registered):
			lineErrs = append(lineErrs, market.LineError{Line: r.Line, Reason: fmt.Sprintf("location %s is no longer registered with CQC", name)})
		case !slices.Contains(l.services, r.ServiceType):
			lineErrs = append(lineErrs, market.LineError{Line: r.Line, Reason: fmt.Sprintf("location %s does not offer %s", name, r.ServiceType.Label())})
		case seen[key{l.id, r.ServiceType}] != 0:
			lineErrs = append(lineErrs, market.LineError{Line: r.Line, Reason: fmt.Sprintf("location %s and %s are also on line %d", name, r.ServiceType.Label(), seen[key{l.id, r.ServiceType}])})
		default:
			seen[key{l.id, r.ServiceType}] = r.Line
			args = append(args, l.id, tx.actor.CouncilID, string(r.ServiceType), r.Vacancies, nullInt(r.SpareMinutes), tx.now, tx.actor.Email)
			line := map[string]any{"location_id": l.id, "service_type": r.ServiceType, "vacancies": r.Vacancies}
			if r.SpareMinutes != nil {
				line["spare_minutes_per_week"] = *r.SpareMinutes
			}
			summary = append(summary, line)
		}
	}
	return args, summary, lineErrs
}

// recordManualRating keeps the rating history when a person changes a
// location's rating by hand, as an import does: the first change also
// records the rating the location had until then, and a drop to Inadequate
// raises the same alert for commissioners.
func (tx *Tx) recordManualRating(ctx context.Context, before, after *market.Location) error {
	sameDate := (before.RatingDate == nil) == (after.RatingDate == nil) &&
		(before.RatingDate == nil || before.RatingDate.Equal(*after.RatingDate))
	if before.Rating == after.Rating && sameDate {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM location_ratings WHERE council_id = $1 AND location_id = $2`,
		tx.actor.CouncilID, after.ID).Scan(&n); err != nil {
		return fmt.Errorf("storage: unable to read rating history: %w", err)
	}
	insert := `INSERT INTO location_ratings (council_id, location_id, rating, previous_rating, rating_date, recorded_at, source)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	if n == 0 {
		if _, err := tx.ExecContext(ctx, insert, tx.actor.CouncilID, after.ID, string(before.Rating), "",
			dateOrNil(before.RatingDate), before.CreatedAt, firstSeen); err != nil {
			return fmt.Errorf("storage: unable to record rating history: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, insert, tx.actor.CouncilID, after.ID, string(after.Rating), string(before.Rating),
		dateOrNil(after.RatingDate), tx.now, "changed by "+tx.actor.Email); err != nil {
		return fmt.Errorf("storage: unable to record rating history: %w", err)
	}
	if after.Rating != market.Inadequate || before.Rating == market.Inadequate {
		return nil
	}
	msg := fmt.Sprintf("%s (CQC %s) was recorded as rated Inadequate by %s; it was %s. It takes no new placements while the rating holds; review the people placed there.",
		after.Name, after.CQCLocationID, tx.actor.Email, before.Rating.Label())
	if _, err := tx.ExecContext(ctx, `INSERT INTO market_alerts (council_id, location_id, kind, message, raised_at) VALUES ($1, $2, $3, $4, $5)`,
		tx.actor.CouncilID, after.ID, string(cqc.AlertInadequate), msg, tx.now); err != nil {
		return fmt.Errorf("storage: unable to raise alert: %w", err)
	}
	return nil
}

package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/caremarket/caremarket/market"
)

// VacanciesAt returns the vacancy figures of many locations in one query per
// 2,000 locations, by location, in service type order; a location the actor
// may not see (another council's, another provider's) is left out, as one
// with no figures is.
func (db *DB) VacanciesAt(ctx context.Context, locationIDs []int64) (map[int64][]market.Vacancy, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]market.Vacancy, len(locationIDs))
	for chunk := range slices.Chunk(locationIDs, narrowChunk) {
		// Vacancies have no provider_id: a provider user's are those of
		// its locations. (Joining locations instead lets PostgreSQL, before
		// it has gathered statistics, scan vacancies once per location.)
		s := scopeFor(actor, "v", councilWide).in("v.location_id", chunk)
		if s.provider() {
			s.and("v.location_id IN (SELECT id FROM locations WHERE council_id = v.council_id AND provider_id = ?)", actor.ProviderID)
		}
		rows, err := db.sql.QueryContext(ctx, `SELECT v.location_id, v.service_type, v.vacancies, v.spare_minutes, v.updated_at, v.updated_by
			FROM vacancies v WHERE `+s.where()+` ORDER BY v.location_id, v.service_type`, s.args...)
		if err != nil {
			return nil, fmt.Errorf("storage: list vacancies: %w", err)
		}
		for rows.Next() {
			v, err := scanVacancy(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("storage: list vacancies: %w", err)
			}
			out[v.LocationID] = append(out[v.LocationID], *v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("storage: list vacancies: %w", err)
		}
	}
	return out, nil
}

// LocationNames returns the names of many locations in one query per 2,000,
// by id; a location the actor may not see is left out.
func (db *DB) LocationNames(ctx context.Context, locationIDs []int64) (map[int64]string, error) {
	return locationColumn[string](ctx, db, locationIDs, "name", "location names")
}

// locationColumn reads one column of many locations, in one query per
// narrowChunk ids, into a map by id; a location the actor may not see
// (another council's; for a provider user, another provider's) is left out.
func locationColumn[T any](ctx context.Context, db *DB, locationIDs []int64, col, what string) (map[int64]T, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]T, len(locationIDs))
	for chunk := range slices.Chunk(locationIDs, narrowChunk) {
		s := scopeFor(actor, "", byProvider).in("id", chunk)
		if err := eachRow(ctx, db.sql, what, `SELECT id, `+col+` FROM locations WHERE `+s.where(), s.args, func(rows *sql.Rows) error {
			var id int64
			var v T
			err := rows.Scan(&id, &v)
			out[id] = v
			return err
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

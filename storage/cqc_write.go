package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
)

// change to write in the current batch.
func (im *cqcImport) add(l *cqc.Location) error {
	if l.LocationID != "" {
		im.listed[l.LocationID] = true
	}
	old := im.locations[l.LocationID]
	if !im.opts.All && !cqc.SameAuthority(l.LocalAuthority, im.la) {
		im.sum.OtherAuthority++
		return nil
	}
	services := cqc.MapServiceTypes(l)
	if len(services) == 0 {
		im.sum.NotSocialCare++
		return nil
	}
	if reason := l.Check(); reason != "" {
		im.rejectRow(l, reason)
		return nil
	}
	if first, dup := im.firstLine[l.LocationID]; dup {
		im.rejectRow(l, fmt.Sprintf("Location ID %s is also on line %d; only the first is used", l.LocationID, first))
		return nil
	}
	im.firstLine[l.LocationID] = l.Line
	if l.Deregistered && (old == nil || old.status == cqc.Deregistered) {
		if old == nil {
			im.sum.NotRegistered++
		} else {
			im.sum.Unchanged++
		}
		return nil
	}
	areaID, ok := im.opts.AreaFor(l.Outcode())
	if !ok {
		im.rejectRow(l, fmt.Sprintf("postcode %s: the district %s is not in any of the council's areas", l.Postcode, l.Outcode()))
		return nil
	}

	// The provider: new, renamed, or as it was.
	p := im.providers[l.ProviderID]
	switch {
	case p == nil && l.ProviderName == "":
		im.rejectRow(l, fmt.Sprintf("provider %s is not known and the records hold no provider record naming it", l.ProviderID))
		return nil
	case p == nil:
		p = &cqcProvider{cqcID: l.ProviderID, name: l.ProviderName}
		im.providers[p.cqcID] = p
		im.newProviders = append(im.newProviders, p)
		im.batchProviders[p.cqcID] = true
	case l.ProviderName != "" && p.name != l.ProviderName && !im.batchProviders[p.cqcID]:
		p.name = l.ProviderName
		im.renamed = append(im.renamed, p)
		im.batchProviders[p.cqcID] = true
	}

	next := &cqcLocation{
		cqcID: l.LocationID, providerCQC: l.ProviderID, name: l.Name, address: l.Address(), town: l.City,
		postcode: l.Postcode, areaID: areaID, beds: l.Beds, rating: l.Rating, ratingDate: l.RatingDate,
		status: cqc.Registered, dormant: l.Dormant, localAuthority: l.LocalAuthority, lat: l.Latitude, lng: l.Longitude,
		services: services,
	}
	if l.Deregistered {
		next.status = cqc.Deregistered
		next.deregisteredAt = l.DeregisteredAt
	}
	// A new location's first rating is its own; history holds changes.
	pl := &pendingLocation{line: l.Line, next: next, old: old, services: true}
	if old != nil {
		next.id, next.createdAt = old.id, old.createdAt
		if !newerRating(old, next) {
			next.rating, next.ratingDate = old.rating, old.ratingDate
		}
		if next.status == cqc.Deregistered && next.deregisteredAt == nil {
			next.deregisteredAt = old.deregisteredAt
		}
		pl.services = !slices.Equal(old.services, next.services)
		pl.rating = old.rating != next.rating || !sameDay(old.ratingDate, next.ratingDate)
		if !pl.services && !pl.rating && sameLocation(old, next, p) {
			im.sum.Unchanged++
			return nil
		}
		switch {
		case old.status == cqc.Registered && next.status == cqc.Deregistered:
			pl.alertKind = cqc.AlertDeregistered
		case pl.rating && next.rating == market.Inadequate && old.rating != market.Inadequate:
			pl.alertKind = cqc.AlertInadequate
		}
	}
	im.batch = append(im.batch, pl)
	return nil
}

// newerRating reports whether next's rating should replace old's: only a
// rating at least as recent does, so importing last month's file after this
// month's does not undo a re-inspection.
func newerRating(old, next *cqcLocation) bool {
	switch {
	case old.rating == next.rating && sameDay(old.ratingDate, next.ratingDate):
		return false
	case next.ratingDate == nil:
		return old.ratingDate == nil
	case old.ratingDate == nil:
		return true
	}
	return !next.ratingDate.Before(*old.ratingDate)
}

func sameDay(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func sameLocation(old, next *cqcLocation, p *cqcProvider) bool {
	return old.providerCQC == next.providerCQC && old.providerID == p.id && old.name == next.name && old.address == next.address &&
		old.town == next.town && old.postcode == next.postcode && old.areaID == next.areaID && old.beds == next.beds &&
		old.status == next.status && sameDay(old.deregisteredAt, next.deregisteredAt) && old.dormant == next.dormant &&
		old.localAuthority == next.localAuthority && sameFloat(old.lat, next.lat) && sameFloat(old.lng, next.lng)
}

type batchResult struct {
	batch                                 []*pendingLocation
	added, updated, ratingChanges, alerts int
	err                                   error
}

// flush hands the current batch to a writer. Its new and renamed providers
// go first, in a short transaction of their own on this goroutine, because
// any later batch may refer to them. The batch's locations, service types,
// rating history and alerts then go in one transaction with one audit
// record, on a writer goroutine, while this one reads on. On PostgreSQL two
// batches are written at once: a server process uses one core, and most of
// an import's cost is the server's index and foreign-key work. SQLite has
// one writer, so it gets one. An empty batch writes nothing, not even an
// audit record: re-importing the same file leaves no trace but its summary.
func (im *cqcImport) flush(ctx context.Context) error {
	if len(im.batch) == 0 && len(im.newProviders) == 0 && len(im.renamed) == 0 {
		im.progress()
		return nil
	}
	if im.inflight == im.writers {
		if err := im.collect(); err != nil {
			return err
		}
	}
	if err := im.writeProviders(ctx); err != nil {
		return err
	}
	for _, pl := range im.batch {
		pl.next.providerID = im.providers[pl.next.providerCQC].id
	}
	batch := im.batch
	im.batch = make([]*pendingLocation, 0, len(batch))
	im.newProviders, im.renamed = im.newProviders[:0], im.renamed[:0]
	clear(im.batchProviders)
	if len(batch) == 0 {
		im.progress()
		return nil
	}
	im.batches++
	n := im.batches
	im.inflight++
	go func() { im.results <- im.writeBatch(ctx, batch, n) }()
	return nil
}

// collect waits for one writer and counts what it wrote.
func (im *cqcImport) collect() error {
	r := <-im.results
	im.inflight--
	if r.err != nil {
		return r.err
	}
	im.sum.Added += r.added
	im.sum.Updated += r.updated
	im.sum.RatingChanges += r.ratingChanges
	im.sum.Alerts += r.alerts
	for _, pl := range r.batch {
		im.locations[pl.next.cqcID] = pl.next
	}
	im.progress()
	return nil
}

// wait collects every writer still at work and returns the first error, so
// nothing is written after the import returns.
func (im *cqcImport) wait() error {
	var first error
	for im.inflight > 0 {
		if err := im.collect(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// writeBatch writes one batch in one transaction with one audit record
// naming what changed. If it fails the batch rolls back whole, and the
// import stops: the batches before it stay written.
func (im *cqcImport) writeBatch(ctx context.Context, batch []*pendingLocation, n int) batchResult {
	res := batchResult{batch: batch}
	var added, updated, ratingChanged []string
	res.err = im.db.updateAs(ctx, im.actor, func(tx *Tx) error {
		if err := im.writeLocations(ctx, tx, batch); err != nil {
			return err
		}
		if err := im.writeServices(ctx, tx, batch); err != nil {
			return err
		}
		alerts, err := im.writeRatings(ctx, tx, batch)
		if err != nil {
			return err
		}
		res.alerts = alerts
		for _, pl := range batch {
			if pl.old == nil {
				added = append(added, pl.next.cqcID)
			} else {
				updated = append(updated, pl.next.cqcID)
			}
			if pl.rating {
				ratingChanged = append(ratingChanged, pl.next.cqcID)
			}
		}
		return tx.audit(ctx, "cqc.import", "cqc_import", int64(n), nil, map[string]any{
			"source": im.source, "batch": n, "added": len(added), "updated": len(updated),
			"rating_changes": len(ratingChanged), "alerts": alerts, "added_ids": added, "updated_ids": updated,
		})
	})
	res.added, res.updated, res.ratingChanges = len(added), len(updated), len(ratingChanged)
	return res
}

func (im *cqcImport) progress() {
	if im.opts.Progress != nil {
		im.opts.Progress(im.sum.Rows)
	}
}

// writeProviders adds the batch's new providers and renames the renamed,
// in a transaction of their own with one audit record.
func (im *cqcImport) writeProviders(ctx context.Context) error {
	if len(im.newProviders) == 0 && len(im.renamed) == 0 {
		return nil
	}
	council := im.actor.CouncilID
	var added, renamed []string
	err := im.db.updateAs(ctx, im.actor, func(tx *Tx) error {
		for chunk := range slices.Chunk(im.newProviders, narrowChunk) {
			args := make([]any, 0, len(chunk)*5)
			for _, p := range chunk {
				args = append(args, council, p.name, p.cqcID, tx.now, tx.now)
				added = append(added, p.cqcID)
			}
			rows, err := im.query(ctx, tx, `INSERT INTO providers (council_id, name, cqc_provider_id, created_at, updated_at) VALUES `+
				values(len(chunk), 5)+` RETURNING id, cqc_provider_id`, args...)
			if err != nil {
				return fmt.Errorf("storage: unable to add providers: %w", err)
			}
			for rows.Next() {
				var id int64
				var cqcID string
				if err := rows.Scan(&id, &cqcID); err != nil {
					rows.Close()
					return fmt.Errorf("storage: unable to add providers: %w", err)
				}
				im.providers[cqcID].id = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("storage: unable to add providers: %w", err)
			}
		}
		// Renames are rare (a takeover, a rebrand): one statement each.
		for _, p := range im.renamed {
			if _, err := tx.ExecContext(ctx, `UPDATE providers SET name = $1, updated_at = $2 WHERE id = $3 AND council_id = $4`,
				p.name, tx.now, p.id, council); err != nil {
				return fmt.Errorf("storage: unable to rename provider %s: %w", p.cqcID, err)
			}
			renamed = append(renamed, p.cqcID)
		}
		return tx.audit(ctx, "cqc.import_providers", "cqc_import", 0, nil, map[string]any{
			"source": im.source, "added": len(added), "renamed": len(renamed), "added_ids": added, "renamed_ids": renamed,
		})
	})
	if err != nil {
		return err
	}
	im.sum.ProvidersAdded += len(added)
	im.sum.ProvidersUpdated += len(renamed)
	return nil
}

const locationUpsert = `INSERT INTO locations (council_id, provider_id, cqc_location_id, name, address, town, postcode, area_id,
	registered_beds, rating, rating_date, status, deregistered_at, dormant, local_authority, latitude, longitude, created_at, updated_at) VALUES `

const locationUpsertTail = ` ON CONFLICT (council_id, cqc_location_id) DO UPDATE SET provider_id = excluded.provider_id,
	name = excluded.name, address = excluded.address, town = excluded.town, postcode = excluded.postcode, area_id = excluded.area_id,
	registered_beds = excluded.registered_beds, rating = excluded.rating, rating_date = excluded.rating_date, status = excluded.status,
	deregistered_at = excluded.deregistered_at, dormant = excluded.dormant, local_authority = excluded.local_authority,
	latitude = excluded.latitude, longitude = excluded.longitude, updated_at = excluded.updated_at
	RETURNING id, cqc_location_id`

// writeLocations inserts new locations and updates changed ones in
// multi-row upserts keyed by the CQC location id.
func (im *cqcImport) writeLocations(ctx context.Context, tx *Tx, batch []*pendingLocation) error {
	// New locations go in with a plain INSERT: PostgreSQL's ON CONFLICT
	// costs a speculative insertion per row, which a first import of
	// 60,000 rows feels.
	var added, changed []*pendingLocation
	for _, pl := range batch {
		if pl.old == nil {
			added = append(added, pl)
		} else {
			changed = append(changed, pl)
		}
	}
	if err := im.upsertLocations(ctx, tx, added, ` RETURNING id, cqc_location_id`); err != nil {
		return err
	}
	return im.upsertLocations(ctx, tx, changed, locationUpsertTail)
}

func (im *cqcImport) upsertLocations(ctx context.Context, tx *Tx, batch []*pendingLocation, tail string) error {
	council := im.actor.CouncilID
	byCQC := make(map[string]*cqcLocation, len(batch))
	for chunk := range slices.Chunk(batch, locationChunk) {
		args := make([]any, 0, len(chunk)*19)
		for _, pl := range chunk {
			l := pl.next
			byCQC[l.cqcID] = l
			var deregAt any
			if l.status == cqc.Deregistered {
				if l.deregisteredAt == nil {
					t := tx.now
					l.deregisteredAt = &t
				}
				deregAt = *l.deregisteredAt
			}
			args = append(args, council, l.providerID, l.cqcID, l.name, l.address, l.town, l.postcode, l.areaID,
				l.beds, string(l.rating), dateOrNil(l.ratingDate), string(l.status), deregAt, l.dormant, l.localAuthority,
				floatOrNil(l.lat), floatOrNil(l.lng), tx.now, tx.now)
		}
		rows, err := im.query(ctx, tx, locationUpsert+values(len(chunk), 19)+tail, args...)
		if err != nil {
			return fmt.Errorf("storage: unable to write locations: %w", err)
		}
		for rows.Next() {
			var id int64
			var cqcID string
			if err := rows.Scan(&id, &cqcID); err != nil {
				rows.Close()
				return fmt.Errorf("storage: unable to write locations: %w", err)
			}
			if l := byCQC[cqcID]; l != nil {
				l.id = id
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("storage: unable to write locations: %w", err)
		}
	}
	return nil
}

func floatOrNil(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// writeServices replaces the service types of the locations whose types
// changed (all of a new location's).
func (im *cqcImport) writeServices(ctx context.Context, tx *Tx, batch []*pendingLocation) error {
	council := im.actor.CouncilID
	var changed []int64
	type svc struct {
		id int64
		st market.ServiceType
	}
	var rows []svc
	for _, pl := range batch {
		if !pl.services {
			continue
		}
		if pl.old != nil {
			changed = append(changed, pl.next.id)
		}
		for _, st := range pl.next.services {
			rows = append(rows, svc{pl.next.id, st})
		}
	}
	for chunk := range slices.Chunk(changed, narrowChunk) {
		args := []any{council}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, tx.db.positional(`DELETE FROM location_services WHERE council_id = $1 AND location_id IN (`+inMarks(2, len(chunk))+`)`), args...); err != nil {
			return fmt.Errorf("storage: unable to clear service types: %w", err)
		}
	}
	for chunk := range slices.Chunk(rows, narrowChunk) {
		args := make([]any, 0, len(chunk)*3)
		for _, r := range chunk {
			args = append(args, r.id, council, string(r.st))
		}
		if err := im.exec(ctx, tx, `INSERT INTO location_services (location_id, council_id, service_type) VALUES `+values(len(chunk), 3), args...); err != nil {
			return fmt.Errorf("storage: unable to add service types: %w", err)
		}
	}
	return nil
}

// writeRatings appends to the rating history each change of rating, and
// raises an alert for each drop to Inadequate and each location that left
// the register. A new location's first rating is not written as history:
// it is the location's own (RatingHistory lists it from there) until it
// first changes, when it goes into the history with the change. That spares
// a first import a row per location (60,000 of them for England).
// It returns how many alerts it raised.
func (im *cqcImport) writeRatings(ctx context.Context, tx *Tx, batch []*pendingLocation) (int, error) {
	council := im.actor.CouncilID
	var history, alerts []*pendingLocation
	for _, pl := range batch {
		if pl.rating {
			history = append(history, pl)
		}
		if pl.alertKind != "" {
			alerts = append(alerts, pl)
		}
	}
	var args []any
	for _, pl := range history {
		if !im.hasHistory[pl.next.id] {
			args = append(args, council, pl.next.id, string(pl.old.rating), "", dateOrNil(pl.old.ratingDate), pl.old.createdAt, firstSeen)
		}
		args = append(args, council, pl.next.id, string(pl.next.rating), string(pl.old.rating), dateOrNil(pl.next.ratingDate), tx.now, im.source)
	}
	for chunk := range slices.Chunk(args, narrowChunk*7) {
		if err := im.exec(ctx, tx, `INSERT INTO location_ratings (council_id, location_id, rating, previous_rating, rating_date, recorded_at, source) VALUES `+
			values(len(chunk)/7, 7), chunk...); err != nil {
			return 0, fmt.Errorf("storage: unable to record rating history: %w", err)
		}
	}
	for chunk := range slices.Chunk(alerts, narrowChunk) {
		args := make([]any, 0, len(chunk)*5)
		for _, pl := range chunk {
			args = append(args, council, pl.next.id, string(pl.alertKind), alertMessage(pl), tx.now)
		}
		if _, err := tx.ExecContext(ctx, tx.db.positional(`INSERT INTO market_alerts (council_id, location_id, kind, message, raised_at) VALUES `+
			values(len(chunk), 5)), args...); err != nil {
			return 0, fmt.Errorf("storage: unable to raise alerts: %w", err)
		}
	}
	return len(alerts), nil
}

func alertMessage(pl *pendingLocation) string {
	if pl.alertKind == cqc.AlertDeregistered {
		return deregisteredMessage(pl.next)
	}
	when := ""
	if pl.next.ratingDate != nil {
		when = " on " + pl.next.ratingDate.Format("2 January 2006")
	}
	return fmt.Sprintf("%s (CQC %s) was rated Inadequate%s; it was %s. It takes no new placements while the rating holds; review the people placed there.",
		pl.next.name, pl.next.cqcID, when, pl.old.rating.Label())
}

func deregisteredMessage(l *cqcLocation) string {
	return fmt.Sprintf("%s (CQC %s) is no longer registered with CQC. It takes no new placements; check on the people placed there.", l.name, l.cqcID)
}

// deregisterMissing marks deregistered the registered locations the file
// does not list: the directory is the whole register, so a location missing
// from it has left. A file with none of the council's locations is taken for
// the wrong file rather than a market that closed overnight.
func (im *cqcImport) deregisterMissing(ctx context.Context) error {
	if im.sum.Added+im.sum.Updated+im.sum.Unchanged == 0 {
		im.sum.DeregistrationSkipped = "the file lists none of the council's locations, so none were marked deregistered"
		return nil
	}
	var gone []*cqcLocation
	for id, l := range im.locations {
		if l.status == cqc.Registered && !im.listed[id] {
			gone = append(gone, l)
		}
	}
	slices.SortFunc(gone, func(a, b *cqcLocation) int { return strings.Compare(a.cqcID, b.cqcID) })
	council := im.actor.CouncilID
	for chunk := range slices.Chunk(gone, im.opts.BatchSize) {
		err := im.db.updateAs(ctx, im.actor, func(tx *Tx) error {
			ids := make([]string, len(chunk))
			for sub := range slices.Chunk(chunk, narrowChunk) {
				args := []any{tx.now, tx.now, council}
				for _, l := range sub {
					args = append(args, l.id)
				}
				if _, err := tx.ExecContext(ctx, tx.db.positional(`UPDATE locations SET status = 'deregistered', deregistered_at = $1, updated_at = $2
					WHERE council_id = $3 AND id IN (`+inMarks(4, len(sub))+`)`), args...); err != nil {
					return fmt.Errorf("storage: unable to deregister locations: %w", err)
				}
				args = make([]any, 0, len(sub)*5)
				for _, l := range sub {
					args = append(args, council, l.id, string(cqc.AlertDeregistered), deregisteredMessage(l), tx.now)
				}
				if _, err := tx.ExecContext(ctx, tx.db.positional(`INSERT INTO market_alerts (council_id, location_id, kind, message, raised_at) VALUES `+
					values(len(sub), 5)), args...); err != nil {
					return fmt.Errorf("storage: unable to raise alerts: %w", err)
				}
			}
			for i, l := range chunk {
				ids[i] = l.cqcID
			}
			return tx.audit(ctx, "cqc.deregister", "cqc_import", 0, nil, map[string]any{
				"source": im.source, "deregistered": len(chunk), "deregistered_ids": ids,
			})
		})
		if err != nil {
			return err
		}
		now := im.db.now()
		for _, l := range chunk {
			l.status, l.deregisteredAt = cqc.Deregistered, &now
		}
		im.sum.Deregistered += len(chunk)
		im.sum.Alerts += len(chunk)
	}
	return nil
}

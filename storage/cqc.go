package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
)

// CQCImportOptions shapes an import of CQC records (see cqc.ImportOptions).
type CQCImportOptions = cqc.ImportOptions

// CQCImportSummary says what an import did (see cqc.ImportSummary).
type CQCImportSummary = cqc.ImportSummary

// DB keeps CQC's register for the server.
var _ cqc.Store = (*DB)(nil)

// ImportDirectory brings the council's market up to date with CQC's HSCA
// Active Locations directory (cqc.DirectoryReader.All gives rows). Providers
// and locations are matched by CQC id and created or updated; a location the
// council holds that is not in the file has left the register and is marked
// deregistered. Re-importing the same file changes nothing.
//
// A row that cannot be used is counted in Rejected with its line and reason;
// it never stops the import. A read error does: the batches written so far
// stay written (each is whole) and the summary says how far it got.
// Admins and commissioners.
func (db *DB) ImportDirectory(ctx context.Context, rows iter.Seq2[*cqc.Location, error], opts CQCImportOptions) (*CQCImportSummary, error) {
	return db.importCQC(ctx, rows, opts, "cqc-directory", true)
}

// ImportAPIRecords applies location records in the shape of CQC's public API
// (cqc.ReadAPI). Unlike the directory, a set of API records is not the whole
// register, so a location missing from it is left alone; a record whose
// registrationStatus is Deregistered marks its location deregistered.
func (db *DB) ImportAPIRecords(ctx context.Context, rows iter.Seq2[*cqc.Location, error], opts CQCImportOptions) (*CQCImportSummary, error) {
	return db.importCQC(ctx, rows, opts, "cqc-api", false)
}

// cqcLocation is a location as the import compares and writes it.
type cqcLocation struct {
	id             int64
	cqcID          string
	providerID     int64
	providerCQC    string
	name           string
	address        string
	town           string
	postcode       string
	areaID         int64
	beds           int
	rating         market.Rating
	ratingDate     *time.Time
	status         cqc.Status
	deregisteredAt *time.Time
	dormant        bool
	localAuthority string
	lat, lng       *float64
	services       []market.ServiceType
	createdAt      time.Time // when caremarket first saw it
}

type cqcProvider struct {
	id    int64
	cqcID string
	name  string
}

// pendingLocation is a row that will be written in the current batch.
type pendingLocation struct {
	line      int
	next      *cqcLocation
	old       *cqcLocation // nil when the location is new
	services  bool         // its service types change
	rating    bool         // its rating changes
	alertKind cqc.AlertKind
}

type cqcImport struct {
	db      *DB
	actor   *caremarket.Actor
	opts    CQCImportOptions
	source  string
	la      string
	sum     *CQCImportSummary
	started time.Time

	providers map[string]*cqcProvider
	locations map[string]*cqcLocation
	// listed holds every location id the file names, rejected rows
	// included, so a row that could not be read this time is not taken
	// for a location that has left the register.
	listed map[string]bool
	// firstLine is where each location id was first seen, to name the
	// earlier line when a file lists a location twice.
	firstLine map[string]int
	// hasHistory holds the locations with rating history rows (filled by
	// preload, only read after).
	hasHistory map[int64]bool

	// stmts holds the bulk statements prepared once for the whole import:
	// SQLite would otherwise parse a 9,500-parameter statement per chunk.
	stmts   map[string]*sql.Stmt
	stmtsMu sync.Mutex

	writers  int // batches written at once
	inflight int
	results  chan batchResult

	batch          []*pendingLocation
	newProviders   []*cqcProvider
	renamed        []*cqcProvider
	batchProviders map[string]bool
	batches        int
}

// canImportCQC are the roles that load the market from CQC.
var canImportCQC = canManageMarket

func (db *DB) importCQC(ctx context.Context, rows iter.Seq2[*cqc.Location, error], opts CQCImportOptions, mode string, deregisterMissing bool) (*CQCImportSummary, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(canImportCQC...); err != nil {
		return nil, err
	}
	if opts.AreaFor == nil {
		return nil, caremarket.Errorf(caremarket.EINVALID, "The import needs a table of postcode districts for the council's areas")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 5000
	}
	im := &cqcImport{
		db: db, actor: actor, opts: opts, la: opts.LocalAuthority,
		sum: &CQCImportSummary{Rejections: []*cqc.RowError{}}, started: time.Now(),
		listed: map[string]bool{}, firstLine: map[string]int{}, batchProviders: map[string]bool{},
		stmts: map[string]*sql.Stmt{}, writers: 1,
	}
	if db.dialect.name == "postgres" {
		im.writers = 2
	}
	im.results = make(chan batchResult, im.writers)
	defer func() {
		for _, st := range im.stmts {
			st.Close()
		}
	}()
	im.source = mode
	if opts.Source != "" {
		im.source += " " + opts.Source
	}
	if im.la == "" {
		var name string
		if err := db.sql.QueryRowContext(ctx, `SELECT name FROM councils WHERE id = $1`, actor.CouncilID).Scan(&name); err != nil {
			return nil, fmt.Errorf("storage: unable to read council name: %w", err)
		}
		im.la = cqc.LocalAuthorityName(name)
	}
	// Reading and parsing the file runs on its own goroutine, so it
	// overlaps the preload and the writes instead of adding to them.
	items, stop := readAhead(rows)
	defer stop()
	if err := im.preload(ctx); err != nil {
		return nil, err
	}
	finish := func(err error) (*CQCImportSummary, error) {
		if werr := im.wait(); err == nil {
			err = werr
		}
		im.sum.Elapsed = time.Since(im.started)
		return im.sum, err
	}
	for it := range items {
		l, rowErr := it.loc, it.err
		if rowErr != nil {
			var re *cqc.RowError
			if !errors.As(rowErr, &re) {
				if err := im.flush(ctx); err != nil {
					return finish(err)
				}
				return finish(fmt.Errorf("storage: unable to read CQC records: %w", rowErr))
			}
			im.sum.Rows++
			if re.LocationID != "" {
				im.listed[re.LocationID] = true
			}
			im.reject(re)
			continue
		}
		im.sum.Rows++
		if err := im.add(l); err != nil {
			return finish(err)
		}
		if len(im.batch) >= opts.BatchSize || len(im.newProviders) >= opts.BatchSize {
			if err := im.flush(ctx); err != nil {
				return finish(err)
			}
		}
	}
	if err := im.flush(ctx); err != nil {
		return finish(err)
	}
	if err := im.wait(); err != nil {
		return finish(err)
	}
	if deregisterMissing && !opts.KeepMissing {
		if err := im.deregisterMissing(ctx); err != nil {
			return finish(err)
		}
	}
	if opts.Progress != nil {
		opts.Progress(im.sum.Rows)
	}
	return finish(nil)
}

type readItem struct {
	loc *cqc.Location
	err error
}

// readAhead ranges over rows on a goroutine of its own, handing them on in
// slices of 256. stop ends the goroutine early and waits for it, so the
// source is not read after the import returns.
func readAhead(rows iter.Seq2[*cqc.Location, error]) (iter.Seq[readItem], func()) {
	ch := make(chan []readItem, 8)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		buf := make([]readItem, 0, 256)
		for l, err := range rows {
			buf = append(buf, readItem{l, err})
			if len(buf) == cap(buf) {
				select {
				case ch <- buf:
				case <-done:
					return
				}
				buf = make([]readItem, 0, 256)
			}
		}
		if len(buf) > 0 {
			select {
			case ch <- buf:
			case <-done:
			}
		}
	}()
	seq := func(yield func(readItem) bool) {
		for buf := range ch {
			for _, it := range buf {
				if !yield(it) {
					return
				}
			}
		}
	}
	var once bool
	stop := func() {
		if once {
			return
		}
		once = true
		close(done)
		for range ch { // wait for the reader to finish
		}
	}
	return seq, stop
}

// stmt returns the import's prepared statement for q, in tx.
func (im *cqcImport) stmt(ctx context.Context, tx *Tx, q string) (*sql.Stmt, error) {
	q = im.db.positional(q)
	im.stmtsMu.Lock()
	st, ok := im.stmts[q]
	if !ok {
		var err error
		if st, err = im.db.sql.PrepareContext(ctx, q); err != nil {
			im.stmtsMu.Unlock()
			return nil, err
		}
		im.stmts[q] = st
	}
	im.stmtsMu.Unlock()
	return tx.StmtContext(ctx, st), nil
}

func (im *cqcImport) exec(ctx context.Context, tx *Tx, q string, args ...any) error {
	st, err := im.stmt(ctx, tx, q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

func (im *cqcImport) query(ctx context.Context, tx *Tx, q string, args ...any) (*sql.Rows, error) {
	st, err := im.stmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (im *cqcImport) reject(e *cqc.RowError) {
	im.sum.Rejected++
	im.sum.Rejections = append(im.sum.Rejections, e)
}

func (im *cqcImport) rejectRow(l *cqc.Location, reason string) {
	im.reject(&cqc.RowError{Line: l.Line, File: l.File, LocationID: l.LocationID, Reason: reason})
}

// preload reads the council's CQC providers and locations into memory once,
// so each row is compared in Go instead of costing a query.
func (im *cqcImport) preload(ctx context.Context) error {
	db, council := im.db, im.actor.CouncilID
	im.providers = map[string]*cqcProvider{}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, cqc_provider_id, name FROM providers WHERE council_id = $1 AND cqc_provider_id <> ''`, council)
	if err != nil {
		return fmt.Errorf("storage: unable to load providers: %w", err)
	}
	for rows.Next() {
		p := &cqcProvider{}
		if err := rows.Scan(&p.id, &p.cqcID, &p.name); err != nil {
			rows.Close()
			return fmt.Errorf("storage: unable to load providers: %w", err)
		}
		im.providers[p.cqcID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: unable to load providers: %w", err)
	}

	im.locations = map[string]*cqcLocation{}
	byID := map[int64]*cqcLocation{}
	rows, err = db.sql.QueryContext(ctx, `SELECT l.id, l.cqc_location_id, l.provider_id, p.cqc_provider_id, l.name, l.address, l.town,
		l.postcode, l.area_id, l.registered_beds, l.rating, l.rating_date, l.status, l.deregistered_at, l.dormant, l.local_authority,
		l.latitude, l.longitude, l.created_at
		FROM locations l JOIN providers p ON p.id = l.provider_id WHERE l.council_id = $1`, council)
	if err != nil {
		return fmt.Errorf("storage: unable to load locations: %w", err)
	}
	for rows.Next() {
		l := &cqcLocation{}
		var ratingDate, deregAt sql.NullTime
		var lat, lng sql.NullFloat64
		if err := rows.Scan(&l.id, &l.cqcID, &l.providerID, &l.providerCQC, &l.name, &l.address, &l.town, &l.postcode, &l.areaID,
			&l.beds, &l.rating, &ratingDate, &l.status, &deregAt, &l.dormant, &l.localAuthority, &lat, &lng, &l.createdAt); err != nil {
			rows.Close()
			return fmt.Errorf("storage: unable to load locations: %w", err)
		}
		l.ratingDate = dayOf(ratingDate)
		if deregAt.Valid {
			t := deregAt.Time.UTC()
			l.deregisteredAt = &t
		}
		if lat.Valid {
			l.lat = &lat.Float64
		}
		if lng.Valid {
			l.lng = &lng.Float64
		}
		im.locations[l.cqcID] = l
		byID[l.id] = l
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: unable to load locations: %w", err)
	}

	im.hasHistory = map[int64]bool{}
	rows, err = db.sql.QueryContext(ctx, `SELECT DISTINCT location_id FROM location_ratings WHERE council_id = $1`, council)
	if err != nil {
		return fmt.Errorf("storage: unable to load rating history: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("storage: unable to load rating history: %w", err)
		}
		im.hasHistory[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: unable to load rating history: %w", err)
	}

	rows, err = db.sql.QueryContext(ctx, `SELECT location_id, service_type FROM location_services WHERE council_id = $1`, council)
	if err != nil {
		return fmt.Errorf("storage: unable to load service types: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st market.ServiceType
		if err := rows.Scan(&id, &st); err != nil {
			return fmt.Errorf("storage: unable to load service types: %w", err)
		}
		if l := byID[id]; l != nil {
			l.services = append(l.services, st)
		}
	}
	for _, l := range byID {
		sortServices(l.services)
	}
	return rows.Err()
}

func dayOf(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	d := time.Date(t.Time.Year(), t.Time.Month(), t.Time.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// sortServices puts service types in the UI's order, so two sets compare
// equal whatever order they were read in.
func sortServices(s []market.ServiceType) {
	slices.SortFunc(s, func(a, b market.ServiceType) int {
		return slices.Index(market.ServiceTypes, a) - slices.Index(market.ServiceTypes, b)
	})
}

// add decides what one record means for the council: skip, reject, or a
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

// Parameter limits: SQLite allows 32,766 per statement and PostgreSQL
// 65,535; chunks stay well under both.
const (
	locationChunk = 500  // 19 columns
	narrowChunk   = 2000 // 3 to 7 columns
)

// values renders "($1, $2, ...), (...)" for rows of cols parameters.
func values(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 5)
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// positional rewrites a bulk statement's $1, $2, ... as SQLite's anonymous
// "?" placeholders. SQLite treats "$N" as a named parameter and looks each
// one up in a list, so a statement with thousands of them costs time
// quadratic in their number (a 60,000-row import took two minutes); "?" is
// numbered as it is parsed and costs nothing. It needs each $N used once,
// in order; a statement that is not like that is left as it is.
func (db *DB) positional(q string) string {
	if db.dialect.name != "sqlite" {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	want := 1
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(q[i+1 : j]); err != nil || n != want {
			return q
		}
		want++
		b.WriteByte('?')
		i = j - 1
	}
	return b.String()
}

// batchResult is what a writer reports back about a batch.
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
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args = append(args, id)
			marks[i] = "$" + strconv.Itoa(i+2)
		}
		if _, err := tx.ExecContext(ctx, tx.db.positional(`DELETE FROM location_services WHERE council_id = $1 AND location_id IN (`+strings.Join(marks, ", ")+`)`), args...); err != nil {
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
				marks := make([]string, len(sub))
				for i, l := range sub {
					args = append(args, l.id)
					marks[i] = "$" + strconv.Itoa(i+4)
				}
				if _, err := tx.ExecContext(ctx, tx.db.positional(`UPDATE locations SET status = 'deregistered', deregistered_at = $1, updated_at = $2
					WHERE council_id = $3 AND id IN (`+strings.Join(marks, ", ")+`)`), args...); err != nil {
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

// AreaLookup builds CQCImportOptions.AreaFor from the council's areas and a
// table of which district each postcode district is in (the demo ships one
// for Kent). Districts match the council's areas by name or code, ignoring case.
func (db *DB) AreaLookup(ctx context.Context, districtFor func(outcode string) (district string, ok bool)) (func(outcode string) (int64, bool), error) {
	areas, err := db.ListAreas(ctx)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]int64, 2*len(areas))
	for _, a := range areas {
		byName[strings.ToLower(a.Name)] = a.ID
		byName[strings.ToLower(a.Code)] = a.ID
	}
	return func(outcode string) (int64, bool) {
		d, ok := districtFor(strings.ToUpper(strings.TrimSpace(outcode)))
		if !ok {
			return 0, false
		}
		id, ok := byName[strings.ToLower(strings.TrimSpace(d))]
		return id, ok
	}, nil
}

// placeableSQL is the condition (on locations aliased l) that a location may
// take new placements; brokerage queries use it so the rule lives in one
// place. It mirrors cqc.Registration.PlacementBlock.
const placeableSQL = `(l.status = 'registered' AND l.rating <> 'inadequate' AND NOT l.dormant)`

// LocationRegistration returns what CQC says of a location: registered or
// not, dormant, its rating. A provider user sees only its own.
func (db *DB) LocationRegistration(ctx context.Context, locationID int64) (*cqc.Registration, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	r := &cqc.Registration{}
	var providerID int64
	var ratingDate, deregAt sql.NullTime
	var lat, lng sql.NullFloat64
	err = db.sql.QueryRowContext(ctx, `SELECT id, cqc_location_id, provider_id, status, deregistered_at, dormant, local_authority,
		latitude, longitude, rating, rating_date FROM locations WHERE id = $1 AND council_id = $2`, locationID, actor.CouncilID).
		Scan(&r.LocationID, &r.CQCLocationID, &providerID, &r.Status, &deregAt, &r.Dormant, &r.LocalAuthority, &lat, &lng, &r.Rating, &ratingDate)
	if err != nil {
		return nil, notFound(err, "Location")
	}
	if actor.Role == caremarket.RoleProvider && providerID != actor.ProviderID {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Location not found")
	}
	r.RatingDate = dayOf(ratingDate)
	if deregAt.Valid {
		t := deregAt.Time.UTC()
		r.DeregisteredAt = &t
	}
	if lat.Valid {
		r.Latitude = &lat.Float64
	}
	if lng.Valid {
		r.Longitude = &lng.Float64
	}
	return r, nil
}

// PlacementBlocked reports whether a location may take no new placements and
// why (see cqc.Registration.PlacementBlock). The brokerage cascade asks it.
func (db *DB) PlacementBlocked(ctx context.Context, locationID int64) (bool, string, error) {
	r, err := db.LocationRegistration(ctx, locationID)
	if err != nil {
		return false, "", err
	}
	reason := r.PlacementBlock()
	return reason != "", reason, nil
}

// LocationStatuses says whether each of the given locations (of the
// actor's council; for a provider user, its own) is registered with CQC.
// Locations it may not see are left out.
func (db *DB) LocationStatuses(ctx context.Context, locationIDs []int64) (map[int64]cqc.Status, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]cqc.Status, len(locationIDs))
	for chunk := range slices.Chunk(locationIDs, narrowChunk) {
		args := []any{actor.CouncilID}
		cond := ""
		if actor.Role == caremarket.RoleProvider {
			args = append(args, actor.ProviderID)
			cond = " AND provider_id = $2"
		}
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args = append(args, id)
			marks[i] = "$" + strconv.Itoa(len(args))
		}
		rows, err := db.sql.QueryContext(ctx, `SELECT id, status FROM locations WHERE council_id = $1`+cond+
			` AND id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("storage: unable to read registration: %w", err)
		}
		for rows.Next() {
			var id int64
			var st cqc.Status
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return nil, fmt.Errorf("storage: unable to read registration: %w", err)
			}
			out[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("storage: unable to read registration: %w", err)
		}
	}
	return out, nil
}

// firstSeen is the source of the rating a location had when caremarket
// first saw it.
const firstSeen = "first seen"

// RatingHistory lists every rating a location has had since caremarket
// first saw it, newest first; the oldest is the one it had then (source
// "first seen"; ID 0 while it has never changed).
func (db *DB) RatingHistory(ctx context.Context, locationID int64) ([]cqc.RatingChange, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	loc, err := db.location(ctx, db.sql, actor, locationID, "")
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, rating, previous_rating, rating_date, recorded_at, source
		FROM location_ratings WHERE council_id = $1 AND location_id = $2 ORDER BY recorded_at DESC, id DESC`, actor.CouncilID, locationID)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to read rating history: %w", err)
	}
	defer rows.Close()
	out := []cqc.RatingChange{}
	for rows.Next() {
		c := cqc.RatingChange{LocationID: locationID}
		var d sql.NullTime
		if err := rows.Scan(&c.ID, &c.Rating, &c.Previous, &d, &c.RecordedAt, &c.Source); err != nil {
			return nil, fmt.Errorf("storage: unable to read rating history: %w", err)
		}
		c.RatingDate = dayOf(d)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: unable to read rating history: %w", err)
	}
	if len(out) == 0 {
		out = append(out, cqc.RatingChange{LocationID: locationID, Rating: loc.Rating, RatingDate: loc.RatingDate,
			RecordedAt: loc.CreatedAt, Source: firstSeen})
	}
	return out, nil
}

// canSeeAlerts: the council staff who act on the market's news.
var canSeeAlerts = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner, caremarket.RoleBroker}

// ListAlerts lists the council's market alerts, newest first; openOnly leaves
// out those already acknowledged.
func (db *DB) ListAlerts(ctx context.Context, openOnly bool) ([]cqc.Alert, error) {
	cond := ""
	if openOnly {
		cond = " AND a.acknowledged_at IS NULL"
	}
	return db.alerts(ctx, cond)
}

// Alert returns one of the council's market alerts.
func (db *DB) Alert(ctx context.Context, id int64) (*cqc.Alert, error) {
	out, err := db.alerts(ctx, " AND a.id = $2", id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Alert not found")
	}
	return &out[0], nil
}

// alerts lists the council's alerts that meet cond (on market_alerts a;
// its arguments from $2).
func (db *DB) alerts(ctx context.Context, cond string, args ...any) ([]cqc.Alert, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(canSeeAlerts...); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT a.id, COALESCE(a.location_id, 0), COALESCE(l.name, ''), COALESCE(l.cqc_location_id, ''),
		a.kind, a.message, a.raised_at, a.acknowledged_by, a.acknowledged_at
		FROM market_alerts a LEFT JOIN locations l ON l.id = a.location_id
		WHERE a.council_id = $1`+cond+` ORDER BY a.id DESC LIMIT 500`, append([]any{actor.CouncilID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to list alerts: %w", err)
	}
	defer rows.Close()
	out := []cqc.Alert{}
	for rows.Next() {
		var a cqc.Alert
		var ack sql.NullTime
		if err := rows.Scan(&a.ID, &a.LocationID, &a.LocationName, &a.CQCLocationID, &a.Kind, &a.Message, &a.RaisedAt, &a.AcknowledgedBy, &ack); err != nil {
			return nil, fmt.Errorf("storage: unable to list alerts: %w", err)
		}
		if ack.Valid {
			t := ack.Time.UTC()
			a.AcknowledgedAt = &t
		}
		a.RaisedAt = a.RaisedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// AcknowledgeAlert records that a commissioner has seen an alert and is
// acting on it. Admins and commissioners.
func (db *DB) AcknowledgeAlert(ctx context.Context, id int64) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canManageMarket...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE market_alerts SET acknowledged_by = $1, acknowledged_at = $2
			WHERE id = $3 AND council_id = $4 AND acknowledged_at IS NULL`, tx.actor.Email, tx.now, id, tx.actor.CouncilID)
		if err != nil {
			return fmt.Errorf("storage: unable to acknowledge alert: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return caremarket.Errorf(caremarket.ENOTFOUND, "Alert not found, or already acknowledged")
		}
		return tx.audit(ctx, "alert.acknowledge", "market_alert", id, nil, nil)
	})
}

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
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canUpdateVacancies...); err != nil {
			return err
		}
		council := tx.actor.CouncilID
		type loc struct {
			id       int64
			provider int64
			status   string
			services []market.ServiceType
		}
		byID, byCQC := map[int64]*loc{}, map[string]*loc{}
		var ids []any
		var cqcIDs []any
		for _, r := range rows {
			if r.LocationID != 0 {
				ids = append(ids, r.LocationID)
			} else {
				cqcIDs = append(cqcIDs, r.CQCLocationID)
			}
		}
		load := func(column string, keys []any) error {
			for chunk := range slices.Chunk(keys, narrowChunk) {
				args := append([]any{council}, chunk...)
				marks := make([]string, len(chunk))
				for i := range chunk {
					marks[i] = "$" + strconv.Itoa(i+2)
				}
				q, err := tx.QueryContext(ctx, tx.db.positional(`SELECT id, cqc_location_id, provider_id, status FROM locations
					WHERE council_id = $1 AND `+column+` IN (`+strings.Join(marks, ", ")+`)`), args...)
				if err != nil {
					return fmt.Errorf("storage: unable to find locations: %w", err)
				}
				for q.Next() {
					l := &loc{}
					var cqcID string
					if err := q.Scan(&l.id, &cqcID, &l.provider, &l.status); err != nil {
						q.Close()
						return fmt.Errorf("storage: unable to find locations: %w", err)
					}
					if old, ok := byID[l.id]; ok {
						l = old
					}
					byID[l.id], byCQC[cqcID] = l, l
				}
				q.Close()
				if err := q.Err(); err != nil {
					return fmt.Errorf("storage: unable to find locations: %w", err)
				}
			}
			return nil
		}
		if err := load("id", ids); err != nil {
			return err
		}
		if err := load("cqc_location_id", cqcIDs); err != nil {
			return err
		}
		var locIDs []any
		for id := range byID {
			locIDs = append(locIDs, id)
		}
		for chunk := range slices.Chunk(locIDs, narrowChunk) {
			args := append([]any{council}, chunk...)
			marks := make([]string, len(chunk))
			for i := range chunk {
				marks[i] = "$" + strconv.Itoa(i+2)
			}
			q, err := tx.QueryContext(ctx, tx.db.positional(`SELECT location_id, service_type FROM location_services
				WHERE council_id = $1 AND location_id IN (`+strings.Join(marks, ", ")+`)`), args...)
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
				byID[id].services = append(byID[id].services, st)
			}
			q.Close()
			if err := q.Err(); err != nil {
				return fmt.Errorf("storage: unable to read service types: %w", err)
			}
		}

		args := make([]any, 0, len(rows)*6)
		var summary []map[string]any
		// One figure per location and service type: a file may name a
		// location by both ids, and an upsert may not touch a row twice.
		type key struct {
			id int64
			st market.ServiceType
		}
		seen := map[key]int{}
		for _, r := range rows {
			name := r.CQCLocationID
			l := byCQC[r.CQCLocationID]
			if r.LocationID != 0 {
				l, name = byID[r.LocationID], strconv.FormatInt(r.LocationID, 10)
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
				args = append(args, l.id, council, string(r.ServiceType), r.Vacancies, tx.now, tx.actor.Email)
				summary = append(summary, map[string]any{"location_id": l.id, "service_type": r.ServiceType, "vacancies": r.Vacancies})
			}
		}
		if len(lineErrs) > 0 {
			return caremarket.Errorf(caremarket.EINVALID, "%d of the file's %d lines have problems; no vacancies were saved", len(lineErrs), len(rows))
		}
		for chunk := range slices.Chunk(args, narrowChunk*6) {
			if _, err := tx.ExecContext(ctx, tx.db.positional(`INSERT INTO vacancies (location_id, council_id, service_type, vacancies, updated_at, updated_by) VALUES `+
				values(len(chunk)/6, 6)+` ON CONFLICT (location_id, service_type) DO UPDATE SET vacancies = excluded.vacancies,
				updated_at = excluded.updated_at, updated_by = excluded.updated_by`), chunk...); err != nil {
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

package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
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
	actor, err := actorRequire(ctx, canImportCQC...)
	if err != nil {
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
		stmts: map[string]*sql.Stmt{}, writers: db.dialect.importWriters,
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
		l.deregisteredAt, l.lat, l.lng = ptrTime(deregAt), floatOf(lat), floatOf(lng)
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
// batchResult is what a writer reports back about a batch.

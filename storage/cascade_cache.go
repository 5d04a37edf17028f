package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
)

// The cascade's cache: what changes rarely, kept in memory per council.
//
//   - the register as the cascade sees it: every location offering a
//     service type, with its provider, area, postcode, rating and CQC status;
//   - areas' neighbours;
//   - lots of agreements (with their dates) and the awards on them;
//   - the contracted price history per service type and need band;
//   - postcode district centroids.
//
// It is invalidated through the database, not by the server that wrote:
// one row, cache_versions 'cascade', is bumped by triggers in the same
// transaction as any change to those tables (migration 060), and every
// cascade reads it first (one primary-key read). A server whose cached
// version differs reloads what it needs. So two servers on one PostgreSQL
// stay correct, and no write path anywhere has to remember to invalidate.
// What changes by the minute (vacancies, serious concerns, offers already
// tried) is read fresh on every cascade.
//
// A reader reads the version before the data: a change committed in
// between leaves newer data under the older version, which the next request
// reloads; data older than its version is never kept.

type cascadeCache struct {
	mu       sync.Mutex
	councils map[int64]*councilCache
}

type councilCache struct {
	mu         sync.Mutex
	version    int64
	neighbours map[int64][]int64
	lots       []cachedLot
	awards     map[int64][]cachedAward // by lot
	services   map[market.ServiceType][]*cachedLocation
	prices     map[priceKey]map[int64][]pricePoint
	centroids  map[string]brokerage.Centroid
	loaded     map[string]bool // which of the lazy parts are loaded
	admissions map[admissionKey]map[int64][]brokerage.Admission
	plans      map[planKey]*cascadePlan
	// q is what the loaders read through while the lock is held: the
	// holder's own connection or transaction (cascadeCacheFor).
	q queryer
}

type cachedLot struct {
	brokerage.Lot
	start, end string // YYYY-MM-DD
}

type cachedAward struct {
	provider   int64
	score      int
	start, end string // the award's agreement
}

type cachedLocation struct {
	id, provider, area           int64
	name, providerName, areaName string
	postcode, outcode            string
	rating                       market.Rating
	blocked                      string
}

type priceKey struct {
	st   market.ServiceType
	band string
}

type pricePoint struct {
	from  string // YYYY-MM-DD
	pence int64
}

type admissionKey struct {
	st  market.ServiceType
	day string
}

// council returns the council's cache, current with the database's
// version (read through q, so inside a transaction it is the
// transaction's view), locked, and the function that unlocks it.
//
// Whoever holds a cache's lock never waits for a connection from the pool:
// a transaction holding one of the pool's few connections may be waiting
// for the lock, and with every connection so held the holder would wait
// for ever. So a reader outside a transaction takes its connection before
// the lock, and a transaction loads through itself.
func (db *DB) cascadeCacheFor(ctx context.Context, q queryer, council int64) (*councilCache, func(), error) {
	through, release := q, func() {}
	if pool, ok := q.(*sql.DB); ok {
		conn, err := pool.Conn(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("storage: connect: %w", err)
		}
		through, release = conn, func() { conn.Close() }
	}
	var version int64
	if err := through.QueryRowContext(ctx, `SELECT version FROM cache_versions WHERE name = 'cascade'`).Scan(&version); err != nil {
		release()
		return nil, nil, fmt.Errorf("storage: read cache version: %w", err)
	}
	db.cache.mu.Lock()
	if db.cache.councils == nil {
		db.cache.councils = map[int64]*councilCache{}
	}
	c := db.cache.councils[council]
	if c == nil {
		c = &councilCache{}
		db.cache.councils[council] = c
	}
	db.cache.mu.Unlock()
	c.mu.Lock()
	if c.version != version || c.loaded == nil {
		if _, inTx := q.(*Tx); inTx {
			// A transaction may hold changes of its own to what is cached,
			// under a version not yet committed: it reads through itself
			// into a private cache that is dropped with it.
			c.mu.Unlock()
			c = &councilCache{}
			c.mu.Lock()
		}
		c.reset(version)
	}
	c.q = through
	return c, func() { c.mu.Unlock(); release() }, nil
}

// reset empties the cache (its lock held) for version.
func (c *councilCache) reset(version int64) {
	c.version, c.loaded = version, map[string]bool{}
	c.neighbours, c.lots, c.awards, c.centroids = nil, nil, nil, nil
	c.services = map[market.ServiceType][]*cachedLocation{}
	c.prices = map[priceKey]map[int64][]pricePoint{}
	c.admissions = map[admissionKey]map[int64][]brokerage.Admission{}
	c.plans = map[planKey]*cascadePlan{}
}

// InvalidateCascadeCache drops every council's cached cascade data (tests
// that change the database below the API use it; triggers cover the rest).
func (db *DB) InvalidateCascadeCache() {
	db.cache.mu.Lock()
	db.cache.councils = nil
	db.cache.mu.Unlock()
}

// ensure loads the named part once per version.
func (c *councilCache) ensure(name string, load func() error) error {
	if c.loaded[name] {
		return nil
	}
	if err := load(); err != nil {
		return err
	}
	c.loaded[name] = true
	return nil
}

func (db *DB) cacheNeighbours(ctx context.Context, c *councilCache, council int64) error {
	return c.ensure("neighbours", func() error {
		c.neighbours = map[int64][]int64{}
		rows, err := c.q.QueryContext(ctx, `SELECT area_id, neighbour_id FROM area_borders WHERE council_id = $1 ORDER BY area_id, neighbour_id`, council)
		if err != nil {
			return fmt.Errorf("storage: read neighbours: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a, n int64
			if err := rows.Scan(&a, &n); err != nil {
				return err
			}
			c.neighbours[a] = append(c.neighbours[a], n)
		}
		return rows.Err()
	})
}

// cacheLots loads the lots of framework agreements and block contracts,
// most recent agreement first (the first lot covering a stage rules its
// order), and the awards on them.
func (db *DB) cacheLots(ctx context.Context, c *councilCache, council int64) error {
	return c.ensure("lots", func() error {
		c.lots, c.awards = nil, map[int64][]cachedAward{}
		rows, err := c.q.QueryContext(ctx, `SELECT l.id, l.agreement_id, ag.reference, l.number, l.title, l.service_types, l.area_ids, l.call_off, l.ranking,
			ag.start_date, ag.end_date
			FROM lots l JOIN agreements ag ON ag.id = l.agreement_id
			WHERE l.council_id = $1 AND ag.type IN ('dps', 'open_framework', 'closed_framework', 'block_contract')
			ORDER BY ag.start_date DESC, ag.id DESC, l.number`, council)
		if err != nil {
			return fmt.Errorf("storage: read lots: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var l cachedLot
			var sts, areas, ranking string
			var start, end sql.NullTime
			var s, e = &start.Time, &end.Time
			if err := rows.Scan(&l.ID, &l.AgreementID, &l.AgreementRef, &l.Number, &l.Title, &sts, &areas, &l.CallOff, &ranking,
				scanDay{s}, scanDay{e}); err != nil {
				return err
			}
			if fromJSON(sts, &l.ServiceTypes) != nil || fromJSON(areas, &l.AreaIDs) != nil || fromJSON(ranking, &l.Ranking) != nil {
				return fmt.Errorf("storage: lot %d lists", l.ID)
			}
			l.start, l.end = ymd(*s), ymd(*e)
			c.lots = append(c.lots, l)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		rows, err = c.q.QueryContext(ctx, `SELECT aw.lot_id, aw.provider_id, aw.score, ag.start_date, ag.end_date
			FROM awards aw JOIN agreements ag ON ag.id = aw.agreement_id WHERE aw.council_id = $1 ORDER BY aw.id`, council)
		if err != nil {
			return fmt.Errorf("storage: read awards: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var lot int64
			var a cachedAward
			var s, e sql.NullTime
			if err := rows.Scan(&lot, &a.provider, &a.score, scanDay{&s.Time}, scanDay{&e.Time}); err != nil {
				return err
			}
			a.start, a.end = ymd(s.Time), ymd(e.Time)
			c.awards[lot] = append(c.awards[lot], a)
		}
		return rows.Err()
	})
}

// lotsInForce are the lots in force on day that buy st, and each
// provider's admissions on them.
func (c *councilCache) lotsInForce(st market.ServiceType, day string) ([]brokerage.Lot, map[int64][]brokerage.Admission) {
	var lots []brokerage.Lot
	for _, l := range c.lots {
		if l.start <= day && l.end >= day && slices.Contains(l.ServiceTypes, st) {
			lots = append(lots, l.Lot)
		}
	}
	key := admissionKey{st, day}
	adm, ok := c.admissions[key]
	if !ok {
		adm = map[int64][]brokerage.Admission{}
		for _, l := range lots {
			for _, a := range c.awards[l.ID] {
				if a.start <= day && a.end >= day {
					adm[a.provider] = append(adm[a.provider], brokerage.Admission{LotID: l.ID, Quality: a.score})
				}
			}
		}
		if len(c.admissions) > 64 {
			clear(c.admissions)
		}
		c.admissions[key] = adm
	}
	return lots, adm
}

// cacheService loads every location offering st, in location order.
func (db *DB) cacheService(ctx context.Context, c *councilCache, council int64, st market.ServiceType) error {
	return c.ensure("service:"+string(st), func() error {
		rows, err := c.q.QueryContext(ctx, `SELECT l.id, l.name, l.provider_id, p.name, l.area_id, a.name, l.postcode, l.rating, l.status, l.dormant,
			`+placeableSQL+`
			FROM location_services s
			JOIN locations l ON l.id = s.location_id
			JOIN providers p ON p.id = l.provider_id
			JOIN areas a ON a.id = l.area_id
			WHERE s.council_id = $1 AND s.service_type = $2 ORDER BY l.id`, council, string(st))
		if err != nil {
			return fmt.Errorf("storage: read locations: %w", err)
		}
		defer rows.Close()
		var out []*cachedLocation
		for rows.Next() {
			l := &cachedLocation{}
			var status string
			var dormant, placeable bool
			if err := rows.Scan(&l.id, &l.name, &l.provider, &l.providerName, &l.area, &l.areaName, &l.postcode, &l.rating, &status, &dormant, &placeable); err != nil {
				return fmt.Errorf("storage: scan location: %w", err)
			}
			l.outcode = market.Outcode(l.postcode)
			reg := cqc.Registration{Status: cqc.Status(status), Dormant: dormant, Rating: l.rating}
			// CQC's rule, in the words of cqc.Registration; placeableSQL is the
			// same rule in SQL and backs it up.
			if l.blocked = reg.PlacementBlock(); l.blocked == "" && !placeable {
				l.blocked = "CQC's register says it may take no new placements"
			}
			out = append(out, l)
		}
		c.services[st] = out
		return rows.Err()
	})
}

// priceOf is the contracted price in force on day (0: none agreed).
func (c *councilCache) priceOf(prices map[int64][]pricePoint, location int64, day string) int64 {
	pts := prices[location]
	i, _ := slices.BinarySearchFunc(pts, day, func(p pricePoint, d string) int {
		if p.from <= d {
			return -1
		}
		return 1
	})
	if i == 0 {
		return 0
	}
	return pts[i-1].pence
}

// cachePrices loads the contracted price history of st and band, each
// location's in date order (ties: the later row wins, as in the price
// tables' own reading).
func (db *DB) cachePrices(ctx context.Context, c *councilCache, council int64, st market.ServiceType, band string) (map[int64][]pricePoint, error) {
	k := priceKey{st, band}
	err := c.ensure("prices:"+string(st)+":"+band, func() error {
		rows, err := c.q.QueryContext(ctx, `SELECT location_id, effective_from, price_pence FROM contracted_prices
			WHERE council_id = $1 AND service_type = $2 AND band = $3 ORDER BY location_id, effective_from, id`, council, string(st), band)
		if err != nil {
			return fmt.Errorf("storage: read contracted prices: %w", err)
		}
		defer rows.Close()
		m := map[int64][]pricePoint{}
		for rows.Next() {
			var loc, pence int64
			var from sql.NullTime
			if err := rows.Scan(&loc, scanDay{&from.Time}, &pence); err != nil {
				return err
			}
			pts := m[loc]
			d := ymd(from.Time)
			if n := len(pts); n > 0 && pts[n-1].from == d {
				pts[n-1].pence = pence
			} else {
				pts = append(pts, pricePoint{d, pence})
			}
			m[loc] = pts
		}
		c.prices[k] = m
		return rows.Err()
	})
	return c.prices[k], err
}

// cacheCentroids loads the council's postcode district centroids (nil when
// it has loaded none).
func (db *DB) cacheCentroids(ctx context.Context, c *councilCache, council int64) error {
	return c.ensure("centroids", func() error {
		c.centroids = nil
		rows, err := c.q.QueryContext(ctx, `SELECT outcode, latitude, longitude FROM outcode_centroids WHERE council_id = $1`, council)
		if err != nil {
			return fmt.Errorf("storage: read centroids: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var o string
			var p brokerage.Centroid
			if err := rows.Scan(&o, &p.Lat, &p.Lon); err != nil {
				return err
			}
			if c.centroids == nil {
				c.centroids = map[string]brokerage.Centroid{}
			}
			c.centroids[o] = p
		}
		return rows.Err()
	})
}

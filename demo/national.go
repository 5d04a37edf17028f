package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
)

// This file is the national-scale dataset of the brokerage benchmarks
// (storage/brokerage_bench_test.go) and of the HTTP load tool
// (cmd/caremarket-load): a generated market, its vacancies, a contracted
// price history and one framework, written in bulk with raw multi-row
// INSERTs. It is for benchmarks only: nothing here is audited.

// GeneratedPrice is one contracted price of GeneratePrices.
type GeneratedPrice struct {
	CQCLocationID string
	ServiceType   market.ServiceType
	From          time.Time
	Pence         int64
}

// GeneratePrices is the benchmarks' contracted price generator: for every
// location and service type of a generated market, one price per round,
// six months apart, rising 2-5% a round from a base by service type. The
// same seed gives the same prices.
func GeneratePrices(seed uint64, m *Market, rounds int, first time.Time) []GeneratedPrice {
	rng := rand.New(rand.NewPCG(seed, seed^0xda942042e4dd58b5))
	base := map[market.ServiceType]int64{market.Residential: 800_00, market.ResidentialHigh: 950_00, market.Nursing: 1050_00, market.NursingHigh: 1200_00,
		market.ResidentialLD: 1500_00, market.ResidentialPD: 1400_00, market.ResidentialMH: 1300_00}
	var out []GeneratedPrice
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			for _, st := range lp.Location.ServiceTypes {
				price, ok := base[st]
				if !ok {
					price = 22_00 // an hourly rate
				}
				price += int64(rng.IntN(int(price / 5)))
				for r := 0; r < rounds; r++ {
					out = append(out, GeneratedPrice{lp.Location.CQCLocationID, st, first.AddDate(0, 6*r, 0), price})
					price += price * int64(2+rng.IntN(4)) / 100
				}
			}
		}
	}
	return out
}

// PriceSeries counts the (location, service type) pairs of m: GeneratePrices
// gives rounds prices for each.
func PriceSeries(m *Market) int {
	n := 0
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			n += len(lp.Location.ServiceTypes)
		}
	}
	return n
}

// National is a loaded national dataset.
type National struct {
	// System acts as the council's system administrator.
	System context.Context
	// Areas are the twelve Kent districts, in KentDistricts order.
	Areas  []market.Area
	Market *Market
	// Prices is how many contracted prices were loaded.
	Prices int
}

// LoadNational creates a council (slug) with the twelve Kent districts and
// their borders, and loads into it in bulk a generated market of nLocations
// locations (GenerateMarket from random source 1), their vacancies,
// GeneratePrices' price history (random source 1, priceRounds rounds from
// April three years ago) and one framework whose lots (nursing, residential, home care; all areas) admit
// two providers in three. It ends with ANALYZE (PostgreSQL) or PRAGMA
// optimize (SQLite), as production does after a bulk change.
func LoadNational(ctx context.Context, db *storage.DB, slug string, nLocations, priceRounds int, now time.Time) (*National, error) {
	sys, areas, err := kentDistricts(ctx, db, slug)
	if err != nil {
		return nil, err
	}
	council := caremarket.ActorFrom(sys).CouncilID
	areaIDs := make([]int64, len(areas))
	for i, a := range areas {
		areaIDs[i] = a.ID
	}
	m := GenerateMarket(1, now, nLocations, areaIDs)
	if err := BulkLoadMarket(ctx, db, council, m); err != nil {
		return nil, err
	}
	a, err := nationalFramework(sys, db, areaIDs, now)
	if err != nil {
		return nil, err
	}
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ts := now.UTC().Truncate(time.Microsecond)
	providerIDs, err := ids(tx, `SELECT cqc_provider_id, id FROM providers WHERE council_id = $1`, council)
	if err != nil {
		return nil, err
	}
	locationIDs, err := ids(tx, `SELECT cqc_location_id, id FROM locations WHERE council_id = $1`, council)
	if err != nil {
		return nil, err
	}
	if err := bulkAdmit(tx, council, a, m, providerIDs, ts); err != nil {
		return nil, err
	}
	if err := bulkVacancies(tx, council, m, locationIDs, ts); err != nil {
		return nil, err
	}
	gen := GeneratePrices(1, m, priceRounds, time.Date(now.Year()-3, 4, 1, 0, 0, 0, 0, time.UTC))
	if err := bulkPrices(tx, council, m, gen, providerIDs, locationIDs, ts); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	refresh := `ANALYZE`
	if db.Driver() == "sqlite" {
		refresh = `PRAGMA optimize = 0x10002`
	}
	if _, err := db.SQL().ExecContext(ctx, refresh); err != nil {
		return nil, err
	}
	return &National{System: sys, Areas: areas, Market: m, Prices: len(gen)}, nil
}

// kentDistricts creates a council (slug) with the twelve Kent districts
// and their borders, and returns a context acting as its system admin and
// the areas.
func kentDistricts(ctx context.Context, db *storage.DB, slug string) (context.Context, []market.Area, error) {
	names := make([]string, len(KentDistricts))
	for i, d := range KentDistricts {
		names[i] = d.Name
	}
	sys, areas, err := benchCouncil(ctx, db, slug, names...)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]int64{}
	for _, a := range areas {
		byName[a.Name] = a.ID
	}
	for _, d := range KentDistricts {
		var nb []int64
		for _, br := range KentBorders {
			if br[0] == d.Name {
				nb = append(nb, byName[br[1]])
			}
		}
		if len(nb) > 0 {
			if err := db.SetNeighbours(sys, byName[d.Name], nb); err != nil {
				return nil, nil, err
			}
		}
	}
	return sys, areas, nil
}

// nationalFramework creates the framework whose lots (nursing,
// residential, home care) cover every area.
func nationalFramework(sys context.Context, db *storage.DB, areaIDs []int64, now time.Time) (*procurement.Agreement, error) {
	council := caremarket.ActorFrom(sys).CouncilID
	comm := caremarket.NewContext(sys, &caremarket.Actor{Email: string(caremarket.RoleCommissioner) + "@test", CouncilID: council,
		CouncilSlug: caremarket.ActorFrom(sys).CouncilSlug, Role: caremarket.RoleCommissioner})
	a := &procurement.Agreement{Reference: "NATIONAL", Title: "National bench framework", Type: procurement.ClosedFramework, Regime: procurement.PCR2015,
		LightTouch: true, Start: procurement.Date(now.Year()-1, 1, 1), End: procurement.Date(now.Year()+2, 12, 31)}
	for i, st := range []market.ServiceType{market.Nursing, market.Residential, market.Homecare} {
		a.Lots = append(a.Lots, procurement.Lot{Number: i + 1, Title: st.Label(), ServiceTypes: []market.ServiceType{st}, AreaIDs: areaIDs,
			CallOff: procurement.Either, Ranking: []procurement.RankBy{procurement.RankPrice, procurement.RankQuality, procurement.RankDistance},
			CallOffTerms: "Terms", Mechanism: "Price, quality, distance"})
	}
	if err := db.CreateAgreement(comm, a); err != nil {
		return nil, err
	}
	return a, nil
}

// bulkAdmit applies two providers in three to a tender window of a and
// awards them every lot.
func bulkAdmit(tx *sql.Tx, council int64, a *procurement.Agreement, m *Market, providerIDs map[string]int64, ts time.Time) error {
	var window int64
	if err := tx.QueryRow(`INSERT INTO proc_windows (council_id, agreement_id, kind, title, opens_at, deadline, lot_ids, created_at)
		VALUES ($1, $2, 'tender', 'Bench', $3, $3, '[]', $3) RETURNING id`, council, a.ID, ts).Scan(&window); err != nil {
		return err
	}
	var apps, awards [][]any
	for i, p := range m.Providers {
		if i%3 == 0 {
			continue
		}
		apps = append(apps, []any{council, window, providerIDs[p.Provider.CQCProviderID], "[]", "submitted", ts, ts, ts})
	}
	if err := InsertRows(tx, `INSERT INTO applications (council_id, window_id, provider_id, lot_ids, status, submitted_at, created_at, updated_at)`, apps); err != nil {
		return err
	}
	appIDs := map[int64]int64{}
	rows, err := tx.Query(`SELECT provider_id, id FROM applications WHERE window_id = $1`, window)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p, id int64
		if err := rows.Scan(&p, &id); err != nil {
			rows.Close()
			return err
		}
		appIDs[p] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range m.Providers {
		pid := providerIDs[p.Provider.CQCProviderID]
		app, ok := appIDs[pid]
		if !ok {
			continue
		}
		for _, l := range a.Lots {
			awards = append(awards, []any{council, a.ID, window, l.ID, app, pid, 6000 + int(pid%5)*1000, ts})
		}
	}
	if err := InsertRows(tx, `INSERT INTO awards (council_id, agreement_id, window_id, lot_id, application_id, provider_id, score, decided_at)`, awards); err != nil {
		return err
	}
	return nil
}

// bulkVacancies inserts every generated location's vacancies.
func bulkVacancies(tx *sql.Tx, council int64, m *Market, locationIDs map[string]int64, ts time.Time) error {
	var vacs [][]any
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			for _, v := range lp.Vacancies {
				vacs = append(vacs, []any{locationIDs[lp.Location.CQCLocationID], council, string(v.ServiceType), v.Vacancies, ts, "bench"})
			}
		}
	}
	return InsertRows(tx, `INSERT INTO vacancies (location_id, council_id, service_type, vacancies, updated_at, updated_by)`, vacs)
}

// bulkPrices inserts the generated price history as contracted prices.
func bulkPrices(tx *sql.Tx, council int64, m *Market, gen []GeneratedPrice, providerIDs, locationIDs map[string]int64, ts time.Time) error {
	var prices [][]any
	provOf := map[string]int64{}
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			provOf[lp.Location.CQCLocationID] = providerIDs[p.Provider.CQCProviderID]
		}
	}
	for _, g := range gen {
		basis := "week"
		if !g.ServiceType.IsBedBased() {
			basis = "hour"
		}
		prices = append(prices, []any{council, provOf[g.CQCLocationID], locationIDs[g.CQCLocationID], string(g.ServiceType), pricing.StandardBand, basis, g.Pence,
			g.From.Format(time.DateOnly), "submission", ts})
	}
	return InsertRows(tx, `INSERT INTO contracted_prices (council_id, provider_id, location_id, service_type, band, basis, price_pence, effective_from, source, created_at)`, prices)
}

// benchCouncil creates a council (slug) with one cluster and the given
// districts (codes D01, D02, ..., no borders) and returns a context acting
// as its system admin, and the areas. It is what storagetest.Council does.
func benchCouncil(ctx context.Context, db *storage.DB, slug string, districts ...string) (context.Context, []market.Area, error) {
	c := &market.Council{Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:] + " County Council"}
	if err := db.CreateCouncil(ctx, c); err != nil {
		return nil, nil, err
	}
	ctx = caremarket.NewContext(ctx, caremarket.SystemActor(c.ID, c.Slug))
	cl := &market.Cluster{Name: "All", Setting: market.Urban}
	if err := db.CreateCluster(ctx, cl); err != nil {
		return nil, nil, err
	}
	var areas []market.Area
	for i, d := range districts {
		a := &market.Area{Code: fmt.Sprintf("D%02d", i+1), Name: d, Cluster: *cl}
		if err := db.CreateArea(ctx, a); err != nil {
			return nil, nil, err
		}
		areas = append(areas, *a)
	}
	return ctx, areas, nil
}

// BulkLoadMarket writes a generated market (providers, locations, their
// service types; not vacancies) in one transaction with multi-row INSERTs:
// going through CreateLocation (one audited transaction each) would take
// minutes for 30,000 locations, and the benchmarks are about reading.
func BulkLoadMarket(ctx context.Context, db *storage.DB, council int64, m *Market) error {
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC().Truncate(time.Microsecond)

	var rows [][]any
	for _, p := range m.Providers {
		rows = append(rows, []any{council, p.Provider.Name, p.Provider.CompaniesHouseNumber, p.Provider.CQCProviderID, now, now})
	}
	if err := InsertRows(tx, `INSERT INTO providers (council_id, name, companies_house_number, cqc_provider_id, created_at, updated_at)`, rows); err != nil {
		return err
	}
	// Providers and locations are matched to their new ids by CQC id, which
	// is unique per council, rather than trusting the order RETURNING gives.
	providerIDs, err := ids(tx, `SELECT cqc_provider_id, id FROM providers WHERE council_id = $1`, council)
	if err != nil {
		return err
	}

	rows = rows[:0]
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			l := lp.Location
			var rated any
			if l.RatingDate != nil {
				rated = *l.RatingDate
			}
			rows = append(rows, []any{council, providerIDs[p.Provider.CQCProviderID], l.CQCLocationID, l.Name, l.Address, l.Town, l.Postcode,
				l.AreaID, l.RegisteredBeds, string(l.Rating), rated, now, now})
		}
	}
	if err := InsertRows(tx, `INSERT INTO locations (council_id, provider_id, cqc_location_id, name, address, town, postcode,
		area_id, registered_beds, rating, rating_date, created_at, updated_at)`, rows); err != nil {
		return err
	}
	locationIDs, err := ids(tx, `SELECT cqc_location_id, id FROM locations WHERE council_id = $1`, council)
	if err != nil {
		return err
	}

	rows = rows[:0]
	for _, p := range m.Providers {
		for _, lp := range p.Locations {
			for _, st := range lp.Location.ServiceTypes {
				rows = append(rows, []any{locationIDs[lp.Location.CQCLocationID], council, string(st)})
			}
		}
	}
	if err := InsertRows(tx, `INSERT INTO location_services (location_id, council_id, service_type)`, rows); err != nil {
		return err
	}
	return tx.Commit()
}

// InsertRows runs head + VALUES over rows, 50 rows a statement. SQLite looks
// numbered parameters up by a linear scan, so a statement's preparation grows
// with the square of its parameters: 500-row statements took 10s to load
// what 50-row ones load in 2s, and cost PostgreSQL little.
func InsertRows(tx *sql.Tx, head string, rows [][]any) error {
	const batch = 50
	for len(rows) > 0 {
		n := min(batch, len(rows))
		var q strings.Builder
		q.WriteString(head + " VALUES ")
		args := make([]any, 0, n*len(rows[0]))
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j, v := range r {
				if j > 0 {
					q.WriteString(", ")
				}
				args = append(args, v)
				q.WriteString("$" + strconv.Itoa(len(args)))
			}
			q.WriteByte(')')
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			return fmt.Errorf("%s: %w", head, err)
		}
		rows = rows[n:]
	}
	return nil
}

// ids maps the first column of a query (a CQC id) to the second (a row id).
func ids(tx *sql.Tx, query string, args ...any) (map[string]int64, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var key string
		var id int64
		if err := rows.Scan(&key, &id); err != nil {
			return nil, err
		}
		out[key] = id
	}
	return out, rows.Err()
}

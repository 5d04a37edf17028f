// Package demo loads a fictional but plausible Kent care market into an empty
// database, so the product can be shown and tried: Kent County Council, its
// clusters, its twelve real districts with their real borders, a few hundred
// made-up providers with care homes and home care branches, vacancies, and one
// user per role who can sign in with a shared demo password.
//
// Everything goes through storage's ordinary methods, each in its own audited
// transaction, exactly as an administrator's changes would.
package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/demo/allocationdemo"
	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/demo/financedemo"
	"github.com/caremarket/caremarket/demo/pricedemo"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/demo/qualitydemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
)

// The demo council.
const (
	CouncilSlug = "kent"
	CouncilName = "Kent County Council"
)

// Password is every demo user's password. It is published here on purpose:
// the demo is for showing the product, never for real data.
const Password = "harbour-lantern-demo"

// Seed fixes the generated market, so every demo shows the same providers.
const Seed uint64 = 20260301

// KentLocations is how many locations the demo generates; at one to three
// locations each that is about 300 providers.
const KentLocations = 525

// SetupAge is how long before now the demo pretends the register was set up.
// Registrations are stamped then, and vacancy figures at various times since,
// so some are older than market.StaleAfter and show as stale, and no figure
// predates the home it belongs to.
const SetupAge = 30 * 24 * time.Hour

// SignIn is a demo account.
type SignIn struct {
	Role     caremarket.Role
	Email    string
	Password string
}

// Counts says how many of each thing a Load created.
type Counts struct {
	Clusters  int
	Areas     int
	Borders   int
	Providers int
	Locations int
	Vacancies int
	Users     int
}

// Result is what Load did.
type Result struct {
	Council market.Council
	// Loaded is false when the council already existed and nothing was added.
	Loaded bool
	// SignIns are the demo accounts that exist in the council. When Loaded is
	// false it lists only those found, so a council that was not created by
	// the demo (or whose load was cut short) shows fewer than one per role.
	SignIns []SignIn
	// Counts are what this call created: all zero when Loaded is false.
	Counts Counts
}

// email is the demo account's address for a role (.example is reserved by
// RFC 2606, so no mail can reach a real person).
func email(r caremarket.Role) string { return string(r) + "@" + CouncilSlug + ".example" }

// SignIns lists the demo accounts, one per role, in the order the UI shows roles.
func SignIns() []SignIn {
	out := make([]SignIn, 0, len(caremarket.Roles))
	for _, r := range caremarket.Roles {
		out = append(out, SignIn{Role: r, Email: email(r), Password: Password})
	}
	return out
}

// Load fills an empty database with the demo council. If council "kent"
// already exists it adds nothing and returns Loaded=false with the demo
// sign-ins that exist, so it is safe to call at every start.
//
// The load is not one transaction (storage gives each change its own), so a
// load cut short leaves a partial council that Load will not complete: start
// again from an empty database.
//
// While it runs, Load replaces db.Now to stamp the register at its pretend
// set-up time and each vacancy at the time its figure was given; it restores
// the clock before returning. So it must finish before db serves anything
// else, as it does when called at start-up.
func Load(ctx context.Context, db *storage.DB, now time.Time) (*Result, error) {
	return LoadUpTo(ctx, db, now, StageQuality)
}

// Stage names how much of the demo to load: each stage needs the ones before.
type Stage int

const (
	StageMarket      Stage = iota // council, districts, providers, locations, users
	StageProcurement              // agreements CSIH-2020, OPRN-2026, AAHC-2027
	StagePricing                  // cost models, guide prices, OPRN price rounds
	StageBrokerage                // requirements, placements, off-contract register
	StageFinance                  // budget lines, budgets, placement history, payments, scenario
	StageQuality                  // monitoring visits, actions, brokerage history for performance
)

// LoadUpTo loads the demo up to and including stage, so a feature's tests
// can load what they build on and no more.
func LoadUpTo(ctx context.Context, db *storage.DB, now time.Time, stage Stage) (*Result, error) {
	if c, err := db.CouncilBySlug(ctx, CouncilSlug); err == nil {
		return existing(ctx, db, c)
	} else if caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
		return nil, err
	}
	// argon2id is deliberately slow (tens of milliseconds): hash once and
	// give every demo user the same hash.
	hash, err := access.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	realNow := db.Now
	defer func() { db.Now = realNow }()
	clock := now.Add(-SetupAge)
	db.Now = func() time.Time { return clock }

	res := &Result{Council: market.Council{Slug: CouncilSlug, Name: CouncilName}, Loaded: true}
	if err := db.CreateCouncil(ctx, &res.Council); caremarket.ErrorCode(err) == caremarket.ECONFLICT {
		// Another process loaded it between our look-up and now.
		c, err := db.CouncilBySlug(ctx, CouncilSlug)
		if err != nil {
			return nil, err
		}
		return existing(ctx, db, c)
	} else if err != nil {
		return nil, fmt.Errorf("demo: create council: %w", err)
	}
	ctx = caremarket.NewContext(ctx, caremarket.SystemActor(res.Council.ID, res.Council.Slug))

	areaIDs, err := loadAreas(ctx, db, &res.Counts)
	if err != nil {
		return nil, err
	}
	if err := loadMarket(ctx, db, now, areaIDs, hash, res, func(t time.Time) { clock = t }); err != nil {
		return nil, err
	}
	db.Now = realNow
	if err := loadStages(ctx, db, now, stage, &res.Counts); err != nil {
		return nil, err
	}
	return res, nil
}

// loadMarket creates the generated market's providers and locations, a
// user for each role, and the vacancies, oldest first (setClock moves the
// database's clock to each vacancy's time).
func loadMarket(ctx context.Context, db *storage.DB, now time.Time, areaIDs []int64, hash string, res *Result, setClock func(time.Time)) error {
	m := GenerateMarket(Seed, now, KentLocations, areaIDs)
	var vacancies []market.Vacancy
	for i := range m.Providers {
		p := &m.Providers[i]
		if err := db.CreateProvider(ctx, &p.Provider); err != nil {
			return fmt.Errorf("demo: create provider %q: %w", p.Provider.Name, err)
		}
		res.Counts.Providers++
		for j := range p.Locations {
			l := &p.Locations[j]
			l.Location.ProviderID = p.Provider.ID
			if err := db.CreateLocation(ctx, &l.Location); err != nil {
				return fmt.Errorf("demo: create location %q: %w", l.Location.Name, err)
			}
			res.Counts.Locations++
			for _, v := range l.Vacancies {
				v.LocationID = l.Location.ID
				vacancies = append(vacancies, v)
			}
		}
	}

	for _, s := range SignIns() {
		u := &access.User{Email: s.Email, Name: "Demo " + s.Role.Label(), Role: s.Role, PasswordHash: hash}
		if s.Role == caremarket.RoleProvider {
			u.ProviderID = demoProvider(m, areaIDs)
		}
		if err := db.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("demo: create %s user: %w", s.Role, err)
		}
		res.Counts.Users++
		res.SignIns = append(res.SignIns, s)
	}

	// Vacancies go in oldest first, so the audit log stays in time order.
	slices.SortStableFunc(vacancies, func(a, b market.Vacancy) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	for i := range vacancies {
		setClock(vacancies[i].UpdatedAt)
		if err := db.SetVacancy(ctx, &vacancies[i]); err != nil {
			return fmt.Errorf("demo: set vacancy: %w", err)
		}
		res.Counts.Vacancies++
	}
	return nil
}

// loadStages loads each feature's demo up to and including stage, adding
// what it counts (home care branches' spare hours) to counts.
func loadStages(ctx context.Context, db *storage.DB, now time.Time, stage Stage, counts *Counts) error {
	if stage >= StageProcurement {
		// The council's agreements (as Kent's decision papers describe them): a finished tender, two open
		// frameworks with one window open, and a contract's history.
		if _, err := procdemo.LoadDemo(ctx, db, now); err != nil {
			return fmt.Errorf("demo: procurement: %w", err)
		}
	}
	if stage >= StagePricing {
		// Cost models and guide prices, and the OPRN price rounds: the autumn
		// round decided (today's contracted prices), the spring round open.
		if err := pricedemo.LoadDemo(ctx, db, now); err != nil {
			return fmt.Errorf("demo: pricing: %w", err)
		}
	}
	if stage >= StageBrokerage {
		// Requirements and placements across Kent at every stage of the
		// cascade, including off-contract placements awaiting a move.
		if _, err := brokerdemo.LoadDemo(ctx, db, now); err != nil {
			return fmt.Errorf("demo: brokerage: %w", err)
		}
	}
	if stage >= StageFinance {
		// Budget lines and budgets, placement history at a tenth of Kent's
		// size, a year of payments and the status quo against the framework.
		if _, err := financedemo.LoadDemo(ctx, db, now); err != nil {
			return fmt.Errorf("demo: finance: %w", err)
		}
	}
	if stage >= StageQuality {
		// Contract monitoring: a framework, 40 visits over two years and
		// their action plans; two years of brokerage history behind the
		// performance figures.
		if _, err := qualitydemo.LoadDemo(ctx, db, now); err != nil {
			return fmt.Errorf("demo: quality: %w", err)
		}
		// Last, as it is this morning's: a discharge wave waiting for
		// offers, for batch allocation (after the history, which it must
		// not be mixed into).
		if _, err := allocationdemo.LoadDemo(ctx, db, now); err != nil {
			return fmt.Errorf("demo: allocation: %w", err)
		}
		// Home care branches' spare hours a week (home care's capacity).
		n, err := allocationdemo.LoadSpareHours(ctx, db, now)
		if err != nil {
			return fmt.Errorf("demo: spare hours: %w", err)
		}
		counts.Vacancies += n
	}
	return nil
}

// loadAreas creates the clusters, the districts (in KentDistricts order) and
// their borders, and returns the districts' ids in that order.
func loadAreas(ctx context.Context, db *storage.DB, counts *Counts) ([]int64, error) {
	clusters := map[string]market.Cluster{}
	for _, c := range KentClusters {
		if err := db.CreateCluster(ctx, &c); err != nil {
			return nil, fmt.Errorf("demo: create cluster %q: %w", c.Name, err)
		}
		clusters[c.Name] = c
		counts.Clusters++
	}
	ids := make([]int64, len(KentDistricts))
	byName := map[string]int64{}
	for i, d := range KentDistricts {
		a := &market.Area{Code: d.Code, Name: d.Name, Cluster: clusters[d.Cluster]}
		if err := db.CreateArea(ctx, a); err != nil {
			return nil, fmt.Errorf("demo: create district %q: %w", d.Name, err)
		}
		ids[i], byName[d.Name] = a.ID, a.ID
		counts.Areas++
	}
	// SetNeighbours stores both directions of each border, so each district
	// names only the neighbours it is listed first with.
	for _, d := range KentDistricts {
		var nb []int64
		for _, b := range KentBorders {
			if b[0] == d.Name {
				nb = append(nb, byName[b[1]])
			}
		}
		if len(nb) == 0 {
			continue
		}
		if err := db.SetNeighbours(ctx, byName[d.Name], nb); err != nil {
			return nil, fmt.Errorf("demo: set borders of %q: %w", d.Name, err)
		}
		counts.Borders += len(nb)
	}
	return ids, nil
}

// existing is Load's answer for a council that is already there.
func existing(ctx context.Context, db *storage.DB, c *market.Council) (*Result, error) {
	res := &Result{Council: *c}
	for _, s := range SignIns() {
		u, err := db.UserByEmail(ctx, s.Email)
		if caremarket.ErrorCode(err) == caremarket.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		if u.CouncilID == c.ID && u.Role == s.Role {
			res.SignIns = append(res.SignIns, s)
		}
	}
	return res, nil
}

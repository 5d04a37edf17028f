// Package loadtest drives the brokerage API over HTTP under concurrent load
// against a national-scale dataset (demo.LoadNational), for
// cmd/caremarket-load. It measures two scenarios: brokers ranking a
// requirement (GET /api/v1/requirements/{id}/cascade) and providers
// accepting offers (POST /api/v1/offers/{id}/accept).
package loadtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/internal/cputime"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/server"
	"github.com/caremarket/caremarket/storage"
)

// Scenario names.
const (
	Rank         = "rank"
	Accept       = "accept"
	AcceptSerial = "accept-serial" // acceptance over HTTP with one worker
)

// Config is what to load and how hard to drive it.
type Config struct {
	// SQLitePath and DatabaseURL name the database to load. With neither, a
	// SQLite file in a temporary directory. A DatabaseURL without URL gets a
	// fresh schema of its own (search_path), dropped at the end unless Keep.
	SQLitePath  string
	DatabaseURL string
	Keep        bool
	// URL targets a caremarket already serving on a loopback address, whose
	// database is SQLitePath or DatabaseURL: the dataset goes into a new
	// council there. Without URL the real server runs in-process on
	// 127.0.0.1:0.
	URL string

	Locations int // locations generated (demo.GenerateMarket)
	// Prices is the least number of contracted prices: GeneratePrices
	// gives every (location, service type) ceil(Prices/pairs) rounds.
	Prices int

	Scenarios    []string
	Concurrency  int
	Duration     time.Duration // per scenario; ignored when Requests > 0
	Requests     int           // per scenario, when > 0
	Requirements int           // the rank scenario's pool of open requirements
	Offers       int           // the accept scenario's pool of pending offers
	// Vacancies at the home the offers are for: one per offer when 0;
	// fewer, and the acceptances past them are refused (409).
	Vacancies int
	Timeout   time.Duration // per request
	// RawTransactions is how many bare durable transactions measure the
	// disk's pace (0: not measured); InProcess also times the cascade and
	// acceptance in-process on the same database.
	RawTransactions int
	InProcess       bool
	// RawOnly measures the raw rate alone (no dataset, no server).
	RawOnly bool
}

// Report is the outcome of a run.
type Report struct {
	Driver      string        `json:"driver"`
	Target      string        `json:"target"`
	Locations   int           `json:"locations"`
	Prices      int           `json:"prices"`
	PriceRounds int           `json:"price_rounds"`
	LoadTime    time.Duration `json:"load_time_ns"`
	Concurrency int           `json:"concurrency"`
	Machine     Machine       `json:"machine"`
	// Raw, Cascade and InProcessAccept are measured in the same run, on
	// the same database, before the HTTP scenarios.
	Raw             *Raw            `json:"raw,omitempty"`
	Cascade         []CascadeFigure `json:"cascade_in_process,omitempty"`
	InProcessAccept *AcceptFigure   `json:"accept_in_process,omitempty"`
	Scenarios       []*Result       `json:"scenarios"`
	Goals           []Goal          `json:"goals"`
}

// Result is one scenario's figures. Latencies are exact percentiles
// (nearest rank) of every request's recorded duration.
type Result struct {
	Name     string `json:"name"`
	Route    string `json:"route"`
	Pool     int    `json:"pool"`
	Requests int    `json:"requests"`
	// Status counts responses by HTTP status; TransportErrors counts
	// requests that got no response at all.
	Status          map[int]int   `json:"status"`
	TransportErrors int           `json:"transport_errors"`
	Elapsed         time.Duration `json:"elapsed_ns"`
	PerSecond       float64       `json:"requests_per_second"`
	P50             time.Duration `json:"p50_ns"`
	P90             time.Duration `json:"p90_ns"`
	P99             time.Duration `json:"p99_ns"`
	Max             time.Duration `json:"max_ns"`
	// MeanBytes is the mean size of a response body.
	MeanBytes int64 `json:"mean_bytes"`
	// CPUPerRequest is the process's CPU time (server and load generator,
	// when in-process) per request: unlike latency, it hardly depends on
	// what else the machine is doing, so on a busy machine it says what a
	// free one could do (cores / CPUPerRequest).
	CPUPerRequest time.Duration `json:"cpu_per_request_ns,omitempty"`
	// Accept only: placements made (201), refusals as conflicts (409), and
	// whether the pool of offers ran out before the duration.
	Accepted         int     `json:"accepted,omitempty"`
	Conflicts        int     `json:"conflicts,omitempty"`
	PlacementsPerSec float64 `json:"placements_per_second,omitempty"`
	Exhausted        bool    `json:"exhausted,omitempty"`
	// MeanBatch is how many acceptances shared a commit on average (group
	// commit; only when the server runs in-process).
	MeanBatch          float64 `json:"mean_batch,omitempty"`
	FirstTransportErr  string  `json:"first_transport_error,omitempty"`
	FirstUnexpectedRaw string  `json:"first_unexpected_body,omitempty"`
}

// Errors counts the requests that did not succeed (no response, or a
// status of 400 or more).
func (r *Result) Errors() int {
	n := r.TransportErrors
	for s, c := range r.Status {
		if s >= 400 {
			n += c
		}
	}
	return n
}

// ServerErrors counts 5xx responses.
func (r *Result) ServerErrors() int {
	n := 0
	for s, c := range r.Status {
		if s >= 500 {
			n += c
		}
	}
	return n
}

// CheckLoopback refuses a target whose host is not a loopback address
// (127.0.0.0/8, ::1) or localhost: the tool is for this machine only.
func CheckLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("--url %q: %w", target, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("--url %q: want http://HOST:PORT", target)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--url %q: caremarket-load only targets loopback addresses (127.0.0.0/8, ::1 or localhost), and %q is not one", target, host)
}

// Run loads the dataset, starts (or targets) the server, runs the
// scenarios one after the other and returns the report. Progress goes to
// logw. It stops by itself: each scenario ends after cfg.Duration (or
// cfg.Requests), and every request has cfg.Timeout.
func Run(ctx context.Context, cfg Config, logw io.Writer) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(logw, format+"\n", args...) }
	mach := machine()

	db, cleanup, err := openDB(ctx, cfg, logf)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if cfg.RawOnly {
		rep := &Report{Driver: db.Driver(), Concurrency: cfg.Concurrency, Machine: mach}
		logf("raw durable transactions: %d serial, %d from %d workers...", cfg.RawTransactions, cfg.RawTransactions, cfg.Concurrency)
		if rep.Raw, err = measureRaw(ctx, db, max(cfg.RawTransactions, 1), cfg.Concurrency); err != nil {
			return nil, err
		}
		rep.Machine.LoadEnd = loadAverage()
		return rep, nil
	}

	rep, nat, err := loadDataset(ctx, db, cfg, logf)
	if err != nil {
		return nil, err
	}
	rep.Machine = mach
	f, err := fixtures(ctx, db, nat, cfg)
	if err != nil {
		return nil, err
	}

	if cfg.RawTransactions > 0 {
		logf("raw durable transactions: %d serial, %d from %d workers...", cfg.RawTransactions, cfg.RawTransactions, cfg.Concurrency)
		if rep.Raw, err = measureRaw(ctx, db, cfg.RawTransactions, cfg.Concurrency); err != nil {
			return nil, err
		}
	}
	if cfg.InProcess {
		logf("in-process cascade and acceptance...")
		if rep.Cascade, err = measureCascade(ctx, db, nat, 200); err != nil {
			return nil, err
		}
		if rep.InProcessAccept, err = measureAccept(ctx, db, f.providerCtx, f.inSerial, f.inParallel, cfg.Concurrency); err != nil {
			return nil, err
		}
	}

	base := cfg.URL
	if base == "" {
		var stop func()
		if base, stop, err = serve(db, logw); err != nil {
			return nil, err
		}
		defer stop()
	}
	base = strings.TrimRight(base, "/")
	rep.Target = base
	client := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{MaxIdleConns: cfg.Concurrency * 2,
		MaxIdleConnsPerHost: cfg.Concurrency * 2, IdleConnTimeout: 30 * time.Second}}
	defer client.CloseIdleConnections()

	for _, name := range cfg.Scenarios {
		sc := f.scenario(name)
		scfg := cfg
		if name == AcceptSerial {
			scfg.Concurrency = 1
		}
		logf("scenario %s: %s, %d workers...", sc.name, sc.route, scfg.Concurrency)
		batches, changes := db.GroupCommitStats()
		res := sc.run(ctx, client, base, scfg)
		if b, c := db.GroupCommitStats(); cfg.URL == "" && b > batches {
			res.MeanBatch = float64(c-changes) / float64(b-batches)
		}
		rep.Scenarios = append(rep.Scenarios, res)
	}
	rep.Machine.LoadEnd = loadAverage()
	rep.Goals = rep.goals()
	return rep, nil
}

// check refuses a configuration the run cannot keep to.
func (cfg Config) check() error {
	if cfg.URL != "" {
		if err := CheckLoopback(cfg.URL); err != nil {
			return err
		}
		if cfg.SQLitePath == "" && cfg.DatabaseURL == "" {
			return errors.New("--url needs the target's database (--sqlite or --database-url) to load the dataset into")
		}
	}
	if cfg.Concurrency < 1 || cfg.Locations < 1 || cfg.Prices < 0 || cfg.Requirements < 1 || cfg.Offers < 0 {
		return errors.New("--concurrency, --locations and --requirements must be at least 1")
	}
	if cfg.Duration <= 0 && cfg.Requests <= 0 {
		return errors.New("give a --duration or a number of --requests")
	}
	for _, s := range cfg.Scenarios {
		if s != Rank && s != Accept && s != AcceptSerial {
			return fmt.Errorf("unknown scenario %q: want %s, %s or %s", s, Rank, AcceptSerial, Accept)
		}
	}
	return nil
}

// loadDataset loads the dataset into a council of its own and starts the
// report with what it loaded.
func loadDataset(ctx context.Context, db *storage.DB, cfg Config, logf func(string, ...any)) (*Report, *demo.National, error) {
	slug := "load"
	if cfg.URL != "" {
		slug = "load-" + strings.ToLower(rand.Text()[:8])
	}
	start := time.Now()
	series := demo.PriceSeries(demo.GenerateMarket(1, start, cfg.Locations, make([]int64, len(demo.KentDistricts))))
	rounds := max(1, (cfg.Prices+series-1)/max(series, 1))
	logf("loading %d locations and %d price rounds (%s)...", cfg.Locations, rounds, db.Driver())
	nat, err := demo.LoadNational(ctx, db, slug, cfg.Locations, rounds, start)
	if err != nil {
		return nil, nil, fmt.Errorf("load dataset: %w", err)
	}
	rep := &Report{Driver: db.Driver(), Locations: nat.Market.Locations(), Prices: nat.Prices, PriceRounds: rounds,
		LoadTime: time.Since(start), Concurrency: cfg.Concurrency}
	logf("loaded %d locations, %d contracted prices in %v", rep.Locations, rep.Prices, rep.LoadTime.Round(time.Millisecond))
	if rep.Prices < cfg.Prices {
		logf("warning: %d contracted prices, fewer than the %d asked for", rep.Prices, cfg.Prices)
	}
	return rep, nat, nil
}

// serve starts the server in this process on a loopback port; stop shuts
// it down.
func serve(db *storage.DB, logw io.Writer) (base string, stop func(), err error) {
	logger := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := server.New(db, logger)
	httpSrv := srv.HTTPServer("127.0.0.1:0")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go httpSrv.Serve(ln)
	stop = func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		httpSrv.Shutdown(sctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// scenario is the named scenario over the fixture's requirements or offers.
func (f *fixture) scenario(name string) scenario {
	switch name {
	case Rank:
		return scenario{name: Rank, route: "GET /api/v1/requirements/{id}/cascade", method: http.MethodGet, token: f.brokerToken, pool: f.requirements,
			cycle: true, path: func(id int64) string { return fmt.Sprintf("/api/v1/requirements/%d/cascade", id) }}
	case Accept, AcceptSerial:
		pool := f.offers
		if name == AcceptSerial {
			pool = f.serialOffers
		}
		return scenario{name: name, route: "POST /api/v1/offers/{id}/accept", method: http.MethodPost, token: f.providerToken, pool: pool,
			path: func(id int64) string { return fmt.Sprintf("/api/v1/offers/%d/accept", id) }}
	}
	return scenario{}
}

// openDB opens and migrates the database, in a fresh PostgreSQL schema or
// a temporary SQLite file when asked for nothing in particular.
func openDB(ctx context.Context, cfg Config, logf func(string, ...any)) (*storage.DB, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	sc := storage.Config{SQLitePath: cfg.SQLitePath, DatabaseURL: cfg.DatabaseURL}
	switch {
	case cfg.DatabaseURL != "" && cfg.URL == "":
		schema := "cm_load_" + strings.ToLower(rand.Text()[:12])
		admin, err := sql.Open("pgx", cfg.DatabaseURL)
		if err != nil {
			return nil, nil, err
		}
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			admin.Close()
			return nil, nil, fmt.Errorf("create schema: %w", err)
		}
		logf("PostgreSQL schema %s", schema)
		cleanups = append(cleanups, func() {
			defer admin.Close()
			if cfg.Keep {
				logf("kept PostgreSQL schema %s", schema)
				return
			}
			if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
				logf("drop schema %s: %v", schema, err)
			}
		})
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		sc.DatabaseURL = u.String()
	case cfg.DatabaseURL == "" && cfg.SQLitePath == "":
		dir, err := os.MkdirTemp("", "caremarket-load-")
		if err != nil {
			return nil, nil, err
		}
		cleanups = append(cleanups, func() {
			if cfg.Keep {
				logf("kept %s", dir)
				return
			}
			os.RemoveAll(dir)
		})
		sc.SQLitePath = filepath.Join(dir, "caremarket.db")
		logf("SQLite database %s", sc.SQLitePath)
	}
	db, err := storage.Open(ctx, sc)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	cleanups = append(cleanups, func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		cleanup()
		return nil, nil, err
	}
	return db, cleanup, nil
}

type fixture struct {
	brokerToken, providerToken string
	requirements, offers       []int64
	// serialOffers are accepted over HTTP by one worker; inSerial and
	// inParallel in-process, as providerCtx.
	serialOffers, inSerial, inParallel []int64
	providerCtx                        context.Context
}

// fixtures creates the broker and provider accounts with API tokens, the
// rank pool (open requirements, nursing and home care in every district)
// and the accept pool (storage.SeedOffers: pending nursing offers to one
// home, with a vacancy for each).
func fixtures(ctx context.Context, db *storage.DB, nat *demo.National, cfg Config) (*fixture, error) {
	sys := nat.System
	slug := caremarket.ActorFrom(sys).CouncilSlug
	f := &fixture{}
	token := func(role caremarket.Role, providerID int64) (string, error) {
		u := &access.User{Email: fmt.Sprintf("%s%d@%s.example", role, providerID, slug), Name: "Load " + string(role), Role: role, ProviderID: providerID}
		if err := db.CreateUser(sys, u); err != nil {
			return "", err
		}
		secret, hash := access.NewSecret()
		return secret, db.CreateToken(sys, u.ID, hash, "caremarket-load")
	}
	var err error
	if f.brokerToken, err = token(caremarket.RoleBroker, 0); err != nil {
		return nil, fmt.Errorf("broker token: %w", err)
	}

	broker := caremarket.NewContext(sys, &caremarket.Actor{Email: "broker@load", CouncilID: caremarket.ActorFrom(sys).CouncilID, CouncilSlug: slug,
		Role: caremarket.RoleBroker})
	sts := []market.ServiceType{market.Nursing, market.Homecare}
	start := time.Now().AddDate(0, 0, 7)
	for i := 0; i < cfg.Requirements; i++ {
		d := demo.KentDistricts[(i/len(sts))%len(demo.KentDistricts)]
		area := nat.Areas[(i/len(sts))%len(nat.Areas)]
		r := &brokerage.Requirement{CaseReference: fmt.Sprintf("MOS-%06d", 900000+i), ServiceType: sts[i%len(sts)], StartDate: start, AreaID: area.ID}
		if !r.ServiceType.IsBedBased() {
			r.MinutesPerWeek, r.VisitPattern = 10*60+30, "3 calls a day, 7 days a week"
		}
		p := &brokerage.Person{FullName: fmt.Sprintf("Load Person %d", i), Address: "1 High Street", Postcode: d.Outcodes[0] + " 1AA"}
		if err := db.CreateRequirement(broker, r, p); err != nil {
			return nil, fmt.Errorf("requirement: %w", err)
		}
		f.requirements = append(f.requirements, r.ID)
	}

	if !slices.Contains(cfg.Scenarios, Accept) && !slices.Contains(cfg.Scenarios, AcceptSerial) && !cfg.InProcess || cfg.Offers == 0 {
		return f, nil
	}
	var locationID, providerID, areaID int64
	if err := db.SQL().QueryRowContext(ctx, `SELECT l.id, l.provider_id, l.area_id FROM locations l
		JOIN location_services s ON s.location_id = l.id AND s.service_type = $2
		WHERE l.council_id = $1 AND l.rating <> $3 ORDER BY l.id LIMIT 1`,
		caremarket.ActorFrom(sys).CouncilID, string(market.Nursing), string(market.Inadequate)).Scan(&locationID, &providerID, &areaID); err != nil {
		return nil, fmt.Errorf("find a nursing home: %w", err)
	}
	if f.providerToken, err = token(caremarket.RoleProvider, providerID); err != nil {
		return nil, fmt.Errorf("provider token: %w", err)
	}
	// One pool of offers, split: the parallel HTTP scenario's, then a fifth
	// as many for the serial one and for each in-process run.
	small := max(cfg.Offers/5, 1)
	all, err := storage.SeedOffers(sys, db, areaID, locationID, market.Nursing, cfg.Offers+3*small, time.Now().Add(24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("seed offers: %w", err)
	}
	// Refresh the planner's statistics after the bulk insert, as
	// PostgreSQL's autovacuum would within a minute (and production does
	// after a bulk change, demo.LoadNational): without them PostgreSQL
	// reads every pending offer to accept one (measured: 2 ms of a 4 ms
	// acceptance).
	refresh := `ANALYZE offers, care_requirements`
	if db.Driver() == "sqlite" {
		refresh = `PRAGMA optimize = 0x10002`
	}
	if _, err := db.SQL().ExecContext(ctx, refresh); err != nil {
		return nil, fmt.Errorf("refresh statistics: %w", err)
	}
	f.offers, f.serialOffers, f.inSerial, f.inParallel = all[:cfg.Offers], all[cfg.Offers:cfg.Offers+small],
		all[cfg.Offers+small:cfg.Offers+2*small], all[cfg.Offers+2*small:]
	f.providerCtx = caremarket.NewContext(sys, &caremarket.Actor{Email: "provider@load", CouncilID: caremarket.ActorFrom(sys).CouncilID, CouncilSlug: slug,
		Role: caremarket.RoleProvider, ProviderID: providerID})
	if err := db.SetVacancy(sys, &market.Vacancy{LocationID: locationID, ServiceType: market.Nursing, Vacancies: 1}); err != nil {
		return nil, fmt.Errorf("vacancy: %w", err)
	}
	vacancies := len(all)
	if cfg.Vacancies > 0 {
		vacancies = cfg.Vacancies
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE vacancies SET vacancies = $1 WHERE location_id = $2 AND service_type = $3`,
		vacancies, locationID, string(market.Nursing)); err != nil {
		return nil, fmt.Errorf("vacancy: %w", err)
	}
	return f, nil
}

type scenario struct {
	name, route, method, token string
	pool                       []int64
	// cycle reuses the pool round robin (ranking); otherwise each id is
	// used once and the scenario ends when the pool runs out.
	cycle bool
	path  func(id int64) string
}

type sample struct {
	d      time.Duration
	status int // 0: no response
	bytes  int64
	err    string
	body   string
}

func (sc scenario) run(ctx context.Context, client *http.Client, base string, cfg Config) *Result {
	res := &Result{Name: sc.name, Route: sc.route, Pool: len(sc.pool), Status: map[int]int{}}
	if len(sc.pool) == 0 {
		return res
	}
	var deadline time.Time
	if cfg.Requests <= 0 {
		deadline = time.Now().Add(cfg.Duration)
	}
	var next atomic.Int64
	var exhausted atomic.Bool
	samples := make([][]sample, cfg.Concurrency)
	var wg sync.WaitGroup
	cpu0 := cputime.Process()
	start := time.Now()
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				i := int(next.Add(1) - 1)
				if cfg.Requests > 0 && i >= cfg.Requests {
					return
				}
				if i >= len(sc.pool) && !sc.cycle {
					exhausted.Store(true)
					return
				}
				samples[w] = append(samples[w], sc.do(client, base, sc.pool[i%len(sc.pool)]))
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	cpu := cputime.Process() - cpu0
	res.Exhausted = exhausted.Load()

	var ds []time.Duration
	var bytes int64
	for _, ws := range samples {
		for _, s := range ws {
			ds = append(ds, s.d)
			bytes += s.bytes
			if s.status == 0 {
				res.TransportErrors++
				if res.FirstTransportErr == "" {
					res.FirstTransportErr = s.err
				}
				continue
			}
			res.Status[s.status]++
			if s.status >= 500 && res.FirstUnexpectedRaw == "" {
				res.FirstUnexpectedRaw = s.body
			}
		}
	}
	res.Requests = len(ds)
	if res.Requests > 0 && cpu0 > 0 {
		res.CPUPerRequest = cpu / time.Duration(res.Requests)
	}
	slices.Sort(ds)
	res.P50, res.P90, res.P99 = percentile(ds, 50), percentile(ds, 90), percentile(ds, 99)
	if len(ds) > 0 {
		res.Max = ds[len(ds)-1]
		res.MeanBytes = bytes / int64(len(ds))
	}
	secs := res.Elapsed.Seconds()
	res.PerSecond = float64(res.Requests) / secs
	if sc.name == Accept || sc.name == AcceptSerial {
		res.Accepted, res.Conflicts = res.Status[http.StatusCreated], res.Status[http.StatusConflict]
		res.PlacementsPerSec = float64(res.Accepted) / secs
	}
	return res
}

// do sends one request and times it until its body has been read.
func (sc scenario) do(client *http.Client, base string, id int64) sample {
	req, err := http.NewRequest(sc.method, base+sc.path(id), nil)
	if err != nil {
		return sample{err: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+sc.token)
	req.Header.Set("Accept", "application/json")
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sample{d: time.Since(t0), err: err.Error()}
	}
	var body []byte
	if resp.StatusCode >= 500 {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 500))
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s := sample{d: time.Since(t0), status: resp.StatusCode, bytes: int64(len(body)) + n, body: string(body)}
	if err != nil {
		return sample{d: s.d, err: "read body: " + err.Error()}
	}
	return s
}

// percentile is the nearest-rank p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(i, 1)-1]
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "caremarket-load: %s, %d locations, %d contracted prices (%d rounds), loaded in %v; target %s; %d workers\n",
		r.Driver, r.Locations, r.Prices, r.PriceRounds, r.LoadTime.Round(time.Millisecond), r.Target, r.Concurrency)
	r.writeFigures(w)
	defer r.writeGoals(w)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	for _, s := range r.Scenarios {
		fmt.Fprintf(w, "\n%s: %s (pool of %d)\n", s.Name, s.Route, s.Pool)
		codes := make([]int, 0, len(s.Status))
		for c := range s.Status {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		var by []string
		for _, c := range codes {
			by = append(by, fmt.Sprintf("%d: %d", c, s.Status[c]))
		}
		if s.TransportErrors > 0 {
			by = append(by, fmt.Sprintf("no response: %d (first: %s)", s.TransportErrors, s.FirstTransportErr))
		}
		fmt.Fprintf(w, "  requests    %d in %v (%s); errors %d\n", s.Requests, s.Elapsed.Round(time.Millisecond), strings.Join(by, ", "), s.Errors())
		fmt.Fprintf(w, "  throughput  %.1f req/s; mean response %d bytes\n", s.PerSecond, s.MeanBytes)
		fmt.Fprintf(w, "  latency     p50 %s, p90 %s, p99 %s, max %s\n", ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max))
		if s.CPUPerRequest > 0 {
			fmt.Fprintf(w, "  cpu         %s a request (this process: server and clients)\n", ms(s.CPUPerRequest))
		}
		if s.Name == Accept || s.Name == AcceptSerial {
			fmt.Fprintf(w, "  placements  %d accepted (%.1f placements/s), %d conflicts (409)\n", s.Accepted, s.PlacementsPerSec, s.Conflicts)
			if s.MeanBatch > 0 {
				fmt.Fprintf(w, "  commits     %.1f acceptances a commit on average (group commit)\n", s.MeanBatch)
			}
			if s.Exhausted {
				fmt.Fprintf(w, "  (the pool of offers ran out before the duration: raise --offers)\n")
			}
		}
		if s.FirstUnexpectedRaw != "" {
			fmt.Fprintf(w, "  first 5xx body: %s\n", s.FirstUnexpectedRaw)
		}
	}
}

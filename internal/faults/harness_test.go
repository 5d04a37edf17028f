package faults

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/market"
	cmserver "github.com/caremarket/caremarket/server"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds cmd/caremarket once for the package's tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "caremarket-faults-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "caremarket")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/caremarket/caremarket/cmd/caremarket").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// target is a database the tests drive: its storage config and the flags
// that point the caremarket binary at it.
type target struct {
	name  string
	cfg   storage.Config
	flags []string
}

func sqliteTarget(t *testing.T) target {
	path := filepath.Join(t.TempDir(), "caremarket.db")
	return target{name: "sqlite", cfg: storage.Config{SQLitePath: path}, flags: []string{"--db", path}}
}

// postgresTarget makes a fresh schema on CAREMARKET_TEST_POSTGRES (skips
// without it) through base, or the server itself when base is "".
func postgresTarget(t *testing.T, base string) target {
	server := os.Getenv(storagetest.EnvPostgres)
	if server == "" {
		t.Skipf("PostgreSQL half skipped: %s is not set", storagetest.EnvPostgres)
	}
	schema := "cm_fault_" + strings.ToLower(rand.Text()[:12])
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	t.Cleanup(func() {
		if admin, err := sql.Open("pgx", server); err == nil {
			admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			admin.Close()
		}
	})
	if base == "" {
		base = server
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return target{name: "postgres", cfg: storage.Config{DatabaseURL: u.String()}, flags: []string{"--database-url", u.String()}}
}

// market is what the load works on: a provider's token, its nursing home
// and pending offers to it, one vacancy each.
type market_ struct {
	council    int64
	token      string
	locationID int64
	offers     []int64
	vacancies  int
}

// seed migrates the database and creates a council, a nursing home with
// n vacancies and n pending offers to it, and the provider's API token.
func seed(t *testing.T, cfg storage.Config, n int) *market_ {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sys, areas := storagetest.Council(t, db, "kent", "Thanet")
	p := &market.Provider{Name: "Harbour Care", CQCProviderID: "1-1010000001"}
	if err := db.CreateProvider(sys, p); err != nil {
		t.Fatal(err)
	}
	l := &market.Location{ProviderID: p.ID, CQCLocationID: "1-2010000001", Name: "Harbour House", Postcode: "CT9 1AA", AreaID: areas[0].ID,
		ServiceTypes: []market.ServiceType{market.Nursing}, RegisteredBeds: 40, Rating: market.Good}
	if err := db.CreateLocation(sys, l); err != nil {
		t.Fatal(err)
	}
	m := &market_{council: caremarket.ActorFrom(sys).CouncilID, locationID: l.ID, vacancies: n}
	if m.offers, err = storage.SeedOffers(sys, db, areas[0].ID, l.ID, market.Nursing, n, time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetVacancy(sys, &market.Vacancy{LocationID: l.ID, ServiceType: market.Nursing, Vacancies: 1}); err != nil {
		t.Fatal(err)
	}
	// More than a provider may declare by form: one per offer.
	if _, err := db.SQL().Exec(`UPDATE vacancies SET vacancies = $1 WHERE location_id = $2`, n, l.ID); err != nil {
		t.Fatal(err)
	}
	u := &access.User{Email: "manager@harbour.example", Name: "Manager", Role: caremarket.RoleProvider, ProviderID: p.ID}
	if err := db.CreateUser(sys, u); err != nil {
		t.Fatal(err)
	}
	secret, hash := access.NewSecret()
	if err := db.CreateToken(sys, u.ID, hash, "faults"); err != nil {
		t.Fatal(err)
	}
	m.token = secret
	return m
}

// server is a caremarket process serving on a loopback port.
type server struct {
	cmd  *exec.Cmd
	base string
	logs *strings.Builder
}

// serveInProcess opens cfg's database and serves caremarket over it from
// this process on a test server, both closed when the test ends; the
// client waits up to 20 s for an answer.
func serveInProcess(t *testing.T, cfg storage.Config) (db *storage.DB, base string, client *http.Client) {
	t.Helper()
	db, err := storage.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ts := httptest.NewServer(cmserver.New(db, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(ts.Close)
	return db, ts.URL, &http.Client{Timeout: 20 * time.Second}
}

// start runs `caremarket serve` on a free loopback port and waits until
// /healthz answers.
func start(t *testing.T, bin string, tg target) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{base: "http://" + addr, logs: &strings.Builder{}}
	s.cmd = exec.Command(bin, append(append([]string{"serve"}, tg.flags...), "--addr", addr)...)
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, &lockedWriter{w: s.logs}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	t.Fatalf("the server did not answer /healthz within 30 s:\n%s", s.logs.String())
	return nil
}

// kill ends the server with SIGKILL (kill -9) and waits for it.
func (s *server) kill() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// accepted is an acknowledged acceptance: the offer and its placement.
type accepted struct {
	offer, placement int64
}

// accept posts one acceptance and returns the status, the placement (201)
// and the error message (otherwise).
func accept(client *http.Client, base, token string, offer int64) (int, int64, string, error) {
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/offers/%d/accept", base, offer), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, "", err
	}
	if resp.StatusCode == http.StatusCreated {
		var p struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return resp.StatusCode, 0, "", fmt.Errorf("placement: %v: %s", err, body)
		}
		return resp.StatusCode, p.ID, "", nil
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	json.Unmarshal(body, &e)
	return resp.StatusCode, 0, e.Error.Code + ": " + e.Error.Message, nil
}

// consistent checks the database holds every acknowledged acceptance
// whole (the offer accepted, its placement, the placement's audit record)
// and that placements and the vacancy figure agree: every placement took
// one vacancy, and nothing took a vacancy without a placement.
func consistent(t *testing.T, db *sql.DB, m *market_, acked []accepted) {
	t.Helper()
	for _, a := range acked {
		var status string
		var placement, records int
		if err := db.QueryRow(`SELECT o.status, (SELECT COUNT(*) FROM placements p WHERE p.offer_id = o.id AND p.id = $2),
			(SELECT COUNT(*) FROM audit_log WHERE entity_type = 'placement' AND entity_id = $3 AND action = 'placement.create')
			FROM offers o WHERE o.id = $1`, a.offer, a.placement, fmt.Sprint(a.placement)).Scan(&status, &placement, &records); err != nil {
			t.Fatalf("offer %d: %v", a.offer, err)
		}
		if status != "accepted" || placement != 1 || records != 1 {
			t.Fatalf("acknowledged offer %d (placement %d) after the fault: offer %s, %d placements, %d audit records", a.offer, a.placement, status, placement, records)
		}
	}
	var placements, vacancies, accepted, audited int
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM placements WHERE location_id = $1),
		(SELECT vacancies FROM vacancies WHERE location_id = $1),
		(SELECT COUNT(*) FROM offers WHERE location_id = $1 AND status = 'accepted'),
		(SELECT COUNT(*) FROM audit_log WHERE action = 'placement.create')`, m.locationID).Scan(&placements, &vacancies, &accepted, &audited); err != nil {
		t.Fatal(err)
	}
	if placements+vacancies != m.vacancies || accepted != placements || audited != placements {
		t.Fatalf("after the fault: %d placements + %d vacancies left != %d vacancies at the start; %d offers accepted; %d placement audit records",
			placements, vacancies, m.vacancies, accepted, audited)
	}
}

// verifyAudit runs `caremarket audit verify` on the database.
func verifyAudit(t *testing.T, bin string, tg target) {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"audit", "verify"}, tg.flags...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit log intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
}

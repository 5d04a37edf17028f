package faults

import (
	"database/sql"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caremarket/caremarket/storage"
)

func cycles() int {
	if n, err := strconv.Atoi(os.Getenv("CAREMARKET_FAULT_CYCLES")); err == nil && n > 0 {
		return n
	}
	if testing.Short() {
		return 2
	}
	// 20 cycles on each database take over two minutes on a busy 2-core
	// machine: go test runs 4, and CAREMARKET_FAULT_CYCLES=20 the full run
	// (its last result is in BENCHMARKS.md).
	return 4
}

// TestKillDuringWriteLoad kills the server with SIGKILL while 8 clients
// accept offers, then checks the database: every acknowledged placement,
// its vacancy and its audit record are there (and nothing took a vacancy
// without a placement), SQLite's integrity check is clean, and
// `caremarket audit verify` passes. The next cycle restarts the server on
// the same database and goes on.
func TestKillDuringWriteLoad(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var tg target
			if name == "sqlite" {
				tg = sqliteTarget(t)
			} else {
				tg = postgresTarget(t, "")
			}
			bin := binary(t)
			n := cycles()
			m := seed(t, tg.cfg, 150*n)
			var next atomic.Int64
			var acked []accepted
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
			for c := 0; c < n && int(next.Load()) < len(m.offers); c++ {
				srv := start(t, bin, tg)
				client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
				var mu sync.Mutex
				var wg sync.WaitGroup
				stop := make(chan struct{})
				// first closes at the cycle's first acknowledged acceptance: on a
				// busy machine the server can take longer to answer than the
				// kill's random delay, and a cycle with nothing acknowledged
				// proves nothing.
				first := make(chan struct{})
				var firstOnce sync.Once
				for w := 0; w < 8; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							select {
							case <-stop:
								return
							default:
							}
							i := int(next.Add(1) - 1)
							if i >= len(m.offers) {
								return
							}
							status, placement, msg, err := accept(client, srv.base, m.token, m.offers[i])
							if err != nil {
								return // the server is gone: this answer never came
							}
							switch status {
							case http.StatusCreated:
								mu.Lock()
								acked = append(acked, accepted{m.offers[i], placement})
								mu.Unlock()
								firstOnce.Do(func() { close(first) })
							default:
								t.Errorf("cycle %d: offer %d: %d %s", c, m.offers[i], status, msg)
							}
						}
					}()
				}
				select {
				case <-first:
				case <-time.After(30 * time.Second):
				}
				time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
				srv.kill()
				close(stop)
				wg.Wait()
				client.CloseIdleConnections()
				check(t, bin, tg, m, acked)
			}
			if len(acked) == 0 {
				t.Fatal("no acceptance was acknowledged in any cycle")
			}
			t.Logf("%s: %d cycles, %d acknowledged placements, all present", name, n, len(acked))
		})
	}
}

// check opens the database after a fault and checks it whole.
func check(t *testing.T, bin string, tg target, m *market_, acked []accepted) {
	t.Helper()
	db, err := storage.Open(t.Context(), tg.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if tg.name == "sqlite" {
		integrity(t, db.SQL())
	}
	consistent(t, db.SQL(), m, acked)
	verifyAudit(t, bin, tg)
}

func integrity(t *testing.T, db *sql.DB) {
	t.Helper()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
}

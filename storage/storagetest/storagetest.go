// Package storagetest opens real databases for tests: a fresh SQLite file
// always, and a fresh PostgreSQL schema when CAREMARKET_TEST_POSTGRES holds a
// server URL. There are no mocks: every storage test runs on both.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
)

// EnvPostgres names the variable holding the PostgreSQL server URL.
const EnvPostgres = "CAREMARKET_TEST_POSTGRES"

var skipOnce sync.Once

// Each runs fn as a subtest against a fresh, migrated database of each kind:
// "sqlite", and "postgres" when EnvPostgres is set (otherwise it says clearly
// that the PostgreSQL suite was skipped).
func Each(t testing.TB, fn func(t testing.TB, db *storage.DB)) {
	run := func(name string, open func(testing.TB) *storage.DB) {
		switch tt := t.(type) {
		case *testing.T:
			tt.Run(name, func(t *testing.T) { fn(t, open(t)) })
		case *testing.B:
			tt.Run(name, func(b *testing.B) { fn(b, open(b)) })
		}
	}
	run("sqlite", SQLite)
	if os.Getenv(EnvPostgres) == "" {
		skipOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "storagetest: PostgreSQL suite SKIPPED: set %s=postgres://postgres@127.0.0.1:5432/postgres to run it\n", EnvPostgres)
		})
		run("postgres", func(t testing.TB) *storage.DB {
			t.Skipf("PostgreSQL suite skipped: %s is not set", EnvPostgres)
			return nil
		})
		return
	}
	run("postgres", Postgres)
}

// SQLite opens a fresh, migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *storage.DB {
	t.Helper()
	return open(t, storage.Config{SQLitePath: filepath.Join(t.TempDir(), "caremarket.db")})
}

// Postgres opens a fresh, migrated schema of its own on the server named by
// EnvPostgres, dropped when the test ends.
func Postgres(t testing.TB) *storage.DB {
	t.Helper()
	return open(t, storage.Config{DatabaseURL: PostgresSchema(t)})
}

// PostgresSchema creates a fresh, empty schema on the server named by
// EnvPostgres (dropped when the test ends) and returns a URL that uses it,
// for tests that open it more than once (two servers on one database).
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("PostgreSQL suite skipped: %s is not set", EnvPostgres)
	}
	schema := "cm_test_" + strings.ToLower(rand.Text()[:12])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema on %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err == nil {
			admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens (and migrates) the database cfg names, closed when the test
// ends.
func Open(t testing.TB, cfg storage.Config) *storage.DB { t.Helper(); return open(t, cfg) }

func open(t testing.TB, cfg storage.Config) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// Council creates a council with one cluster and the given districts (no
// borders) and returns a context acting as its system admin, and the areas.
func Council(t testing.TB, db *storage.DB, slug string, districts ...string) (context.Context, []market.Area) {
	t.Helper()
	ctx := context.Background()
	c := &market.Council{Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:] + " County Council"}
	if err := db.CreateCouncil(ctx, c); err != nil {
		t.Fatal(err)
	}
	ctx = caremarket.NewContext(ctx, caremarket.SystemActor(c.ID, c.Slug))
	cl := &market.Cluster{Name: "All", Setting: market.Urban}
	if err := db.CreateCluster(ctx, cl); err != nil {
		t.Fatal(err)
	}
	var areas []market.Area
	for i, d := range districts {
		a := &market.Area{Code: fmt.Sprintf("D%02d", i+1), Name: d, Cluster: *cl}
		if err := db.CreateArea(ctx, a); err != nil {
			t.Fatal(err)
		}
		areas = append(areas, *a)
	}
	return ctx, areas
}

// As returns ctx acting as the given actor in ctx's council.
func As(ctx context.Context, role caremarket.Role, providerID int64) context.Context {
	sys := caremarket.ActorFrom(ctx)
	return caremarket.NewContext(ctx, &caremarket.Actor{UserID: 0, Email: string(role) + "@test", CouncilID: sys.CouncilID,
		CouncilSlug: sys.CouncilSlug, Role: role, ProviderID: providerID})
}

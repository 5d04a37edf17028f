package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/procurement/ocdstest"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// exportDB is a database holding the demo up to procurement, and the flags
// that make the command line open it.
type exportDB struct {
	name  string
	flags []string
}

// exportDBs makes a SQLite file and, when CAREMARKET_TEST_POSTGRES is set, a
// PostgreSQL schema of its own, each with the demo loaded up to procurement.
func exportDBs(t *testing.T) []exportDB {
	t.Helper()
	t.Setenv("DATABASE_URL", "") // the --database-url default must not win over --db
	ctx := context.Background()
	load := func(cfg storage.Config) {
		t.Helper()
		db, err := storage.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.LoadUpTo(ctx, db, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), demo.StageProcurement); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "caremarket.db")
	load(storage.Config{SQLitePath: path})
	out := []exportDB{{"sqlite", []string{"--db", path}}}

	base := os.Getenv(storagetest.EnvPostgres)
	if base == "" {
		t.Logf("PostgreSQL case skipped: %s is not set", storagetest.EnvPostgres)
		return out
	}
	admin, err := storage.Open(ctx, storage.Config{DatabaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	schema := "cm_export_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.SQL().Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.SQL().Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	load(storage.Config{DatabaseURL: u.String()})
	return append(out, exportDB{"postgres", []string{"--database-url", u.String()}})
}

// TestExportOCDS: `caremarket export ocds` writes OPRN-2026's notices as an
// OCDS 1.1.5 release package that validates against the official schema; an
// unknown agreement or council gives a readable error and exit code 1.
func TestExportOCDS(t *testing.T) {
	for _, d := range exportDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			exec := func(args ...string) (int, string, string) {
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), append(args, d.flags...), &stdout, &stderr)
				return code, stdout.String(), stderr.String()
			}
			code, stdout, stderr := exec("export", "ocds", "--council", "kent", "--agreement", "OPRN-2026")
			if code != 0 {
				t.Fatalf("exit code %d: %s", code, stderr)
			}
			ocdstest.Validate(t, []byte(stdout))
			var pkg struct {
				Releases []struct {
					OCID string   `json:"ocid"`
					Tag  []string `json:"tag"`
				} `json:"releases"`
			}
			if err := json.Unmarshal([]byte(stdout), &pkg); err != nil {
				t.Fatal(err)
			}
			if len(pkg.Releases) == 0 || !strings.Contains(pkg.Releases[0].OCID, "OPRN-2026") || pkg.Releases[0].Tag[0] != "tender" {
				t.Errorf("releases: %+v", pkg.Releases)
			}
			// The agreement reference is not case-sensitive.
			if code, lower, stderr := exec("export", "ocds", "--council", "kent", "--agreement", "oprn-2026"); code != 0 || len(lower) == 0 {
				t.Errorf("lower-case reference: exit %d: %s", code, stderr)
			}

			for _, tt := range []struct {
				name string
				args []string
				want string
			}{
				{"unknown agreement", []string{"--council", "kent", "--agreement", "NOPE-1999"}, "Agreement not found"},
				{"unknown council", []string{"--council", "atlantis", "--agreement", "OPRN-2026"}, "not found"},
				{"no council", []string{"--agreement", "OPRN-2026"}, "--council is required"},
			} {
				code, stdout, stderr := exec(append([]string{"export", "ocds"}, tt.args...)...)
				if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "caremarket export ocds: ") || !strings.Contains(stderr, tt.want) {
					t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1, nothing on stdout and %q", tt.name, code, stdout, stderr, tt.want)
				}
				if strings.Contains(stderr, "storage:") || strings.Contains(stderr, "sql:") {
					t.Errorf("%s: the error is not readable: %q", tt.name, stderr)
				}
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestPostgresDumpAndRestore follows the README's PostgreSQL backup
// commands: pg_dump --format=custom of a live database, pg_restore into a
// fresh one, then caremarket audit verify on the restored copy.
func TestPostgresDumpAndRestore(t *testing.T) {
	base := os.Getenv("CAREMARKET_TEST_POSTGRES")
	if base == "" {
		t.Skip("CAREMARKET_TEST_POSTGRES is not set")
	}
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	live, restored := "cm_live_"+suffix, "cm_restored_"+suffix
	for _, name := range []string{live, restored} {
		if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	}
	urlOf := func(db string) string {
		u, _ := url.Parse(base)
		u.Path = "/" + db
		return u.String()
	}
	pg := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, out, errOut := pg("councils", "create", "--slug", "kent", "--name", "Kent County Council", "--database-url", urlOf(live)); code != 0 {
		t.Fatalf("councils create: %d %s%s", code, out, errOut)
	}
	if code, out, errOut := pg("users", "create", "--council", "kent", "--role", "admin", "--email", "it@kent.gov.uk", "--database-url", urlOf(live)); code != 0 {
		t.Fatalf("users create: %d %s%s", code, out, errOut)
	}
	dump := filepath.Join(t.TempDir(), "caremarket.dump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--no-owner", "--file", dump, "--dbname", urlOf(live)).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname", urlOf(restored), dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	code, out, errOut := pg("audit", "verify", "--database-url", urlOf(restored))
	if code != 0 || !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit verify on the restored database: exit %d\n%s%s", code, out, errOut)
	}
}

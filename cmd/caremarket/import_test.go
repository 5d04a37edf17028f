package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// kentDB makes a SQLite database file holding council kent with the
// districts of the fixture's postcodes (named as the demo's table names
// them), and returns its path.
func kentDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "caremarket.db")
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storagetest.Council(t, db, "kent", "Thanet", "Canterbury", "Maidstone", "Ashford", "Dover", "Dartford", "Tunbridge Wells")
	return path
}

// runCmd runs the command line as main does and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func TestImportCQCDirectory(t *testing.T) {
	path := kentDB(t)
	dir := "../../market/cqc/testdata/"

	// The first import adds the council's locations and lists every row it
	// could not use with its line and reason. Output is not a terminal, so
	// progress comes as plain lines.
	defer func(d time.Duration) { plainEvery = d }(plainEvery)
	plainEvery = 0
	code, out, errOut := runCmd(t, "import", "cqc-directory", "--council", "kent", "--db", path, dir+"directory_v1.csv")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "summary", out, "Imported directory_v1.csv into kent: 15 rows in", "rows/s)",
		"added:               7", "unchanged:           0", "rejected:            6",
		"1 of other local authorities", "providers added 4",
		"Rejected rows", "line 13: postcode SE1 7PB: the district SE1 is not in any of the council's areas",
		"line 19: Location ID 1-1000000001 is also on line 6")
	mustContain(t, "progress", errOut, "15 rows (100%)")
	if strings.Contains(errOut, "\r") {
		t.Errorf("a bar was drawn on a pipe: %q", errOut)
	}

	// The same file again changes nothing.
	code, out, errOut = runCmd(t, "import", "cqc-directory", "--council", "kent", "--db", path, dir+"directory_v1.csv")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "re-run", out, "added:               0", "updated:             0", "unchanged:           7", "deregistered:        0")

	// A newer file: two updated (a rating change raises an alert), one
	// left the register, one new.
	code, out, errOut = runCmd(t, "import", "cqc-directory", "--council", "kent", "--db", path, dir+"directory_v2.csv")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "newer file", out, "added:               1", "updated:             2", "deregistered:        1", "rating changes 2; alerts raised 2")

	// API records: one file, or a directory of them.
	code, out, errOut = runCmd(t, "import", "cqc-api", "--council", "kent", "--db", path, dir+"api")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "API import", out, "Imported api into kent:", "Rejected rows", "broken.json")
}

func TestImportCQCErrors(t *testing.T) {
	path := kentDB(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"import", "cqc-directory", "--db", path, "../../market/cqc/testdata/directory_v1.csv"}, "--council is required"},
		{[]string{"import", "cqc-directory", "--council", "kent", "--db", path}, "give one directory file (CSV) after the flags"},
		{[]string{"import", "cqc-directory", "--council", "nowhere", "--db", path, "../../market/cqc/testdata/directory_v1.csv"}, "not found"},
		{[]string{"import", "cqc-directory", "--council", "kent", "--db", path, "import_test.go"}, "no header row"},
		{[]string{"import", "cqc-api", "--council", "kent", "--db", path, "no-such-dir"}, "no such file"},
	}
	for _, tt := range tests {
		code, _, errOut := runCmd(t, tt.args...)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want 1 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

// A council outside Kent brings its own table of postcode districts.
func TestImportDistrictsFile(t *testing.T) {
	path := kentDB(t)
	table := filepath.Join(t.TempDir(), "districts.csv")
	writeFile(t, table, "outcode,district\nCT9,Thanet\nCT11,Thanet\n")
	code, out, errOut := runCmd(t, "import", "cqc-directory", "--council", "kent", "--db", path, "--districts", table,
		"../../market/cqc/testdata/directory_v1.csv")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// Seaview and Harbour View are in CT9 and CT11 (Beech Court, in CT9, has no
	// number of beds); the rest are
	// in districts the table does not name.
	mustContain(t, "summary", out, "added:               2", "the district ME14 is not in any of the council's areas")

	writeFile(t, table, "outcode,district\nNOT A CODE,Thanet\n")
	code, _, errOut = runCmd(t, "import", "cqc-directory", "--council", "kent", "--db", path, "--districts", table,
		"../../market/cqc/testdata/directory_v1.csv")
	if code != 1 || !strings.Contains(errOut, `line 2: "NOT A CODE" is not a postcode district`) {
		t.Errorf("bad table: exit %d, %q", code, errOut)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 60000: "60,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, func(rows int) float64 { return float64(rows) / 1000 })
	p.start()
	p.began = time.Now().Add(-10 * time.Second)
	p.rows.Store(250)
	line := p.line()
	// A quarter done in 10 seconds: 25 rows/s and 30 seconds to go.
	mustContain(t, "line", line, "250 rows ( 25%)", "25 rows/s", "about 30s left")
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

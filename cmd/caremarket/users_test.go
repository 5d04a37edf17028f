package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/storage"
)

// cli runs a command line against the SQLite file db and returns its exit
// code and outputs.
func cli(t *testing.T, db string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append(args, "--db", db), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestOperatorCommands walks an operator through a fresh install: a council,
// an admin with a one-time password, a script's API token, then the audit
// chain verified, broken by hand, and the break reported.
func TestOperatorCommands(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	db := filepath.Join(t.TempDir(), "caremarket.db")

	if code, out, errOut := cli(t, db, "councils", "create", "--slug", "kent", "--name", "Kent County Council"); code != 0 || !strings.Contains(out, "created council kent") {
		t.Fatalf("councils create: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := cli(t, db, "users", "create", "--council", "kent", "--role", "admin", "--email", "IT@Kent.gov.uk")
	password := strings.TrimSpace(out)
	if code != 0 || len(password) < 20 || !strings.Contains(errOut, "one-time password") {
		t.Fatalf("users create: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = cli(t, db, "users", "create", "--council", "kent", "--role", "broker", "--email", "script@kent.gov.uk", "--token")
	token := strings.TrimSpace(out)
	if code != 0 || strings.Contains(token, "\n") || len(token) < 40 {
		t.Fatalf("users create --token: exit %d, stdout %q: want only the token", code, out)
	}

	st, err := storage.Open(context.Background(), storage.Config{SQLitePath: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(context.Background(), "it@kent.gov.uk")
	if err != nil || !access.CheckPassword(password, u.PasswordHash) || !u.MustChangePassword {
		t.Fatalf("admin account: %+v, %v: want the printed password, to be changed at first sign-in", u, err)
	}
	if tu, err := st.UserByToken(context.Background(), access.HashSecret(token)); err != nil || tu.Email != "script@kent.gov.uk" {
		t.Fatalf("token does not find its user: %+v %v", tu, err)
	}

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"unknown council", []string{"users", "create", "--council", "surrey", "--role", "admin", "--email", "a@b.com"}, "Council surrey not found"},
		{"no council", []string{"users", "create", "--role", "admin", "--email", "a@b.com"}, "--council is required"},
		{"bad role", []string{"users", "create", "--council", "kent", "--role", "king", "--email", "a@b.com"}, "Role must be one of"},
		{"provider without provider", []string{"users", "create", "--council", "kent", "--role", "provider", "--email", "a@b.com"}, "must belong to a provider"},
		{"same email", []string{"users", "create", "--council", "kent", "--role", "admin", "--email", "it@kent.gov.uk"}, "cannot be used for a new account"},
		{"bad slug", []string{"councils", "create", "--slug", "K", "--name", "K"}, "Slug must be"},
	}
	for _, tt := range refused {
		if code, _, errOut := cli(t, db, tt.args...); code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", tt.name, code, errOut, tt.want)
		}
	}

	if code, out, errOut := cli(t, db, "audit", "verify"); code != 0 || !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	// Someone with the power to drop the append-only guard edits a record.
	if _, err := st.SQL().Exec(`DROP TRIGGER audit_log_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SQL().Exec(`UPDATE audit_log SET actor = 'mallory' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, db, "audit", "verify"); code != 1 || !strings.Contains(errOut, "broken at record 2") {
		t.Errorf("tampered audit verify: exit %d, stderr %q; want exit 1 naming record 2", code, errOut)
	}
}

package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// An operator lists a council's tokens, revokes one, and disables a leaver.
func TestTokensAndDisableCommands(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	db := filepath.Join(t.TempDir(), "caremarket.db")
	if code, _, errOut := cli(t, db, "councils", "create", "--slug", "kent", "--name", "Kent County Council"); code != 0 {
		t.Fatal(errOut)
	}
	for _, email := range []string{"script@kent.gov.uk", "leaver@kent.gov.uk"} {
		if code, _, errOut := cli(t, db, "users", "create", "--council", "kent", "--role", "broker", "--email", email, "--token"); code != 0 {
			t.Fatal(errOut)
		}
	}
	code, out, errOut := cli(t, db, "tokens", "list", "--council", "kent", "--email", "script@kent.gov.uk")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "script@kent.gov.uk") {
		t.Fatalf("tokens list: exit %d\n%s%s", code, out, errOut)
	}
	id := strings.Fields(lines[1])[0]
	if code, out, errOut := cli(t, db, "tokens", "revoke", "--council", "kent", "--id", id); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("tokens revoke: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := cli(t, db, "tokens", "revoke", "--council", "kent", "--id", id); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("revoking twice: exit %d %s", code, errOut)
	}
	if code, out, errOut := cli(t, db, "users", "disable", "--council", "kent", "--email", "Leaver@kent.gov.uk"); code != 0 || !strings.Contains(out, "disabled leaver@kent.gov.uk") {
		t.Fatalf("users disable: exit %d\n%s%s", code, out, errOut)
	}
	_, out, _ = cli(t, db, "tokens", "list", "--council", "kent")
	if strings.Contains(out, "@kent.gov.uk") {
		t.Errorf("tokens left after revoking and disabling:\n%s", out)
	}
}

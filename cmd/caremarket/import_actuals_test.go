package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportActuals: the command reads a remittance file into the council,
// reports a line it cannot match with its number and reason, and a
// second run of the same file adds nothing.
func TestImportActuals(t *testing.T) {
	db := kentDB(t)
	file := filepath.Join(t.TempDir(), "remittance.csv")
	if err := os.WriteFile(file, []byte("Supplier Reference,Placement ID,Period From,Period To,Amount,Payment Date\nSUP-1,5,01/04/2026,07/04/2026,700.00,14/04/2026\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "import", "actuals", "--db", db, "--council", "kent", file)
	if code != 0 || !strings.Contains(out, "1 lines, 0 added") || !strings.Contains(out, "line 2 not matched: no provider") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "import", "actuals", "--db", db, "--council", "nowhere", file); code == 0 {
		t.Errorf("unknown council accepted: %s", errOut)
	}
	if code, _, _ := runCmd(t, "import", "actuals", "--db", db, "--council", "kent"); code == 0 {
		t.Error("no file accepted")
	}
}

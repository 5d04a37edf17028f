package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
)

// cliNoDB runs a command line that opens no database.
func cliNoDB(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestBackupDuringWritesThenRestore backs up a database while a writer keeps
// adding providers, then restores it (plain and encrypted) and checks that
// the restored file is whole, its audit chain verifies, and it holds every
// provider acknowledged before the backup began.
func TestBackupDuringWritesThenRestore(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "live.db")
	if code, out, errOut := cli(t, dbPath, "councils", "create", "--slug", "kent", "--name", "Kent County Council"); code != 0 {
		t.Fatalf("councils create: exit %d\n%s%s", code, out, errOut)
	}
	ctx := context.Background()
	live, err := storage.Open(ctx, storage.Config{SQLitePath: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	council, err := live.CouncilBySlug(ctx, "kent")
	if err != nil {
		t.Fatal(err)
	}
	actx := caremarket.NewContext(ctx, caremarket.SystemActor(council.ID, council.Slug))
	addProvider := func(i int) error {
		return live.CreateProvider(actx, &market.Provider{Name: fmt.Sprintf("Provider %d", i)})
	}
	for i := range 20 {
		if err := addProvider(i); err != nil {
			t.Fatal(err)
		}
	}
	before := 20

	// Write load while the backup runs.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1000; !stop.Load(); i++ {
			if err := addProvider(i); err != nil {
				writeErr = err
				return
			}
			time.Sleep(time.Millisecond) // a busy server, not a tight loop
		}
	}()
	stopWrites := func() {
		stop.Store(true)
		wg.Wait()
		if writeErr != nil {
			t.Errorf("write during backup: %v", writeErr)
		}
	}
	defer func() {
		if !stop.Load() {
			stopWrites()
		}
	}()
	key := filepath.Join(dir, "backup.key")
	if code, out, errOut := cliNoDB(t, "backup", "key", "--out", key); code != 0 || !strings.Contains(out, "public key age1") {
		t.Fatalf("backup key: exit %d\n%s%s", code, out, errOut)
	}
	plain := filepath.Join(dir, "plain.backup")
	sealed := filepath.Join(dir, "sealed.backup")
	for _, c := range []struct{ file, key string }{{plain, ""}, {sealed, key}} {
		args := []string{"backup", "--out", c.file}
		if c.key != "" {
			args = append(args, "--key-file", c.key)
		}
		if code, out, errOut := cli(t, dbPath, args...); code != 0 || !strings.Contains(out, "integrity check ok") {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	stopWrites()
	if raw, _ := os.ReadFile(sealed); !strings.HasPrefix(string(raw), ageHeader) || strings.Contains(string(raw), "Provider 1") {
		t.Fatal("the sealed backup is not encrypted")
	}

	target := filepath.Join(dir, "restored.db")
	if code, _, errOut := cli(t, target, "restore", sealed); code == 0 || !strings.Contains(errOut, "is encrypted") {
		t.Fatalf("restore of an encrypted backup without a key: exit %d, %s", code, errOut)
	}
	other := filepath.Join(dir, "other.key")
	cliNoDB(t, "backup", "key", "--out", other)
	if code, _, errOut := cli(t, target, "restore", "--key-file", other, sealed); code == 0 || !strings.Contains(errOut, "cannot decrypt") {
		t.Fatalf("restore with the wrong key: exit %d, %s", code, errOut)
	}
	if code, out, errOut := cli(t, target, "restore", "--key-file", key, sealed); code != 0 || !strings.Contains(out, "audit records verified") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := cli(t, target, "restore", plain); code == 0 || !strings.Contains(errOut, "--force") {
		t.Fatalf("restore over an existing database without --force: exit %d, %s", code, errOut)
	}
	if code, out, errOut := cli(t, target, "restore", "--force", plain); code != 0 {
		t.Fatalf("restore --force: exit %d\n%s%s", code, out, errOut)
	}
	restored, err := storage.Open(ctx, storage.Config{SQLitePath: target})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	rctx := caremarket.NewContext(ctx, caremarket.SystemActor(council.ID, council.Slug))
	_, total, err := restored.ListProviders(rctx, market.ProviderFilter{})
	if err != nil || total < before {
		t.Fatalf("restored database has %d providers (%v), want at least the %d written before the backup", total, err, before)
	}
	if n, broken, err := restored.VerifyAudit(ctx); err != nil || broken != nil || n < before {
		t.Fatalf("restored audit chain: %d records, break %v, err %v", n, broken, err)
	}

	// A damaged backup is refused and the database left as it was.
	bad := filepath.Join(dir, "bad.backup")
	raw, _ := os.ReadFile(plain)
	os.WriteFile(bad, raw[:len(raw)/2], 0o600)
	if code, _, errOut := cli(t, target, "restore", "--force", bad); code == 0 || !strings.Contains(errOut, "nothing was restored") {
		t.Fatalf("restore of a truncated backup: exit %d, %s", code, errOut)
	}
	if err := restored.IntegrityCheck(ctx); err != nil {
		t.Fatalf("the database was damaged by a refused restore: %v", err)
	}
}

// TestDoctor: a missing database, then a current one, then one whose audit
// log was edited behind caremarket's back.
func TestDoctor(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	db := filepath.Join(t.TempDir(), "caremarket.db")
	if code, out, _ := cli(t, db, "doctor"); code == 0 || !strings.Contains(out, "FIX  database reachable") || !strings.Contains(out, "caremarket migrate") {
		t.Fatalf("doctor on a missing database: exit %d\n%s", code, out)
	}
	cli(t, db, "councils", "create", "--slug", "kent", "--name", "Kent County Council")
	code, out, errOut := cli(t, db, "doctor")
	if code != 0 || !strings.Contains(out, "all checks passed") || !strings.Contains(out, "ok   audit chain") {
		t.Fatalf("doctor on a good database: exit %d\n%s%s", code, out, errOut)
	}
	st, err := storage.Open(context.Background(), storage.Config{SQLitePath: db})
	if err != nil {
		t.Fatal(err)
	}
	st.SQL().Exec(`DROP TRIGGER audit_log_no_update`)
	if _, err := st.SQL().Exec(`UPDATE audit_log SET actor = 'mallory'`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, out, _ := cli(t, db, "doctor"); code == 0 || !strings.Contains(out, "FIX  audit chain") {
		t.Fatalf("doctor on an edited audit log: exit %d\n%s", code, out)
	}
}

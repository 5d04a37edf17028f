package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("doctor", "check configuration, database, migrations, audit chain, disk space and clock, and say what to fix", doctor)
}

// check is one line of the doctor's report.
type check struct {
	name string
	ok   bool
	note string // what was found, or what to fix
}

// minFreeBytes is the free space below which SQLite writes start to fail
// in the middle of a busy day (WAL growth, VACUUM INTO backups).
const minFreeBytes = 1 << 30

// maxClockSkew is how far the server's clock may be from the database's:
// standstill periods, offer expiry and audit times all read the clock.
const maxClockSkew = 5 * time.Second

func doctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newDBFlags("doctor", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var checks []check
	add := func(name string, err error, okNote, fix string) bool {
		if err != nil {
			checks = append(checks, check{name, false, fmt.Sprintf("%v. %s", err, fix)})
			return false
		}
		checks = append(checks, check{name, true, okNote})
		return true
	}
	driver := "SQLite file " + d.path
	if d.url != "" {
		driver = "PostgreSQL (--database-url / DATABASE_URL)"
	}
	checks = append(checks, check{"configuration", true, "database: " + driver})
	if d.url == "" {
		if _, err := os.Stat(d.path); err != nil {
			checks = append(checks, check{"database reachable", false, fmt.Sprintf("there is no database at %s. Give the right --db, or create it with: caremarket migrate --db %s", d.path, d.path)})
			return report(stdout, append(checks, diskCheck(filepath.Dir(d.path))))
		}
	}
	db, err := d.openOnly(ctx)
	if add("database reachable", err, "it answers", "Check the --db path or DATABASE_URL, that the server is running and that this user may connect.") {
		defer db.Close()
		doctorDatabase(ctx, db, add)
	}
	if d.url == "" {
		checks = append(checks, diskCheck(filepath.Dir(d.path)))
	}
	return report(stdout, checks)
}

// report prints the checks and fails when any needs fixing.
func report(stdout io.Writer, checks []check) error {
	failed := 0
	for _, c := range checks {
		mark := "ok  "
		if !c.ok {
			mark = "FIX "
			failed++
		}
		fmt.Fprintf(stdout, "%s %-20s %s\n", mark, c.name, c.note)
	}
	if failed > 0 {
		return caremarket.Errorf(caremarket.EINVALID, "%d check(s) need fixing (lines marked FIX)", failed)
	}
	fmt.Fprintln(stdout, "all checks passed")
	return nil
}

func doctorDatabase(ctx context.Context, db *storage.DB, add func(name string, err error, okNote, fix string) bool) {
	pending, err := db.PendingMigrations(ctx)
	if err == nil && pending > 0 {
		err = fmt.Errorf("%d migration(s) not applied", pending)
	}
	if !add("migrations", err, "the schema is current", "Run: caremarket migrate (with the same --db or DATABASE_URL).") {
		return
	}
	add("integrity", db.IntegrityCheck(ctx), "the database file is whole", "Restore the latest backup: caremarket restore --force BACKUP.")
	n, broken, err := db.VerifyAudit(ctx)
	if err == nil && broken != nil {
		err = fmt.Errorf("broken at record %d: %s", broken.ID, broken.Reason)
	}
	add("audit chain", err, fmt.Sprintf("%d records verified", n), "Someone changed the audit log outside caremarket: keep the database as it is and report it to your security team.")
	skew, err := db.ClockSkew(ctx)
	if err == nil && (skew > maxClockSkew || skew < -maxClockSkew) {
		err = fmt.Errorf("this machine's clock is %s from the database's", skew.Round(time.Millisecond))
	}
	add("clock", err, "this machine and the database agree", "Run a time service (chrony or systemd-timesyncd) on both machines.")
}

func diskCheck(dir string) check {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return check{"disk space", false, fmt.Sprintf("cannot read free space in %s: %v", dir, err)}
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	note := fmt.Sprintf("%.1f GB free in %s", float64(free)/1e9, dir)
	if free < minFreeBytes {
		return check{"disk space", false, note + ". Free at least 1 GB: SQLite needs room to grow its log and to write backups."}
	}
	return check{"disk space", true, note}
}

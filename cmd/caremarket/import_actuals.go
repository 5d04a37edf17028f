package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func init() {
	register("import actuals", "load payment lines (actuals) from the council's payments system: a remittance CSV in the style of a ContrOCC or Abacus export", importActuals)
}

// importActuals matches each payment line of a remittance file to its
// placement and stores the matched lines; the same file again adds
// nothing. It prints what it did, every line it could not use with its
// number and reason, overpayments and periods paid twice.
func importActuals(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("import actuals", stderr)
	path, err := oneArg(fs, args, "payments file (CSV)")
	if err != nil {
		return err
	}
	return runImportActuals(ctx, d.dbFlags, d.council, path, stdout)
}

func runImportActuals(ctx context.Context, dbf dbFlags, council, path string, stdout io.Writer) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	db, ctx, err := dbf.openCouncil(ctx, council)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.ImportActuals(ctx, filepath.Base(path), "cli", file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Imported %s into %s: %s lines, %s added (%s), %s already imported, %s not matched, %s not readable (%s lines/s)\n",
		filepath.Base(path), council, thousands(rep.Lines), thousands(rep.Added), rep.Amount, thousands(rep.Known), thousands(len(rep.Unmatched)),
		thousands(len(rep.Rejected)), thousands(rep.LinesPerSec))
	for _, l := range rep.Rejected {
		fmt.Fprintf(stdout, "  line %d not readable: %s\n", l.Line, l.Reason)
	}
	for _, l := range rep.Unmatched {
		fmt.Fprintf(stdout, "  line %d not matched: %s\n", l.Line, l.Reason)
	}
	for _, m := range rep.Overpaid {
		fmt.Fprintf(stdout, "  line %d overpaid: placement %d, %s to %s, paid %s against %s committed\n", m.Line, m.PlacementID,
			m.From.Format("2 January 2006"), m.To.Format("2 January 2006"), m.Amount, m.Committed)
	}
	for _, m := range rep.PaidTwice {
		fmt.Fprintf(stdout, "  line %d paid twice: placement %d, %s to %s was already paid\n", m.Line, m.PlacementID,
			m.From.Format("2 January 2006"), m.To.Format("2 January 2006"))
	}
	return nil
}

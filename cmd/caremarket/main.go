// Command caremarket runs the caremarket service and its operator tools.
// It only reads flags and wires packages together; the work is elsewhere.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/storage"
)

// command is one subcommand: "serve", "users create", ...
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand. Two-word commands ("users create") are
// tried before one-word ones.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	if len(args) > 1 {
		if _, ok := commands[args[0]+" "+args[1]]; ok {
			name, rest = args[0]+" "+args[1], args[2:]
		}
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "caremarket: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, rest, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(stderr, "caremarket %s: %s\n", name, message(err))
		return 1
	}
	return 0
}

// message shows an application error's own words, anything else in full
// (an operator at a terminal needs the detail).
func message(err error) string {
	if caremarket.ErrorCode(err) != caremarket.EINTERNAL {
		msg := caremarket.ErrorMessage(err)
		fields := caremarket.ErrorFields(err)
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if fields[k] != msg {
				msg += "\n  " + k + ": " + fields[k]
			}
		}
		return msg
	}
	return err.Error()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: caremarket COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-22s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'caremarket COMMAND -h' for a command's flags.")
}

// dbFlags are the flags every command that opens the database takes.
type dbFlags struct {
	path, url string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.path, "db", "caremarket.db", "SQLite database file (the default database)")
	fs.StringVar(&d.url, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (default $DATABASE_URL); when set, used instead of --db")
}

// newDBFlags is a command's flag set with the database flags registered.
func newDBFlags(name string, stderr io.Writer) (*flag.FlagSet, *dbFlags) {
	fs := newFlags(name, stderr)
	d := &dbFlags{}
	d.register(fs)
	return fs, d
}

// run parses args into fs, opens and migrates the database, and runs do
// with it; it closes the database after.
func (d *dbFlags) run(ctx context.Context, fs *flag.FlagSet, args []string, do func(context.Context, *storage.DB) error) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return do(ctx, db)
}

// openOnly opens the database as it stands, without migrating it.
func (d *dbFlags) openOnly(ctx context.Context) (*storage.DB, error) {
	return storage.Open(ctx, storage.Config{SQLitePath: d.path, DatabaseURL: d.url})
}

// open opens and migrates the database.
func (d *dbFlags) open(ctx context.Context) (*storage.DB, error) {
	db, err := d.openOnly(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// councilFlags are the database flags and --council, for a command that
// acts in one council.
type councilFlags struct {
	dbFlags
	council string
}

func newCouncilFlags(name string, stderr io.Writer) (*flag.FlagSet, *councilFlags) {
	fs := newFlags(name, stderr)
	c := &councilFlags{}
	c.register(fs)
	fs.StringVar(&c.council, "council", "", "council slug (required)")
	return fs, c
}

// run parses args into fs, opens and migrates the database, and runs do
// with it, acting as the system admin of --council; it closes the database
// after.
func (c *councilFlags) run(ctx context.Context, fs *flag.FlagSet, args []string, do func(context.Context, *storage.DB) error) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	return c.with(ctx, do)
}

// with opens and migrates the database and runs do with it, acting as the
// system admin of --council; it closes the database after. A command whose
// flags need checking parses and checks them first, so that a mistake in
// them never opens (nor migrates) the database.
func (c *councilFlags) with(ctx context.Context, do func(context.Context, *storage.DB) error) error {
	db, ctx, err := c.openCouncil(ctx, c.council)
	if err != nil {
		return err
	}
	defer db.Close()
	return do(ctx, db)
}

// openCouncil opens and migrates the database and returns a context acting
// as the system admin of the council slug. The caller closes the database.
func (d *dbFlags) openCouncil(ctx context.Context, slug string) (*storage.DB, context.Context, error) {
	db, err := d.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	cctx, err := councilContext(ctx, db, slug)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, cctx, nil
}

// councilContext returns ctx acting as the system admin of the council slug.
func councilContext(ctx context.Context, db *storage.DB, slug string) (context.Context, error) {
	if slug == "" {
		return nil, caremarket.Errorf(caremarket.EINVALID, "--council is required (a council slug, like kent)")
	}
	c, err := db.CouncilBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	return caremarket.NewContext(ctx, caremarket.SystemActor(c.ID, c.Slug)), nil
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("caremarket "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// printJSON writes v to w as indented JSON, for a person or a script to read.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

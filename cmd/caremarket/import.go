package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market/cqc"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("import cqc-directory", "load a council's providers and locations from CQC's HSCA Active Locations directory (CSV)", importDirectory)
	register("import cqc-api", "apply location and provider records saved from CQC's public API (a .json file or a directory of them)", importAPI)
}

// importFlags are the flags both imports take.
type importFlags struct {
	db        dbFlags
	council   *string
	districts *string
}

func (f *importFlags) register(fs *flag.FlagSet) {
	f.db.register(fs)
	f.council = fs.String("council", "", "council slug (required)")
	f.districts = fs.String("districts", "", "CSV of postcode districts and the council's district each is in (columns outcode, district); default: the Kent table the demo ships")
}

// oneArg parses the flags and returns the one argument after them.
func oneArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		return "", caremarket.Errorf(caremarket.EINVALID, "give one %s after the flags (flags go first)", what)
	}
	return fs.Arg(0), nil
}

// openArg parses the flags and opens the one file named after them; the
// caller closes it.
func openArg(fs *flag.FlagSet, args []string, what string) (*os.File, error) {
	path, err := oneArg(fs, args, what)
	if err != nil {
		return nil, err
	}
	return os.Open(path)
}

func importDirectory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import cqc-directory", stderr)
	var f importFlags
	f.register(fs)
	all := fs.Bool("all", false, "import every local authority's locations, not only the council's")
	keepMissing := fs.Bool("keep-missing", false, "do not mark deregistered the council's locations the file leaves out (for an extract of the directory)")
	file, err := openArg(fs, args, "directory file (CSV)")
	if err != nil {
		return err
	}
	defer file.Close()
	path := file.Name()
	var size int64
	if info, err := file.Stat(); err == nil && info.Mode().IsRegular() {
		size = info.Size()
	}
	rd, err := cqc.NewDirectoryReader(file)
	if err != nil {
		return err
	}
	p := newProgress(stderr, func(rows int) float64 {
		if size <= 0 {
			return 0
		}
		return float64(rd.Offset()) / float64(size)
	})
	return runImport(ctx, f, stdout, p, path, func(db *storage.DB, ctx context.Context, opts storage.CQCImportOptions) (*storage.CQCImportSummary, error) {
		opts.All, opts.KeepMissing = *all, *keepMissing
		return db.ImportDirectory(ctx, rd.All(), opts)
	})
}

func importAPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import cqc-api", stderr)
	var f importFlags
	f.register(fs)
	path, err := oneArg(fs, args, "file or directory of API records (.json)")
	if err != nil {
		return err
	}
	recs, err := cqc.ReadAPI(path)
	if err != nil {
		return err
	}
	total := len(recs.Locations) + len(recs.Errors)
	p := newProgress(stderr, func(rows int) float64 {
		if total == 0 {
			return 0
		}
		return float64(rows) / float64(total)
	})
	return runImport(ctx, f, stdout, p, path, func(db *storage.DB, ctx context.Context, opts storage.CQCImportOptions) (*storage.CQCImportSummary, error) {
		return db.ImportAPIRecords(ctx, recs.All(), opts)
	})
}

// runImport opens the database as the council, runs the import with a
// progress report, and prints its summary.
func runImport(ctx context.Context, f importFlags, stdout io.Writer, p *progress, path string,
	run func(db *storage.DB, ctx context.Context, opts storage.CQCImportOptions) (*storage.CQCImportSummary, error)) error {
	districtFor, err := districtTable(*f.districts)
	if err != nil {
		return err
	}
	db, ctx, err := f.db.openCouncil(ctx, *f.council)
	if err != nil {
		return err
	}
	defer db.Close()
	lookup, err := db.AreaLookup(ctx, districtFor)
	if err != nil {
		return err
	}
	p.start()
	sum, err := run(db, ctx, storage.CQCImportOptions{AreaFor: lookup, Source: filepath.Base(path), Progress: p.update})
	p.finish(err == nil)
	if sum != nil {
		printSummary(stdout, filepath.Base(path), *f.council, sum)
	}
	return err
}

// printSummary writes what an import did, every rejected row with its line
// and reason included, so the file can be corrected.
func printSummary(w io.Writer, name, council string, s *storage.CQCImportSummary) {
	fmt.Fprintf(w, "Imported %s into %s: %s rows in %s (%s rows/s)\n", name, council, thousands(s.Rows),
		s.Elapsed.Round(time.Millisecond), thousands(int(math.Round(s.RowsPerSecond()))))
	for _, c := range []struct {
		label string
		n     int
	}{{"added", s.Added}, {"updated", s.Updated}, {"unchanged", s.Unchanged}, {"deregistered", s.Deregistered}, {"rejected", s.Rejected}} {
		fmt.Fprintf(w, "  %-13s %8s\n", c.label+":", thousands(c.n))
	}
	var skipped []string
	if s.OtherAuthority > 0 {
		skipped = append(skipped, thousands(s.OtherAuthority)+" of other local authorities")
	}
	if s.NotSocialCare > 0 {
		skipped = append(skipped, thousands(s.NotSocialCare)+" not social care (GPs, dentists, hospitals...)")
	}
	if s.NotRegistered > 0 {
		skipped = append(skipped, thousands(s.NotRegistered)+" deregistered and never held")
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "  %-13s %s\n", "skipped:", strings.Join(skipped, "; "))
	}
	fmt.Fprintf(w, "  providers added %s, renamed %s; rating changes %s; alerts raised %s\n",
		thousands(s.ProvidersAdded), thousands(s.ProvidersUpdated), thousands(s.RatingChanges), thousands(s.Alerts))
	if s.DeregistrationSkipped != "" {
		fmt.Fprintf(w, "  note: %s\n", s.DeregistrationSkipped)
	}
	if len(s.Rejections) > 0 {
		fmt.Fprintln(w, "\nRejected rows (the rest were imported):")
		for _, e := range s.Rejections {
			fmt.Fprintf(w, "  %s\n", e.Error())
		}
	}
}

var outcodeRe = regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]?$`)

// districtTable reads an outcode-to-district table (CSV: outcode, district,
// with or without a header row); with no file it is the demo's Kent table.
func districtTable(path string) (func(outcode string) (string, bool), error) {
	if path == "" {
		return demo.DistrictForOutcode, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	table := map[string]string{}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) < 2 || strings.TrimSpace(rec[0]) == "" {
			continue
		}
		outcode := strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")))
		if line == 1 && strings.EqualFold(outcode, "outcode") {
			continue
		}
		if !outcodeRe.MatchString(outcode) {
			return nil, caremarket.Errorf(caremarket.EINVALID, "%s line %d: %q is not a postcode district, like CT9", path, line, rec[0])
		}
		table[outcode] = strings.TrimSpace(rec[1])
	}
	if len(table) == 0 {
		return nil, caremarket.Errorf(caremarket.EINVALID, "%s lists no postcode districts", path)
	}
	return func(outcode string) (string, bool) {
		d, ok := table[strings.ToUpper(strings.TrimSpace(outcode))]
		return d, ok
	}, nil
}

// progress reports a long import as it runs: on a terminal, a bar redrawn
// in place with rows, rate and the time left; otherwise (a log, a pipe) a
// plain line now and then.
type progress struct {
	w        io.Writer
	tty      bool
	fraction func(rows int) float64 // how far through the input, 0 to 1 (0: unknown)
	began    time.Time
	rows     atomic.Int64

	mu       sync.Mutex
	lastLine time.Time
	stop     chan struct{}
	stopped  chan struct{}
}

// plainEvery is how often plain progress lines are written at most.
var plainEvery = 2 * time.Second

func newProgress(w io.Writer, fraction func(rows int) float64) *progress {
	return &progress{w: w, tty: isTerminal(w), fraction: fraction}
}

// isTerminal reports whether w is a terminal (golang.org/x/term), where a
// bar may be redrawn with a carriage return.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (p *progress) start() {
	p.began = time.Now()
	p.lastLine = p.began
	if !p.tty {
		return
	}
	// The import reports only after each batch; the bar moves between
	// batches too, as the reader's position moves.
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw(false)
			}
		}
	}()
}

// update is the import's Progress callback.
func (p *progress) update(rows int) {
	p.rows.Store(int64(rows))
	if p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.lastLine) >= plainEvery {
		p.lastLine = now
		fmt.Fprintln(p.w, p.line())
	}
}

// finish stops the bar, drawing it complete when the import succeeded.
func (p *progress) finish(ok bool) {
	if !p.tty {
		return
	}
	close(p.stop)
	<-p.stopped
	p.draw(ok)
	fmt.Fprintln(p.w)
}

// line is the progress in words: rows, share, rate and time left.
func (p *progress) line() string {
	rows := int(p.rows.Load())
	elapsed := time.Since(p.began)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(rows) / elapsed.Seconds()
	}
	s := fmt.Sprintf("%s rows", thousands(rows))
	if f := p.fraction(rows); f > 0 {
		f = min(f, 1)
		s += fmt.Sprintf(" (%3.0f%%)", f*100)
		if f < 1 {
			left := time.Duration(float64(elapsed) * (1 - f) / f)
			s += fmt.Sprintf(", %s rows/s, about %s left", thousands(int(math.Round(rate))), left.Round(time.Second))
			return s
		}
	}
	return s + fmt.Sprintf(", %s rows/s", thousands(int(math.Round(rate))))
}

// draw redraws the bar on its line; done draws it full.
func (p *progress) draw(done bool) {
	const width = 30
	f := min(p.fraction(int(p.rows.Load())), 1)
	if done {
		f = 1
	}
	filled := int(f * width)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	p.mu.Lock()
	defer p.mu.Unlock()
	// \r returns to the start of the line, \x1b[K clears what is left of
	// the last, longer, drawing.
	fmt.Fprintf(p.w, "\r%s %s\x1b[K", bar, p.line())
}

// thousands writes n with thousands separators: 60,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

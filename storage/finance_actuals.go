package storage

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/money"
)

// ImportActuals loads a remittance file of payment lines: each line is
// matched to its placement and the matched lines are stored in one
// transaction with the import's audit record. A line already imported
// (the same line of the same file) is passed over, so importing the same
// file again adds nothing. A council's imports run one at a time, so the
// second of two at once finds the first's lines already imported.
// Finance and admins.
func (db *DB) ImportActuals(ctx context.Context, fileName, source string, r io.Reader) (*finance.ImportReport, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(canWriteFinance...); err != nil {
		return nil, err
	}
	start := time.Now()
	lines, rejected, err := finance.ReadActuals(r)
	if err != nil {
		return nil, err
	}
	fileName = strings.TrimSpace(fileName)
	if len(fileName) > 200 {
		fileName = fileName[:200]
	}
	var rep *finance.ImportReport
	update := db.update
	if db.dialect.bulkCopy {
		update = db.updateOnConn // for storePayments' COPY
	}
	err = update(ctx, func(tx *Tx) error {
		if db.dialect.lockActuals != "" {
			if _, err := tx.ExecContext(ctx, db.dialect.lockActuals, tx.actor.CouncilID); err != nil {
				return fmt.Errorf("storage: wait for the council's other imports: %w", err)
			}
		}
		ix, names, err := db.matchIndex(ctx, tx, tx.actor.CouncilID, lines)
		if err != nil {
			return err
		}
		ms := finance.MatchLines(lines, ix)
		rep = finance.Report(ms, rejected, names)
		if err := tx.QueryRowContext(ctx, `INSERT INTO actual_imports (council_id, file_name, source, lines, added, known, unmatched, rejected, amount_pence, imported_at, imported_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, tx.actor.CouncilID, fileName, source, rep.Lines, rep.Added, rep.Known,
			len(rep.Unmatched), len(rep.Rejected), int64(rep.Amount), tx.now, tx.actor.Email).Scan(&rep.ID); err != nil {
			return fmt.Errorf("storage: record import: %w", err)
		}
		if err := tx.storePayments(ctx, rep.ID, ms); err != nil {
			return err
		}
		return tx.audit(ctx, "actuals.import", "actual_import", rep.ID, nil, map[string]any{"file": fileName, "source": source, "lines": rep.Lines,
			"added": rep.Added, "already_imported": rep.Known, "unmatched": len(rep.Unmatched), "rejected": len(rep.Rejected), "amount_pence": rep.Amount,
			"overpayments": len(rep.Overpaid), "paid_twice": len(rep.PaidTwice)})
	})
	if err != nil {
		return nil, err
	}
	if secs := time.Since(start).Seconds(); secs > 0 {
		rep.LinesPerSec = int(float64(rep.Lines) / secs)
	}
	return rep, nil
}

// matchIndex reads what the file's lines can match: the council's
// placements over the file's periods, its providers by CQC provider id and
// supplier reference, and the payments already stored over those periods.
func (db *DB) matchIndex(ctx context.Context, q queryer, council int64, lines []finance.ActualLine) (*finance.MatchIndex, map[int64]string, error) {
	ix := &finance.MatchIndex{Placements: map[int64]*finance.Placement{}, ByCase: map[string][]int64{}, Providers: map[string]int64{},
		Known: map[string]bool{}, Paid: map[int64][]finance.Period{}}
	names := map[int64]string{}
	rows, err := q.QueryContext(ctx, `SELECT id, name, COALESCE(cqc_provider_id, '') FROM providers WHERE council_id = $1`, council)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: read providers: %w", err)
	}
	for rows.Next() {
		var id int64
		var name, cqcID string
		if err := rows.Scan(&id, &name, &cqcID); err != nil {
			rows.Close()
			return nil, nil, err
		}
		names[id] = name
		if cqcID != "" {
			ix.Providers[strings.ToLower(cqcID)] = id
		}
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT reference, provider_id FROM supplier_references WHERE council_id = $1`, council)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: read supplier references: %w", err)
	}
	for rows.Next() {
		var ref string
		var id int64
		if err := rows.Scan(&ref, &id); err != nil {
			rows.Close()
			return nil, nil, err
		}
		ix.Providers[strings.ToLower(ref)] = id
	}
	rows.Close()
	if len(lines) == 0 {
		return ix, names, nil
	}
	from, to := lines[0].From, lines[0].To
	for _, l := range lines {
		from, to = minTime(from, l.From), maxTime(to, l.To)
	}
	ps, err := db.financePlacements(ctx, q, council, from, to, "")
	if err != nil {
		return nil, nil, err
	}
	for i := range ps {
		p := &ps[i]
		ix.Placements[p.ID] = p
		if p.CaseRef != "" {
			k := strings.ToLower(p.CaseRef)
			ix.ByCase[k] = append(ix.ByCase[k], p.ID)
		}
	}
	rows, err = q.QueryContext(ctx, `SELECT placement_id, period_from, period_to, fingerprint FROM actual_payments
		WHERE council_id = $1 AND period_from <= $2 AND period_to >= $3`, council, ymd(to), ymd(from))
	if err != nil {
		return nil, nil, fmt.Errorf("storage: read payments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p finance.Period
		var fp string
		if err := rows.Scan(&id, scanDay{&p.From}, scanDay{&p.To}, &fp); err != nil {
			return nil, nil, err
		}
		ix.Paid[id] = append(ix.Paid[id], p)
		ix.Known[fp] = true
	}
	return ix, names, rows.Err()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// paymentColumns are the columns a stored payment line fills.
var paymentColumns = []string{"council_id", "import_id", "line", "placement_id", "provider_id", "service_type", "period_from", "period_to",
	"amount_pence", "committed_pence", "overpaid_pence", "paid_twice", "paid_on", "fingerprint"}

// storePayments stores the matched lines. On PostgreSQL they are copied
// (COPY costs the server less than INSERT); the council's imports are
// serialised (lockActuals), so every line this import did not find stored
// is new, and a duplicate fingerprint would fail the import rather than
// be passed over. Elsewhere, multi-row INSERTs.
func (tx *Tx) storePayments(ctx context.Context, importID int64, ms []finance.Match) error {
	if !tx.db.dialect.bulkCopy {
		return tx.insertPayments(ctx, importID, ms)
	}
	matched := make([]*finance.Match, 0, len(ms))
	for i := range ms {
		if ms[i].Status == finance.LineMatched {
			matched = append(matched, &ms[i])
		}
	}
	council := tx.actor.CouncilID
	_, err := tx.copyRows(ctx, "actual_payments", paymentColumns, len(matched), func(i int) ([]any, error) {
		m := matched[i]
		// Dates as ymd writes them: the UTC calendar day.
		return []any{council, importID, m.Line, m.PlacementID, m.ProviderID, m.ServiceType, m.From.UTC(), m.To.UTC(),
			int64(m.Amount), int64(m.Committed), int64(m.Over), m.PaidTwice, m.PaidOn.UTC(), m.Fingerprint}, nil
	})
	return err
}

// paymentBatch is how many payment lines one INSERT carries (14 values
// each, well inside both databases' limit on parameters).
const paymentBatch = 1000

// insertPayments stores the matched lines in multi-row INSERTs; a line
// whose fingerprint is already stored (another import racing this one)
// is left as it is.
func (tx *Tx) insertPayments(ctx context.Context, importID int64, ms []finance.Match) error {
	cols := len(paymentColumns)
	var args []any
	var b strings.Builder
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		q := `INSERT INTO actual_payments (` + strings.Join(paymentColumns, ", ") + `) VALUES ` + b.String() + ` ON CONFLICT (council_id, fingerprint) DO NOTHING`
		if _, err := tx.ExecContext(ctx, tx.db.positional(q), args...); err != nil {
			return fmt.Errorf("storage: store payments: %w", err)
		}
		args, n = args[:0], 0
		b.Reset()
		return nil
	}
	for _, m := range ms {
		if m.Status != finance.LineMatched {
			continue
		}
		rowMarks(&b, n, cols)
		args = append(args, tx.actor.CouncilID, importID, m.Line, m.PlacementID, m.ProviderID, m.ServiceType, ymd(m.From), ymd(m.To),
			int64(m.Amount), int64(m.Committed), int64(m.Over), m.PaidTwice, ymd(m.PaidOn), m.Fingerprint)
		n++
		if n == paymentBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// ListImports lists the council's actuals imports, newest first.
func (db *DB) ListImports(ctx context.Context) ([]finance.Import, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(canReadFinance...); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, file_name, source, lines, added, known, unmatched, rejected, amount_pence, imported_at, imported_by
		FROM actual_imports WHERE council_id = $1 ORDER BY id DESC LIMIT 100`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list imports: %w", err)
	}
	return scanAll(rows, "import", func(r interface{ Scan(...any) error }) (*finance.Import, error) {
		var i finance.Import
		var amount int64
		err := r.Scan(&i.ID, &i.FileName, &i.Source, &i.Lines, &i.Added, &i.Known, &i.Unmatched, &i.Rejected, &amount, &i.ImportedAt, &i.ImportedBy)
		i.Amount = money.Money(amount)
		return &i, err
	})
}

// actualsPerPage is how many payment lines a page lists.
const actualsPerPage = 50

// ListActuals lists payment lines, newest period first, with the total
// count: the council's to finance, commissioners and admins; a provider's
// own to that provider, and nobody else's.
func (db *DB) ListActuals(ctx context.Context, f finance.ActualFilter) ([]finance.Payment, int, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, 0, err
	}
	where := []string{"ap.council_id = $1"}
	args := []any{actor.CouncilID}
	add := addWhere(&where, &args)
	if actor.Role == caremarket.RoleProvider {
		add("ap.provider_id = ?", actor.ProviderID)
	} else if err := actor.Require(canReadFinance...); err != nil {
		return nil, 0, err
	}
	if f.PlacementID > 0 {
		add("ap.placement_id = ?", f.PlacementID)
	}
	if f.ProviderID > 0 {
		add("ap.provider_id = ?", f.ProviderID)
	}
	if f.Year != 0 {
		add("ap.period_from >= ?", ymd(f.Year.Start()))
		add("ap.period_from <= ?", ymd(f.Year.End()))
	}
	if f.Flagged {
		where = append(where, "(ap.paid_twice OR ap.overpaid_pence > 0)")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM actual_payments ap WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("storage: count payments: %w", err)
	}
	page := max(f.Page, 1)
	rows, err := db.sql.QueryContext(ctx, `SELECT ap.id, ap.import_id, ap.line, ap.placement_id, ap.provider_id, p.name, ap.service_type, ap.period_from, ap.period_to,
		ap.amount_pence, ap.committed_pence, ap.overpaid_pence, ap.paid_twice, ap.paid_on FROM actual_payments ap JOIN providers p ON p.id = ap.provider_id
		WHERE `+cond+fmt.Sprintf(` ORDER BY ap.period_from DESC, ap.id DESC LIMIT %d OFFSET %d`, actualsPerPage, (page-1)*actualsPerPage), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("storage: list payments: %w", err)
	}
	out, err := scanAll(rows, "payment", func(r interface{ Scan(...any) error }) (*finance.Payment, error) {
		var p finance.Payment
		var amount, committed, over int64
		err := r.Scan(&p.ID, &p.ImportID, &p.Line, &p.PlacementID, &p.ProviderID, &p.ProviderName, &p.ServiceType, scanDay{&p.From}, scanDay{&p.To},
			&amount, &committed, &over, &p.PaidTwice, scanDay{&p.PaidOn})
		p.Amount, p.Committed, p.Overpaid = money.Money(amount), money.Money(committed), money.Money(over)
		return &p, err
	})
	return out, total, err
}

// SetSupplierReference records the council's payments-system reference
// for a provider, so payment lines naming it match. Finance and admins.
func (db *DB) SetSupplierReference(ctx context.Context, providerID int64, ref string) error {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 60 {
		return caremarket.Invalid(map[string]string{"reference": "Enter the supplier reference, up to 60 characters"})
	}
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.actor.Require(canWriteFinance...); err != nil {
			return err
		}
		if _, err := providerName(ctx, tx, tx.actor.CouncilID, providerID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_references (council_id, reference, provider_id) VALUES ($1, $2, $3)
			ON CONFLICT (council_id, reference) DO UPDATE SET provider_id = excluded.provider_id`, tx.actor.CouncilID, ref, providerID); err != nil {
			return fmt.Errorf("storage: set supplier reference: %w", err)
		}
		return tx.audit(ctx, "supplier_reference.set", "provider", providerID, nil, map[string]any{"reference": ref})
	})
}

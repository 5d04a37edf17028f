package financedemo

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"sort"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/storage"
)

// actualsFile is a year of four-weekly payments as the payments system
// exports them: every placement paid what it committed for each period
// that ended more than a week ago, naming the provider by its supplier
// reference or CQC provider id; with a few lines that cannot be matched
// (a mistyped placement, a provider the council does not know), one
// overpayment and two periods paid twice.
func actualsFile(ctx context.Context, db *storage.DB, today time.Time) ([]byte, error) {
	from := today.AddDate(-1, 0, 0)
	for from.Weekday() != time.Monday {
		from = from.AddDate(0, 0, 1)
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT id, COALESCE(cqc_provider_id, '') FROM providers WHERE council_id = $1`, caremarket.ActorFrom(ctx).CouncilID)
	if err != nil {
		return nil, err
	}
	cqcID := map[int64]string{}
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return nil, err
		}
		cqcID[id] = c
	}
	rows.Close()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"Supplier Reference", "CQC Provider ID", "Service ID", "Client ID", "Period Start", "Period End", "Net Amount", "Payment Date"})
	ps, err := livePlacements(ctx, db, from, today)
	if err != nil {
		return nil, err
	}
	refs := map[int64]bool{}
	lines := 0
	for i, p := range ps {
		useRef := p.ProviderID%2 == 0 || cqcID[p.ProviderID] == ""
		if useRef && !refs[p.ProviderID] {
			if err := db.SetSupplierReference(ctx, p.ProviderID, supplierRef(p.ProviderID)); err != nil {
				return nil, err
			}
			refs[p.ProviderID] = true
		}
		for a := from; ; a = a.AddDate(0, 0, 28) {
			b := a.AddDate(0, 0, 27)
			if b.AddDate(0, 0, 7).After(today) {
				break
			}
			amount := p.Cost(a, b)
			if amount == 0 {
				continue
			}
			if i == 3 && a == from {
				amount += 5000 // an overpayment of £50
			}
			rec := []string{"", cqcID[p.ProviderID], fmt.Sprint(p.ID), "", a.Format("02/01/2006"), b.Format("02/01/2006"), amount.Plain(), b.AddDate(0, 0, 7).Format("02/01/2006")}
			if useRef {
				rec[0], rec[1] = supplierRef(p.ProviderID), ""
			}
			if i%5 == 1 {
				// Some systems know the person, not the placement.
				rec[2], rec[3] = "", p.CaseRef
			}
			w.Write(rec)
			lines++
			if (i == 7 || i == 11) && a == from {
				w.Write(rec) // the same period paid twice
			}
		}
	}
	// Lines that cannot be matched.
	w.Write([]string{"SUP-99999", "", "1", "", from.Format("02/01/2006"), from.AddDate(0, 0, 27).Format("02/01/2006"), "812.00", from.AddDate(0, 0, 35).Format("02/01/2006")})
	if len(ps) > 0 {
		w.Write([]string{supplierRef(ps[0].ProviderID), "", "99999999", "", from.Format("02/01/2006"), from.AddDate(0, 0, 27).Format("02/01/2006"), "812.00", from.AddDate(0, 0, 35).Format("02/01/2006")})
	}
	w.Write([]string{"", "", "", "", "", "", "", ""})
	w.Flush()
	return buf.Bytes(), w.Error()
}

func supplierRef(provider int64) string { return fmt.Sprintf("KCC-SUP-%05d", provider) }

// livePlacements reads the placements with a day between from and to
// through the finance drill-down (every row: Page -1).
func livePlacements(ctx context.Context, db *storage.DB, from, to time.Time) ([]finance.Placement, error) {
	var out []finance.Placement
	seen := map[int64]bool{}
	for y := finance.YearOf(from); y <= finance.YearOf(to); y++ {
		d, err := db.DrillDown(ctx, finance.DrillFilter{Year: y, Page: -1})
		if err != nil {
			return nil, err
		}
		for _, r := range d.Rows {
			p := r.Placement
			if !seen[p.ID] && p.Start.Before(to) && (p.End == nil || !p.End.Before(from)) {
				seen[p.ID] = true
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

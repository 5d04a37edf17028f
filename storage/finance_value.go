package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/caremarket/caremarket/finance"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
)

// AgreementSpend sets an agreement's advertised value beside the
// commitments and actuals of the placements made under it, year by year
// to today, with the value used and the headroom left (including the
// extension options of its contracts not yet taken).
func (db *DB) AgreementSpend(ctx context.Context, agreementID int64) (*finance.ContractValue, error) {
	actor, err := actorRequire(ctx, canReadFinance...)
	if err != nil {
		return nil, err
	}
	council := actor.CouncilID
	cv := finance.ContractValue{AgreementID: agreementID}
	var annual, lifetime int64
	if err := db.sql.QueryRowContext(ctx, `SELECT reference, title, start_date, end_date, annual_value_pence, lifetime_value_pence FROM agreements
		WHERE id = $1 AND council_id = $2`, agreementID, council).Scan(&cv.Reference, &cv.Title, scanDay{&cv.Start}, scanDay{&cv.End}, &annual, &lifetime); err != nil {
		return nil, notFound(err, "Agreement")
	}
	cv.AnnualValue, cv.LifetimeValue = money.Money(annual), money.Money(lifetime)
	today := db.today()
	to := today
	if cv.End.Before(to) {
		to = cv.End
	}
	ps, err := db.financePlacements(ctx, db.sql, council, finance.YearOf(cv.Start).Start(), to, " AND pl.agreement_id = $4", agreementID)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT ap.period_from, SUM(ap.amount_pence) FROM actual_payments ap JOIN placements pl ON pl.id = ap.placement_id
		WHERE ap.council_id = $1 AND pl.agreement_id = $2 GROUP BY ap.period_from`, council, agreementID)
	if err != nil {
		return nil, fmt.Errorf("storage: actuals under agreement: %w", err)
	}
	actual := map[finance.Year]finance.Money{}
	for rows.Next() {
		var from time.Time
		var sum int64
		if err := rows.Scan(scanDay{&from}, &sum); err != nil {
			rows.Close()
			return nil, err
		}
		actual[finance.YearOf(from)] += money.Money(sum)
	}
	rows.Close()
	// Options not yet taken: each contract's untaken extensions at its
	// annual value.
	var options finance.Money
	crows, err := db.sql.QueryContext(ctx, `SELECT extensions, annual_value_pence FROM contracts WHERE council_id = $1 AND agreement_id = $2`, council, agreementID)
	if err != nil {
		return nil, fmt.Errorf("storage: contracts of agreement: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var ext string
		var a int64
		if err := crows.Scan(&ext, &a); err != nil {
			return nil, err
		}
		var es []procurement.Extension
		if json.Unmarshal([]byte(ext), &es) == nil {
			for _, e := range es {
				if !e.Taken {
					options += money.Money(a * int64(e.Months) / 12)
				}
			}
		}
	}
	settings, err := db.financeSettings(ctx, db.sql, council)
	if err != nil {
		return nil, err
	}
	out := finance.Value(cv, ps, actual, today, cv.LifetimeValue+options)
	out.Scale = settings.Scale
	if out.Years == nil {
		out.Years = []finance.YearSpend{}
	}
	return &out, crows.Err()
}

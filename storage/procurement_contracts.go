package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

// Contracts.

const contractColumns = `c.id, c.council_id, COALESCE(c.agreement_id, 0), COALESCE(c.award_id, 0), c.provider_id, p.name, c.reference, c.title, c.start_date, c.initial_end,
	c.end_date, c.extensions, c.break_clauses, c.variations, c.annual_value_pence, c.lifetime_value_pence, c.value_so_far_pence, c.entered_on, c.created_at, c.updated_at`
const contractFrom = ` FROM contracts c JOIN providers p ON p.id = c.provider_id`

func scanContract(row interface{ Scan(...any) error }) (*procurement.Contract, error) {
	var c procurement.Contract
	var ext, breaks, vars string
	var entered sql.NullTime
	if err := row.Scan(&c.ID, &c.CouncilID, &c.AgreementID, &c.AwardID, &c.ProviderID, &c.ProviderName, &c.Reference, &c.Title, &c.Start, &c.InitialEnd,
		&c.End, &ext, &breaks, &vars, &c.AnnualValuePence, &c.LifetimeValuePence, &c.ValueSoFarPence, &entered, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.Start, c.InitialEnd, c.End = day(c.Start.UTC()), day(c.InitialEnd.UTC()), day(c.End.UTC())
	if entered.Valid {
		c.EnteredOn = day(entered.Time.UTC())
	}
	c.Extensions, c.BreakClauses, c.Variations = []procurement.Extension{}, []procurement.BreakClause{}, []procurement.Variation{}
	for _, x := range []struct {
		s string
		v any
	}{{ext, &c.Extensions}, {breaks, &c.BreakClauses}, {vars, &c.Variations}} {
		if err := fromJSON(x.s, x.v); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// ListContracts lists contracts. A provider sees only its own.
func (db *DB) ListContracts(ctx context.Context, f procurement.ContractFilter) ([]procurement.Contract, error) {
	s, err := scopeOf(ctx, "c", byProvider)
	if err != nil {
		return nil, err
	}
	s.filter("c.agreement_id = ?", f.AgreementID).filter("c.provider_id = ?", f.ProviderID)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+contractColumns+contractFrom+` WHERE `+s.where()+` ORDER BY c.start_date DESC, c.id`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list contracts: %w", err)
	}
	return scanAll(rows, "contract", scanContract)
}

func (db *DB) contract(ctx context.Context, q queryer, actor *caremarket.Actor, id int64, lock string) (*procurement.Contract, error) {
	s := scopeFor(actor, "c", byProvider).and("c.id = ?", id)
	c, err := scanContract(q.QueryRowContext(ctx, `SELECT `+contractColumns+contractFrom+` WHERE `+s.where()+lock, s.args...))
	if err != nil {
		return nil, notFound(err, "Contract")
	}
	return c, nil
}

// Contract returns one contract.
func (db *DB) Contract(ctx context.Context, id int64) (*procurement.Contract, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.contract(ctx, db.sql, actor, id, "")
}

// CreateContract enters a contract. Under an award it is entered today (the
// server's clock), for the award's provider, and is refused before the
// contract award notice or inside the standstill. Without an award it
// records a contract's history (a contract let before caremarket).
// Commissioners and admins.
func (db *DB) CreateContract(ctx context.Context, c *procurement.Contract) error {
	return db.updateBy(ctx, canSetUp, func(tx *Tx) error {
		if c.AwardID != 0 {
			aw, err := scanAward(tx.QueryRowContext(ctx, `SELECT `+awardColumns+awardFrom+` WHERE aw.council_id = $1 AND aw.id = $2`, tx.actor.CouncilID, c.AwardID))
			if err != nil {
				return notFound(err, "Award")
			}
			ss := procurement.Standstill{}
			if aw.Standstill != nil {
				ss = *aw.Standstill
			}
			c.EnteredOn = day(db.Now().In(procurement.London))
			if err := ss.CheckEnter(db.Now()); err != nil {
				return err
			}
			if aw.ContractID != 0 {
				return caremarket.Errorf(caremarket.ECONFLICT, "A contract has already been entered for this award")
			}
			c.AgreementID, c.ProviderID = aw.AgreementID, aw.ProviderID
		} else if c.AgreementID != 0 {
			if _, err := db.agreementWhere(ctx, tx, tx.actor.CouncilID, "id = $2", c.AgreementID, ""); err != nil {
				return err
			}
		}
		if err := c.Validate(); err != nil {
			return err
		}
		name, err := providerName(ctx, tx, tx.actor.CouncilID, c.ProviderID)
		if err != nil {
			return err
		}
		c.ProviderName = name
		c.CouncilID, c.CreatedAt, c.UpdatedAt = tx.actor.CouncilID, tx.now, tx.now
		var entered any
		if !c.EnteredOn.IsZero() {
			entered = day(c.EnteredOn)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO contracts (council_id, agreement_id, award_id, provider_id, reference, title, start_date, initial_end, end_date,
			extensions, break_clauses, variations, annual_value_pence, lifetime_value_pence, value_so_far_pence, entered_on, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
			c.CouncilID, nullInt64(c.AgreementID), nullInt64(c.AwardID), c.ProviderID, c.Reference, c.Title, c.Start, c.InitialEnd, c.End,
			toJSON(c.Extensions), toJSON(c.BreakClauses), toJSON(c.Variations), c.AnnualValuePence, c.LifetimeValuePence, c.ValueSoFarPence,
			entered, c.CreatedAt, c.UpdatedAt).Scan(&c.ID)
		if isUniqueViolation(err) {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: "A contract with reference " + c.Reference + " already exists (or the award already has a contract)",
				Fields: map[string]string{"reference": "A contract with this reference already exists"}}
		} else if err != nil {
			return fmt.Errorf("storage: create contract: %w", err)
		}
		return tx.audit(ctx, "contract.create", "contract", c.ID, nil, c)
	})
}

// UpdateContract changes a contract's term, options, break clauses,
// variations and values; its award, agreement and provider stay.
// Commissioners and admins.
func (db *DB) UpdateContract(ctx context.Context, c *procurement.Contract) error {
	return db.updateBy(ctx, canSetUp, func(tx *Tx) error {
		before, err := db.contract(ctx, tx, tx.actor, c.ID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		c.CouncilID, c.AgreementID, c.AwardID, c.ProviderID, c.ProviderName = before.CouncilID, before.AgreementID, before.AwardID, before.ProviderID, before.ProviderName
		c.CreatedAt, c.UpdatedAt = before.CreatedAt, tx.now
		if c.EnteredOn.IsZero() {
			c.EnteredOn = before.EnteredOn
		}
		return db.writeContract(ctx, tx, before, c, "contract.update")
	})
}

func (db *DB) writeContract(ctx context.Context, tx *Tx, before, c *procurement.Contract, action string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var entered any
	if !c.EnteredOn.IsZero() {
		entered = day(c.EnteredOn)
	}
	_, err := tx.ExecContext(ctx, `UPDATE contracts SET reference = $1, title = $2, start_date = $3, initial_end = $4, end_date = $5, extensions = $6,
		break_clauses = $7, variations = $8, annual_value_pence = $9, lifetime_value_pence = $10, value_so_far_pence = $11, entered_on = $12, updated_at = $13
		WHERE id = $14 AND council_id = $15`, c.Reference, c.Title, c.Start, c.InitialEnd, c.End, toJSON(c.Extensions), toJSON(c.BreakClauses),
		toJSON(c.Variations), c.AnnualValuePence, c.LifetimeValuePence, c.ValueSoFarPence, entered, c.UpdatedAt, c.ID, c.CouncilID)
	if isUniqueViolation(err) {
		return caremarket.Errorf(caremarket.ECONFLICT, "Another contract has reference %s", c.Reference)
	} else if err != nil {
		return fmt.Errorf("storage: update contract: %w", err)
	}
	return tx.audit(ctx, action, "contract", c.ID, before, c)
}

// TakeExtension exercises a contract's next extension option today.
func (db *DB) TakeExtension(ctx context.Context, contractID int64) (*procurement.Contract, error) {
	var out *procurement.Contract
	err := db.updateBy(ctx, canSetUp, func(tx *Tx) error {
		before, err := db.contract(ctx, tx, tx.actor, contractID, tx.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		c := *before
		c.Extensions = append([]procurement.Extension(nil), before.Extensions...)
		if err := c.TakeExtension(db.Now().In(procurement.London)); err != nil {
			return err
		}
		c.UpdatedAt = tx.now
		out = &c
		return db.writeContract(ctx, tx, before, &c, "contract.extend")
	})
	return out, err
}

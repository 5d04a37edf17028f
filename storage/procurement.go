package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

// Procurement storage: agreements, lots, windows and their questions,
// evaluators, and the council's extra bank holidays. Applications, scoring,
// awards and contracts are in procurement_apps.go.

// canSetUp are the roles that set up agreements, windows and awards.
var canSetUp = []caremarket.Role{caremarket.RoleAdmin, caremarket.RoleCommissioner}

func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func fromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// day stores a date as midnight UTC.
func day(t time.Time) time.Time { return procurement.Day(t) }

// actorRequire is actorOf plus a role check.
func actorRequire(ctx context.Context, roles ...caremarket.Role) (*caremarket.Actor, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return a, a.Require(roles...)
}

const agreementColumns = `id, council_id, reference, title, description, type, regime, light_touch, voluntary_standstill, allow_resubmission,
	single_supplier, annual_value_pence, lifetime_value_pence, start_date, end_date, reopenings, created_at, updated_at`

func scanAgreement(row interface{ Scan(...any) error }) (*procurement.Agreement, error) {
	var a procurement.Agreement
	var reopenings string
	err := row.Scan(&a.ID, &a.CouncilID, &a.Reference, &a.Title, &a.Description, &a.Type, &a.Regime, &a.LightTouch, &a.VoluntaryStandstill,
		&a.AllowResubmission, &a.SingleSupplier, &a.AnnualValuePence, &a.LifetimeValuePence, &a.Start, &a.End, &reopenings, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, err
	}
	a.Start, a.End = day(a.Start.UTC()), day(a.End.UTC())
	a.Reopenings = []time.Time{}
	if err := fromJSON(reopenings, &a.Reopenings); err != nil {
		return nil, err
	}
	a.Lots = []procurement.Lot{}
	return &a, nil
}

const lotColumns = `l.id, l.agreement_id, l.number, l.title, l.service_types, l.area_ids, l.provider_cap, l.call_off, l.ranking, l.call_off_terms, l.mechanism,
	(SELECT COUNT(*) FROM awards w WHERE w.lot_id = l.id)`

func scanLot(row interface{ Scan(...any) error }) (*procurement.Lot, error) {
	var l procurement.Lot
	var sts, areas, ranking string
	if err := row.Scan(&l.ID, &l.AgreementID, &l.Number, &l.Title, &sts, &areas, &l.ProviderCap, &l.CallOff, &ranking, &l.CallOffTerms, &l.Mechanism, &l.Admitted); err != nil {
		return nil, err
	}
	if err := fromJSON(sts, &l.ServiceTypes); err != nil {
		return nil, err
	}
	if err := fromJSON(areas, &l.AreaIDs); err != nil {
		return nil, err
	}
	if err := fromJSON(ranking, &l.Ranking); err != nil {
		return nil, err
	}
	return &l, nil
}

func loadLots(ctx context.Context, q queryer, councilID int64, agreementIDs ...int64) (map[int64][]procurement.Lot, error) {
	out := map[int64][]procurement.Lot{}
	if len(agreementIDs) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT `+lotColumns+` FROM lots l WHERE l.council_id = $1 ORDER BY l.agreement_id, l.number`, councilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list lots: %w", err)
	}
	defer rows.Close()
	want := map[int64]bool{}
	for _, id := range agreementIDs {
		want[id] = true
	}
	for rows.Next() {
		l, err := scanLot(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: scan lot: %w", err)
		}
		if want[l.AgreementID] {
			out[l.AgreementID] = append(out[l.AgreementID], *l)
		}
	}
	return out, rows.Err()
}

// ListAgreements lists the council's agreements with their lots. Anyone in
// the council may read them: they are published in the notices anyway.
func (db *DB) ListAgreements(ctx context.Context) ([]procurement.Agreement, error) {
	s, err := scopeOf(ctx, "", councilWide)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+agreementColumns+` FROM agreements WHERE `+s.where()+` ORDER BY start_date DESC, reference`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list agreements: %w", err)
	}
	defer rows.Close()
	out := []procurement.Agreement{}
	var ids []int64
	for rows.Next() {
		a, err := scanAgreement(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: scan agreement: %w", err)
		}
		out = append(out, *a)
		ids = append(ids, a.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	lots, err := loadLots(ctx, db.sql, s.actor.CouncilID, ids...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if ls := lots[out[i].ID]; ls != nil {
			out[i].Lots = ls
		}
	}
	return out, nil
}

func (db *DB) agreementWhere(ctx context.Context, q queryer, councilID int64, cond string, arg any, lock string) (*procurement.Agreement, error) {
	a, err := scanAgreement(q.QueryRowContext(ctx, `SELECT `+agreementColumns+` FROM agreements WHERE council_id = $1 AND `+cond+lock, councilID, arg))
	if err != nil {
		return nil, notFound(err, "Agreement")
	}
	lots, err := loadLots(ctx, q, councilID, a.ID)
	if err != nil {
		return nil, err
	}
	if ls := lots[a.ID]; ls != nil {
		a.Lots = ls
	}
	return a, nil
}

// Agreement returns one agreement with its lots.
func (db *DB) Agreement(ctx context.Context, id int64) (*procurement.Agreement, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.agreementWhere(ctx, db.sql, actor.CouncilID, "id = $2", id, "")
}

// AgreementByReference finds an agreement by its reference, like AAHC-2027.
func (db *DB) AgreementByReference(ctx context.Context, ref string) (*procurement.Agreement, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.agreementWhere(ctx, db.sql, actor.CouncilID, "reference = $2", strings.ToUpper(strings.TrimSpace(ref)), "")
}

// checkAreas refuses lots naming areas of another council.
func checkAreas(ctx context.Context, tx *Tx, lots []procurement.Lot) error {
	for i, l := range lots {
		for _, id := range l.AreaIDs {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM areas WHERE id = $1 AND council_id = $2`, id, tx.actor.CouncilID).Scan(&n); err != nil {
				return fmt.Errorf("storage: check area: %w", err)
			}
			if n == 0 {
				return &caremarket.Error{Code: caremarket.EINVALID, Message: "Choose areas of this council",
					Fields: map[string]string{fmt.Sprintf("lots.%d.area_ids", i): "Choose areas of this council"}}
			}
		}
	}
	return nil
}

func insertLot(ctx context.Context, tx *Tx, agreementID int64, l *procurement.Lot) error {
	l.AgreementID = agreementID
	err := tx.QueryRowContext(ctx, `INSERT INTO lots (council_id, agreement_id, number, title, service_types, area_ids, provider_cap, call_off, ranking, call_off_terms, mechanism)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		tx.actor.CouncilID, agreementID, l.Number, l.Title, toJSON(l.ServiceTypes), toJSON(l.AreaIDs), l.ProviderCap, string(l.CallOff),
		toJSON(l.Ranking), l.CallOffTerms, l.Mechanism).Scan(&l.ID)
	if isUniqueViolation(err) {
		return &caremarket.Error{Code: caremarket.ECONFLICT, Message: fmt.Sprintf("The agreement already has a lot %d", l.Number),
			Fields: map[string]string{"number": "Another lot has this number"}}
	} else if err != nil {
		return fmt.Errorf("storage: create lot: %w", err)
	}
	return nil
}

// CreateAgreement sets up an agreement and its lots, checking the law.
// Commissioners and admins.
func (db *DB) CreateAgreement(ctx context.Context, a *procurement.Agreement) error {
	if err := a.Validate(); err != nil {
		return err
	}
	return db.updateBy(ctx, canSetUp, func(tx *Tx) error {
		if err := checkAreas(ctx, tx, a.Lots); err != nil {
			return err
		}
		a.CouncilID, a.CreatedAt, a.UpdatedAt = tx.actor.CouncilID, tx.now, tx.now
		if a.Reopenings == nil {
			a.Reopenings = []time.Time{}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO agreements (council_id, reference, title, description, type, regime, light_touch, voluntary_standstill,
			allow_resubmission, single_supplier, annual_value_pence, lifetime_value_pence, start_date, end_date, reopenings, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			a.CouncilID, a.Reference, a.Title, a.Description, string(a.Type), string(a.Regime), a.LightTouch, a.VoluntaryStandstill,
			a.AllowResubmission, a.SingleSupplier, a.AnnualValuePence, a.LifetimeValuePence, a.Start, a.End, toJSON(a.Reopenings), a.CreatedAt, a.UpdatedAt).Scan(&a.ID)
		if isUniqueViolation(err) {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: "An agreement with reference " + a.Reference + " already exists",
				Fields: map[string]string{"reference": "An agreement with this reference already exists"}}
		} else if err != nil {
			return fmt.Errorf("storage: create agreement: %w", err)
		}
		if a.Lots == nil {
			a.Lots = []procurement.Lot{}
		}
		for i := range a.Lots {
			if err := insertLot(ctx, tx, a.ID, &a.Lots[i]); err != nil {
				return err
			}
		}
		return tx.audit(ctx, "agreement.create", "agreement", a.ID, nil, a)
	})
}

// UpdateAgreement changes an agreement's details and its lots: a lot with an
// id is changed, one without is added, and lots not named are kept. The law
// is checked on the result, and a lot with awards cannot be changed.
// Commissioners and admins.
func (db *DB) UpdateAgreement(ctx context.Context, a *procurement.Agreement) error {
	return db.updateBy(ctx, canSetUp, func(tx *Tx) error {
		before, err := db.updateAgreement(ctx, tx, a)
		if err != nil {
			return err
		}
		return tx.audit(ctx, "agreement.update", "agreement", a.ID, before, a)
	})
}

// updateAgreement is UpdateAgreement inside tx, without the role check and
// the audit record; it returns the agreement as it was.
func (db *DB) updateAgreement(ctx context.Context, tx *Tx, a *procurement.Agreement) (*procurement.Agreement, error) {
	before, err := db.agreementWhere(ctx, tx, tx.actor.CouncilID, "id = $2", a.ID, tx.db.dialect.forUpdate)
	if err != nil {
		return nil, err
	}
	merged := append([]procurement.Lot(nil), before.Lots...)
	for _, l := range a.Lots {
		found := false
		for i := range merged {
			if l.ID != 0 && merged[i].ID == l.ID {
				if err := lotLocked(merged[i], l); err != nil {
					return nil, err
				}
				l.Admitted = merged[i].Admitted
				merged[i], found = l, true
			}
		}
		if !found {
			if l.ID != 0 {
				return nil, caremarket.Errorf(caremarket.ENOTFOUND, "Lot %d is not part of this agreement", l.ID)
			}
			merged = append(merged, l)
		}
	}
	a.Lots = merged
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := checkAreas(ctx, tx, a.Lots); err != nil {
		return nil, err
	}
	a.CouncilID, a.CreatedAt, a.UpdatedAt = before.CouncilID, before.CreatedAt, tx.now
	if a.Reopenings == nil {
		a.Reopenings = []time.Time{}
	}
	_, err = tx.ExecContext(ctx, `UPDATE agreements SET reference = $1, title = $2, description = $3, type = $4, regime = $5, light_touch = $6,
		voluntary_standstill = $7, allow_resubmission = $8, single_supplier = $9, annual_value_pence = $10, lifetime_value_pence = $11,
		start_date = $12, end_date = $13, reopenings = $14, updated_at = $15 WHERE id = $16 AND council_id = $17`,
		a.Reference, a.Title, a.Description, string(a.Type), string(a.Regime), a.LightTouch, a.VoluntaryStandstill, a.AllowResubmission,
		a.SingleSupplier, a.AnnualValuePence, a.LifetimeValuePence, a.Start, a.End, toJSON(a.Reopenings), a.UpdatedAt, a.ID, a.CouncilID)
	if isUniqueViolation(err) {
		return nil, &caremarket.Error{Code: caremarket.ECONFLICT, Message: "Another agreement has reference " + a.Reference,
			Fields: map[string]string{"reference": "Another agreement has this reference"}}
	} else if err != nil {
		return nil, fmt.Errorf("storage: update agreement: %w", err)
	}
	for i := range a.Lots {
		l := &a.Lots[i]
		if l.ID == 0 {
			if err := insertLot(ctx, tx, a.ID, l); err != nil {
				return nil, err
			}
			continue
		}
		_, err := tx.ExecContext(ctx, `UPDATE lots SET number = $1, title = $2, service_types = $3, area_ids = $4, provider_cap = $5, call_off = $6,
			ranking = $7, call_off_terms = $8, mechanism = $9 WHERE id = $10 AND council_id = $11`,
			l.Number, l.Title, toJSON(l.ServiceTypes), toJSON(l.AreaIDs), l.ProviderCap, string(l.CallOff), toJSON(l.Ranking), l.CallOffTerms, l.Mechanism,
			l.ID, a.CouncilID)
		if isUniqueViolation(err) {
			return nil, caremarket.Errorf(caremarket.ECONFLICT, "Two lots cannot both be lot %d", l.Number)
		} else if err != nil {
			return nil, fmt.Errorf("storage: update lot: %w", err)
		}
	}
	return before, nil
}

// lotLocked refuses a change to a lot that has awards: providers were
// admitted to it as it stood (its service types, areas, cap and call-off
// rule), so changing it afterwards would change what they won. Sending the
// lot back unchanged is fine.
func lotLocked(before, after procurement.Lot) error {
	if before.Admitted == 0 {
		return nil
	}
	same := after.Number == before.Number && strings.TrimSpace(after.Title) == before.Title &&
		slices.Equal(after.ServiceTypes, before.ServiceTypes) && slices.Equal(after.AreaIDs, before.AreaIDs) &&
		after.ProviderCap == before.ProviderCap && after.CallOff == before.CallOff && slices.Equal(after.Ranking, before.Ranking) &&
		strings.TrimSpace(after.CallOffTerms) == before.CallOffTerms && strings.TrimSpace(after.Mechanism) == before.Mechanism
	if same {
		return nil
	}
	return caremarket.Errorf(caremarket.ECONFLICT, "Lot %d (%s) cannot be changed: it has been awarded (%d %s), and the award was made on the lot as it stands. Add a new lot instead",
		before.Number, before.Title, before.Admitted, plural(before.Admitted, "award", "awards"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// UpdateLot changes one lot: its title, number, service types, areas, cap
// and call-off rule. The law is checked on the agreement as it would be
// (a direct award needs call-off terms and an objective mechanism, PA 2023
// s.45(4)), and a lot with any award is refused. Commissioners and admins.
func (db *DB) UpdateLot(ctx context.Context, l *procurement.Lot) error {
	return db.updateBy(ctx, canSetUp, func(tx *Tx) error {
		var agreementID int64
		if err := tx.QueryRowContext(ctx, `SELECT agreement_id FROM lots WHERE id = $1 AND council_id = $2`, l.ID, tx.actor.CouncilID).Scan(&agreementID); err != nil {
			return notFound(err, "Lot")
		}
		a, err := db.agreementWhere(ctx, tx, tx.actor.CouncilID, "id = $2", agreementID, "")
		if err != nil {
			return err
		}
		var old procurement.Lot
		for _, x := range a.Lots {
			if x.ID == l.ID {
				old = x
			}
		}
		if l.Number == 0 {
			l.Number = old.Number
		}
		a.Lots = []procurement.Lot{*l}
		if _, err := db.updateAgreement(ctx, tx, a); err != nil {
			return err
		}
		for _, x := range a.Lots {
			if x.ID == l.ID {
				*l = x
			}
		}
		l.AgreementID = agreementID
		return tx.audit(ctx, "lot.update", "lot", l.ID, old, l)
	})
}

// AddLot adds a lot to an agreement, checking the law on the whole.
func (db *DB) AddLot(ctx context.Context, agreementID int64, l *procurement.Lot) error {
	a, err := db.Agreement(ctx, agreementID)
	if err != nil {
		return err
	}
	l.ID = 0
	if l.Number == 0 {
		for _, x := range a.Lots {
			l.Number = max(l.Number, x.Number)
		}
		l.Number++
	}
	a.Lots = []procurement.Lot{*l}
	if err := db.UpdateAgreement(ctx, a); err != nil {
		return err
	}
	for _, x := range a.Lots {
		if x.Number == l.Number {
			*l = x
		}
	}
	return nil
}

// Calendar is the shipped bank holidays plus the council's additions.
func (db *DB) Calendar(ctx context.Context) (*procurement.Calendar, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	return db.calendar(ctx, db.sql, actor.CouncilID)
}

func (db *DB) calendar(ctx context.Context, q queryer, councilID int64) (*procurement.Calendar, error) {
	rows, err := q.QueryContext(ctx, `SELECT day, name FROM bank_holidays WHERE council_id = $1`, councilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list bank holidays: %w", err)
	}
	defer rows.Close()
	var extra []procurement.Holiday
	for rows.Next() {
		var h procurement.Holiday
		if err := rows.Scan(scanDay{&h.Date}, &h.Name); err != nil {
			return nil, err
		}
		extra = append(extra, h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(extra) == 0 {
		return procurement.DefaultCalendar, nil
	}
	return procurement.NewCalendar(extra...), nil
}

// CouncilHolidays lists the days the council's admins have added to the
// shipped bank holidays, in date order. Anyone in the council may read them:
// they move the deadlines everyone works to.
func (db *DB) CouncilHolidays(ctx context.Context) ([]procurement.Holiday, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT day, name FROM bank_holidays WHERE council_id = $1 ORDER BY day`, actor.CouncilID)
	if err != nil {
		return nil, fmt.Errorf("storage: list bank holidays: %w", err)
	}
	defer rows.Close()
	out := []procurement.Holiday{}
	for rows.Next() {
		var h procurement.Holiday
		if err := rows.Scan(scanDay{&h.Date}, &h.Name); err != nil {
			return nil, fmt.Errorf("storage: scan bank holiday: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// AddHoliday adds a bank holiday (a new one-off day) to the council's
// calendar: from then on it is not a working day in the council's standstill
// and assessment clocks. A weekend day or a day already a holiday is refused.
// Admins only.
func (db *DB) AddHoliday(ctx context.Context, h procurement.Holiday) error {
	h.Name = strings.TrimSpace(h.Name)
	h.Date = day(h.Date)
	f := map[string]string{}
	if h.Date.Year() < 2000 || h.Date.Year() > 2100 {
		f["date"] = "Enter the holiday's date"
	} else if wd := h.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
		f["date"] = h.Date.Format("Monday 2 January 2006") + " is a weekend: it is not a working day anyway"
	}
	if h.Name == "" || len(h.Name) > 200 {
		f["name"] = "Enter the holiday's name (200 characters or fewer)"
	}
	if err := caremarket.Invalid(f); err != nil {
		return err
	}
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		if name := procurement.DefaultCalendar.HolidayName(h.Date); name != "" {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: h.Date.Format("2 January 2006") + " is already a bank holiday (" + name + ")",
				Fields: map[string]string{"date": "This day is already a bank holiday"}}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO bank_holidays (council_id, day, name) VALUES ($1, $2, $3)`, tx.actor.CouncilID, h.Date, h.Name)
		if isUniqueViolation(err) {
			return &caremarket.Error{Code: caremarket.ECONFLICT, Message: h.Date.Format("2 January 2006") + " is already a holiday",
				Fields: map[string]string{"date": "This day is already a holiday"}}
		} else if err != nil {
			return fmt.Errorf("storage: add bank holiday: %w", err)
		}
		return tx.audit(ctx, "calendar.add_holiday", "council", tx.actor.CouncilID, nil, h)
	})
}

// RemoveHoliday takes a day the council added off its calendar. The shipped
// England and Wales bank holidays cannot be removed. Admins only.
func (db *DB) RemoveHoliday(ctx context.Context, date time.Time) error {
	date = day(date)
	return db.updateBy(ctx, onlyAdmins, func(tx *Tx) error {
		var h procurement.Holiday
		err := tx.QueryRowContext(ctx, `SELECT day, name FROM bank_holidays WHERE council_id = $1 AND day = $2`, tx.actor.CouncilID, date).Scan(scanDay{&h.Date}, &h.Name)
		if err == sql.ErrNoRows {
			if name := procurement.DefaultCalendar.HolidayName(date); name != "" {
				return caremarket.Errorf(caremarket.ECONFLICT, "%s (%s) is an England and Wales bank holiday and cannot be removed", date.Format("2 January 2006"), name)
			}
			return caremarket.Errorf(caremarket.ENOTFOUND, "%s is not one of the council's added holidays", date.Format("2 January 2006"))
		} else if err != nil {
			return fmt.Errorf("storage: read bank holiday: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM bank_holidays WHERE council_id = $1 AND day = $2`, tx.actor.CouncilID, date); err != nil {
			return fmt.Errorf("storage: remove bank holiday: %w", err)
		}
		return tx.audit(ctx, "calendar.remove_holiday", "council", tx.actor.CouncilID, h, nil)
	})
}

// Notices gathers what an agreement's OCDS notices are made from. Council
// staff.
func (db *DB) Notices(ctx context.Context, agreementID int64) (*procurement.NoticeSet, error) {
	actor, err := actorRequire(ctx, caremarket.CouncilStaff...)
	if err != nil {
		return nil, err
	}
	a, err := db.Agreement(ctx, agreementID)
	if err != nil {
		return nil, err
	}
	n := &procurement.NoticeSet{CouncilSlug: actor.CouncilSlug, Agreement: *a, Tenderers: map[int64]int{}}
	if err := db.sql.QueryRowContext(ctx, `SELECT slug, name FROM councils WHERE id = $1`, actor.CouncilID).Scan(&n.CouncilSlug, &n.CouncilName); err != nil {
		return nil, fmt.Errorf("storage: read council: %w", err)
	}
	if n.Windows, err = db.ListWindows(ctx, a.ID); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT window_id, COUNT(*) FROM applications WHERE council_id = $1 AND status = 'submitted'
		AND window_id IN (SELECT id FROM proc_windows WHERE agreement_id = $2) GROUP BY window_id`, actor.CouncilID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("storage: count tenderers: %w", err)
	}
	for rows.Next() {
		var id int64
		var c int
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return nil, err
		}
		n.Tenderers[id] = c
	}
	rows.Close()
	if n.Awards, err = db.ListAwards(ctx, procurement.AwardFilter{AgreementID: a.ID}); err != nil {
		return nil, err
	}
	if n.Contracts, err = db.ListContracts(ctx, procurement.ContractFilter{AgreementID: a.ID}); err != nil {
		return nil, err
	}
	sort.Slice(n.Windows, func(i, j int) bool { return n.Windows[i].Opens.Before(n.Windows[j].Opens) })
	return n, nil
}

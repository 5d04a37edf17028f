package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/notify"
	"github.com/caremarket/caremarket/procurement"
)

// QueueReminders queues, for every council, the messages that time rather
// than a change calls for: offers expiring within 2 hours, new market
// alerts, windows past their deadline with no award notice, and DPS
// applications waiting past the working days allowed to assess them. Each
// is queued once (a dedupe key per thing and person). It returns how many
// messages it queued.
func (db *DB) QueueReminders(ctx context.Context, now time.Time) (int, error) {
	councils, err := db.ListCouncils(ctx)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, c := range councils {
		err := db.updateAs(ctx, caremarket.SystemActor(c.ID, c.Slug), func(tx *Tx) error {
			before, err := tx.outboxCount(ctx)
			if err != nil {
				return err
			}
			for _, scan := range []func(context.Context, time.Time) error{tx.remindExpiring, tx.remindAlerts, tx.remindWindows, tx.remindOverdue} {
				if err := scan(ctx, now); err != nil {
					return err
				}
			}
			after, err := tx.outboxCount(ctx)
			queued += after - before
			return err
		})
		if err != nil {
			return queued, fmt.Errorf("storage: reminders for %s: %w", c.Slug, err)
		}
	}
	return queued, nil
}

func (tx *Tx) outboxCount(ctx context.Context) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE council_id = $1`, tx.actor.CouncilID).Scan(&n)
	return n, err
}

// remindExpiring: pending offers that expire within 2 hours.
func (tx *Tx) remindExpiring(ctx context.Context, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.provider_id, r.service_type, a.name FROM offers o
		JOIN care_requirements r ON r.id = o.requirement_id JOIN areas a ON a.id = r.area_id
		WHERE o.council_id = $1 AND o.status = 'pending' AND o.expires_at > $2 AND o.expires_at <= $3`,
		tx.actor.CouncilID, now, now.Add(2*time.Hour))
	if err != nil {
		return err
	}
	type offer struct {
		id, provider      int64
		service, district string
	}
	var offers []offer
	for rows.Next() {
		var o offer
		if err := rows.Scan(&o.id, &o.provider, &o.service, &o.district); err != nil {
			rows.Close()
			return err
		}
		offers = append(offers, o)
	}
	rows.Close()
	for _, o := range offers {
		id := strconv.FormatInt(o.id, 10)
		e := notify.Event{Kind: notify.OfferExpiring, Service: market.ServiceType(o.service).Label(), District: o.district, Path: "/offers/" + id}
		if err := tx.queueProvider(ctx, o.provider, e, "offer_expiring:"+id); err != nil {
			return err
		}
	}
	return nil
}

// remindAlerts: market alerts not yet acknowledged, raised in the last week.
func (tx *Tx) remindAlerts(ctx context.Context, now time.Time) error {
	return tx.remindCouncil(ctx, notify.Alert, `SELECT id, message FROM market_alerts
		WHERE council_id = $1 AND acknowledged_at IS NULL AND raised_at > $2 ORDER BY id`, now.AddDate(0, 0, -7), "/alerts", "alert:")
}

// remindWindows: windows whose deadline has passed and that have no award
// notice, once the deadline is a day old.
func (tx *Tx) remindWindows(ctx context.Context, now time.Time) error {
	return tx.remindCouncil(ctx, notify.WindowAwaitingAward, `SELECT w.id, w.title || ' closed for applications and awaits its award' FROM proc_windows w
		WHERE w.council_id = $1 AND w.deadline < $2
		AND EXISTS (SELECT 1 FROM applications ap WHERE ap.window_id = w.id AND ap.status = 'submitted')
		AND NOT EXISTS (SELECT 1 FROM awards aw WHERE aw.window_id = w.id AND aw.notice_at IS NOT NULL) ORDER BY w.id`,
		now.Add(-24*time.Hour), "/windows/", "window:")
}

// remindCouncil queues one message per row (id, text) for the council's
// commissioners and admins; path ending in "/" takes the row's id.
func (tx *Tx) remindCouncil(ctx context.Context, kind notify.Kind, query string, since time.Time, path, dedupe string) error {
	rows, err := tx.QueryContext(ctx, query, tx.actor.CouncilID, since)
	if err != nil {
		return err
	}
	items, err := idTexts(rows)
	if err != nil {
		return err
	}
	for _, i := range items {
		id := strconv.FormatInt(i.id, 10)
		p := path
		if p[len(p)-1] == '/' {
			p += id
		}
		if err := tx.queueCouncil(ctx, notify.Event{Kind: kind, What: i.text, Path: p}, dedupe+id); err != nil {
			return err
		}
	}
	return nil
}

// remindOverdue: DPS applications (windows with an assessment period) still
// unassessed after their working days.
func (tx *Tx) remindOverdue(ctx context.Context, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT ap.id, ap.submitted_at, w.assessment_days, w.id, w.title FROM applications ap
		JOIN proc_windows w ON w.id = ap.window_id
		WHERE ap.council_id = $1 AND ap.status = 'submitted' AND ap.assessed_at IS NULL AND w.assessment_days > 0
		AND ap.submitted_at IS NOT NULL`, tx.actor.CouncilID)
	if err != nil {
		return err
	}
	type app struct {
		id, window int64
		at         time.Time
		days       int
		title      string
	}
	var apps []app
	for rows.Next() {
		var a app
		if err := rows.Scan(&a.id, &a.at, &a.days, &a.window, &a.title); err != nil {
			rows.Close()
			return err
		}
		apps = append(apps, a)
	}
	rows.Close()
	cal := procurement.NewCalendar()
	for _, a := range apps {
		if due := cal.AddWorkingDays(a.at, a.days); now.Before(due) {
			continue
		}
		id := strconv.FormatInt(a.id, 10)
		e := notify.Event{Kind: notify.DecisionOverdue, What: "An application to " + a.title + " is past the " + strconv.Itoa(a.days) +
			" working days allowed to assess it", Path: "/windows/" + strconv.FormatInt(a.window, 10)}
		if err := tx.queueCouncil(ctx, e, "overdue:"+id); err != nil {
			return err
		}
	}
	return nil
}

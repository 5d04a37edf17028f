package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
)

// FindPeople lists the people matching q (at most 100). Admins.
func (db *DB) FindPeople(ctx context.Context, q brokerage.SubjectQuery) ([]brokerage.PersonMatch, error) {
	actor, err := actorRequire(ctx, caremarket.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if q.CaseReference == "" && strings.TrimSpace(q.Name) == "" && q.DateOfBirth == nil {
		return nil, caremarket.Invalid(map[string]string{"case_reference": "Enter a case reference, a name or a date of birth"})
	}
	where, args := []string{"r.council_id = $1", "rp.purged_at IS NULL"}, []any{actor.CouncilID}
	if q.CaseReference != "" {
		args = append(args, q.CaseReference)
		where = append(where, "r.case_reference = $"+strconv.Itoa(len(args)))
	}
	if name := strings.TrimSpace(q.Name); name != "" {
		args = append(args, "%"+strings.ToLower(name)+"%")
		where = append(where, "LOWER(rp.full_name) LIKE $"+strconv.Itoa(len(args)))
	}
	if q.DateOfBirth != nil {
		args = append(args, ymd(*q.DateOfBirth))
		where = append(where, "rp.date_of_birth = $"+strconv.Itoa(len(args)))
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT r.id, r.case_reference, rp.full_name, rp.date_of_birth
		FROM care_requirements r JOIN requirement_people rp ON rp.requirement_id = r.id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY r.case_reference, r.id LIMIT 100`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: find people: %w", err)
	}
	return scanAll(rows, "person", func(row interface{ Scan(...any) error }) (*brokerage.PersonMatch, error) {
		var m brokerage.PersonMatch
		var dob time.Time
		if err := row.Scan(&m.RequirementID, &m.CaseReference, &m.FullName, scanDay{&dob}); err != nil {
			return nil, err
		}
		if !dob.IsZero() {
			m.DateOfBirth = &dob
		}
		return &m, nil
	})
}

// SubjectAccessExport gathers everything held about the person with the
// case reference: their identity, every requirement, its cascade steps,
// offers and placements, who looked at their details, and the audit records
// of those requirements and placements. Nothing about anyone else. Admins;
// the export itself is logged as a view for a subject access request.
func (db *DB) SubjectAccessExport(ctx context.Context, caseReference string) (*brokerage.SubjectAccess, error) {
	actor, err := actorRequire(ctx, caremarket.RoleAdmin)
	if err != nil {
		return nil, err
	}
	caseReference = strings.TrimSpace(caseReference)
	out := &brokerage.SubjectAccess{CaseReference: caseReference, GeneratedAt: db.now(), People: []brokerage.Person{},
		Requirements: []brokerage.Requirement{}, Steps: []brokerage.Step{}, Offers: []brokerage.SubjectOffer{},
		Placements: []brokerage.SubjectPlacement{}, Views: []brokerage.IdentityView{}, AuditRecords: []brokerage.SubjectAudit{}}
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM care_requirements WHERE council_id = $1 AND case_reference = $2 ORDER BY id`, actor.CouncilID, caseReference)
	if err != nil {
		return nil, err
	}
	ids, err := scanAll(rows, "", scanID)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, caremarket.Errorf(caremarket.ENOTFOUND, "No one with case reference %q", caseReference)
	}
	for _, id := range ids {
		if err := db.gatherSubject(ctx, actor.CouncilID, id, out); err != nil {
			return nil, err
		}
		if _, err := db.ViewPerson(ctx, id, brokerage.ViewSubjectAccess); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) gatherSubject(ctx context.Context, council, id int64, out *brokerage.SubjectAccess) error {
	req, err := db.requirement(ctx, db.sql, council, id)
	if err != nil {
		return err
	}
	out.Requirements = append(out.Requirements, *req)
	person, err := db.Person(ctx, id)
	if err != nil {
		return err
	}
	out.People = append(out.People, *person)
	steps, err := db.steps(ctx, council, id)
	if err != nil {
		return err
	}
	out.Steps = append(out.Steps, steps...)
	offers, err := db.sql.QueryContext(ctx, `SELECT o.id, p.name, l.name, o.status, o.offered_at FROM offers o
		JOIN providers p ON p.id = o.provider_id JOIN locations l ON l.id = o.location_id
		WHERE o.council_id = $1 AND o.requirement_id = $2 ORDER BY o.id`, council, id)
	if err != nil {
		return err
	}
	os, err := scanAll(offers, "offer", func(row interface{ Scan(...any) error }) (*brokerage.SubjectOffer, error) {
		var o brokerage.SubjectOffer
		return &o, row.Scan(&o.ID, &o.ProviderName, &o.LocationName, &o.Status, &o.OfferedAt)
	})
	if err != nil {
		return err
	}
	out.Offers = append(out.Offers, os...)
	pls, err := db.subjectPlacements(ctx, council, id)
	if err != nil {
		return err
	}
	out.Placements = append(out.Placements, pls...)
	views, err := db.IdentityViews(ctx, brokerage.IdentityViewFilter{RequirementID: id, Limit: 500})
	if err != nil {
		return err
	}
	out.Views = append(out.Views, views...)
	entities := []string{"requirement:" + strconv.FormatInt(id, 10)}
	for _, p := range pls {
		entities = append(entities, "placement:"+strconv.FormatInt(p.ID, 10))
	}
	for _, e := range entities {
		typ, eid, _ := strings.Cut(e, ":")
		recs, err := db.sql.QueryContext(ctx, `SELECT at, actor, action, entity_type, entity_id FROM audit_log
			WHERE council_id = $1 AND entity_type = $2 AND entity_id = $3 ORDER BY id`, council, typ, eid)
		if err != nil {
			return err
		}
		as, err := scanAll(recs, "audit record", func(row interface{ Scan(...any) error }) (*brokerage.SubjectAudit, error) {
			var a brokerage.SubjectAudit
			return &a, row.Scan(&a.At, &a.Actor, &a.Action, &a.EntityType, &a.EntityID)
		})
		if err != nil {
			return err
		}
		out.AuditRecords = append(out.AuditRecords, as...)
	}
	return nil
}

func (db *DB) subjectPlacements(ctx context.Context, council, id int64) ([]brokerage.SubjectPlacement, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT pl.id, p.name, l.name, pl.status, pl.start_date, pl.end_date, pl.weekly_cost_pence, pl.top_up_payer
		FROM placements pl JOIN providers p ON p.id = pl.provider_id JOIN locations l ON l.id = pl.location_id
		WHERE pl.council_id = $1 AND pl.requirement_id = $2 ORDER BY pl.id`, council, id)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, "placement", func(row interface{ Scan(...any) error }) (*brokerage.SubjectPlacement, error) {
		var p brokerage.SubjectPlacement
		var end time.Time
		if err := row.Scan(&p.ID, &p.ProviderName, &p.LocationName, &p.Status, scanDay{&p.StartDate}, scanDay{&end}, &p.WeeklyCost, &p.TopUpPayer); err != nil {
			return nil, err
		}
		if !end.IsZero() {
			p.EndDate = &end
		}
		return &p, nil
	})
}

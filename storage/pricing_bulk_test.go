package storage_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestApproveInBand: the commissioner approves every in-band price of a
// round in one go; out-of-band prices, and prices decided since the
// preview, are left alone; each decision has its own audit record.
func TestApproveInBand(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		db.Now = func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }
		sys, p1, l1, p2, l2 := twoHomes(t, db)
		comm := storagetest.As(sys, caremarket.RoleCommissioner, 0)
		adoptModel(t, db, comm, residentialModel())
		agreementID := oprnDPS(t, db, sys)
		r := &pricing.Round{AgreementID: agreementID, Name: "Spring 2026", OpensOn: day(2026, 3, 1), ClosesOn: day(2026, 3, 31), EffectiveFrom: day(2026, 4, 6),
			ProviderIDs: []int64{p1.ID, p2.ID}}
		if err := db.OpenPriceRound(comm, r); err != nil {
			t.Fatal(err)
		}
		submit := func(pid int64, row pricing.SubmissionRow) pricing.Submission {
			subs, lineErrs, err := db.SubmitPrices(storagetest.As(sys, caremarket.RoleProvider, pid), r.ID, []pricing.SubmissionRow{row}, "form")
			if err != nil || len(subs) != 1 {
				t.Fatalf("submit %+v: %v %v", row, lineErrs, err)
			}
			return subs[0]
		}
		in1 := submit(p1.ID, pricing.SubmissionRow{LocationID: l1.ID, ServiceType: market.Residential, Price: 75000})
		out := submit(p1.ID, pricing.SubmissionRow{LocationID: l1.ID, ServiceType: market.Nursing, Price: 90000, Reason: "no guide price for nursing yet"})
		in2 := submit(p2.ID, pricing.SubmissionRow{LocationID: l2.ID, ServiceType: market.Residential, Price: 74000})
		if !in1.Check.Within || !in2.Check.Within || out.Check.Within {
			t.Fatalf("band checks: %+v %+v %+v", in1.Check, in2.Check, out.Check)
		}
		// Decided one at a time after the preview: left as decided.
		if _, err := db.DecideSubmission(comm, in2.ID, false, "Duplicate of an earlier price"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ApproveInBand(storagetest.As(sys, caremarket.RoleProvider, p1.ID), r.ID, []int64{in1.ID}); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a provider approves prices: %v", err)
		}
		if _, err := db.ApproveInBand(comm, r.ID, nil); caremarket.ErrorCode(err) != caremarket.EINVALID {
			t.Errorf("approving nothing: %v", err)
		}
		n, err := db.ApproveInBand(comm, r.ID, []int64{in1.ID, out.ID, in2.ID})
		if err != nil || n != 1 {
			t.Fatalf("approve in band: %d %v, want 1", n, err)
		}
		want := map[int64]string{in1.ID: pricing.SubmissionApproved, out.ID: pricing.SubmissionSubmitted, in2.ID: pricing.SubmissionRejected}
		for id, st := range want {
			if s, err := db.Submission(comm, id); err != nil || s.Status != st {
				t.Errorf("submission %d is %+v %v, want %s", id, s, err, st)
			}
		}
		cps, err := db.ContractedPrices(comm, pricing.ContractedFilter{LocationID: l1.ID, On: day(2026, 4, 6)})
		if err != nil || len(cps) != 1 || cps[0].Price != 75000 {
			t.Errorf("contracted prices after the bulk approval: %+v %v", cps, err)
		}
		recs, err := db.SearchAudit(storagetest.As(sys, caremarket.RoleAdmin, 0), audit.Filter{Query: "price_submission.approve"})
		approvals := 0
		for _, rec := range recs {
			if rec.Action == "price_submission.approve" {
				approvals++
				if rec.EntityID != strconv.FormatInt(in1.ID, 10) {
					t.Errorf("an approval recorded for submission %s", rec.EntityID)
				}
			}
		}
		if err != nil || approvals != 1 {
			t.Errorf("%d audit records of the bulk approval (%v), want 1", approvals, err)
		}
	})
}

package storage_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/audit"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestUpdateLot: a lot's service types, areas, cap and call-off rule may be
// changed before any award on it, with the law checked (PA 2023 s.45(4));
// once it has awards the change is refused with a clear message.
func TestUpdateLot(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		sys, areas := storagetest.Council(t, db, "kent", "Thanet", "Dover")
		if _, err := procdemo.LoadDemo(sys, db, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		comm := storagetest.As(sys, caremarket.RoleCommissioner, 0)
		broker := storagetest.As(sys, caremarket.RoleBroker, 0)
		oprn, err := db.AgreementByReference(comm, "OPRN-2026")
		if err != nil {
			t.Fatal(err)
		}
		lot := oprn.Lots[2]
		edit := lot
		edit.ServiceTypes = []market.ServiceType{market.Nursing, market.Residential}
		edit.AreaIDs = []int64{areas[1].ID}
		edit.ProviderCap = 12
		edit.CallOff = procurement.DirectAward
		edit.Ranking = []procurement.RankBy{procurement.RankPrice, procurement.RankQuality}
		edit.CallOffTerms, edit.Mechanism = "", ""

		// Roles, and a lot of no agreement of this council.
		e := edit
		mustCode(t, db.UpdateLot(broker, &e), caremarket.EFORBIDDEN)
		e = edit
		e.ID = 999_999
		mustCode(t, db.UpdateLot(comm, &e), caremarket.ENOTFOUND)
		// s.45(4): direct award needs the call-off terms and the mechanism.
		e = edit
		err = db.UpdateLot(comm, &e)
		mustCode(t, err, caremarket.EINVALID)
		var ce *caremarket.Error
		if !errors.As(err, &ce) || !containsAll(fmt.Sprint(ce.Fields), "s.45(4)") {
			t.Errorf("refusal does not name the rule: %+v", ce)
		}
		e = edit
		e.CallOffTerms, e.Mechanism = "Kent call-off terms 2026", "Lowest price, then highest quality score"
		if err := db.UpdateLot(comm, &e); err != nil {
			t.Fatal(err)
		}
		back, err := db.Agreement(comm, oprn.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := back.Lots[2]
		if got.ID != lot.ID || got.Number != lot.Number || got.ProviderCap != 12 || got.CallOff != procurement.DirectAward || len(got.ServiceTypes) != 2 ||
			len(got.AreaIDs) != 1 || got.AreaIDs[0] != areas[1].ID || got.Mechanism != e.Mechanism || len(got.Ranking) != 2 {
			t.Fatalf("lot read back: %+v", got)
		}
		if len(back.Lots) != len(oprn.Lots) {
			t.Errorf("agreement has %d lots, want %d", len(back.Lots), len(oprn.Lots))
		}

		// After an award on the lot, the lot is fixed; unchanged is fine.
		csih, err := db.AgreementByReference(comm, "CSIH-2020")
		if err != nil {
			t.Fatal(err)
		}
		awarded := csih.Lots[0]
		if awarded.Admitted == 0 {
			t.Fatal("CSIH-2020 lot 1 has no awards in the demo")
		}
		e = awarded
		e.ProviderCap = 5
		err = db.UpdateLot(comm, &e)
		mustCode(t, err, caremarket.ECONFLICT)
		if msg := err.Error(); !containsAll(msg, "cannot be changed", "awarded") {
			t.Errorf("refusal after award: %q", msg)
		}
		mustCode(t, db.UpdateAgreement(comm, &procurement.Agreement{ID: csih.ID, Reference: csih.Reference, Title: csih.Title, Type: csih.Type,
			Regime: csih.Regime, Start: csih.Start, End: csih.End, Reopenings: csih.Reopenings, Lots: []procurement.Lot{e}}), caremarket.ECONFLICT)
		same := *csih
		if err := db.UpdateAgreement(comm, &same); err != nil {
			t.Fatalf("sending the awarded lots back unchanged: %v", err)
		}

		recs, err := db.SearchAudit(sys, audit.Filter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range recs {
			if r.Action == "lot.update" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d lot.update audit records, want 1", n)
		}
	})
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

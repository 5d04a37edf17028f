package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestContractListAndEndedContract: the contracts of one agreement are
// listed in pages, statuses in words; an ended contract offers no extension.
func TestContractListAndEndedContract(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		e := newWebEnv(t, db)
		comm := storagetest.As(e.kent, caremarket.RoleCommissioner, 0)
		a := &procurement.Agreement{Reference: "HC-2019", Title: "Home care", Type: procurement.ClosedFramework, Regime: procurement.PCR2015,
			LightTouch: true, Start: procurement.Date(2019, 4, 1), End: procurement.Date(2023, 3, 31)}
		if err := db.CreateAgreement(comm, a); err != nil {
			t.Fatal(err)
		}
		c := &procurement.Contract{AgreementID: a.ID, Reference: "HC-2019-1", Title: "Home care, Thanet", ProviderID: e.acorn.ID,
			Start: procurement.Date(2019, 4, 1), InitialEnd: procurement.Date(2022, 3, 31), Extensions: []procurement.Extension{{Months: 12}}}
		if err := db.CreateContract(comm, c); err != nil {
			t.Fatal(err)
		}
		if !c.End.Before(time.Now()) {
			t.Fatalf("the contract should have ended: %s", c.End)
		}
		u := e.signIn(e.kent, caremarket.RoleCommissioner, 0)
		u.expectPage("/contracts?agreement="+idStr(a.ID), http.StatusOK, "Contracts under HC-2019", "HC-2019-1", "Ended", "!>ended<")
		u.expectPage("/contracts/"+idStr(c.ID), http.StatusOK, "can no longer be taken", "!Take the next extension option")
		u.expectPage("/contracts?agreement=999999", http.StatusNotFound)
	})
}

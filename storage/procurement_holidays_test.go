package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestCouncilHolidays: an admin adds a one-off bank holiday to the council's
// calendar; the council's standstill then ends one working day later, other
// councils are not affected, and removing it puts the standstill back.
func TestCouncilHolidays(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		sys, _ := storagetest.Council(t, db, "kent")
		other, _ := storagetest.Council(t, db, "surrey")
		admin := storagetest.As(sys, caremarket.RoleAdmin, 0)
		comm := storagetest.As(sys, caremarket.RoleCommissioner, 0)
		otherAdmin := storagetest.As(other, caremarket.RoleAdmin, 0)

		// PA 2023 s.51: 8 working days from Thursday 21 August 2025, across
		// the August bank holiday weekend, ends Tuesday 2 September.
		a := &procurement.Agreement{Type: procurement.OpenFramework, Regime: procurement.PA2023}
		notice := time.Date(2025, 8, 21, 9, 0, 0, 0, time.UTC)
		standstillEnd := func(ctx context.Context) time.Time {
			t.Helper()
			cal, err := db.Calendar(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return procurement.StandstillFor(a, notice, cal).Ends
		}
		if got, want := standstillEnd(comm), procurement.Date(2025, 9, 2); !got.Equal(want) {
			t.Fatalf("standstill ends %s, want %s", got.Format(time.DateOnly), want.Format(time.DateOnly))
		}

		extra := procurement.Holiday{Date: procurement.Date(2025, 8, 28), Name: "County day of mourning"}
		// Admins only; the name is required; weekends and shipped days are refused.
		mustCode(t, db.AddHoliday(comm, extra), caremarket.EFORBIDDEN)
		mustCode(t, db.AddHoliday(admin, procurement.Holiday{Date: extra.Date}), caremarket.EINVALID)
		mustCode(t, db.AddHoliday(admin, procurement.Holiday{Date: procurement.Date(2025, 8, 30), Name: "Saturday"}), caremarket.EINVALID)
		mustCode(t, db.AddHoliday(admin, procurement.Holiday{Date: procurement.Date(2025, 8, 25), Name: "Again"}), caremarket.ECONFLICT)
		if err := db.AddHoliday(admin, extra); err != nil {
			t.Fatal(err)
		}
		mustCode(t, db.AddHoliday(admin, extra), caremarket.ECONFLICT)

		hs, err := db.CouncilHolidays(comm)
		if err != nil || len(hs) != 1 || !hs[0].Date.Equal(extra.Date) || hs[0].Name != extra.Name {
			t.Fatalf("council holidays: %+v %v", hs, err)
		}
		if hs, err := db.CouncilHolidays(otherAdmin); err != nil || len(hs) != 0 {
			t.Fatalf("another council sees %+v %v", hs, err)
		}
		// The standstill now ends one working day later, for this council only.
		if got, want := standstillEnd(comm), procurement.Date(2025, 9, 3); !got.Equal(want) {
			t.Errorf("with the extra day the standstill ends %s, want %s", got.Format(time.DateOnly), want.Format(time.DateOnly))
		}
		if got, want := standstillEnd(otherAdmin), procurement.Date(2025, 9, 2); !got.Equal(want) {
			t.Errorf("another council's standstill ends %s, want %s", got.Format(time.DateOnly), want.Format(time.DateOnly))
		}

		// Removing: admins only, the council's own days only.
		mustCode(t, db.RemoveHoliday(comm, extra.Date), caremarket.EFORBIDDEN)
		mustCode(t, db.RemoveHoliday(otherAdmin, extra.Date), caremarket.ENOTFOUND)
		mustCode(t, db.RemoveHoliday(admin, procurement.Date(2025, 8, 25)), caremarket.ECONFLICT)
		if err := db.RemoveHoliday(admin, extra.Date); err != nil {
			t.Fatal(err)
		}
		mustCode(t, db.RemoveHoliday(admin, extra.Date), caremarket.ENOTFOUND)
		if got, want := standstillEnd(comm), procurement.Date(2025, 9, 2); !got.Equal(want) {
			t.Errorf("after removal the standstill ends %s, want %s", got.Format(time.DateOnly), want.Format(time.DateOnly))
		}

		checkAudited(t, db, sys, 50, "calendar.add_holiday", "calendar.remove_holiday")
	})
}

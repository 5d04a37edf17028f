package procdemo_test

import (
	"testing"
	"time"

	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/procurement/ocdstest"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

func TestLoadDemo(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx, _ := storagetest.Council(t, db, "kent", "Thanet", "Dover", "Canterbury")
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		res, err := procdemo.LoadDemo(ctx, db, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Agreements != 4 || res.Applications != 108 { // CSIH-2020, the ended DPS, OPRN-2026, AAHC-2027
			t.Errorf("loaded %+v", res)
		}
		csih, err := db.AgreementByReference(ctx, "CSIH-2020")
		if err != nil {
			t.Fatal(err)
		}
		ws, _ := db.ListWindows(ctx, csih.ID)
		r, err := db.WindowResults(ctx, ws[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		// The 2020 Care and Support in the Home tender: 108 responses, 93 passed selection, 63 passed quality first time.
		f := r.Funnel
		if f.Submitted != 108 || f.PassedSelection != 93 || f.PassedQualityFirst != 63 || f.PassedQuality != 83 || f.Awarded != 83 {
			t.Errorf("CSIH-2020 funnel = %+v", f)
		}
		open := 0
		all, _ := db.ListWindows(ctx, 0)
		for _, w := range all {
			if w.Status(now) == "open" {
				open++
				if w.AgreementRef != "OPRN-2026" {
					t.Errorf("open window on %s, want OPRN-2026", w.AgreementRef)
				}
			}
		}
		if open != 1 {
			t.Errorf("%d windows open, want 1", open)
		}
		for _, ref := range []string{"CSIH-2020", "OPRN-2026", "AAHC-2027"} {
			a, err := db.AgreementByReference(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			n, err := db.Notices(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			ocdstest.Validate(t, procurement.ReleasePackage(*n, procurement.OCDSOptions{}, now))
		}
		// Loading again adds nothing.
		if res, err := procdemo.LoadDemo(ctx, db, now); err != nil || res.Agreements != 0 {
			t.Errorf("second load: %+v %v", res, err)
		}
	})
}

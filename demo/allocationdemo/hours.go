package allocationdemo

import (
	"context"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
)

// LoadSpareHours gives each home care branch's home care its spare hours a
// week, as branches report them: home care is bought by the hour, so a
// branch says how many hours of new care it can take on (none at about one
// branch in five, otherwise 5 to 60). The figure is drawn from the
// location's id, so the rest of the demo is as generated, and stamped at
// now. It returns how many figures it gave; a branch that already has a
// home care figure keeps it, so loading again changes nothing.
func LoadSpareHours(ctx context.Context, db *storage.DB, now time.Time) (int, error) {
	if caremarket.ActorFrom(ctx) == nil {
		return 0, caremarket.Errorf(caremarket.EUNAUTHORIZED, "LoadSpareHours needs a council actor")
	}
	broker, err := procdemo.Person(ctx, db, "broker", caremarket.RoleBroker)
	if err != nil {
		return 0, err
	}
	realNow := db.Now
	defer func() { db.Now = realNow }()
	db.Now = func() time.Time { return now }
	n := 0
	for page := 1; ; page++ {
		locs, total, err := db.ListLocations(broker, market.LocationFilter{ServiceType: market.Homecare, Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			return n, err
		}
		ids := make([]int64, len(locs))
		for i, l := range locs {
			ids[i] = l.ID
		}
		figures, err := db.VacanciesAt(broker, ids)
		if err != nil {
			return n, err
		}
		for _, l := range locs {
			if hasHomecare(figures[l.ID]) {
				continue
			}
			m := spareMinutes(l.ID)
			if err := db.SetVacancy(broker, &market.Vacancy{LocationID: l.ID, ServiceType: market.Homecare, SpareMinutes: &m}); err != nil {
				return n, fmt.Errorf("allocationdemo: spare hours of %s: %w", l.Name, err)
			}
			n++
		}
		if len(locs) == 0 || page*market.MaxPerPage >= total {
			return n, nil
		}
	}
}

func hasHomecare(vs []market.Vacancy) bool {
	for _, v := range vs {
		if v.ServiceType == market.Homecare {
			return true
		}
	}
	return false
}

// spareMinutes is a branch's spare hours a week, in minutes, drawn from its
// id (Knuth's multiplicative hash): none one time in five, otherwise 5 to
// 60 hours in steps of 5 (spare home care is scarce).
func spareMinutes(id int64) int {
	h := uint64(id) * 2654435761 % 4294967296
	if h%5 == 0 {
		return 0
	}
	return 60 * (5 + 5*int(h/5%12))
}

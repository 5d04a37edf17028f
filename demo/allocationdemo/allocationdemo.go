// Package allocationdemo adds the demo's hospital discharge wave: a
// morning's nursing requirements in Swale and Canterbury, recorded and waiting for
// offers, for the broker to plan together at Batch allocation.
package allocationdemo

import (
	"context"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
)

// wave is the morning's requirements, in the order they were recorded:
// nursing care in Swale, whose contracted homes have few places, then in
// Canterbury, which borders it. One at a time, the last Swale person takes
// a Canterbury place (the cheapest neighbouring home) and a Canterbury
// person then has to leave the district; planned together, the Swale
// person goes to another neighbouring district and Canterbury's people
// stay in Canterbury.
var wave = []struct {
	district, postcode, name string
	st                       market.ServiceType
}{
	{"Swale", "ME10 3AB", "Margaret Holloway", market.Nursing},
	{"Swale", "ME10 4HX", "Dennis Fairweather", market.Nursing},
	{"Swale", "ME12 1QA", "Joan Ashdown", market.Nursing},
	{"Swale", "ME13 7PT", "Sylvia Marchant", market.Nursing},
	{"Swale", "ME10 1JW", "Harold Pettit", market.Nursing},
	{"Canterbury", "CT1 3NG", "Irene Colbourne", market.Nursing},
	{"Canterbury", "CT2 7PB", "Leonard Quested", market.Nursing},
	{"Canterbury", "CT1 1QU", "Phyllis Goodban", market.Nursing},
	{"Canterbury", "CT2 8LS", "Arthur Bensted", market.Nursing},
	{"Canterbury", "CT3 4AB", "Doris Wraight", market.Nursing},
	{"Canterbury", "CT5 1EA", "Stanley Kemsley", market.Nursing},
	{"Canterbury", "CT6 5JT", "Edna Pilcher", market.Nursing},
	{"Canterbury", "CT1 2RX", "Walter Eastes", market.Nursing},
	{"Canterbury", "CT2 0HH", "Gladys Hopper", market.Nursing},
	{"Canterbury", "CT4 7AF", "Cyril Tassell", market.Nursing},
	{"Canterbury", "CT5 3PL", "Vera Gurr", market.Nursing},
}

// caseRef numbers the wave's requirements (MOS-880001 ...).
func caseRef(i int) string { return fmt.Sprintf("MOS-88%04d", i+1) }

// LoadDemo records the wave once; loading again changes nothing. It
// returns how many requirements it recorded.
func LoadDemo(ctx context.Context, db *storage.DB, now time.Time) (int, error) {
	if caremarket.ActorFrom(ctx) == nil {
		return 0, caremarket.Errorf(caremarket.EUNAUTHORIZED, "LoadDemo needs a council actor")
	}
	rs, err := db.ListRequirements(ctx, brokerage.RequirementFilter{})
	if err != nil {
		return 0, err
	}
	for _, r := range rs {
		if r.CaseReference == caseRef(0) {
			return 0, nil
		}
	}
	areas, err := db.ListAreas(ctx)
	if err != nil {
		return 0, err
	}
	byName := map[string]int64{}
	for _, a := range areas {
		byName[a.Name] = a.ID
	}
	broker, err := procdemo.Person(ctx, db, "broker", caremarket.RoleBroker)
	if err != nil {
		return 0, err
	}
	start := procurement.Day(now.AddDate(0, 0, 1))
	n := 0
	for i, w := range wave {
		area, ok := byName[w.district]
		if !ok {
			continue // a council without the district
		}
		r := &brokerage.Requirement{CaseReference: caseRef(i), ServiceType: w.st, AreaID: area, StartDate: start, Method: brokerage.ByDirectAward,
			SpecialistNeeds: "Discharge from the Kent and Canterbury Hospital"}
		p := &brokerage.Person{FullName: w.name, Address: fmt.Sprintf("%d Station Road", 10+i), Postcode: w.postcode}
		if err := db.CreateRequirement(broker, r, p); err != nil {
			return n, fmt.Errorf("allocationdemo: requirement %s: %w", r.CaseReference, err)
		}
		n++
	}
	return n, nil
}

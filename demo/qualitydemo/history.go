package qualitydemo

import (
	"context"
	"fmt"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/demo/brokerdemo"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/quality"
	"github.com/caremarket/caremarket/storage"
)

// HistoryRequirements is how many requirements the brokerage history
// sources, spread over the call-off framework's life so far.
const HistoryRequirements = 60

var declineReasons = []string{"No vacancy for the start date", "Needs beyond what we can meet safely", "No carer capacity on that round",
	"No nurse cover for the start date"}

// history sources requirements through the ordinary cascade over the
// framework's life: providers answer offers after a delay of their own,
// some decline (and the cascade moves on), some let offers expire, some
// placements are handed back or end early, and home care agencies upload
// their delivered hours. The framework's prices are made contracted from
// its start, so offers carry them.
func history(ctx context.Context, db *storage.DB, now time.Time, at func(time.Time), res *Result) (err error) {
	sys := caremarket.ActorFrom(ctx)
	broker, err := procdemo.Person(ctx, db, "broker", caremarket.RoleBroker)
	if err != nil {
		return err
	}
	ag, err := db.AgreementByReference(ctx, brokerdemo.Agreement)
	if err != nil {
		return fmt.Errorf("qualitydemo: load the brokerage demo first: %w", err)
	}
	start := ag.Start.AddDate(0, 0, 7)
	if err := backdatePrices(ctx, db, start, now, at); err != nil {
		return err
	}
	areas, err := db.ListAreas(ctx)
	if err != nil {
		return err
	}
	outcode := map[int64]string{}
	locs, err := allLocations(ctx, db)
	if err != nil {
		return err
	}
	for _, l := range locs {
		if outcode[l.AreaID] == "" {
			outcode[l.AreaID] = market.Outcode(l.Postcode)
		}
	}
	// The history's placements took beds long ago; today's vacancy figures
	// are the providers' latest word, so they are put back afterwards.
	before := map[int64][]market.Vacancy{}
	for _, l := range locs {
		vs, err := db.Vacancies(ctx, l.ID)
		if err != nil {
			return err
		}
		before[l.ID] = vs
	}
	defer func() {
		if err == nil {
			err = restoreVacancies(ctx, db, before, at)
		}
	}()
	span := now.AddDate(0, 0, -21).Sub(start)
	sts := []market.ServiceType{market.Nursing, market.Residential, market.Homecare, market.ResidentialHigh}
	r := rnd(4242)
	for i := range HistoryRequirements {
		t := start.Add(span * time.Duration(i) / HistoryRequirements).Truncate(time.Hour).Add(9 * time.Hour)
		area := areas[(i*5)%len(areas)]
		st := sts[i%len(sts)]
		if st == market.Homecare && (i*5)%len(areas)%2 == 1 {
			st = market.Nursing // the home care lot covers half the districts
		}
		at(t)
		req := &brokerage.Requirement{CaseReference: fmt.Sprintf("MOS-%06d", 700000+i*71), ServiceType: st, StartDate: t.AddDate(0, 0, 3).Truncate(24 * time.Hour),
			AreaID: area.ID, Method: brokerage.ByDirectAward}
		if !st.IsBedBased() {
			req.MinutesPerWeek, req.VisitPattern = (6+i%8)*60, "2 calls a day, 7 days a week"
		}
		oc := outcode[area.ID]
		if oc == "" {
			oc = "ME14"
		}
		p := &brokerage.Person{FullName: fmt.Sprintf("History person %d", i+1), Address: fmt.Sprintf("%d Mill Road, %s", 2+i, area.Name), Postcode: oc + " 2AB"}
		if err := db.CreateRequirement(broker, req, p); err != nil {
			return fmt.Errorf("qualitydemo: history requirement: %w", err)
		}
		res.Requirements++
		var placement *brokerage.Placement
		placement, err = source(db, broker, sys, req.ID, t, i, &r, at, res)
		if err != nil {
			return err
		}
		if placement == nil {
			continue
		}
		if err := aftercare(db, broker, sys, placement, i, now, at); err != nil {
			return err
		}
	}
	return nil
}

// source offers a requirement down the cascade until a provider accepts:
// each answers after its own typical delay; about one in four declines;
// the first offer of every ninth requirement is let expire.
func source(db *storage.DB, broker context.Context, sys *caremarket.Actor, reqID int64, t time.Time, i int, r *rnd, at func(time.Time), res *Result) (*brokerage.Placement, error) {
	o, err := db.MakeOffer(broker, reqID, brokerage.OfferRequest{ExpiresIn: 24 * time.Hour})
	if err != nil {
		if caremarket.ErrorCode(err) == caremarket.ECONFLICT || caremarket.ErrorCode(err) == caremarket.EINVALID {
			return nil, nil // nobody eligible: left open, as a broker would see it
		}
		return nil, fmt.Errorf("qualitydemo: history offer: %w", err)
	}
	res.Offers++
	for try := 0; try < 6; try++ {
		if try == 0 && i%9 == 4 {
			t = o.ExpiresAt.Add(time.Minute)
			at(t)
			if _, err := db.ExpireOffers(broker); err != nil {
				return nil, err
			}
		} else {
			// A provider's own pace: 10 minutes to about 6 hours.
			delay := time.Duration(10+int(o.ProviderID*37%300)+r.next(60)) * time.Minute
			t = t.Add(delay)
			at(t)
			pctx := providerCtx(sys, o.ProviderID)
			if try < 3 && r.next(4) == 0 {
				if _, err := db.DeclineOffer(pctx, o.ID, declineReasons[r.next(len(declineReasons))]); err != nil {
					return nil, fmt.Errorf("qualitydemo: history decline: %w", err)
				}
			} else {
				pl, err := db.AcceptOffer(pctx, o.ID)
				if err != nil {
					return nil, fmt.Errorf("qualitydemo: history accept: %w", err)
				}
				return pl, nil
			}
		}
		next, err := db.ListOffers(broker, brokerage.OfferFilter{RequirementID: reqID, Status: "pending"})
		if err != nil {
			return nil, err
		}
		if len(next) == 0 {
			o, err = db.MakeOffer(broker, reqID, brokerage.OfferRequest{ExpiresIn: 24 * time.Hour})
			if err != nil {
				return nil, nil
			}
		} else {
			o = &next[0]
		}
		res.Offers++
	}
	return nil, nil
}

// aftercare: every seventh placement is handed back within a few weeks
// (and placed again), every eleventh ends early, and home care agencies
// upload their delivered hours for the first weeks.
func aftercare(db *storage.DB, broker context.Context, sys *caremarket.Actor, p *brokerage.Placement, i int, now time.Time, at func(time.Time)) error {
	pctx := providerCtx(sys, p.ProviderID)
	if p.ServiceType == market.Homecare {
		req, err := db.Requirement(broker, p.RequirementID)
		if err != nil {
			return err
		}
		var rows []quality.Delivered
		for w := 0; w < 6; w++ {
			week := p.StartDate.AddDate(0, 0, 7*w)
			if week.After(now.AddDate(0, 0, -7)) {
				break
			}
			// Most weeks nearly all the hours; a few short.
			share := 100 - (i*7+w*3)%16
			rows = append(rows, quality.Delivered{Line: w + 2, PlacementID: p.ID, WeekStart: week, Minutes: req.MinutesPerWeek * share / 100})
		}
		if len(rows) > 0 {
			at(rows[len(rows)-1].WeekStart.AddDate(0, 0, 8))
			if _, err := db.UploadDelivered(pctx, rows); err != nil {
				return fmt.Errorf("qualitydemo: delivered hours: %w", err)
			}
		}
	}
	switch {
	case i%7 == 3:
		at(p.StartDate.AddDate(0, 0, 9+i%15).Add(10 * time.Hour))
		if _, err := db.HandBackPlacement(pctx, p.ID, 14, "The person's needs have grown beyond what we can meet safely"); err != nil {
			return fmt.Errorf("qualitydemo: hand back: %w", err)
		}
		if o, err := db.MakeOffer(broker, p.RequirementID, brokerage.OfferRequest{ExpiresIn: 24 * time.Hour}); err == nil {
			at(db.Now().Add(2 * time.Hour))
			if _, err := db.AcceptOffer(providerCtx(sys, o.ProviderID), o.ID); err != nil {
				return fmt.Errorf("qualitydemo: re-place: %w", err)
			}
		}
	case i%11 == 6:
		end := p.StartDate.AddDate(0, 0, 30+i%20)
		at(end.Add(9 * time.Hour))
		if _, err := db.EndPlacement(broker, p.ID, end, "The person died"); err != nil {
			return fmt.Errorf("qualitydemo: end placement: %w", err)
		}
	}
	return nil
}

// backdatePrices makes the framework's contracted prices (set by the
// brokerage demo from today) contracted from the framework's start too,
// through a price round dated then, so history offers carry a price.
func backdatePrices(ctx context.Context, db *storage.DB, from, now time.Time, at func(time.Time)) error {
	cps, err := db.ContractedPrices(ctx, pricing.ContractedFilter{On: now})
	if err != nil {
		return err
	}
	var prices []brokerdemo.Price
	for _, c := range cps {
		switch c.ServiceType {
		case market.Nursing, market.Residential, market.ResidentialHigh, market.Homecare:
		default:
			continue
		}
		prices = append(prices, brokerdemo.Price{ProviderID: c.ProviderID, LocationID: c.LocationID, ServiceType: c.ServiceType, Band: c.Band, Price: c.Price})
	}
	if len(prices) == 0 {
		return nil
	}
	at(from.Add(-24 * time.Hour))
	return brokerdemo.SetPrices(ctx, db, "Placements framework prices at the start", prices)
}

// restoreVacancies sets back every vacancy figure the history changed, as
// it was and when it was given.
func restoreVacancies(ctx context.Context, db *storage.DB, before map[int64][]market.Vacancy, at func(time.Time)) error {
	for loc, vs := range before {
		now, err := db.Vacancies(ctx, loc)
		if err != nil {
			return err
		}
		changed := map[market.ServiceType]bool{}
		for _, v := range now {
			changed[v.ServiceType] = true
		}
		for _, v := range vs {
			for _, n := range now {
				if n.ServiceType == v.ServiceType && n.Vacancies == v.Vacancies && n.UpdatedAt.Equal(v.UpdatedAt) {
					changed[v.ServiceType] = false
				}
			}
			if changed[v.ServiceType] {
				at(v.UpdatedAt)
				v := v
				if err := db.SetVacancy(ctx, &v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

package storage_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// sweep runs writers at the same moment and keeps what a caller would see
// as a server error. A domain refusal (the offer was answered a moment
// before, no place is left) is a 4xx the person can act on: an expected
// outcome of a race, so only counted. Anything else (a deadlock, an
// aborted transaction, a unique violation) would be a 500: a bug.
type sweep struct {
	t        testing.TB
	wg       sync.WaitGroup
	mu       sync.Mutex
	done     map[string]int // successes by kind of writer
	refused  map[string]int
	why      map[string]string // the first refusal's message, by kind
	failures []error
}

func newSweep(t testing.TB) *sweep {
	return &sweep{t: t, done: map[string]int{}, refused: map[string]int{}, why: map[string]string{}}
}

// refusal reports whether err is one a caller is meant to get from a race.
func refusal(err error) bool {
	switch caremarket.ErrorCode(err) {
	case caremarket.ECONFLICT, caremarket.EINVALID, caremarket.ENOTFOUND:
		return true
	}
	return false
}

func (s *sweep) try(what string, run func() error) {
	s.wg.Go(func() {
		err := run()
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case err == nil:
			s.done[what]++
		case refusal(err):
			s.refused[what]++
			if s.why[what] == "" {
				s.why[what] = err.Error()
			}
		default:
			s.failures = append(s.failures, fmt.Errorf("%s: %w", what, err))
		}
	})
}

// wait waits for every writer and fails the test with each server error,
// or when they are still waiting after a minute: a wait no database sees
// (a Go lock held while waiting for a pooled connection) never ends.
func (s *sweep) wait() {
	s.t.Helper()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		s.t.Fatal("writers still waiting after a minute")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, err := range s.failures {
		s.t.Error(err)
	}
	s.failures = nil
	s.t.Logf("succeeded %v; refused %v (%q)", s.done, s.refused, s.why)
}

// besideAcceptances runs the writers start adds beside the acceptance of
// every pending offer of each home, waits for them all, and audits the
// data after (checkAfter). The sweep is returned for its counts.
func (f *brokerFixture) besideAcceptances(t testing.TB, homes []*market.Location, pending [][]int64, start func(s *sweep)) *sweep {
	t.Helper()
	before := f.mark(t, homes)
	s := newSweep(t)
	for h, l := range homes {
		f.accept(s, l, pending[h])
	}
	start(s)
	s.wait()
	f.checkAfter(t, homes, before)
	return s
}

// checkAfter audits the data after a run that started at m.
func (f *brokerFixture) checkAfter(t testing.TB, homes []*market.Location, m mark) {
	t.Helper()
	checkBedsGiven(t, f, homes, m)
	checkConsistent(t, f)
}

// accept runs the acceptance of each offer, by its home, in s.
func (f *brokerFixture) accept(s *sweep, l *market.Location, offers []int64) {
	for _, id := range offers {
		s.try("accept", func() error { _, err := f.db.AcceptOffer(f.provider(l), id); return err })
	}
}

// homesWithOffers gives each of Alpha, Beta and Gamma vacancies nursing
// places and as many pending offers (lapsing in ttl), for acceptances to
// run beside the writer under test.
func (f *brokerFixture) homesWithOffers(t testing.TB, vacancies, offers int, ttl time.Duration) (homes []*market.Location, pending [][]int64) {
	t.Helper()
	homes = []*market.Location{f.alpha, f.beta, f.gamma}
	for _, l := range homes {
		if err := f.db.SetVacancy(f.sys, &market.Vacancy{LocationID: l.ID, ServiceType: market.Nursing, Vacancies: vacancies}); err != nil {
			t.Fatal(err)
		}
		pending = append(pending, f.seedOffers(t, l, market.Nursing, offers, ttl))
	}
	return homes, pending
}

// placed accepts n seeded offers at l, one at a time, for writers that
// change placements.
func (f *brokerFixture) placed(t testing.TB, l *market.Location, n int) []*brokerage.Placement {
	t.Helper()
	var ps []*brokerage.Placement
	for _, id := range f.seedOffers(t, l, market.Nursing, n, time.Hour) {
		p, err := f.db.AcceptOffer(f.provider(l), id)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// checkConsistent audits the council's data after a concurrent run: the
// finance commitments match the placements, the audit chain verifies, and
// no place was given twice (an offer or a bid placed once at most, one
// active placement a requirement, which the schema also holds).
func checkConsistent(t testing.TB, f *brokerFixture) {
	t.Helper()
	if err := storage.CheckCommitments(f.sys, f.db); err != nil {
		t.Error(err)
	}
	if _, b, err := f.db.VerifyAudit(f.sys); err != nil || b != nil {
		t.Errorf("audit verify: %v %+v", err, b)
	}
	council := caremarket.ActorFrom(f.sys).CouncilID
	for what, q := range map[string]string{
		"an offer placed twice":           `SELECT COUNT(*) FROM (SELECT offer_id FROM placements WHERE council_id = $1 AND offer_id IS NOT NULL GROUP BY offer_id HAVING COUNT(*) > 1) x`,
		"a bid placed twice":              `SELECT COUNT(*) FROM (SELECT bid_id FROM placements WHERE council_id = $1 AND bid_id IS NOT NULL GROUP BY bid_id HAVING COUNT(*) > 1) x`,
		"a requirement placed twice":      `SELECT COUNT(*) FROM (SELECT requirement_id FROM placements WHERE council_id = $1 AND status = 'active' GROUP BY requirement_id HAVING COUNT(*) > 1) x`,
		"vacancies below zero":            `SELECT COUNT(*) FROM vacancies WHERE council_id = $1 AND vacancies < 0`,
		"an accepted offer with no place": `SELECT COUNT(*) FROM offers o WHERE o.council_id = $1 AND o.status = 'accepted' AND NOT EXISTS (SELECT 1 FROM placements pl WHERE pl.offer_id = o.id)`,
	} {
		var n int
		if err := f.db.SQL().QueryRow(q, council).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%d times %s", n, what)
		}
	}
}

// mark is where a run starts: the last placement made before it and the
// homes' vacancies then.
type mark struct {
	placement int64
	left      map[int64]int
}

func (f *brokerFixture) mark(t testing.TB, homes []*market.Location) mark {
	t.Helper()
	m := mark{left: map[int64]int{}}
	if err := f.db.SQL().QueryRow(`SELECT COALESCE(MAX(id), 0) FROM placements`).Scan(&m.placement); err != nil {
		t.Fatal(err)
	}
	for _, l := range homes {
		m.left[l.ID] = vacanciesOf(t, f.db, f.sys, l.ID, market.Nursing)
	}
	return m
}

// checkBedsGiven: each home's vacancies fell by the nursing places it gave
// in the run, never more than it had.
func checkBedsGiven(t testing.TB, f *brokerFixture, homes []*market.Location, m mark) {
	t.Helper()
	for _, l := range homes {
		var n int
		if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM placements WHERE location_id = $1 AND service_type = 'nursing' AND id > $2`, l.ID,
			m.placement).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if left := vacanciesOf(t, f.db, f.sys, l.ID, market.Nursing); n > m.left[l.ID] || left != m.left[l.ID]-n {
			t.Errorf("%s: %d places given from %d vacancies, %d left", l.Name, n, m.left[l.ID], left)
		}
	}
}

// TestCompetitionsBesideAcceptances: brokers start mini-competitions for
// home care, providers bid and brokers award them while nursing offers are
// accepted, each stage beside the acceptances and beside each other (two
// bids for one place, two awards of one competition).
func TestCompetitionsBesideAcceptances(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, perPhase, needs = 30, 8, 6
		homes, pending := f.homesWithOffers(t, vacancies, 3*perPhase, 100*time.Hour)
		var reqs []*brokerage.Requirement
		for range needs {
			reqs = append(reqs, f.requirement(t, market.Homecare, brokerage.ByMiniCompetition))
		}
		before := f.mark(t, homes)
		deadline := f.now.Add(48 * time.Hour)
		comps := make([]int64, needs)
		s := newSweep(t)
		for h, l := range homes {
			f.accept(s, l, pending[h][:perPhase])
		}
		for i, r := range reqs {
			s.try("start", func() error {
				c, err := db.StartCompetition(f.broker, r.ID, deadline, -1)
				if err == nil {
					comps[i] = c.ID
				}
				return err
			})
		}
		s.wait()
		if s.done["start"] != needs {
			t.Fatalf("started %d of %d", s.done["start"], needs)
		}
		s = newSweep(t)
		for h, l := range homes {
			f.accept(s, l, pending[h][perPhase:2*perPhase])
		}
		for _, c := range comps {
			for i, l := range []*market.Location{f.echo, f.foxtrot, f.echo, f.foxtrot} {
				s.try("bid", func() error {
					return db.SubmitBid(f.provider(l), &brokerage.Bid{CompetitionID: c, LocationID: l.ID, Price: 24_00 + money.Money(i)*50, StartDate: reqs[0].StartDate})
				})
			}
		}
		s.wait()
		f.now = deadline.Add(time.Minute)
		s = newSweep(t)
		for h, l := range homes {
			f.accept(s, l, pending[h][2*perPhase:])
		}
		for _, c := range comps {
			staff, err := db.Competition(f.broker, c)
			if err != nil || len(staff.Bids) != 2 {
				t.Fatalf("competition %d: %+v %v", c, staff, err)
			}
			for _, b := range staff.Bids {
				s.try("award", func() error { _, err := db.AwardBid(f.broker, c, b.ID); return err })
			}
		}
		s.wait()
		if s.done["award"] != needs {
			t.Errorf("awarded %d of %d", s.done["award"], needs)
		}
		f.checkAfter(t, homes, before)
	})
}

// TestPlacementChangesBesideAcceptances: while offers are accepted,
// providers hand placements back, brokers set top-ups, move off-contract
// placements to contract, cancel requirements with an offer out, and
// withdraw, extend and resend offers (two brokers at once on each).
func TestPlacementChangesBesideAcceptances(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, accepts, each = 40, 20, 6
		homes, pending := f.homesWithOffers(t, vacancies, accepts, time.Hour)
		var live []*brokerage.Placement
		for _, l := range homes {
			live = append(live, f.placed(t, l, each)...)
		}
		offContract := f.offContract(t, each)
		var withdraw, extend, cancel, resend []int64
		for _, l := range homes {
			withdraw = append(withdraw, f.seedOffers(t, l, market.Nursing, 2, time.Hour)...)
			extend = append(extend, f.seedOffers(t, l, market.Nursing, 2, time.Hour)...)
			cancel = append(cancel, f.seedOffers(t, l, market.Nursing, 2, time.Hour)...)
			if l == f.gamma {
				continue // in Canterbury: not eligible for a Thanet person at the first stage
			}
			for _, id := range f.seedOffers(t, l, market.Nursing, 2, time.Hour) {
				f.declineAndWithdrawNext(t, l, id)
				resend = append(resend, id)
			}
		}
		s := f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for i, p := range live {
				if i%2 == 0 {
					home := storagetest.As(f.sys, caremarket.RoleProvider, p.ProviderID)
					s.try("hand back", func() error { _, err := db.HandBackPlacement(home, p.ID, 28, "Cannot meet needs"); return err })
				} else {
					s.try("top-up", func() error { _, err := db.SetTopUp(f.broker, p.ID, 50_00, "Daughter"); return err })
				}
			}
			for range 2 {
				for _, p := range offContract {
					s.try("move", func() error { _, err := db.MoveToContract(f.broker, p.ID); return err })
				}
				for _, id := range withdraw {
					s.try("withdraw", func() error { _, err := db.WithdrawOffer(f.broker, id, "Family chose another home"); return err })
				}
				for _, id := range extend {
					s.try("extend", func() error { _, err := db.ExtendOffer(f.broker, id, 2*time.Hour); return err })
				}
				for _, id := range resend {
					s.try("resend", func() error { _, err := db.ResendOffer(f.broker, id, brokerage.OfferRequest{}); return err })
				}
				for _, id := range cancel {
					s.try("cancel", func() error {
						o, err := db.Offer(f.broker, id)
						if err != nil {
							return err
						}
						return db.CancelRequirement(f.broker, o.RequirementID, "Moved out of the area")
					})
				}
			}
		})
		for what, want := range map[string]int{"hand back": len(live) / 2, "top-up": len(live) / 2, "move": len(offContract),
			"withdraw": len(withdraw), "cancel": len(cancel), "resend": len(resend)} {
			if s.done[what] < want {
				t.Errorf("%s succeeded %d times, want %d", what, s.done[what], want)
			}
		}
	})
}

// offContract places n people off contract at Delta (on no lot), for
// MoveToContract: seeded offers are made off contract before acceptance.
func (f *brokerFixture) offContract(t testing.TB, n int) []*brokerage.Placement {
	t.Helper()
	if err := f.db.SetVacancy(f.sys, &market.Vacancy{LocationID: f.delta.ID, ServiceType: market.Nursing, Vacancies: n}); err != nil {
		t.Fatal(err)
	}
	var ps []*brokerage.Placement
	for _, id := range f.seedOffers(t, f.delta, market.Nursing, n, time.Hour) {
		if _, err := f.db.SQL().Exec(`UPDATE offers SET stage = 3, lot_id = NULL, agreement_id = NULL, off_contract_reason = 'No contracted bed' WHERE id = $1`,
			id); err != nil {
			t.Fatal(err)
		}
		p, err := f.db.AcceptOffer(f.provider(f.delta), id)
		if err != nil {
			t.Fatal(err)
		}
		if !p.OffContract {
			t.Fatalf("placement %+v is on contract", p)
		}
		ps = append(ps, p)
	}
	return ps
}

// needs records n nursing requirements in Thanet and Canterbury, with no
// offer yet.
func (f *brokerFixture) needs(t testing.TB, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		area := []market.Area{f.thanet, f.canterbury}[i%2]
		r := &brokerage.Requirement{CaseReference: fmt.Sprintf("MOS-2%05d", i), ServiceType: market.Nursing, StartDate: procurement.Date(2026, 3, 9),
			AreaID: area.ID, Method: brokerage.ByDirectAward}
		if err := f.db.CreateRequirement(f.broker, r, &brokerage.Person{FullName: fmt.Sprintf("Person %d", i), Address: "1 High Street", Postcode: "CT9 1AA"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// TestAllocationBesideAcceptances: two brokers send batch allocations of
// many requirements (each batch sent twice, as a double click would) while
// the homes they offer to accept other offers.
func TestAllocationBesideAcceptances(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, accepts, lines = 40, 25, 12
		homes, pending := f.homesWithOffers(t, vacancies, accepts, time.Hour)
		reqs := f.needs(t, 2*lines)
		var batches []int64
		for _, part := range [][]int64{reqs[:lines], reqs[lines:]} {
			b, err := db.PreviewAllocation(f.broker, part)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, b.ID)
		}
		s := f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for range 2 {
				for _, id := range batches {
					s.try("send", func() error { _, err := db.SendAllocation(f.broker, id, nil); return err })
				}
			}
		})
		if s.done["send"] != len(batches) {
			t.Errorf("sent %d of %d batches", s.done["send"], len(batches))
		}
	})
}

// TestCascadeBesideAcceptances: brokers run the cascade and make offers
// (two at once for each requirement) while the homes accept other offers.
func TestCascadeBesideAcceptances(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, accepts, needs = 40, 25, 12
		homes, pending := f.homesWithOffers(t, vacancies, accepts, time.Hour)
		reqs := f.needs(t, needs)
		s := f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for _, id := range reqs {
				s.try("cascade", func() error { _, err := db.Cascade(f.broker, id); return err })
				for range 2 {
					s.try("offer", func() error { _, err := db.MakeOffer(f.broker, id, brokerage.OfferRequest{}); return err })
				}
			}
		})
		if s.done["offer"] != needs || s.done["cascade"] != needs {
			t.Errorf("made %d offers and %d cascades for %d requirements", s.done["offer"], s.done["cascade"], needs)
		}
	})
}

// TestActualsBesideAcceptances: finance imports a remittance file (twice at
// once) paying the council's placements while brokers change those
// placements' prices and homes accept offers.
func TestActualsBesideAcceptances(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, accepts, each = 40, 25, 8
		homes, pending := f.homesWithOffers(t, vacancies, accepts, time.Hour)
		var live []*brokerage.Placement
		for _, l := range homes {
			live = append(live, f.placed(t, l, each)...)
		}
		cqc := map[int64]string{f.alpha.ProviderID: "1-100000001", f.beta.ProviderID: "1-100000002", f.gamma.ProviderID: "1-100000003"}
		var file strings.Builder
		file.WriteString("CQC Provider ID,Placement ID,Period From,Period To,Amount,Payment Date\n")
		for _, p := range live {
			fmt.Fprintf(&file, "%s,%d,02/03/2026,29/03/2026,4000.00,05/04/2026\n", cqc[p.ProviderID], p.ID)
		}
		fin := storagetest.As(f.sys, caremarket.RoleFinance, 0)
		s := f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for range 2 {
				s.try("import", func() error {
					_, err := db.ImportActuals(fin, "remittance.csv", "test", strings.NewReader(file.String()))
					return err
				})
			}
			for i, p := range live {
				s.try("price change", func() error {
					_, err := db.ChangePlacementPrice(f.broker, p.ID, brokerage.PriceChange{WeeklyCost: 975_00 + money.Money(i), EffectiveFrom: procurement.Date(2026, 3, 16),
						Reason: "Renegotiated"})
					return err
				})
			}
		})
		if s.done["import"] != 2 || s.done["price change"] != len(live) {
			t.Errorf("imports %d, price changes %d of %d", s.done["import"], s.done["price change"], len(live))
		}
		var paid int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM actual_payments WHERE council_id = $1`, caremarket.ActorFrom(f.sys).CouncilID).Scan(&paid); err != nil {
			t.Fatal(err)
		}
		if paid != len(live) {
			t.Errorf("%d payments stored from %d lines imported twice", paid, len(live))
		}
	})
}

// declineAndWithdrawNext declines offer id at l and withdraws the offer
// the cascade then made to the next home, so the declined one may be sent
// again.
func (f *brokerFixture) declineAndWithdrawNext(t testing.TB, l *market.Location, id int64) {
	t.Helper()
	o, err := f.db.DeclineOffer(f.provider(l), id, "No nurse cover")
	if err != nil {
		t.Fatal(err)
	}
	var next int64
	if err := f.db.SQL().QueryRow(`SELECT id FROM offers WHERE requirement_id = $1 AND status = 'pending'`, o.RequirementID).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.WithdrawOffer(f.broker, next, "The family asked for the first home again"); err != nil {
		t.Fatal(err)
	}
}

// TestAnswersBesideBrokers: on the same offers at the same moment, the
// home accepts or declines while a broker withdraws the offer, extends it
// or cancels its requirement, and the expiry job runs. Each offer ends one
// way; nobody gets a server error.
func TestAnswersBesideBrokers(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, offers = 40, 24
		homes, pending := f.homesWithOffers(t, vacancies, offers, time.Hour)
		before := f.mark(t, homes)
		s := newSweep(t)
		for h, l := range homes {
			for i, id := range pending[h] {
				s.try("accept", func() error { _, err := db.AcceptOffer(f.provider(l), id); return err })
				switch i % 4 {
				case 0:
					s.try("withdraw", func() error { _, err := db.WithdrawOffer(f.broker, id, "Family chose another home"); return err })
				case 1:
					s.try("cancel", func() error {
						o, err := db.Offer(f.broker, id)
						if err != nil {
							return err
						}
						return db.CancelRequirement(f.broker, o.RequirementID, "Moved out of the area")
					})
				case 2:
					s.try("decline", func() error { _, err := db.DeclineOffer(f.provider(l), id, "No nurse cover"); return err })
				case 3:
					s.try("extend", func() error { _, err := db.ExtendOffer(f.broker, id, 2*time.Hour); return err })
				}
			}
		}
		s.try("expire", func() error { _, err := db.ExpireOffers(f.sys); return err })
		s.wait()
		f.checkAfter(t, homes, before)
	})
}

// TestMovesBesideBrokers: off-contract placements are being moved to
// contract; at the same moment as the contracted home accepts or declines
// the move's offer, the off-contract home hands the placement back, or a broker ends
// it, changes its price or top-up, or cancels the move.
func TestMovesBesideBrokers(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, accepts, moves = 40, 10, 16
		homes, pending := f.homesWithOffers(t, vacancies, accepts, time.Hour)
		old := f.offContract(t, moves)
		offers := make([]*brokerage.Offer, moves)
		for i, p := range old {
			if _, err := db.MoveToContract(f.broker, p.ID); err != nil {
				t.Fatal(err)
			}
			var id int64
			if err := db.SQL().QueryRow(`SELECT id FROM offers WHERE requirement_id = $1 AND status = 'pending'`, p.RequirementID).Scan(&id); err != nil {
				t.Fatal(err)
			}
			o, err := db.Offer(f.broker, id)
			if err != nil {
				t.Fatal(err)
			}
			offers[i] = o
		}
		delta := f.provider(f.delta)
		f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for i, p := range old {
				o := offers[i]
				home := storagetest.As(f.sys, caremarket.RoleProvider, o.ProviderID)
				if i/4%2 == 0 {
					s.try("accept move", func() error { _, err := db.AcceptOffer(home, o.ID); return err })
				} else {
					s.try("decline move", func() error { _, err := db.DeclineOffer(home, o.ID, "No nurse cover"); return err })
				}
				switch i % 4 {
				case 0:
					s.try("hand back", func() error { _, err := db.HandBackPlacement(delta, p.ID, 28, "Cannot meet needs"); return err })
				case 1:
					s.try("end", func() error {
						_, err := db.EndPlacement(f.broker, p.ID, procurement.Date(2026, 3, 20), "Returned home")
						return err
					})
				case 2:
					s.try("price change", func() error {
						_, err := db.ChangePlacementPrice(f.broker, p.ID, brokerage.PriceChange{WeeklyCost: 1300_00, EffectiveFrom: procurement.Date(2026, 3, 10),
							Reason: "Renegotiated"})
						return err
					})
					s.try("top-up", func() error { _, err := db.SetTopUp(f.broker, p.ID, 50_00, "Daughter"); return err })
				case 3:
					s.try("cancel", func() error { return db.CancelRequirement(f.broker, p.RequirementID, "Family chose to stay") })
				}
			}
		})
	})
}

// TestSourcingBesideEachOther: on the same requirements at the same
// moment, two overlapping batch allocations are sent while brokers make
// offers, start mini-competitions, run the cascade and cancel, and homes
// accept other offers. Each requirement ends with one offer or competition
// at most.
func TestSourcingBesideEachOther(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, accepts, needs = 40, 15, 12
		homes, pending := f.homesWithOffers(t, vacancies, accepts, time.Hour)
		reqs := f.needs(t, needs)
		var batches []int64
		for _, part := range [][]int64{reqs[:needs*2/3], reqs[needs/3:]} {
			b, err := db.PreviewAllocation(f.broker, part)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, b.ID)
		}
		f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for _, id := range batches {
				s.try("send", func() error { _, err := db.SendAllocation(f.broker, id, nil); return err })
			}
			for i, id := range reqs {
				s.try("cascade", func() error { _, err := db.Cascade(f.broker, id); return err })
				s.try("offer", func() error { _, err := db.MakeOffer(f.broker, id, brokerage.OfferRequest{}); return err })
				switch i % 3 {
				case 0:
					s.try("competition", func() error { _, err := db.StartCompetition(f.broker, id, f.now.Add(48*time.Hour), -1); return err })
				case 1:
					s.try("cancel", func() error { return db.CancelRequirement(f.broker, id, "Moved out of the area") })
				}
			}
		})
		var twice int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM care_requirements r WHERE r.council_id = $1 AND
			(SELECT COUNT(*) FROM offers o WHERE o.requirement_id = r.id AND o.status = 'pending') + (SELECT COUNT(*) FROM competitions c WHERE c.requirement_id = r.id AND c.status = 'open') > 1`,
			caremarket.ActorFrom(f.sys).CouncilID).Scan(&twice); err != nil {
			t.Fatal(err)
		}
		if twice != 0 {
			t.Errorf("%d requirements sourced twice at once", twice)
		}
	})
}

// TestAwardsBesideCancellations: after the deadline, brokers award
// mini-competitions (two awards of each at once) while another cancels
// some of the requirements and the homes accept nursing offers.
func TestAwardsBesideCancellations(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		f := newBrokerFixture(t, db)
		const vacancies, accepts, needs = 40, 15, 8
		homes, pending := f.homesWithOffers(t, vacancies, accepts, 100*time.Hour)
		deadline := f.now.Add(48 * time.Hour)
		var comps []*brokerage.Competition
		for range needs {
			r := f.requirement(t, market.Homecare, brokerage.ByMiniCompetition)
			c, err := db.StartCompetition(f.broker, r.ID, deadline, -1)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range []*market.Location{f.echo, f.foxtrot} {
				if err := db.SubmitBid(f.provider(l), &brokerage.Bid{CompetitionID: c.ID, LocationID: l.ID, Price: 24_00, StartDate: r.StartDate}); err != nil {
					t.Fatal(err)
				}
			}
			comps = append(comps, c)
		}
		f.now = deadline.Add(time.Minute)
		s := f.besideAcceptances(t, homes, pending, func(s *sweep) {
			for i, c := range comps {
				staff, err := db.Competition(f.broker, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, b := range staff.Bids {
					s.try("award", func() error { _, err := db.AwardBid(f.broker, c.ID, b.ID); return err })
				}
				if i%2 == 0 {
					s.try("cancel", func() error { return db.CancelRequirement(f.broker, c.RequirementID, "Moved out of the area") })
				}
			}
		})
		if s.done["award"]+s.done["cancel"] != needs {
			t.Errorf("%d awards and %d cancellations of %d competitions", s.done["award"], s.done["cancel"], needs)
		}
	})
}

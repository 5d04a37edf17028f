package brokerage

import (
	"strings"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
)

func TestUrgentOfferExpiry(t *testing.T) {
	for _, c := range []struct {
		name      string
		requested time.Duration
		urgent    bool
		want      time.Duration
		invalid   bool
	}{
		{"not urgent keeps what was asked", 48 * time.Hour, false, 48 * time.Hour, false},
		{"not urgent, default left to the offer", 0, false, 0, false},
		{"urgent defaults to 2 hours", 0, true, 2 * time.Hour, false},
		{"urgent may be 4 hours", 4 * time.Hour, true, 4 * time.Hour, false},
		{"urgent may not be a day", 24 * time.Hour, true, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := OfferExpiry(c.requested, c.urgent)
			if (err != nil) != c.invalid || got != c.want {
				t.Errorf("OfferExpiry(%s, %v) = %s, %v; want %s (invalid %v)", c.requested, c.urgent, got, err, c.want, c.invalid)
			}
		})
	}
}

func TestCheckChoice(t *testing.T) {
	ranked := func(id int64, rank int) Ranked {
		return Ranked{Candidate: Candidate{LocationID: id, LocationName: "Home " + string(rune('A'+id-1)), ProviderID: id * 10}, Stage: StageLocal, Rank: rank}
	}
	res := &Result{Current: StageLocal, Stages: []StageResult{
		{Stage: StageLocal, Eligible: []Ranked{ranked(1, 1), ranked(2, 2), ranked(3, 3)}},
		{Stage: StageNeighbours, Eligible: []Ranked{ranked(4, 1)}},
	}}
	for _, c := range []struct {
		name      string
		chosen    int
		reason    string
		skipped   []int64
		wantField bool
	}{
		{"the top-ranked needs no reason", 0, "", nil, false},
		{"passing over one needs a reason", 1, "", []int64{1}, true},
		{"passing over two, with a reason", 2, "Family live next door", []int64{1, 2}, false},
		{"a reason of spaces is no reason", 2, "   ", []int64{1, 2}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			chosen := res.Stages[0].Eligible[c.chosen]
			got, err := CheckChoice(res, &chosen, c.reason)
			if hasField := caremarket.ErrorFields(err)["skip_reason"] != ""; hasField != c.wantField {
				t.Fatalf("error %v, want a skip_reason message: %v", err, c.wantField)
			}
			var ids []int64
			for _, s := range got {
				ids = append(ids, s.LocationID)
			}
			if len(ids) != len(c.skipped) {
				t.Fatalf("skipped %v, want %v", ids, c.skipped)
			}
			for i := range ids {
				if ids[i] != c.skipped[i] {
					t.Fatalf("skipped %v, want %v", ids, c.skipped)
				}
			}
		})
	}
}

func TestOfferExtendedAndWithdraw(t *testing.T) {
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	pending := func(open time.Duration) *Offer {
		return &Offer{Status: OfferPending, OfferedAt: at, ExpiresAt: at.Add(open)}
	}
	for _, c := range []struct {
		name   string
		o      *Offer
		now    time.Time
		by     time.Duration
		urgent bool
		want   time.Time
		code   string
	}{
		{"a day more", pending(24 * time.Hour), at.Add(time.Hour), 24 * time.Hour, false, at.Add(48 * time.Hour), ""},
		{"past 7 days", pending(24 * time.Hour), at.Add(time.Hour), 7 * 24 * time.Hour, false, time.Time{}, caremarket.EINVALID},
		{"urgent: 2 hours more makes 4", pending(2 * time.Hour), at.Add(time.Hour), 2 * time.Hour, true, at.Add(4 * time.Hour), ""},
		{"urgent: not past 4 hours", pending(2 * time.Hour), at.Add(time.Hour), 3 * time.Hour, true, time.Time{}, caremarket.EINVALID},
		{"lapsed already", pending(time.Hour), at.Add(2 * time.Hour), time.Hour, false, time.Time{}, caremarket.ECONFLICT},
		{"answered", &Offer{Status: OfferDeclined, OfferedAt: at, ExpiresAt: at.Add(time.Hour)}, at, time.Hour, false, time.Time{}, caremarket.ECONFLICT},
		{"less than an hour", pending(24 * time.Hour), at, 0, false, time.Time{}, caremarket.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.o.Extended(c.now, c.by, c.urgent)
			if caremarket.ErrorCode(err) != c.code || !got.Equal(c.want) {
				t.Errorf("Extended = %s, %v; want %s (%q)", got, err, c.want, c.code)
			}
		})
	}
	if err := pending(time.Hour).CheckWithdraw(""); caremarket.ErrorFields(err)["withdraw_reason"] == "" {
		t.Errorf("withdrawing without a reason: %v", err)
	}
	if err := (&Offer{Status: OfferAccepted}).CheckWithdraw("changed mind"); caremarket.ErrorCode(err) != caremarket.ECONFLICT {
		t.Errorf("withdrawing an accepted offer: %v", err)
	}
	if !(&Offer{Status: OfferExpired}).CanResend() || (&Offer{Status: OfferPending}).CanResend() {
		t.Error("only a declined, lapsed or withdrawn offer may be sent again")
	}
}

func TestUrgencyAndTitles(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	if err := (&Urgency{Urgent: true, Reason: "Hospital discharge", NeededBy: &past}).Validate(now); caremarket.ErrorFields(err)["needed_by"] == "" {
		t.Errorf("needed by in the past: %v", err)
	}
	if err := (&Urgency{Urgent: true}).Validate(now); caremarket.ErrorFields(err)["urgent_reason"] == "" {
		t.Errorf("urgent with no reason: %v", err)
	}
	u := &Urgency{Urgent: false, Reason: "left over", NeededBy: &past}
	if err := u.Validate(now); err != nil || u.Reason != "" || u.NeededBy != nil {
		t.Errorf("not urgent keeps %+v, %v", u, err)
	}
	if got := OfferTitle(market.Nursing, "Larch Hall"); got != "Offer of a nursing place at Larch Hall" {
		t.Errorf("OfferTitle = %q", got)
	}
	if got := OfferTitle(market.Homecare, "Acme Care"); !strings.HasPrefix(got, "Offer of homecare from Acme Care") {
		t.Errorf("OfferTitle = %q", got)
	}
	q := RequirementQuery{Status: "lost", ServiceType: "beds", PerPage: 1000}
	f := caremarket.ErrorFields(q.Normalise())
	if f["status"] == "" || f["service_type"] == "" || q.PerPage != 25 || q.Page != 1 {
		t.Errorf("Normalise: %v %+v", f, q)
	}
}

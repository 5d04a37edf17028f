package audit

import (
	"testing"
	"time"
)

func chain(n int) []*Record {
	prev := GenesisHash
	var out []*Record
	for i := 1; i <= n; i++ {
		r := &Record{ID: int64(i), At: time.Date(2026, 3, 1, 9, i, 0, 0, time.UTC), CouncilID: 1, Actor: "a@kent.gov.uk",
			Role: "admin", Action: "provider.create", EntityType: "provider", EntityID: "7", After: `{"name":"X"}`, PrevHash: prev}
		r.Hash = ComputeHash(r)
		prev = r.Hash
		out = append(out, r)
	}
	return out
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]*Record) []*Record
		broken int64
	}{
		{"intact", func(r []*Record) []*Record { return r }, 0},
		{"edited", func(r []*Record) []*Record { r[2].After = `{"name":"Y"}`; return r }, 3},
		{"removed", func(r []*Record) []*Record { return append(r[:1], r[2:]...) }, 3},
		{"reordered", func(r []*Record) []*Record { r[3], r[4] = r[4], r[3]; return r }, 5},
		{"rehashed edit", func(r []*Record) []*Record { r[1].Actor = "x"; r[1].Hash = ComputeHash(r[1]); return r }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVerifier()
			for _, r := range tt.tamper(chain(6)) {
				v.Add(r)
			}
			_, b := v.Result()
			switch {
			case tt.broken == 0 && b != nil:
				t.Errorf("intact chain reported broken at %d: %s", b.ID, b.Reason)
			case tt.broken != 0 && (b == nil || b.ID != tt.broken):
				t.Errorf("break = %+v, want at id %d", b, tt.broken)
			}
		})
	}
}

func TestHashSeparatesFields(t *testing.T) {
	a := &Record{ID: 1, Action: "ab", EntityType: "c"}
	b := &Record{ID: 1, Action: "a", EntityType: "bc"}
	if ComputeHash(a) == ComputeHash(b) {
		t.Error("moving text between fields keeps the hash")
	}
}

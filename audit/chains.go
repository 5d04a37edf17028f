package audit

import "fmt"

// Chains per council. The log began as one chain shared by every council,
// so every change of every council queued on its one head. Records are now
// chained per council: each record follows the previous record of its own
// council, and councils no longer wait for each other. The shared chain is
// kept and still verified; it ends where the chains per council begin, and
// the first record of each council's chain follows the shared chain's last
// record (or the genesis, in a log that never had a shared chain), so no
// record can be slipped in front of a council's chain unnoticed.

// ChainVerifier checks a whole log, in ID order: the shared chain, then
// every council's chain.
type ChainVerifier struct {
	shared  *Verifier
	chains  map[int64]*Verifier
	last    map[int64]*Record
	checked int
	broken  *Break
	started bool // a chained record has been seen
}

// NewChainVerifier starts a check of a whole log.
func NewChainVerifier() *ChainVerifier {
	return &ChainVerifier{shared: NewVerifier(), chains: map[int64]*Verifier{}, last: map[int64]*Record{}}
}

// Add checks the next record (in ID order) and reports false at the first
// break.
func (v *ChainVerifier) Add(r *Record) bool {
	if v.broken != nil {
		return false
	}
	v.checked++
	if !r.Chained {
		if v.started {
			v.broken = &Break{ID: r.ID, Reason: "a record of the shared chain comes after the chains per council began (it was inserted later)"}
			return false
		}
		if !v.shared.Add(r) {
			v.broken = v.shared.broken
		}
		return v.broken == nil
	}
	v.started = true
	if r.Chain != r.CouncilID {
		v.broken = &Break{ID: r.ID, Reason: fmt.Sprintf("it is on council %d's chain but belongs to council %d (it was moved)", r.Chain, r.CouncilID)}
		return false
	}
	c := v.chains[r.Chain]
	if c == nil {
		c = &Verifier{prev: v.shared.prev}
		v.chains[r.Chain] = c
	}
	if !c.Add(r) {
		v.broken = c.broken
	}
	v.last[r.Chain] = r
	return v.broken == nil
}

// Head checks a council's chain head as the database keeps it (the last
// record's ID and hash) against the log read: a record removed from the
// end of a chain shows here.
func (v *ChainVerifier) Head(council, lastID int64, hash string) bool {
	if v.broken != nil {
		return false
	}
	got := v.last[council]
	switch {
	case got == nil && lastID != 0:
		v.broken = &Break{ID: lastID, Reason: fmt.Sprintf("council %d's chain should end at this record, which is missing", council)}
	case got != nil && (got.ID != lastID || got.Hash != hash):
		v.broken = &Break{ID: lastID, Reason: fmt.Sprintf("council %d's chain should end at this record, but the log ends at record %d (records were removed from the end)", council, got.ID)}
	}
	return v.broken == nil
}

// Result returns how many records were checked, how many chains (the
// shared one counted when it has records) and the first break, if any.
func (v *ChainVerifier) Result() (checked, chains int, broken *Break) {
	n := len(v.chains)
	if v.shared.checked > 0 {
		n++
	}
	return v.checked, n, v.broken
}

// Tail is the hash a new council's chain starts from: the shared chain's
// last record, or the genesis.
func (v *ChainVerifier) Tail() string { return v.shared.prev }

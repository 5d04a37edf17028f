package brokerage

// CascadePage is the window of each stage's eligible and excluded lists a
// view shows: stage 3 (off contract) is read nearest first, only as far as
// the window needs.
type CascadePage struct {
	Offset int
	Limit  int
}

// Cascade list sizes: the default window, and the most one request may ask.
const (
	DefaultCascadeLimit = 25
	MaxCascadeLimit     = 500
)

// Normalize clamps the page: a limit of 0 is the default.
func (p CascadePage) Normalize() CascadePage {
	if p.Offset < 0 {
		p.Offset = 0
	}
	if p.Limit <= 0 {
		p.Limit = DefaultCascadeLimit
	}
	p.Limit = min(p.Limit, MaxCascadeLimit)
	return p
}

// Window cuts every stage's lists to the page and records the totals.
// Stage 3's totals count only what was read; more says there is more to
// read there.
func (r *Result) Window(p CascadePage, more bool) {
	p = p.Normalize()
	cut := func(n int) (int, int) { return min(p.Offset, n), min(p.Offset+p.Limit, n) }
	for i := range r.Stages {
		sr := &r.Stages[i]
		sr.Offset, sr.EligibleTotal, sr.ExcludedTotal = p.Offset, len(sr.Eligible), len(sr.Excluded)
		a, b := cut(len(sr.Eligible))
		sr.More = b < len(sr.Eligible) || (sr.Stage == StageOffContract && more)
		sr.Eligible = sr.Eligible[a:b]
		a, b = cut(len(sr.Excluded))
		sr.Excluded = sr.Excluded[a:b]
	}
}

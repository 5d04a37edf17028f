package finance

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadBudgets(t *testing.T) {
	lines := []BudgetLine{{ID: 1, Name: "Older people nursing", Code: "OPN"}, {ID: 2, Name: "Home care"}}
	bs, bad, err := ReadBudgets(strings.NewReader("Budget line,Year,Amount\nOPN,2026/27,\"£1,000.50\"\nhome care,2027,20\nNope,2026/27,1\nOPN,2026/28,1\n"), lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0] != (Budget{BudgetLineID: 1, Year: 2026, Amount: 100050}) || bs[1].Year != 2027 || bs[1].Amount != 2000 {
		t.Errorf("budgets = %+v", bs)
	}
	if len(bad) != 2 || bad[0].Line != 4 || bad[1].Line != 5 {
		t.Errorf("bad = %+v", bad)
	}
	if _, _, err := ReadBudgets(strings.NewReader("a,b\n"), lines); err == nil {
		t.Error("no columns accepted")
	}
}

// failingReader gives its text and then fails, as an upload cut off or over
// its size limit does, every time it is read again (up to a bound, so that
// a reader that does not stop shows as a failed test, not a test run out of
// memory).
type failingReader struct {
	r     *strings.Reader
	fails *int
}

func (f failingReader) Read(p []byte) (int, error) {
	if f.r.Len() > 0 {
		return f.r.Read(p)
	}
	if *f.fails++; *f.fails > 1000 {
		return 0, io.EOF
	}
	return 0, errors.New("http: request body too large")
}

// TestReadBudgetsReadError: a reader that fails ends the read with its
// error. Taken for a bad line, it failed again on every later read, and the
// loop grew its list of bad lines until the server ran out of memory.
func TestReadBudgetsReadError(t *testing.T) {
	lines := []BudgetLine{{ID: 1, Name: "Older people nursing", Code: "OPN"}}
	fails := 0
	_, bad, err := ReadBudgets(failingReader{strings.NewReader("Budget line,Year,Amount\nOPN,2026/27,1\n"), &fails}, lines)
	if err == nil || !strings.Contains(err.Error(), "too large") || fails != 1 {
		t.Errorf("err = %v after %d failed reads (%d bad lines), want the reader's error at once", err, fails, len(bad))
	}
}

// TestReadBudgetsManyBadLines: unreadable lines count towards the limit on
// lines, so a file of them is refused as too long, not listed line by line.
func TestReadBudgetsManyBadLines(t *testing.T) {
	in := "Budget line,Year,Amount\n" + strings.Repeat("a\"b,2026,1\n", MaxBudgetRows+1)
	bs, bad, err := ReadBudgets(strings.NewReader(in), nil)
	if err == nil || !strings.Contains(err.Error(), "more than 5000 lines") || len(bs)+len(bad) != 0 {
		t.Errorf("%d budgets, %d bad lines, err %v; want the file refused as too long", len(bs), len(bad), err)
	}
}

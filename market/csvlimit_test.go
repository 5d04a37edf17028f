package market

import (
	"io"
	"strings"
	"testing"
)

// TestLimitCSVLines: lines up to MaxCSVLine pass whole; the first longer
// one fails the read, naming its line.
func TestLimitCSVLines(t *testing.T) {
	ok := "a,b\n" + strings.Repeat("x", MaxCSVLine) + "\n" + strings.Repeat("y", MaxCSVLine)
	if b, err := io.ReadAll(LimitCSVLines(strings.NewReader(ok))); err != nil || string(b) != ok {
		t.Errorf("lines at the limit: %d bytes, %v", len(b), err)
	}
	long := "a,b\n1,2\n" + strings.Repeat(",", MaxCSVLine+1) + "\n"
	if _, err := io.ReadAll(LimitCSVLines(strings.NewReader(long))); err == nil || !strings.Contains(err.Error(), "Line 3 of the file is longer than 64 KB") {
		t.Errorf("a long line: %v", err)
	}
}

// TestOpenCSVLongLine: a header of a million empty columns is refused
// before encoding/csv holds them all.
func TestOpenCSVLongLine(t *testing.T) {
	if _, err := OpenCSV(strings.NewReader(strings.Repeat(",", 1<<20)), true); err == nil || !strings.Contains(err.Error(), "longer than 64 KB") {
		t.Errorf("OpenCSV = %v", err)
	}
}

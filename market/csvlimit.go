package market

import (
	"io"

	"github.com/caremarket/caremarket"
)

// MaxCSVLine bounds one line of an uploaded CSV file. encoding/csv keeps
// about 40 bytes for each field of a record while it reads it, so a file of
// one long line of commas costs a hundred times its size (a 4 MB upload,
// 400 MB); no row of a file this service reads comes near 64 KB.
const MaxCSVLine = 64 << 10

// LimitCSVLines reads r and fails, with an error for the person who sent
// the file, at the first line longer than MaxCSVLine bytes.
func LimitCSVLines(r io.Reader) io.Reader { return &lineLimit{r: r, line: 1} }

type lineLimit struct {
	r    io.Reader
	run  int // bytes since the last newline
	line int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.run = 0
			l.line++
		} else if l.run++; l.run > MaxCSVLine {
			return 0, caremarket.Errorf(caremarket.EINVALID, "Line %d of the file is longer than %d KB: check it is the CSV file asked for", l.line, MaxCSVLine>>10)
		}
	}
	return n, err
}

package server

import "fmt"

// heading is one column heading of a table's head (the "tableHead" template
// in templates/components.html).
type heading struct {
	Text string
	// Numeric right-aligns the heading over a column of figures, as the
	// GOV.UK table does for numbers.
	Numeric bool
	// Hidden keeps the heading for screen readers only: a column of buttons
	// needs a name but shows none.
	Hidden bool
}

// columns makes a table's headings: a string is a plain heading, and
// numeric or hidden make the others.
func columns(cols ...any) ([]heading, error) {
	out := make([]heading, 0, len(cols))
	for _, c := range cols {
		switch c := c.(type) {
		case string:
			out = append(out, heading{Text: c})
		case heading:
			out = append(out, c)
		default:
			return nil, fmt.Errorf("columns takes strings and headings, not %T", c)
		}
	}
	return out, nil
}

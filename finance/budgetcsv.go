package finance

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/money"
)

// ParseYear reads a financial year as finance writes it: "2026/27",
// "2026-27" or the year it starts in, "2026".
func ParseYear(s string) (Year, error) {
	s = strings.TrimSpace(s)
	head, tail, cut := strings.Cut(strings.ReplaceAll(s, "-", "/"), "/")
	y, err := strconv.Atoi(head)
	if err != nil || y < 2000 || y > 2100 {
		return 0, caremarket.Errorf(caremarket.EINVALID, "%q is not a financial year like 2026/27", s)
	}
	if cut {
		if n, err := strconv.Atoi(tail); err != nil || (n != (y+1)%100 && n != y+1) {
			return 0, caremarket.Errorf(caremarket.EINVALID, "%q is not a financial year like 2026/27", s)
		}
	}
	return Year(y), nil
}

// MaxBudgetRows bounds a budget upload.
const MaxBudgetRows = 5000

// ReadBudgets reads a budget CSV: columns "budget line" (its name or ledger
// code), "year" (2026/27) and "amount" (pounds), found by name. Every line
// must be good: a line that is not is reported with its number and reason.
func ReadBudgets(r io.Reader, lines []BudgetLine) ([]Budget, []LineError, error) {
	cr := csv.NewReader(market.LimitCSVLines(r))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file is empty or not CSV")
	}
	at := map[string]int{}
	for i, h := range header {
		switch normHeader(h) {
		case "budgetline", "line", "budgetlinename", "code", "ledgercode":
			if _, ok := at["line"]; !ok {
				at["line"] = i
			}
		case "year", "financialyear":
			at["year"] = i
		case "amount", "budget", "amountpounds", "budgetpounds":
			at["amount"] = i
		}
	}
	if len(at) != 3 {
		return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file needs the columns budget line, year and amount")
	}
	byName := map[string]int64{}
	for _, l := range lines {
		byName[strings.ToLower(l.Name)] = l.ID
		if l.Code != "" {
			byName[strings.ToLower(l.Code)] = l.ID
		}
	}
	var out []Budget
	var bad []LineError
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		// Unreadable lines count too: a file of them is otherwise listed
		// line by line, 260,000 reasons for a 1 MB upload.
		if n > MaxBudgetRows+1 {
			return nil, nil, caremarket.Errorf(caremarket.EINVALID, "The file has more than %d lines", MaxBudgetRows)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			bad = append(bad, LineError{Line: n, Reason: "the line cannot be read as CSV"})
			continue
		} else if err != nil {
			// The file itself failed (cut off, or over the upload's size):
			// reading on would fail the same way forever.
			return nil, nil, fmt.Errorf("finance: read budgets: %w", err)
		}
		get := func(k string) string {
			if at[k] < len(rec) {
				return strings.TrimSpace(rec[at[k]])
			}
			return ""
		}
		var why []string
		id, ok := byName[strings.ToLower(get("line"))]
		if !ok {
			why = append(why, "no budget line is called "+strconv.Quote(get("line")))
		}
		y, err := ParseYear(get("year"))
		if err != nil {
			why = append(why, caremarket.ErrorMessage(err))
		}
		amount, err := money.Parse(get("amount"))
		if err != nil || amount < 0 || amount > MaxBudget {
			why = append(why, "the amount must be pounds, like 22200000.00")
		}
		if len(why) > 0 {
			bad = append(bad, LineError{Line: n, Reason: strings.Join(why, "; ")})
			continue
		}
		out = append(out, Budget{BudgetLineID: id, Year: y, Amount: amount})
	}
	return out, bad, nil
}

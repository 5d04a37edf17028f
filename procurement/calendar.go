package procurement

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"sort"
	"strings"
	"time"
)

// bankHolidaysCSV is the England and Wales bank holidays 2016-2030 from the
// official GOV.UK list (https://www.gov.uk/bank-holidays), with its substitute
// days and the one-off holidays (2020-05-08 VE Day, moved from 4 May;
// 2022-06-02/03 Platinum Jubilee; 2022-09-19 State Funeral; 2023-05-08
// Coronation). Years GOV.UK has not yet published follow the usual rules.
//
//go:embed bankholidays.csv
var bankHolidaysCSV string

// Holiday is a day that is not a working day although it falls Monday to
// Friday.
type Holiday struct {
	Date time.Time `json:"date"`
	Name string    `json:"name"`
}

// Calendar knows which days are working days: Monday to Friday except England
// and Wales bank holidays (PA 2023 s.123 "working day"; PCR 2015 reg. 2 by
// reference to the Banking and Financial Dealings Act 1971). A council's
// admins may add days (a new one-off bank holiday) to their council's copy.
type Calendar struct {
	holidays map[time.Time]string
}

var defaultHolidays = mustParseHolidays(bankHolidaysCSV)

func mustParseHolidays(s string) []Holiday {
	hs, err := ParseHolidays(s)
	if err != nil {
		panic(err) // the file is compiled in; the tests read it
	}
	return hs
}

// ParseHolidays reads "date,name" lines (a header line is skipped).
func ParseHolidays(s string) ([]Holiday, error) {
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []Holiday
	for i, r := range rows {
		if i == 0 && r[0] == "date" {
			continue
		}
		if len(r) != 2 {
			return nil, fmt.Errorf("bank holidays line %d: want date,name", i+1)
		}
		d, err := time.Parse(time.DateOnly, r[0])
		if err != nil {
			return nil, fmt.Errorf("bank holidays line %d: %w", i+1, err)
		}
		out = append(out, Holiday{Date: d, Name: r[1]})
	}
	return out, nil
}

// BankHolidays returns the shipped England and Wales bank holidays.
func BankHolidays() []Holiday { return append([]Holiday(nil), defaultHolidays...) }

// NewCalendar returns a calendar with the shipped bank holidays plus extra.
func NewCalendar(extra ...Holiday) *Calendar {
	c := &Calendar{holidays: map[time.Time]string{}}
	for _, h := range defaultHolidays {
		c.holidays[Day(h.Date)] = h.Name
	}
	for _, h := range extra {
		c.holidays[Day(h.Date)] = h.Name
	}
	return c
}

// DefaultCalendar is the shipped calendar, with no council additions.
var DefaultCalendar = NewCalendar()

// Holidays lists the calendar's holidays in date order.
func (c *Calendar) Holidays() []Holiday {
	out := make([]Holiday, 0, len(c.holidays))
	for d, n := range c.holidays {
		out = append(out, Holiday{Date: d, Name: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// Day is t's calendar date (in t's own location) as midnight UTC: the form
// every date in this package takes.
func Day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

// Date builds a date.
func Date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// IsWorkingDay reports whether d is Monday to Friday and not a bank holiday.
func (c *Calendar) IsWorkingDay(d time.Time) bool {
	d = Day(d)
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, hol := c.holidays[d]
	return !hol
}

// HolidayName names the bank holiday on d, or "".
func (c *Calendar) HolidayName(d time.Time) string { return c.holidays[Day(d)] }

// AddWorkingDays returns the n-th working day after from (from itself is not
// counted): the deadline of "within n working days following" from.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	d := Day(from)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// NthWorkingDayFrom returns the n-th working day of a period "beginning with"
// from: from counts as the first if it is a working day.
func (c *Calendar) NthWorkingDayFrom(from time.Time, n int) time.Time {
	d := Day(from)
	for {
		if c.IsWorkingDay(d) {
			n--
			if n <= 0 {
				return d
			}
		}
		d = d.AddDate(0, 0, 1)
	}
}

// NextWorkingDay returns d if it is a working day, else the next one.
func (c *Calendar) NextWorkingDay(d time.Time) time.Time {
	d = Day(d)
	for !c.IsWorkingDay(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// WorkingDaysBetween counts the working days after from up to and including to.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	n := 0
	for d := Day(from).AddDate(0, 0, 1); !d.After(Day(to)); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

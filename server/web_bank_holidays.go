package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

// Bank holidays: the England and Wales days shipped with caremarket
// (procurement/bankholidays.csv) and the days a council's admins add (a new
// one-off bank holiday). Both are excluded from the council's working days:
// standstill periods and DPS assessment clocks.

func (s *Server) registerBankHolidays() {
	s.route("GET /api/v1/bank-holidays", s.api(s.apiListHolidays))
	s.route("POST /api/v1/bank-holidays", s.api(s.apiAddHoliday))
	s.route("DELETE /api/v1/bank-holidays/{date}", s.api(s.apiRemoveHoliday))
	s.route("GET /admin/bank-holidays", s.page(s.holidaysPage))
	s.route("POST /admin/bank-holidays", s.postForm(s.holidaysPost))
	s.route("POST /admin/bank-holidays/{date}/remove", s.postForm(s.holidayRemovePost))
}

// Holiday sources.
const (
	holidayShipped = "england_and_wales" // shipped with caremarket
	holidayCouncil = "council"           // added by the council's admins
)

// bankHoliday is one day off in the API and on the page.
type bankHoliday struct {
	Date   string    `json:"date"` // like 2026-06-01
	Name   string    `json:"name"`
	Source string    `json:"source"`
	Day    time.Time `json:"-"`
}

func newBankHoliday(d time.Time, name, source string) bankHoliday {
	d = procurement.Day(d)
	return bankHoliday{Date: d.Format(time.DateOnly), Name: name, Source: source, Day: d}
}

// councilCalendar lists the shipped days and the council's own, in date
// order, in year (0: every year).
func (s *Server) councilCalendar(r *http.Request, year int) ([]bankHoliday, error) {
	p := s.Store
	own, err := p.CouncilHolidays(r.Context())
	if err != nil {
		return nil, err
	}
	mine := map[time.Time]bool{}
	extra := make([]procurement.Holiday, 0, len(own))
	for _, h := range own {
		mine[procurement.Day(h.Date)] = true
		extra = append(extra, h)
	}
	out := []bankHoliday{}
	for _, h := range procurement.NewCalendar(extra...).Holidays() {
		if year != 0 && h.Date.Year() != year {
			continue
		}
		src := holidayShipped
		if mine[h.Date] {
			src = holidayCouncil
		}
		out = append(out, newBankHoliday(h.Date, h.Name, src))
	}
	return out, nil
}

func (s *Server) apiListHolidays(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	year := int(q.int("year"))
	if err := q.err(); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(listResult(s.councilCalendar(r, year)))
}

type holidayInput struct {
	Date dateOnly `json:"date"`
	Name string   `json:"name"`
}

func (s *Server) apiAddHoliday(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	var in holidayInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	h := procurement.Holiday{Date: in.Date.Time, Name: in.Name}
	if err := p.AddHoliday(r.Context(), h); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newBankHoliday(h.Date, strings.TrimSpace(h.Name), holidayCouncil))
	return nil
}

// pathDate reads the {date} of a path, like 2026-06-01.
func pathDate(r *http.Request) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, r.PathValue("date"))
	if err != nil {
		return time.Time{}, caremarket.Errorf(caremarket.ENOTFOUND, "Not found: %q is not a date like 2026-06-01", r.PathValue("date"))
	}
	return t, nil
}

func (s *Server) apiRemoveHoliday(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	d, err := pathDate(r)
	if err != nil {
		return err
	}
	own, err := p.CouncilHolidays(r.Context())
	if err != nil {
		return err
	}
	if err := p.RemoveHoliday(r.Context(), d); err != nil {
		return err
	}
	out := newBankHoliday(d, "", holidayCouncil)
	for _, h := range own {
		if procurement.Day(h.Date).Equal(d) {
			out.Name = h.Name
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- The admin page

type holidayYear struct {
	Year int
	Days []bankHoliday
}

type holidaysView struct {
	Years []holidayYear
	Own   int // how many days the council has added
	Form  url.Values
}

func (s *Server) renderHolidays(w http.ResponseWriter, r *http.Request, status int, v url.Values, ferr error) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin); err != nil {
		return err
	}
	hs, err := s.councilCalendar(r, 0)
	if err != nil {
		return err
	}
	data := holidaysView{Form: v}
	if data.Form == nil {
		data.Form = url.Values{}
	}
	// Newest year first: the years ahead are the ones that matter.
	for i := len(hs) - 1; i >= 0; i-- {
		h := hs[i]
		if n := len(data.Years); n == 0 || data.Years[n-1].Year != h.Day.Year() {
			data.Years = append(data.Years, holidayYear{Year: h.Day.Year()})
		}
		y := &data.Years[len(data.Years)-1]
		y.Days = append([]bankHoliday{h}, y.Days...)
		if h.Source == holidayCouncil {
			data.Own++
		}
	}
	s.render(w, r, status, "bank_holidays", "Bank holidays", data, ferr)
	return nil
}

func (s *Server) holidaysPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderHolidays(w, r, http.StatusOK, nil, nil)
}

func (s *Server) holidaysPost(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin); err != nil {
		return err
	}
	p := s.Store
	var err error
	f := readFields(r.PostForm)
	d := f.date("date", "Date")
	if d == nil && f.errs["date"] == "" {
		f.fail("date", "Enter the date of the holiday")
	}
	name := f.text("name", "Name", 200)
	if name == "" && f.errs["name"] == "" {
		f.fail("name", "Enter the name of the holiday")
	}
	err = f.err()
	if err == nil {
		err = p.AddHoliday(r.Context(), procurement.Holiday{Date: *d, Name: name})
	}
	if hasFormErrors(err) {
		return s.renderHolidays(w, r, statusOf(err), r.PostForm, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/admin/bank-holidays", name+" ("+d.Format("Monday 2 January 2006")+") has been added: it is no longer a working day")
	return nil
}

func (s *Server) holidayRemovePost(w http.ResponseWriter, r *http.Request) error {
	p := s.Store
	d, err := pathDate(r)
	if err != nil {
		return err
	}
	err = p.RemoveHoliday(r.Context(), d)
	if caremarket.ErrorCode(err) == caremarket.ECONFLICT {
		return s.renderHolidays(w, r, http.StatusConflict, nil, err)
	} else if err != nil {
		return err
	}
	redirectWithFlash(w, r, "/admin/bank-holidays", d.Format("Monday 2 January 2006")+" has been removed: it is a working day again")
	return nil
}

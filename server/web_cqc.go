package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
)

// The CQC register over HTTP: the directory upload for admins,
// market alerts for commissioners, rating history, and bulk vacancy
// uploads for providers. The store decides who may do what; these handlers
// translate.

// cqcHandlers serves the register from a store that keeps it.
type cqcHandlers struct {
	s  *Server
	st cqc.Store
}

// registerCQC adds the CQC routes when the store keeps CQC's register
// (storage.DB does).
func (s *Server) registerCQC() {
	st := s.Store
	h := &cqcHandlers{s: s, st: st}
	s.route("POST /api/v1/cqc-imports", s.api(h.apiImport))
	s.route("GET /api/v1/locations/{id}/ratings", s.api(h.apiRatings))
	s.route("GET /api/v1/alerts", s.api(h.apiAlerts))
	s.route("POST /api/v1/alerts/{id}/acknowledge", s.api(h.apiAcknowledge))
	s.route("POST /api/v1/vacancies", s.api(h.apiVacancies))

	s.route("GET /admin/cqc-import", s.page(h.importPage))
	s.route("POST /admin/cqc-import", s.page(h.importPost))
	s.route("GET /alerts", s.page(h.alertsPage))
	s.route("POST /alerts/{id}/acknowledge", s.page(h.acknowledgePost))
	s.route("POST /locations/vacancies/upload", s.page(h.vacancyUploadPost))
	s.route("GET /locations/vacancies/template.csv", s.page(h.vacancyTemplate))
}

// cqcStore is the store's CQC side (Store guarantees it; the bool stays for its callers).
func (s *Server) cqcStore() (cqc.Store, bool) {
	return s.Store, true
}

// staleAfter is how old a vacancy figure may be before it is marked stale.
func (s *Server) staleAfter() time.Duration {
	if s.StaleAfter > 0 {
		return s.StaleAfter
	}
	return market.StaleAfter
}

// staleAfterWords says the stale age as a person would: "7 days", "36 hours".
func staleAfterWords(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return plural(int(d.Round(time.Hour)/time.Hour), "hour")
	}
	return plural(max(1, int(d.Round(time.Minute)/time.Minute)), "minute")
}

// --- Directory import

// MaxImportBytes bounds an uploaded directory: CQC's whole register, every
// local authority, is well under it.
const MaxImportBytes = 256 << 20

// importDirectory runs a directory import of r for the signed-in admin.
// Errors about the file itself are on the field "file".
func (h *cqcHandlers) importDirectory(ctx context.Context, r io.Reader, name string, all bool) (*cqc.ImportSummary, error) {
	if err := caremarket.ActorFrom(ctx).Require(caremarket.RoleAdmin); err != nil {
		return nil, err
	}
	if h.s.DistrictFor == nil {
		return nil, caremarket.Errorf(caremarket.EINVALID,
			"This service has no table of postcode districts, so it cannot place locations in districts: start it with --districts FILE")
	}
	rd, err := cqc.NewDirectoryReader(r)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "cqc: ")
		return nil, &caremarket.Error{Code: caremarket.EINVALID, Message: "The file is not CQC's directory: " + msg,
			Fields: map[string]string{"file": "The file is not CQC's directory: " + msg}}
	}
	lookup, err := h.st.AreaLookup(ctx, h.s.DistrictFor)
	if err != nil {
		return nil, err
	}
	return h.st.ImportDirectory(ctx, rd.All(), cqc.ImportOptions{All: all, AreaFor: lookup, Source: name})
}

// importView is what the import page shows.
type importView struct {
	All      bool
	FileName string
	Summary  *cqc.ImportSummary
	Counts   []countRow
	Elapsed  string
	Rate     string
	// Shown are the rejections listed on the page; the rest are counted.
	Shown []*cqc.RowError
}

// AllOptions is the form's one checkbox.
func (v importView) AllOptions() []option {
	return []option{{Value: "yes", Label: "Import every local authority’s locations"}}
}

// AllValues is the checkbox's state.
func (v importView) AllValues() []string {
	if v.All {
		return []string{"yes"}
	}
	return nil
}

type countRow struct {
	Label string
	N     int
}

// importShown is how many rejected rows the page lists.
const importShown = 1000

func (h *cqcHandlers) importPage(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin); err != nil {
		return err
	}
	h.s.render(w, r, http.StatusOK, "cqc_import", "Import the CQC directory", importView{}, nil)
	return nil
}

// importPost imports an uploaded directory and shows what it did. The form
// was parsed (multipart) by the CSRF check.
func (h *cqcHandlers) importPost(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin); err != nil {
		return err
	}
	v := importView{All: r.FormValue("all") == "yes"}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		h.s.render(w, r, http.StatusBadRequest, "cqc_import", "Import the CQC directory", v,
			caremarket.Invalid(map[string]string{"file": "Choose the directory file (HSCA Active Locations, saved as CSV)"}))
		return nil
	}
	defer file.Close()
	v.FileName = hdr.Filename
	sum, err := h.importDirectory(r.Context(), io.LimitReader(file, MaxImportBytes), hdr.Filename, v.All)
	if sum == nil && hasFormErrors(err) {
		h.s.render(w, r, statusOf(err), "cqc_import", "Import the CQC directory", v, err)
		return nil
	} else if sum == nil {
		return err
	}
	// A read error part way keeps the batches written so far: show them,
	// with the error, rather than nothing.
	v.Summary = sum
	v.Counts = []countRow{{"Added", sum.Added}, {"Updated", sum.Updated}, {"Unchanged", sum.Unchanged},
		{"Deregistered", sum.Deregistered}, {"Rejected", sum.Rejected}, {"Of other local authorities", sum.OtherAuthority},
		{"Not social care", sum.NotSocialCare}, {"Providers added", sum.ProvidersAdded}, {"Rating changes", sum.RatingChanges},
		{"Alerts raised", sum.Alerts}}
	v.Elapsed = sum.Elapsed.Round(time.Millisecond).String()
	v.Rate = thousands(int(sum.RowsPerSecond()))
	v.Shown = sum.Rejections[:min(len(sum.Rejections), importShown)]
	status := http.StatusOK
	if err != nil {
		h.s.Logger.ErrorContext(r.Context(), "cqc import stopped", "file", hdr.Filename, "err", err)
		status = statusOf(err)
		err = caremarket.Errorf(caremarket.EINVALID, "The import stopped part way: %s. The rows before it were saved; import the file again.", caremarket.ErrorMessage(err))
	}
	h.s.render(w, r, status, "cqc_import", "Import the CQC directory", v, err)
	return nil
}

// thousands writes n with thousands separators: 60,000.
func thousands(n int) string {
	s := strconv.Itoa(max(n, 0))
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// --- Alerts

// alertRow is an alert with what the page says of its kind.
type alertRow struct {
	cqc.Alert
	KindLabel string
}

func alertKindLabel(k cqc.AlertKind) string {
	switch k {
	case cqc.AlertInadequate:
		return "Rated Inadequate"
	case cqc.AlertDeregistered:
		return "Left the CQC register"
	}
	return string(k)
}

func (h *cqcHandlers) alertsPage(w http.ResponseWriter, r *http.Request) error {
	all := r.URL.Query().Get("show") == "all"
	alerts, err := h.st.ListAlerts(r.Context(), !all)
	if err != nil {
		return err
	}
	rows := make([]alertRow, 0, len(alerts))
	for _, a := range alerts {
		rows = append(rows, alertRow{Alert: a, KindLabel: alertKindLabel(a.Kind)})
	}
	rows, pages := pageOf(r, "/alerts", rows, 50)
	h.s.render(w, r, http.StatusOK, "alerts", "Market alerts", map[string]any{
		"Alerts": rows, "Pages": pages, "All": all, "CanAcknowledge": canManage(r),
	}, nil)
	return nil
}

func (h *cqcHandlers) acknowledgePost(w http.ResponseWriter, r *http.Request) error {
	a, err := loadPath(r, pathID, h.st.Alert)
	if err != nil {
		return err
	}
	if err := h.st.AcknowledgeAlert(r.Context(), a.ID); err != nil {
		return err
	}
	what := a.LocationName
	if what == "" {
		what = "the location"
	}
	redirectWithFlash(w, r, "/alerts", "Alert about "+what+" acknowledged")
	return nil
}

// --- Bulk vacancies

// vacancyUpload is what the locations page shows after a failed upload.
type vacancyUpload struct {
	FileName string
	Errors   []market.LineError
}

// readVacancyCSV parses an uploaded vacancy file and saves it, all or
// nothing; the line errors say why nothing was saved.
func (h *cqcHandlers) readVacancyCSV(ctx context.Context, body []byte) (int, []market.LineError, error) {
	rows, lineErrs := market.ParseVacancyCSV(bytes.NewReader(body))
	if len(lineErrs) > 0 {
		return 0, lineErrs, caremarket.Errorf(caremarket.EINVALID, "%d lines of the file cannot be used; nothing was saved", len(lineErrs))
	}
	return h.st.ApplyVacancies(ctx, rows)
}

func (h *cqcHandlers) vacancyUploadPost(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(vacancyUpdaters...); err != nil {
		return err
	}
	file, hdr, ferr := r.FormFile("file")
	if ferr != nil {
		return h.s.renderLocations(w, r, http.StatusBadRequest, &vacancyUpload{},
			caremarket.Invalid(map[string]string{"file": "Choose a CSV file of vacancies"}))
	}
	defer file.Close()
	up := &vacancyUpload{FileName: hdr.Filename}
	body, err := readUpload(file, MaxUploadBytes)
	if err != nil {
		return h.s.renderLocations(w, r, http.StatusBadRequest, up, err)
	}
	n, lineErrs, err := h.readVacancyCSV(r.Context(), body)
	if len(lineErrs) > 0 {
		up.Errors = lineErrs
		return h.s.renderLocations(w, r, http.StatusBadRequest, up, caremarket.Invalid(map[string]string{
			"file": fmt.Sprintf("%d of the file's lines cannot be used, so no vacancies were saved. Correct them and upload the file again", len(lineErrs))}))
	}
	if hasFormErrors(err) {
		return h.s.renderLocations(w, r, statusOf(err), up, caremarket.Invalid(map[string]string{"file": caremarket.ErrorMessage(err)}))
	} else if err != nil {
		return err
	}
	noun := "figures"
	if n == 1 {
		noun = "figure"
	}
	redirectWithFlash(w, r, "/locations", fmt.Sprintf("%d vacancy %s saved from %s", n, noun, hdr.Filename))
	return nil
}

// vacancyTemplate is a CSV of every registered location the person may
// update and the service types each offers, with today's figures, to fill
// in and upload.
func (h *cqcHandlers) vacancyTemplate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := caremarket.ActorFrom(ctx).Require(vacancyUpdaters...); err != nil {
		return err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"cqc_location_id", "location_name", "service_type", "vacancies", "spare_hours"})
	lines := 0
	for page := 1; lines < market.MaxVacancyRows; page++ {
		locs, total, err := h.s.Store.ListLocations(ctx, market.LocationFilter{Page: market.Page{Number: page, PerPage: market.MaxPerPage}})
		if err != nil {
			return err
		}
		ids := make([]int64, len(locs))
		for i, l := range locs {
			ids[i] = l.ID
		}
		figures, err := h.s.Store.VacanciesAt(ctx, ids)
		if err != nil {
			return err
		}
		for _, l := range locs {
			now := map[market.ServiceType]market.Vacancy{}
			for _, v := range figures[l.ID] {
				now[v.ServiceType] = v
			}
			for _, st := range l.ServiceTypes {
				// Care bought by the hour is given in spare hours a week.
				figure, hours := "", ""
				if v, ok := now[st]; ok && v.SpareMinutes != nil {
					hours = market.HoursFigure(*v.SpareMinutes)
				} else if ok {
					figure = strconv.Itoa(v.Vacancies)
				}
				if lines < market.MaxVacancyRows {
					cw.Write([]string{l.CQCLocationID, csvSafe(l.Name), string(st), figure, hours})
					lines++
				}
			}
		}
		if len(locs) == 0 || page*market.MaxPerPage >= total {
			break
		}
	}
	cw.Flush()
	download(w, csvType, "vacancies.csv")
	w.Write(buf.Bytes())
	return nil
}

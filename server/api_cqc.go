package server

import (
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/market/cqc"
)

// importAnswer is an import's summary as the API gives it.
type importAnswer struct {
	*cqc.ImportSummary
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	RowsPerSecond  float64 `json:"rows_per_second"`
}

// apiImport imports CQC's directory sent as the body (Content-Type:
// text/csv) or as the field "file" of a multipart form. ?all=true imports
// every local authority's locations. Admins.
func (h *cqcHandlers) apiImport(w http.ResponseWriter, r *http.Request) error {
	if err := caremarket.ActorFrom(r.Context()).Require(caremarket.RoleAdmin); err != nil {
		return err
	}
	q := newQuery(r)
	all := q.flag("all")
	name := q.str("source", 200)
	if err := q.err(); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes)
	var body io.Reader
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "text/csv":
		body = r.Body
	case "multipart/form-data":
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return caremarket.Errorf(caremarket.EINVALID, "The form could not be read: it may be larger than %d MB", MaxImportBytes>>20)
		}
		file, hdr, err := r.FormFile("file")
		if err != nil {
			return caremarket.Invalid(map[string]string{"file": "Send the directory as the form's field \"file\""})
		}
		defer file.Close()
		body = file
		if name == "" {
			name = hdr.Filename
		}
		all = all || r.FormValue("all") == "true"
	default:
		return caremarket.Errorf(caremarket.EINVALID, "Send the directory as CSV (Content-Type: text/csv) or as the field \"file\" of a multipart form")
	}
	if name == "" {
		name = "api upload"
	}
	sum, err := h.importDirectory(r.Context(), body, name, all)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, importAnswer{ImportSummary: sum, ElapsedSeconds: sum.Elapsed.Seconds(), RowsPerSecond: sum.RowsPerSecond()})
	return nil
}

func (h *cqcHandlers) apiRatings(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK)(listResult(loadPath(r, pathID, h.st.RatingHistory)))
}

// apiAlerts lists the open alerts, or with ?include_acknowledged=true every one.
func (h *cqcHandlers) apiAlerts(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	all := q.flag("include_acknowledged")
	return reply(w, http.StatusOK)(listResult(h.st.ListAlerts(r.Context(), !all)))
}

func (h *cqcHandlers) apiAcknowledge(w http.ResponseWriter, r *http.Request) error {
	id, err := actOnPath(r, h.st.AcknowledgeAlert)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(h.st.Alert(r.Context(), id))
}

// apiVacancies takes a bulk vacancy file (Content-Type: text/csv, the
// columns of the web upload) and saves it all or nothing.
func (h *cqcHandlers) apiVacancies(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		return caremarket.Errorf(caremarket.EINVALID, "Send the vacancies as CSV (Content-Type: text/csv): columns cqc_location_id (or location_id), service_type, vacancies")
	}
	body, err := readCSVBody(w, r, MaxUploadBytes)
	if err != nil {
		return err
	}
	n, lineErrs, err := h.readVacancyCSV(r.Context(), body)
	if len(lineErrs) > 0 {
		return vacancyLineErrors(err, lineErrs)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"saved": n})
	return nil
}

// vacancyLineErrors gives the lines of a refused file as the API's error
// fields ("line 3"), so a client can show each next to its row.
func vacancyLineErrors(err error, lines []market.LineError) error {
	f := make(map[string]string, len(lines))
	for _, l := range lines {
		f["line "+strconv.Itoa(l.Line)] = l.Reason
	}
	return &caremarket.Error{Code: caremarket.EINVALID, Message: caremarket.ErrorMessage(err), Fields: f}
}

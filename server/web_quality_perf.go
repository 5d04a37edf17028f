package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/pricing"
	"github.com/caremarket/caremarket/quality"
)

func (s *Server) registerPerformancePages() {
	s.route("GET /performance", s.page(s.performancePage))
	s.route("POST /performance/delivered-hours", s.page(s.deliveredPost))
	s.route("GET /performance/lots/{id}", s.page(s.lotPerformancePage))
	s.route("POST /performance/lots/{id}/minimum", s.page(s.lotMinimumPost))
	s.route("GET /performance/lots/{id}/export.csv", s.page(s.lotExportCSV))
	s.route("GET /performance/lots/{id}/export.xlsx", s.page(s.lotExportXLSX))
	s.route("GET /providers/{id}/performance", s.page(s.providerPerformancePage))
}

// lotLink is a lot on the performance index.
type lotLink struct {
	ID                  int64
	Agreement, Title    string
	Number              int
	Minimum             quality.Rating
	AgreementInForceNow bool
}

func (s *Server) performancePage(w http.ResponseWriter, r *http.Request) error {
	return s.showPerformance(w, r, http.StatusOK, nil)
}

func (s *Server) showPerformance(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	a := caremarket.ActorFrom(r.Context())
	data := map[string]any{"Officer": isOfficer(a), "Provider": a.Role == caremarket.RoleProvider, "ProviderID": a.ProviderID}
	if a.Role == caremarket.RoleProvider {
		to := s.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
		pp, err := s.Store.ProviderPerformance(r.Context(), a.ProviderID, to.AddDate(-1, 0, 0), to)
		if err != nil {
			return err
		}
		data["Lots"] = pp.Lots
	} else {
		ags, err := s.Store.ListAgreements(r.Context())
		if err != nil {
			return err
		}
		mins, err := s.Store.LotMinimums(r.Context())
		if err != nil {
			return err
		}
		minOf := map[int64]quality.Rating{}
		for _, m := range mins {
			minOf[m.LotID] = m.Minimum
		}
		var lots []lotLink
		for _, ag := range ags {
			for _, l := range ag.Lots {
				lots = append(lots, lotLink{ID: l.ID, Agreement: ag.Reference, Title: l.Title, Number: l.Number, Minimum: minOf[l.ID]})
			}
		}
		data["AllLots"] = lots
	}
	s.render(w, r, status, "quality_performance", "Provider performance", data, ferr)
	return nil
}

// deliveredPost takes an electronic call monitoring export from the form.
func (s *Server) deliveredPost(w http.ResponseWriter, r *http.Request) error {
	file, _, err := r.FormFile("file")
	if err != nil {
		return s.showPerformance(w, r, http.StatusBadRequest, caremarket.Invalid(map[string]string{"file": "Choose the CSV file of delivered hours"}))
	}
	defer file.Close()
	body, err := readUpload(file, MaxUploadBytes)
	if err != nil {
		return s.showPerformance(w, r, http.StatusBadRequest, err)
	}
	n, err := s.uploadDelivered(r, bytes.NewReader(body))
	if err != nil {
		if hasFormErrors(err) {
			return s.showPerformance(w, r, statusOf(err), err)
		}
		return err
	}
	redirectWithFlash(w, r, "/performance", fmt.Sprintf("Saved %d weeks of delivered hours", n))
	return nil
}

// idAndPeriod reads the id in the page's path and the page's period (from,
// to as dates, both included; the default the twelve months to today).
func (s *Server) idAndPeriod(r *http.Request) (id int64, from, to time.Time, err error) {
	if id, err = pathID(r); err != nil {
		return 0, from, to, err
	}
	q := newQuery(r)
	from, to = s.period(q)
	return id, from, to, q.err()
}

// sortLink is a league table column heading that sorts by it.
type sortLink struct {
	Key, Label, Href string
	Current          bool
}

func (s *Server) lotPerformancePage(w http.ResponseWriter, r *http.Request) error {
	return s.showLot(w, r, http.StatusOK, nil)
}

func (s *Server) showLot(w http.ResponseWriter, r *http.Request, status int, ferr error) error {
	id, from, to, err := s.idAndPeriod(r)
	if err != nil {
		return err
	}
	sortKey := r.URL.Query().Get("sort")
	lp, err := s.Store.LotPerformance(r.Context(), id, from, to, sortKey)
	if err != nil {
		return err
	}
	q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {to.AddDate(0, 0, -1).Format(time.DateOnly)}}
	var cols []sortLink
	for _, k := range quality.SortKeys {
		q.Set("sort", k.Key)
		cols = append(cols, sortLink{Key: k.Key, Label: k.Label, Href: r.URL.Path + "?" + q.Encode(), Current: k.Key == lp.Sort})
	}
	q.Set("sort", lp.Sort)
	// A national lot has thousands of providers: the page shows them in
	// pages (the downloads hold them all).
	shownItems, pg := pageOf(r, r.URL.Path, lp.Rows, 0)
	lp.Rows = shownItems
	a := caremarket.ActorFrom(r.Context())
	var mins []option
	for _, rt := range quality.Ratings {
		mins = append(mins, option{Value: string(rt), Label: rt.Label() + " or better"})
	}
	s.render(w, r, status, "quality_lot", "Performance: "+lp.LotTitle+" ("+lp.AgreementRef+")", map[string]any{"Lot": lp, "Columns": cols,
		"Query": q.Encode(), "From": from, "To": to.AddDate(0, 0, -1), "Provider": a.Role == caremarket.RoleProvider, "Officer": isOfficer(a),
		"Minimums": mins, "Pages": pg}, ferr)
	return nil
}

func (s *Server) lotMinimumPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Store.SetLotMinimum(r.Context(), id, quality.Rating(r.PostFormValue("minimum_audit_rating"))); err != nil {
		return reshow(w, r, err, s.showLot)
	}
	redirectWithFlash(w, r, fmt.Sprintf("/performance/lots/%d", id), "Minimum audit rating saved: the cascade applies it to new offers")
	return nil
}

// lotTableRows is the league table as cells, for both exports.
func (s *Server) lotTableRows(r *http.Request) (*quality.LotPerformance, [][]pricing.Cell, error) {
	id, from, to, err := s.idAndPeriod(r)
	if err != nil {
		return nil, nil, err
	}
	lp, err := s.Store.LotPerformance(r.Context(), id, from, to, r.URL.Query().Get("sort"))
	if err != nil {
		return nil, nil, err
	}
	pct := func(b int) pricing.Cell { return pricing.Num(fmt.Sprintf("%.2f", float64(b)/100)) }
	rows := [][]pricing.Cell{{pricing.Text("Rank"), pricing.Text("Provider"), pricing.Text("Offers"), pricing.Text("Median response (minutes)"),
		pricing.Text("90th percentile response (minutes)"), pricing.Text("Acceptance rate (%)"), pricing.Text("Declined"), pricing.Text("Invitations"),
		pricing.Text("Bid rate (%)"), pricing.Text("Placements"), pricing.Text("Handed back within 28 days"), pricing.Text("Ended early"),
		pricing.Text("Off contract (%)"), pricing.Text("Price against guide (%)"), pricing.Text("Stale vacancy figures"), pricing.Text("Hours delivered (%)")}}
	for _, x := range lp.Rows {
		rows = append(rows, []pricing.Cell{pricing.IntCell(x.Rank), pricing.Text(x.ProviderName), pricing.IntCell(x.Offers), pricing.IntCell(x.MedianResponseMinutes),
			pricing.IntCell(x.P90ResponseMinutes), pct(x.AcceptanceRateBP), pricing.IntCell(x.Declined), pricing.IntCell(x.Invitations), pct(x.BidRateBP),
			pricing.IntCell(x.Placements), pricing.IntCell(x.HandBacks28d), pricing.IntCell(x.EndedEarly), pct(x.OffContractShareBP), pct(x.PriceVsGuideBP),
			pricing.IntCell(x.StaleVacancies), pct(x.DeliveredBP)})
	}
	return lp, rows, nil
}

func exportName(lp *quality.LotPerformance, ext string) string {
	return fmt.Sprintf("performance-lot-%d-%s-to-%s.%s", lp.LotID, lp.From.Format(time.DateOnly), lp.To.AddDate(0, 0, -1).Format(time.DateOnly), ext)
}

func (s *Server) lotExportCSV(w http.ResponseWriter, r *http.Request) error {
	return s.lotExport(w, r, "csv")
}

func (s *Server) lotExportXLSX(w http.ResponseWriter, r *http.Request) error {
	return s.lotExport(w, r, "xlsx")
}

// lotExport sends a lot's league table as a CSV file or (format "xlsx") a
// workbook.
func (s *Server) lotExport(w http.ResponseWriter, r *http.Request, format string) error {
	lp, rows, err := s.lotTableRows(r)
	if err != nil {
		return err
	}
	if format == "xlsx" {
		download(w, xlsxType, exportName(lp, "xlsx"))
		return pricing.WriteXLSX(w, "Performance", rows)
	}
	download(w, csvType, exportName(lp, "csv"))
	return writeCellsCSV(w, rows)
}

func (s *Server) providerPerformancePage(w http.ResponseWriter, r *http.Request) error {
	id, from, to, err := s.idAndPeriod(r)
	if err != nil {
		return err
	}
	pp, err := s.Store.ProviderPerformance(r.Context(), id, from, to)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "quality_provider_perf", "Performance: "+pp.ProviderName, map[string]any{"Perf": pp,
		"From": from, "To": to.AddDate(0, 0, -1), "FromValue": from.Format(time.DateOnly), "ToValue": to.AddDate(0, 0, -1).Format(time.DateOnly),
		"Staff": caremarket.ActorFrom(r.Context()).IsStaff()}, nil)
	return nil
}

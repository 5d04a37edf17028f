package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/procurement"
)

// parseID reads an id written the one way caremarket writes it: digits
// without a sign or leading zeros, so "+1" and "01" are not another name
// for record 1 (a cache, a log search or an allow-list keyed on the text
// would disagree with the database).
func parseID(raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, errors.New("not an id")
	}
	return id, nil
}

// secureCookies says whether cookies set through w get the Secure flag:
// always, unless the server runs with InsecureCookies (plain-HTTP tests).
func secureCookies(w http.ResponseWriter) bool {
	for {
		switch v := w.(type) {
		case *statusWriter:
			return !v.insecureCookies
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return true
		}
	}
}

// behindTLS says whether the browser reached us over HTTPS: the connection
// itself, or X-Forwarded-Proto from a proxy the operator said to trust
// (Server.TrustProxy); from anyone else the header is ignored.
func (s *Server) behindTLS(r *http.Request) bool {
	return r.TLS != nil || (s.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
}

// hstsMaxAge is two years, as the HSTS preload list asks.
const hstsMaxAge = "max-age=63072000; includeSubDomains"

// formError says why a form could not be read: too large (413, before the
// CSRF check could say 403), or not a form at all.
func formError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return caremarket.Errorf(caremarket.ETOOLARGE, "The form is too large: it must be %d KB or smaller", tooBig.Limit/1024)
	}
	if strings.Contains(err.Error(), "request body too large") { // multipart does not wrap it
		return caremarket.Errorf(caremarket.ETOOLARGE, "The form is too large")
	}
	return caremarket.Errorf(caremarket.EINVALID, "The form could not be read")
}

// marksOpen says whether a window's marks may still change: not once its
// award notice is published (procurement.CheckMarksOpen). It only decides
// which forms a page shows; storage enforces the rule.
func marksOpen(ctx context.Context, p procurement.Store, windowID int64) bool {
	aws, err := p.ListAwards(ctx, procurement.AwardFilter{WindowID: windowID})
	if err != nil {
		return true
	}
	for _, a := range aws {
		if a.NoticeAt != nil {
			return false
		}
	}
	return true
}

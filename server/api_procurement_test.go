package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/caremarket/caremarket/procurement/ocdstest"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// TestProcurementAPI: over HTTP, a provider reads its own application,
// scores and assessment summary and gets 404 for another's; the OCDS
// download validates against the official schema; pages render.
func TestProcurementAPI(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx := procDemoCouncil(t, db)
		now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		a, aws, prov, comm := procDemoTokens(t, db, ctx)
		mine, theirs := aws[0], aws[1]

		srv := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		srv.InsecureCookies = true
		srv.Now = func() time.Time { return now }
		get := func(tok, path string) (int, []byte) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req.WithContext(context.Background()))
			return rec.Code, rec.Body.Bytes()
		}
		itoa := func(id int64) string { return strconv.FormatInt(id, 10) }
		for _, tt := range []struct {
			name, tok, path string
			want            int
		}{
			{"own application", prov, "/api/v1/applications/" + itoa(mine.ApplicationID), 200},
			{"own scores", prov, "/api/v1/applications/" + itoa(mine.ApplicationID) + "/scores", 200},
			{"own summary", prov, "/api/v1/applications/" + itoa(mine.ApplicationID) + "/summary", 200},
			{"another's application", prov, "/api/v1/applications/" + itoa(theirs.ApplicationID), 404},
			{"another's scores", prov, "/api/v1/applications/" + itoa(theirs.ApplicationID) + "/scores", 404},
			{"another's summary", prov, "/api/v1/applications/" + itoa(theirs.ApplicationID) + "/summary", 404},
			{"results are for staff", prov, "/api/v1/windows/" + itoa(mine.WindowID) + "/results", 403},
			{"commissioner results", comm, "/api/v1/windows/" + itoa(mine.WindowID) + "/results", 200},
			{"agreements", prov, "/api/v1/agreements", 200},
			{"agreement page", comm, "/agreements/" + itoa(a.ID), 200},
			{"window page", comm, "/windows/" + itoa(mine.WindowID), 200},
			{"application page", prov, "/applications/" + itoa(mine.ApplicationID), 200},
			{"another's application page", prov, "/applications/" + itoa(theirs.ApplicationID), 404},
			{"agreements page", prov, "/agreements", 200},
		} {
			if code, body := get(tt.tok, tt.path); code != tt.want {
				t.Errorf("%s: GET %s = %d, want %d: %s", tt.name, tt.path, code, tt.want, body)
			}
		}
		code, body := get(comm, "/api/v1/agreements/"+itoa(a.ID)+"/ocds")
		if code != 200 {
			t.Fatalf("OCDS download = %d: %s", code, body)
		}
		ocdstest.Validate(t, body)
	})
}

package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// BenchmarkPagesOverLocations measures the pages that read something for
// each of many locations, on the demo council (525 locations): the vacancy
// template a commissioner downloads (every registered location with its
// figures) and the home page of the provider with the most locations (a
// link for each location with a stale figure).
func BenchmarkPagesOverLocations(b *testing.B) {
	storagetest.Each(b, func(b testing.TB, db *storage.DB) {
		bg := context.Background()
		res, err := demo.Load(bg, db, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		s := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		kent := caremarket.NewContext(bg, caremarket.SystemActor(res.Council.ID, res.Council.Slug))
		as := func(role caremarket.Role, provider int64) context.Context {
			return caremarket.NewContext(bg, &caremarket.Actor{UserID: 1, Email: string(role) + "@bench", CouncilID: res.Council.ID,
				CouncilSlug: res.Council.Slug, Role: role, ProviderID: provider})
		}
		// The provider with the most locations.
		locs, _, err := db.ListLocations(kent, market.LocationFilter{Page: market.Page{PerPage: market.MaxPerPage}})
		if err != nil {
			b.Fatal(err)
		}
		per := map[int64]int{}
		var biggest int64
		for _, l := range locs {
			if per[l.ProviderID]++; per[l.ProviderID] > per[biggest] {
				biggest = l.ProviderID
			}
		}
		bb := b.(*testing.B)
		bb.Run("vacancy-template", func(b *testing.B) {
			h := &cqcHandlers{s: s, st: db}
			r := httptest.NewRequest(http.MethodGet, "/locations/vacancies/template.csv", nil).WithContext(as(caremarket.RoleCommissioner, 0))
			for b.Loop() {
				if err := h.vacancyTemplate(httptest.NewRecorder(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
		bb.Run("provider-home", func(b *testing.B) {
			ctx := as(caremarket.RoleProvider, biggest)
			for b.Loop() {
				if _, err := s.providerHome(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

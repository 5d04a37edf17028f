// Package demotest loads the demo for the tests of the packages that build
// on it.
package demotest

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/demo"
	"github.com/caremarket/caremarket/storage"
)

// Load loads the whole demo as of now, as demo.Load does; see LoadUpTo.
func Load(t testing.TB, db *storage.DB, now time.Time) (context.Context, *demo.Result) {
	t.Helper()
	return LoadUpTo(t, db, now, demo.StageQuality)
}

// LoadUpTo loads the demo up to and including stage as of now, failing the
// test if it cannot, and returns a context acting as the demo council's
// system admin with what the load did.
func LoadUpTo(t testing.TB, db *storage.DB, now time.Time, stage demo.Stage) (context.Context, *demo.Result) {
	t.Helper()
	res, err := demo.LoadUpTo(context.Background(), db, now, stage)
	if err != nil {
		t.Fatal(err)
	}
	return caremarket.NewContext(context.Background(), caremarket.SystemActor(res.Council.ID, res.Council.Slug)), res
}

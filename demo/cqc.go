package demo

import (
	"context"
	"io"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/market/cqc"
	"github.com/caremarket/caremarket/storage"
)

// ImportDirectory loads CQC's HSCA Active Locations directory (CSV, read
// from r) into the demo council, beside the market Load generated: Kent's
// real providers and locations, placed in districts by DistrictForOutcode.
// The generated homes are not on CQC's register, so a location the file
// leaves out is kept registered rather than marked deregistered (the
// procurement, pricing and brokerage demos use them). Importing the same
// file again changes nothing, so it is safe at every start.
func ImportDirectory(ctx context.Context, db *storage.DB, r io.Reader, source string) (*storage.CQCImportSummary, error) {
	c, err := db.CouncilBySlug(ctx, CouncilSlug)
	if err != nil {
		return nil, err
	}
	ctx = caremarket.NewContext(ctx, caremarket.SystemActor(c.ID, c.Slug))
	rd, err := cqc.NewDirectoryReader(r)
	if err != nil {
		return nil, err
	}
	lookup, err := db.AreaLookup(ctx, DistrictForOutcode)
	if err != nil {
		return nil, err
	}
	return db.ImportDirectory(ctx, rd.All(), storage.CQCImportOptions{AreaFor: lookup, Source: source, KeepMissing: true})
}

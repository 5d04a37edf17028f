package main

import (
	"context"
	"fmt"
	"io"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/brokerage"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("import outcode-centroids", "load postcode district centres (CSV outcode,latitude,longitude from the ONS Postcode Directory) so the cascade measures distance in miles", importCentroids)
}

// importCentroids replaces the council's postcode district centres with the
// file's, all lines or none: a line that cannot be used is reported with
// its number and reason, and nothing is loaded.
func importCentroids(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("import outcode-centroids", stderr)
	file, err := openArg(fs, args, "centroid file (CSV outcode,latitude,longitude)")
	if err != nil {
		return err
	}
	defer file.Close()
	path := file.Name()
	cs, bad, err := brokerage.ReadCentroids(file)
	if err != nil {
		return caremarket.Errorf(caremarket.EINVALID, "%s: %v", path, err)
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintf(stderr, "  %s\n", b.Error())
		}
		return caremarket.Errorf(caremarket.EINVALID, "%s: %d lines cannot be used (listed above): nothing was loaded", path, len(bad))
	}
	if len(cs) == 0 {
		return caremarket.Errorf(caremarket.EINVALID, "%s has no postcode districts: nothing was loaded", path)
	}
	return d.with(ctx, func(ctx context.Context, db *storage.DB) error {
		n, err := db.ImportCentroids(ctx, cs)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "loaded %d postcode district centres into %s: the cascade now measures distance in miles\n", n, d.council)
		return nil
	})
}

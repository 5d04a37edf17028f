package main

import (
	"context"
	"io"

	"github.com/caremarket/caremarket/procurement"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("export ocds", "write an agreement's notices (tender, award, contract details) as an OCDS 1.1.5 release package to stdout", exportOCDS)
}

func exportOCDS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("export ocds", stderr)
	ref := fs.String("agreement", "", "agreement reference, like AAHC-2027 (required)")
	prefix := fs.String("ocid-prefix", procurement.DefaultOCIDPrefix, "the publisher's registered OCID prefix")
	base := fs.String("base-uri", "https://caremarket.invalid/ocds/", "where packages are published (the package uri is this plus the ocid)")
	return d.run(ctx, fs, args, func(ctx context.Context, db *storage.DB) error {
		a, err := db.AgreementByReference(ctx, *ref)
		if err != nil {
			return err
		}
		n, err := db.Notices(ctx, a.ID)
		if err != nil {
			return err
		}
		now := db.Now()
		pkg := procurement.ReleasePackage(*n, procurement.OCDSOptions{OCIDPrefix: *prefix, BaseURI: *base, Published: now}, now)
		return printJSON(stdout, pkg)
	})
}

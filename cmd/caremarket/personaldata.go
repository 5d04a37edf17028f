package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/internal/jobs"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("purge identities", "remove the identities the council's retention rules no longer allow to keep", purgeIdentities)
	register("subject-access", "export everything held about one person (by case reference) as JSON", subjectAccess)
}

func purgeIdentities(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("purge identities", stderr)
	return d.run(ctx, fs, args, func(ctx context.Context, db *storage.DB) error {
		purged, err := db.PurgeIdentities(ctx, time.Now())
		if err != nil {
			return err
		}
		for _, p := range purged {
			fmt.Fprintf(stdout, "%s (requirement %d): %s\n", p.CaseReference, p.RequirementID, p.Rule)
		}
		fmt.Fprintf(stdout, "%d identities removed under the retention rules of %s\n", len(purged), d.council)
		return nil
	})
}

func subjectAccess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("subject-access", stderr)
	caseRef := fs.String("case-reference", "", "the person's case reference (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *caseRef == "" {
		return caremarket.Errorf(caremarket.EINVALID, "--case-reference is required")
	}
	return d.with(ctx, func(ctx context.Context, db *storage.DB) error {
		sar, err := db.SubjectAccessExport(ctx, *caseRef)
		if err != nil {
			return err
		}
		return printJSON(stdout, sar)
	})
}

// backgroundJobs are the jobs every server offers to run; the lease in the
// database makes each run on one server only.
func backgroundJobs(db *storage.DB, logger *slog.Logger) *jobs.Runner {
	host, _ := os.Hostname()
	return &jobs.Runner{Store: db, Holder: fmt.Sprintf("%s:%d", host, os.Getpid()), Logger: logger, Now: time.Now,
		Jobs: []jobs.Job{{Name: "retention-purge", Every: 24 * time.Hour, Run: func(ctx context.Context) error {
			return purgeEveryCouncil(ctx, db, logger)
		}}}}
}

func purgeEveryCouncil(ctx context.Context, db *storage.DB, logger *slog.Logger) error {
	councils, err := db.ListCouncils(ctx)
	if err != nil {
		return err
	}
	for _, c := range councils {
		cctx := caremarket.NewContext(ctx, caremarket.SystemActor(c.ID, c.Slug))
		purged, err := db.PurgeIdentities(cctx, time.Now())
		if err != nil {
			return fmt.Errorf("purge %s: %w", c.Slug, err)
		}
		logger.InfoContext(ctx, "retention purge", "council", c.Slug, "identities_removed", len(purged))
	}
	return nil
}

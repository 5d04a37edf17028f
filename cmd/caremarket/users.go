package main

import (
	"context"
	"fmt"
	"io"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/market"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("users create", "create an account; prints a one-time password (or with --token an API token)", usersCreate)
	register("councils create", "create a council (a tenant)", councilsCreate)
	register("audit verify", "check the audit log's hash chain and report the first broken link", auditVerify)
}

func usersCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("users create", stderr)
	role := fs.String("role", "", "admin, commissioner, evaluator, broker, finance or provider (required)")
	email := fs.String("email", "", "email address, used to sign in (required)")
	name := fs.String("name", "", "the person's name")
	provider := fs.Int64("provider", 0, "provider id (required for, and only for, --role provider)")
	token := fs.Bool("token", false, "print only an API token on stdout instead of a password (for scripts)")
	return d.run(ctx, fs, args, func(ctx context.Context, db *storage.DB) error {
		u := &access.User{Email: *email, Name: *name, Role: caremarket.Role(*role), ProviderID: *provider, MustChangePassword: !*token}
		// A one-time password: long and random, to be changed at first sign-in.
		password := access.NewOneTimePassword(access.PasswordContext{Email: *email, Councils: []string{d.council}})
		if !*token {
			hash, err := access.HashPassword(password)
			if err != nil {
				return err
			}
			u.PasswordHash = hash
		}
		if err := db.CreateUser(ctx, u); err != nil {
			return err
		}
		if *token {
			secret, hash := access.NewSecret()
			if err := db.CreateToken(ctx, u.ID, hash, "created by caremarket users create"); err != nil {
				return err
			}
			fmt.Fprintln(stdout, secret)
			return nil
		}
		fmt.Fprintf(stderr, "created %s (%s) in %s; one-time password:\n", u.Email, u.Role, d.council)
		fmt.Fprintln(stdout, password)
		return nil
	})
}

func councilsCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newDBFlags("councils create", stderr)
	slug := fs.String("slug", "", "short name used in commands and URLs, like kent (required)")
	name := fs.String("name", "", "the council's name, like Kent County Council (required)")
	return d.run(ctx, fs, args, func(ctx context.Context, db *storage.DB) error {
		c := &market.Council{Slug: *slug, Name: *name}
		if err := db.CreateCouncil(ctx, c); err != nil {
			return err
		}
		// A new council requires an authenticator app of admins, commissioners
		// and finance staff; its admin can change this on the sign-in settings page.
		if err := db.SetCouncilAuth(caremarket.NewContext(ctx, caremarket.SystemActor(c.ID, c.Slug)), &access.CouncilAuth{MFARoles: access.DefaultMFARoles}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created council %s (%s)\n", c.Slug, c.Name)
		return nil
	})
}

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newDBFlags("audit verify", stderr)
	return d.run(ctx, fs, args, func(ctx context.Context, db *storage.DB) error {
		n, chains, broken, err := db.VerifyAuditChains(ctx)
		if err != nil {
			return err
		}
		if broken != nil {
			return fmt.Errorf("audit log broken at record %d: %s (%d records checked)", broken.ID, broken.Reason, n)
		}
		fmt.Fprintf(stdout, "audit log intact: %d records checked in %d chains\n", n, chains)
		return nil
	})
}

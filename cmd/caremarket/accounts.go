package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("tokens list", "list a council's live API tokens (never their secrets)", tokensList)
	register("tokens revoke", "revoke an API token at once, by its id from tokens list", tokensRevoke)
	register("users disable", "disable an account: it cannot sign in, and its sessions and API tokens end at once", usersDisable)
}

func tokensList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("tokens list", stderr)
	email := fs.String("email", "", "only this person's tokens")
	return d.run(ctx, fs, args, func(ctx context.Context, db *storage.DB) error {
		tokens, err := db.ListTokens(ctx, true)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tCREATED\tEXPIRES")
		want := strings.ToLower(strings.TrimSpace(*email))
		for _, t := range tokens {
			if want != "" && t.UserEmail != want {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.UserEmail, t.CreatedAt.Format("2 January 2006"), t.ExpiresAt.Format("2 January 2006"))
		}
		return tw.Flush()
	})
}

func tokensRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("tokens revoke", stderr)
	id := fs.String("id", "", "the token's id, from tokens list (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" {
		return caremarket.Errorf(caremarket.EINVALID, "--id is required: the token's id from caremarket tokens list")
	}
	return d.with(ctx, func(ctx context.Context, db *storage.DB) error {
		if err := db.RevokeToken(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %s\n", *id)
		return nil
	})
}

func usersDisable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newCouncilFlags("users disable", stderr)
	email := fs.String("email", "", "the account's email address (required)")
	return d.run(ctx, fs, args, func(ctx context.Context, db *storage.DB) error {
		u, err := userInCouncil(ctx, db, *email)
		if err != nil {
			return err
		}
		if err := db.DisableUser(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled %s: its sessions and API tokens have ended\n", u.Email)
		return nil
	})
}

// userInCouncil finds an account of the council in ctx by email.
func userInCouncil(ctx context.Context, db *storage.DB, email string) (*access.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, caremarket.Errorf(caremarket.EINVALID, "--email is required")
	}
	users, err := db.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Email == email {
			return &u, nil
		}
	}
	return nil, caremarket.Errorf(caremarket.ENOTFOUND, "No account with email %s in this council", email)
}

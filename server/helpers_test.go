package server

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/demo/procdemo"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// apiToken creates an account in ctx's council and returns an API token for
// it, exactly as `caremarket users create --token` does.
func apiToken(t testing.TB, db *storage.DB, ctx context.Context, email string, role caremarket.Role, providerID int64) (string, *access.User) {
	t.Helper()
	u := &access.User{Email: email, Role: role, ProviderID: providerID}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	secret, hash := access.NewSecret()
	if err := db.CreateToken(ctx, u.ID, hash, "test"); err != nil {
		t.Fatal(err)
	}
	return secret, u
}

// procDemoCouncil creates council "kent" (Thanet and Dover) with the
// procurement demo loaded as of 25 November 2026, and returns a context
// acting as its system admin.
func procDemoCouncil(t testing.TB, db *storage.DB) context.Context {
	t.Helper()
	ctx, _ := storagetest.Council(t, db, "kent", "Thanet", "Dover")
	if _, err := procdemo.LoadDemo(ctx, db, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

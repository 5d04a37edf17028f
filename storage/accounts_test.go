package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/access"
	"github.com/caremarket/caremarket/storage"
	"github.com/caremarket/caremarket/storage/storagetest"
)

// userIn creates an account in ctx's council and returns a context acting
// as it.
func userIn(t testing.TB, db *storage.DB, ctx context.Context, email string, role caremarket.Role) (*access.User, context.Context) {
	t.Helper()
	u := &access.User{Email: email, Role: role, PasswordHash: "x"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u, caremarket.NewContext(ctx, u.Actor())
}

func TestTokensAndDisable(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		kent, _ := storagetest.Council(t, db, "kent")
		surrey, _ := storagetest.Council(t, db, "surrey")
		admin, adminCtx := userIn(t, db, kent, "admin@kent.example", caremarket.RoleAdmin)
		broker, brokerCtx := userIn(t, db, kent, "broker@kent.example", caremarket.RoleBroker)
		_, other := userIn(t, db, kent, "other@kent.example", caremarket.RoleBroker)
		_, surreyAdmin := userIn(t, db, surrey, "admin@surrey.example", caremarket.RoleAdmin)
		_ = admin

		secret, hash := access.NewSecret()
		tok, err := db.CreateAPIToken(brokerCtx, broker.ID, hash, "nightly upload", access.TokenLifetime)
		if err != nil {
			t.Fatal(err)
		}
		if tok.ExpiresAt.Sub(tok.CreatedAt) != access.TokenLifetime || tok.UserEmail != broker.Email {
			t.Errorf("token = %+v", tok)
		}
		if u, err := db.UserByToken(context.Background(), access.HashSecret(secret)); err != nil || u.ID != broker.ID {
			t.Fatalf("UserByToken = %v, %v", u, err)
		}
		// Another broker cannot make a token for, or list, or revoke it.
		if _, err := db.CreateAPIToken(other, broker.ID, "h2", "x", time.Hour); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("other broker made a token: %v", err)
		}
		if list, _ := db.ListTokens(other, false); len(list) != 0 {
			t.Errorf("other broker sees %v", list)
		}
		if _, err := db.ListTokens(other, true); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a broker listed every token: %v", err)
		}
		if err := db.RevokeToken(other, tok.ID); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
			t.Errorf("other broker revoked: %v", err)
		}
		// Another council's admin cannot see or revoke it either.
		if err := db.RevokeToken(surreyAdmin, tok.ID); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
			t.Errorf("another council revoked: %v", err)
		}
		if list, err := db.ListTokens(adminCtx, true); err != nil || len(list) != 1 || list[0].ID != tok.ID {
			t.Errorf("admin list = %v, %v", list, err)
		}
		// An expired token no longer works and is not listed.
		_, oldHash := access.NewSecret()
		old, err := db.CreateAPIToken(brokerCtx, broker.ID, oldHash, "short", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		now := db.Now
		db.Now = func() time.Time { return now().Add(2 * time.Hour) }
		if _, err := db.UserByToken(context.Background(), oldHash); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
			t.Errorf("expired token still works: %v", err)
		}
		if list, _ := db.ListTokens(brokerCtx, false); len(list) != 1 || list[0].ID == old.ID {
			t.Errorf("list after expiry = %v", list)
		}
		db.Now = now
		// The owner revokes one; it stops working.
		if err := db.RevokeToken(brokerCtx, old.ID); err != nil {
			t.Fatal(err)
		}

		// Disabling ends sessions and tokens at once, and sign-in is refused.
		_, sess := access.NewSecret()
		if err := db.CreateSession(kent, broker.ID, sess, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.DisableUser(brokerCtx, broker.ID); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a broker disabled an account: %v", err)
		}
		if err := db.DisableUser(surreyAdmin, broker.ID); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
			t.Errorf("another council disabled an account: %v", err)
		}
		if err := db.DisableUser(adminCtx, broker.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UserByToken(context.Background(), access.HashSecret(secret)); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
			t.Errorf("token of a disabled user works: %v", err)
		}
		if _, err := db.UserBySession(context.Background(), sess, time.Now()); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
			t.Errorf("session of a disabled user works: %v", err)
		}
		if err := db.CreateSession(kent, broker.ID, "again", time.Now().Add(time.Hour)); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("disabled user got a session: %v", err)
		}
		if u, err := db.UserByEmail(context.Background(), broker.Email); err != nil || u.DisabledAt == nil {
			t.Errorf("UserByEmail of disabled = %+v, %v", u, err)
		}
		if err := db.DisableUser(adminCtx, admin.ID); caremarket.ErrorCode(err) != caremarket.EINVALID {
			t.Errorf("admin disabled themself: %v", err)
		}
	})
}

func TestChangeOwnPasswordEndsOtherSessions(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		kent, _ := storagetest.Council(t, db, "kent")
		u, ctx := userIn(t, db, kent, "p@kent.example", caremarket.RoleBroker)
		for _, h := range []string{"keep", "other1", "other2"} {
			if err := db.CreateSession(kent, u.ID, h, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.ChangeOwnPassword(ctx, "keep", "newhash"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UserBySession(kent, "keep", time.Now()); err != nil {
			t.Errorf("the session in use ended: %v", err)
		}
		for _, h := range []string{"other1", "other2"} {
			if _, err := db.UserBySession(kent, h, time.Now()); caremarket.ErrorCode(err) != caremarket.ENOTFOUND {
				t.Errorf("other session %s still live: %v", h, err)
			}
		}
	})
}

// Two servers on one database share the throttle: it lives in the table.
func TestSignInFailuresShared(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		ctx := context.Background()
		since := time.Now().Add(-time.Minute)
		if err := db.RecordSignInFailure(ctx, []string{"pair:a|1", "account:a"}); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordSignInFailure(ctx, []string{"pair:a|1", "account:a"}); err != nil {
			t.Fatal(err)
		}
		n, oldest, newest, err := db.SignInFailures(ctx, "pair:a|1", since)
		if err != nil || n != 2 || oldest.IsZero() || newest.Before(oldest) {
			t.Fatalf("failures = %d %v %v %v", n, oldest, newest, err)
		}
		if err := db.ClearSignInFailures(ctx, "pair:a|1"); err != nil {
			t.Fatal(err)
		}
		if n, _, _, _ := db.SignInFailures(ctx, "pair:a|1", since); n != 0 {
			t.Errorf("after clear: %d", n)
		}
		if n, _, _, _ := db.SignInFailures(ctx, "account:a", since); n != 2 {
			t.Errorf("account key: %d", n)
		}
	})
}

// An email address used in another council is refused with the same words
// as one used in this council, so the answer reveals nothing.
func TestCreateUserNeutralAboutOtherCouncils(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		kent, _ := storagetest.Council(t, db, "kent")
		surrey, _ := storagetest.Council(t, db, "surrey")
		userIn(t, db, kent, "same@example.com", caremarket.RoleBroker)
		userIn(t, db, kent, "kentonly@example.com", caremarket.RoleBroker)
		errOther := db.CreateUser(surrey, &access.User{Email: "same@example.com", Role: caremarket.RoleBroker})
		errSame := db.CreateUser(kent, &access.User{Email: "kentonly@example.com", Role: caremarket.RoleBroker})
		if errOther == nil || caremarket.ErrorMessage(errOther) != caremarket.ErrorMessage(errSame) ||
			caremarket.ErrorFields(errOther)["email"] != caremarket.ErrorFields(errSame)["email"] {
			t.Errorf("other council: %v; same council: %v", errOther, errSame)
		}
		for _, word := range []string{"exists", "another council", "kent"} {
			if containsFold(caremarket.ErrorMessage(errOther), word) {
				t.Errorf("message %q says %q", caremarket.ErrorMessage(errOther), word)
			}
		}
	})
}

func containsFold(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (indexFold(s, sub) >= 0)
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		match := true
		for j := 0; j < len(sub); j++ {
			a, b := s[i+j], sub[j]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if a != b {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// A council's sign-in settings: admins only, the client secret stored but
// never read back, kept when left blank; single sign-on finds or makes the
// council's account and refuses what it cannot trust.
func TestCouncilAuthAndSSOSignIn(t *testing.T) {
	storagetest.Each(t, func(t testing.TB, db *storage.DB) {
		kent, _ := storagetest.Council(t, db, "kent")
		_, broker := userIn(t, db, kent, "b@kent.example", caremarket.RoleBroker)
		cfg := &access.CouncilAuth{MFARoles: []caremarket.Role{caremarket.RoleAdmin}, SSO: access.SSOConfig{Enabled: true,
			Issuer: "https://idp.example", ClientID: "c", ClientSecret: "top-secret", RoleMap: []access.GroupRole{{Group: "g", Role: caremarket.RoleBroker}}}}
		if err := db.SetCouncilAuth(broker, cfg); caremarket.ErrorCode(err) != caremarket.EFORBIDDEN {
			t.Errorf("a broker changed the sign-in settings: %v", err)
		}
		if err := db.SetCouncilAuth(kent, cfg); err != nil {
			t.Fatal(err)
		}
		cfg.SSO.ClientSecret = "" // blank keeps the stored one
		if err := db.SetCouncilAuth(kent, cfg); err != nil {
			t.Fatal(err)
		}
		got, err := db.CouncilAuth(kent)
		if err != nil || got.SSO.ClientSecret != "" || !got.SSO.HasSecret || !got.RequiresMFA(caremarket.RoleAdmin) || got.RequiresMFA(caremarket.RoleBroker) {
			t.Fatalf("CouncilAuth = %+v, %v", got, err)
		}
		councils, err := db.SSOCouncils(context.Background())
		if err != nil || len(councils) != 1 || councils[0].Config.ClientSecret != "top-secret" {
			t.Fatalf("SSOCouncils = %+v, %v", councils, err)
		}
		id := councils[0].ID
		for _, bad := range []struct {
			subject string
			role    caremarket.Role
		}{{"", caremarket.RoleBroker}, {"s", caremarket.RoleProvider}, {"s", ""}} {
			if _, err := db.SSOSignIn(context.Background(), id, bad.subject, "x@kent.gov.uk", "", bad.role); caremarket.ErrorCode(err) != caremarket.EINVALID {
				t.Errorf("SSOSignIn(%q, %q) = %v", bad.subject, bad.role, err)
			}
		}
		u, err := db.SSOSignIn(context.Background(), id, "sub-1", "New.Person@kent.gov.uk", "New Person", caremarket.RoleBroker)
		if err != nil || u.Email != "new.person@kent.gov.uk" || u.SSOSubject != "sub-1" || u.PasswordHash != "" || u.Role != caremarket.RoleBroker {
			t.Fatalf("SSOSignIn = %+v, %v", u, err)
		}
		again, err := db.SSOSignIn(context.Background(), id, "sub-1", "renamed@kent.gov.uk", "", caremarket.RoleCommissioner)
		if err != nil || again.ID != u.ID || again.Role != caremarket.RoleCommissioner {
			t.Errorf("second sign-in = %+v, %v", again, err)
		}
		// An existing local account with the address is linked, not doubled.
		local, _ := userIn(t, db, kent, "local@kent.gov.uk", caremarket.RoleFinance)
		linked, err := db.SSOSignIn(context.Background(), id, "sub-2", "local@kent.gov.uk", "", caremarket.RoleFinance)
		if err != nil || linked.ID != local.ID || linked.SSOSubject != "sub-2" {
			t.Errorf("linking = %+v, %v", linked, err)
		}
	})
}

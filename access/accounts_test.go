package access

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/caremarket/caremarket"
)

func TestRoleMap(t *testing.T) {
	m, err := ParseRoleMap("g-admins = admin\r\n\n  g-comm=commissioner \ng-brokers = broker\n")
	if err != nil || len(m) != 3 || m[1] != (GroupRole{"g-comm", caremarket.RoleCommissioner}) {
		t.Fatalf("ParseRoleMap = %v, %v", m, err)
	}
	for _, bad := range []string{"g = provider", "no equals", "= admin", "g = king"} {
		if _, err := ParseRoleMap(bad); caremarket.ErrorFields(err)["role_map"] == "" {
			t.Errorf("ParseRoleMap(%q) accepted", bad)
		}
	}
	for _, tt := range []struct {
		groups []string
		want   caremarket.Role
		ok     bool
	}{
		{[]string{"g-brokers", "g-comm"}, caremarket.RoleCommissioner, true}, // the first line that matches
		{[]string{"g-brokers"}, caremarket.RoleBroker, true},
		{[]string{"g-other"}, "", false},
		{nil, "", false},
	} {
		if got, ok := RoleFor(m, tt.groups); got != tt.want || ok != tt.ok {
			t.Errorf("RoleFor(%v) = %q %v, want %q %v", tt.groups, got, ok, tt.want, tt.ok)
		}
	}
	if got := FormatRoleMap(m); got != "g-admins = admin\ng-comm = commissioner\ng-brokers = broker\n" {
		t.Errorf("FormatRoleMap = %q", got)
	}
}

func TestCheckSSOConfig(t *testing.T) {
	for _, tt := range []struct {
		name  string
		c     SSOConfig
		field string
	}{
		{"off and empty", SSOConfig{}, ""},
		{"on and complete", SSOConfig{Enabled: true, Issuer: "https://login.microsoftonline.com/t/v2.0", ClientID: "c", ClientSecret: "s", RoleMap: []GroupRole{{"g", caremarket.RoleBroker}}}, ""},
		{"on, secret kept", SSOConfig{Enabled: true, Issuer: "https://idp.example", ClientID: "c", HasSecret: true, RoleMap: []GroupRole{{"g", caremarket.RoleBroker}}}, ""},
		{"plain http issuer", SSOConfig{Issuer: "http://idp.example"}, "issuer"},
		{"loopback http issuer for tests", SSOConfig{Issuer: "http://127.0.0.1:5555"}, ""},
		{"on without client id", SSOConfig{Enabled: true, Issuer: "https://idp.example", ClientSecret: "s", RoleMap: []GroupRole{{"g", caremarket.RoleBroker}}}, "client_id"},
		{"on without secret", SSOConfig{Enabled: true, Issuer: "https://idp.example", ClientID: "c", RoleMap: []GroupRole{{"g", caremarket.RoleBroker}}}, "client_secret"},
		{"on without groups", SSOConfig{Enabled: true, Issuer: "https://idp.example", ClientID: "c", ClientSecret: "s"}, "role_map"},
	} {
		err := CheckSSOConfig(&tt.c)
		if f := caremarket.ErrorFields(err); (tt.field == "" && err != nil) || (tt.field != "" && f[tt.field] == "") {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestPasswordAllowed(t *testing.T) {
	sso := []SSOCouncil{{ID: 1}}
	for _, tt := range []struct {
		role    caremarket.Role
		council int64
		want    bool
	}{
		{caremarket.RoleBroker, 1, false},       // staff of an SSO council use SSO
		{caremarket.RoleCommissioner, 1, false}, //
		{caremarket.RoleAdmin, 1, true},         // break-glass
		{caremarket.RoleProvider, 1, true},      // providers are not the council's staff
		{caremarket.RoleBroker, 2, true},        // a council without SSO
	} {
		if got := PasswordAllowed(&User{Role: tt.role, CouncilID: tt.council}, sso); got != tt.want {
			t.Errorf("%s in council %d: %v, want %v", tt.role, tt.council, got, tt.want)
		}
	}
}

func TestTOTP(t *testing.T) {
	e, err := NewEnrolment("caremarket", "admin@kent.example")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.QR, "data:image/png;base64,") || !strings.Contains(e.URL, "issuer=caremarket") || len(e.Secret) < 16 {
		t.Errorf("enrolment = %+v", e)
	}
	now := time.Date(2026, 12, 5, 10, 0, 10, 0, time.UTC)
	code, _ := totp.GenerateCode(e.Secret, now)
	step, ok := CheckTOTP(e.Secret, code, now, 0)
	if !ok || step != now.Unix()/30 {
		t.Fatalf("a fresh code refused: %d %v", step, ok)
	}
	if _, ok := CheckTOTP(e.Secret, code, now, step); ok {
		t.Error("a spent code accepted again")
	}
	if _, ok := CheckTOTP(e.Secret, code, now.Add(30*time.Second), 0); !ok {
		t.Error("one step of clock drift refused")
	}
	if _, ok := CheckTOTP(e.Secret, code, now.Add(2*time.Minute), 0); ok {
		t.Error("a code two minutes old accepted")
	}
	for _, bad := range []string{"", "12345", "abcdef", "1234567"} {
		if _, ok := CheckTOTP(e.Secret, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	codes, hashes := NewRecoveryCodes()
	if len(codes) != RecoveryCodeCount || HashRecoveryCode(strings.ToUpper(" "+codes[0])) != hashes[0] ||
		HashRecoveryCode(strings.ReplaceAll(codes[0], "-", "")) != hashes[0] || codes[0] == codes[1] {
		t.Errorf("recovery codes %v", codes)
	}
}

func TestCheckTokenRequest(t *testing.T) {
	if name, life, err := CheckTokenRequest("  upload ", 0); err != nil || name != "upload" || life != TokenLifetime {
		t.Errorf("default: %q %v %v", name, life, err)
	}
	if _, life, err := CheckTokenRequest("x", 7); err != nil || life != 7*24*time.Hour {
		t.Errorf("7 days: %v %v", life, err)
	}
	for _, tt := range []struct {
		name  string
		days  int
		field string
	}{{"", 0, "name"}, {strings.Repeat("x", 101), 0, "name"}, {"x", 367, "expires_in_days"}, {"x", -1, "expires_in_days"}} {
		if _, _, err := CheckTokenRequest(tt.name, tt.days); caremarket.ErrorFields(err)[tt.field] == "" {
			t.Errorf("%q %d: %v", tt.name, tt.days, err)
		}
	}
}

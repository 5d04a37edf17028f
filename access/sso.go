package access

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caremarket/caremarket"
)

// SSOConfig is a council's OpenID Connect identity provider (Microsoft
// Entra ID, or any other): its issuer URL, this service's client id and
// secret there, and which groups (a claim of the id token) give which role.
type SSOConfig struct {
	Enabled      bool
	Issuer       string
	ClientID     string
	ClientSecret string // stored; never shown back
	GroupsClaim  string
	RoleMap      []GroupRole
	// HasSecret says a secret is stored, for a page that must not show it.
	HasSecret bool
}

// GroupRole gives members of an identity provider group a role.
type GroupRole struct {
	Group string
	Role  caremarket.Role
}

// SSOCouncil is a council whose staff may sign in with single sign-on.
type SSOCouncil struct {
	ID         int64
	Slug, Name string
	Config     SSOConfig
}

// SSOStore is what storage provides for single sign-on.
type SSOStore interface {
	// SSOCouncils lists the councils with single sign-on switched on, for
	// the sign-in page (before there is an actor).
	SSOCouncils(ctx context.Context) ([]SSOCouncil, error)
	// SSOSignIn finds or creates the council's account for a person the
	// identity provider vouched for, gives it role, and returns it. A
	// disabled account is refused.
	SSOSignIn(ctx context.Context, councilID int64, subject, email, name string, role caremarket.Role) (*User, error)
	// CreateSSOSession signs in someone the identity provider vouched for.
	CreateSSOSession(ctx context.Context, userID int64, secretHash string, expires time.Time) error
}

// PasswordAllowed says whether a person may sign in with a password: not
// council staff of a council that signs its staff in with single sign-on
// (so disabling someone at the identity provider locks them out here too),
// except admins, who keep a password (with an authenticator app) to reach
// the service if the identity provider fails.
func PasswordAllowed(u *User, ssoCouncils []SSOCouncil) bool {
	if u.Role == caremarket.RoleProvider || u.Role == caremarket.RoleAdmin {
		return true
	}
	for _, c := range ssoCouncils {
		if c.ID == u.CouncilID {
			return false
		}
	}
	return true
}

// ParseRoleMap reads lines of "group = role". Provider is not a role single
// sign-on can give: it is for council staff.
func ParseRoleMap(text string) ([]GroupRole, error) {
	var out []GroupRole
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		group, role, ok := strings.Cut(line, "=")
		group, role = strings.TrimSpace(group), strings.TrimSpace(role)
		r, err := caremarket.ParseRole(role)
		if !ok || group == "" || err != nil || r == caremarket.RoleProvider || len(group) > 200 {
			return nil, caremarket.Invalid(map[string]string{"role_map": "Line " + strconv.Itoa(i+1) + " must be a group, an equals sign and a council role, like: 3f2a-care-admins = admin"})
		}
		out = append(out, GroupRole{Group: group, Role: r})
	}
	return out, nil
}

// FormatRoleMap writes a role map back as lines of "group = role".
func FormatRoleMap(m []GroupRole) string {
	var b strings.Builder
	for _, g := range m {
		b.WriteString(g.Group + " = " + string(g.Role) + "\n")
	}
	return b.String()
}

// RoleFor picks the role for a person in groups: the first line of the map
// that names one of their groups. No match means no access.
func RoleFor(m []GroupRole, groups []string) (caremarket.Role, bool) {
	for _, g := range m {
		for _, have := range groups {
			if have == g.Group {
				return g.Role, true
			}
		}
	}
	return "", false
}

// CheckSSOConfig checks a council's settings before they are saved.
func CheckSSOConfig(c *SSOConfig) error {
	c.Issuer, c.ClientID, c.GroupsClaim = strings.TrimSpace(c.Issuer), strings.TrimSpace(c.ClientID), strings.TrimSpace(c.GroupsClaim)
	f := map[string]string{}
	if c.GroupsClaim == "" {
		c.GroupsClaim = "groups"
	}
	if c.Issuer != "" {
		u, err := url.Parse(c.Issuer)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			f["issuer"] = "Enter the issuer as an https address, like https://login.microsoftonline.com/TENANT-ID/v2.0"
		}
	}
	if len(c.ClientID) > 200 {
		f["client_id"] = "Client ID must be 200 characters or fewer"
	}
	if len(c.ClientSecret) > 500 {
		f["client_secret"] = "Client secret must be 500 characters or fewer"
	}
	if len(c.GroupsClaim) > 100 {
		f["groups_claim"] = "Groups claim must be 100 characters or fewer"
	}
	if c.Enabled {
		if c.Issuer == "" && f["issuer"] == "" {
			f["issuer"] = "Enter the issuer to switch single sign-on on"
		}
		if c.ClientID == "" {
			f["client_id"] = "Enter the client ID to switch single sign-on on"
		}
		if c.ClientSecret == "" && !c.HasSecret {
			f["client_secret"] = "Enter the client secret to switch single sign-on on"
		}
		if len(c.RoleMap) == 0 {
			f["role_map"] = "Map at least one group to a role to switch single sign-on on"
		}
	}
	return caremarket.Invalid(f)
}

// isLoopback allows a plain-http issuer on this machine, for tests.
func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

package demo

import (
	"testing"

	"github.com/caremarket/caremarket/access"
)

// TestDemoPasswordPassesTheRule: the published demo password must itself
// pass the password rule every person's password does.
func TestDemoPasswordPassesTheRule(t *testing.T) {
	for _, si := range SignIns() {
		if err := access.ValidatePassword(si.Password, access.PasswordContext{Email: si.Email, Councils: []string{CouncilName, CouncilSlug}}); err != nil {
			t.Errorf("demo password for %s: %v", si.Email, err)
		}
	}
}

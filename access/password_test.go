package access

import (
	"slices"
	"strings"
	"testing"

	"github.com/caremarket/caremarket"
)

func TestValidatePassword(t *testing.T) {
	kent := PasswordContext{Email: "jo.bloggs@kent.gov.uk", Councils: []string{"Kent County Council", "kent"}}
	tests := []struct {
		pw   string
		ok   bool
		want string // part of the message when refused
	}{
		// The penetration test's accepted passwords.
		{strings.Repeat(" ", 12), false, "only spaces"},
		{"password1234", false, "too common"},
		{"123456789012", false, "too common"},
		{"jo.bloggs@kent.gov.uk", false, "email"},
		// Length: 11, 12 and 13 characters, counted in characters not bytes.
		{"tulip-orbit", false, "12 characters or more"},
		{"tulip-orbits", true, ""},
		{"tulip-orbit-x", true, ""},
		{"éééé-ççç-ßß", false, "12 characters or more"},
		{strings.Repeat("ab", 128) + "c", false, "256 characters or fewer"},
		// Deny-list, and the guessable changes to a listed password.
		{"PASSWORD1234", false, "too common"},
		{"passwordpassword", false, "too common"},
		{"Password!2024", false, "too common"},
		{"dragon123456", false, "too common"},
		{"!!!sunshine!!!", false, "too common"},
		{"qwertyuiopasdfgh", false, "too common"},
		{"aaaaaaaaaaaa", false, "repeated"},
		{"121212121212", false, "repeated"},
		// Who and where the person is.
		{"caremarket-demo", false, "name of this service"},
		{"Care Market 2026!", false, "name of this service"},
		{"i-love-kent-county", false, "council"},
		{"jobloggs-rules-ok", false, "email"},
		// Three random words pass.
		{"correct horse battery staple", true, ""},
		{"harbour-lantern-meadow", true, ""},
		{"walnut tractor velvet", true, ""},
	}
	for _, tt := range tests {
		err := ValidatePassword(tt.pw, kent)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePassword(%q) = %v, want ok %v", tt.pw, err, tt.ok)
			continue
		}
		if err != nil {
			if caremarket.ErrorCode(err) != caremarket.EINVALID || !strings.Contains(caremarket.ErrorFields(err)["password"], tt.want) {
				t.Errorf("ValidatePassword(%q) = %v, want password field message with %q", tt.pw, caremarket.ErrorFields(err), tt.want)
			}
		}
	}
	// Without the person's details, only the general rule applies.
	if err := ValidatePassword("jobloggs-rules-ok", PasswordContext{}); err != nil {
		t.Errorf("no context: %v", err)
	}
}

func TestCheckNewPasswordUsesTheRule(t *testing.T) {
	if err := CheckNewPassword("password1234", "password1234"); err == nil {
		t.Error("a listed password was accepted")
	}
	if err := CheckNewPassword("walnut tractor velvet", "walnut tractor velvet!"); caremarket.ErrorFields(err)["confirm"] == "" {
		t.Errorf("mismatch: %v", err)
	}
	if err := CheckNewPassword("walnut tractor velvet", "walnut tractor velvet"); err != nil {
		t.Error(err)
	}
}

func TestDenyList(t *testing.T) {
	l := DenyList()
	if len(l) < 100_000 {
		t.Fatalf("deny-list has %d passwords, want at least 100,000", len(l))
	}
	if !slices.IsSorted(l) {
		t.Error("deny-list is not sorted: binary search would miss entries")
	}
	for _, pw := range []string{"123456", "password", "qwerty", "iloveyou", "password1234", "123456789012"} {
		if !denied(pw) {
			t.Errorf("%q is not on the deny-list", pw)
		}
	}
	for _, e := range l[:1000] {
		if e != strings.ToLower(e) {
			t.Errorf("entry %q is not lower case", e)
			break
		}
	}
}

func BenchmarkValidatePassword(b *testing.B) {
	DenyList()
	for b.Loop() {
		ValidatePassword("correct horse battery staple", PasswordContext{Email: "a@b.example"})
	}
}

func TestNewOneTimePassword(t *testing.T) {
	pc := PasswordContext{Email: "a@kent.example", Councils: []string{"kent"}}
	seen := map[string]bool{}
	for range 20 {
		pw := NewOneTimePassword(pc)
		if err := ValidatePassword(pw, pc); err != nil || len(pw) < 26 || seen[pw] {
			t.Fatalf("one-time password %q: %v", pw, err)
		}
		seen[pw] = true
	}
}

// TestReadDenyListBroken: a broken embedded list is an error, never a
// panic in the middle of a request.
func TestReadDenyListBroken(t *testing.T) {
	for _, gz := range [][]byte{nil, []byte("not gzip"), denylistGz[:len(denylistGz)/2]} {
		if l, err := readDenyList(gz); err == nil {
			t.Errorf("readDenyList(%d bytes) = %d lines, want an error", len(gz), len(l))
		}
	}
	if l, err := readDenyList(denylistGz); err != nil || len(l) == 0 {
		t.Fatalf("the embedded list: %d lines, %v", len(l), err)
	}
}

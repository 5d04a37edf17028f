package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// validHS256 checks a JWT's signature as the Notify stub would.
func validHS256(parts []string, secret string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(parts[2]))
}

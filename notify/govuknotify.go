package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// GOVUKNotify sends through GOV.UK Notify's email API, which many councils
// already use. The template must show two personalisation fields,
// ((subject)) as its subject and ((body)) as its body.
type GOVUKNotify struct {
	APIKey     string // as Notify issues it: name-serviceid-secret
	TemplateID string
	BaseURL    string // default https://api.notifications.service.gov.uk
	Client     *http.Client
	Now        func() time.Time
}

// notifyKeyParts splits a Notify API key: the service id and the secret are
// the last two UUIDs (36 characters each) of the key.
func notifyKeyParts(key string) (serviceID, secret string, err error) {
	if len(key) < 74 {
		return "", "", errors.New("notify: the GOV.UK Notify API key is too short")
	}
	secret = key[len(key)-36:]
	serviceID = key[len(key)-73 : len(key)-37]
	return serviceID, secret, nil
}

// token is the short-lived JWT (HS256, issuer the service id) Notify
// expects in the Authorization header.
func (n GOVUKNotify) token() (string, error) {
	service, secret, err := notifyKeyParts(n.APIKey)
	if err != nil {
		return "", err
	}
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`))
	claims, _ := json.Marshal(map[string]any{"iss": service, "iat": now().Unix()})
	signing := header + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// Send posts one email notification.
func (n GOVUKNotify) Send(ctx context.Context, m Message) error {
	tok, err := n.token()
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{
		"email_address": m.To, "template_id": n.TemplateID,
		"personalisation": map[string]string{"subject": m.Subject, "body": m.Body},
		"reference":       string(m.Kind),
	})
	base := n.BaseURL
	if base == "" {
		base = "https://api.notifications.service.gov.uk"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/v2/notifications/email", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: GOV.UK Notify: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return fmt.Errorf("notify: GOV.UK Notify answered %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

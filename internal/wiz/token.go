package wiz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// maxRefreshMargin caps how early a token is renewed before it expires.
const maxRefreshMargin = 5 * time.Minute

// tokenCache holds one access token for all streams. It renews the token
// before expiry. A refusal is not its to remember: the client's cool-down
// does that for every request.
type tokenCache struct {
	conf       clientcredentials.Config
	httpClient *http.Client
	now        func() time.Time

	mu        sync.Mutex
	token     *oauth2.Token
	refreshAt time.Time
}

func newTokenCache(cfg Config, httpClient *http.Client) *tokenCache {
	return &tokenCache{
		conf: clientcredentials.Config{
			ClientID:       cfg.ClientID,
			ClientSecret:   cfg.ClientSecret,
			TokenURL:       cfg.TokenURL,
			EndpointParams: map[string][]string{"audience": {cfg.Audience}},
			// Wiz reads client_id and client_secret from the form body.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		httpClient: httpClient,
		now:        time.Now,
	}
}

// get returns a valid access token, fetching a new one when needed.
func (c *tokenCache) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.token != nil && now.Before(c.refreshAt) {
		return c.token.AccessToken, nil
	}
	// The confighttp client carries proxy, TLS and timeout settings; the
	// oauth2 package uses the client it finds in the context.
	tok, err := c.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, c.httpClient))
	if err != nil {
		return "", c.classify(err)
	}
	c.token = tok
	c.refreshAt = refreshTime(now, tok)
	return tok.AccessToken, nil
}

// invalidate drops the cached token if it is still the one the API refused,
// so that two streams hitting the same 401 cause one refresh, not two.
func (c *tokenCache) invalidate(refused string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != nil && c.token.AccessToken == refused {
		c.token = nil
	}
}

// refreshTime renews a token after four fifths of its life (at most
// maxRefreshMargin early), so in-flight requests never carry an expired one.
func refreshTime(now time.Time, tok *oauth2.Token) time.Time {
	if tok.Expiry.IsZero() {
		return now.Add(24 * time.Hour)
	}
	margin := min(tok.Expiry.Sub(now)/5, maxRefreshMargin)
	return tok.Expiry.Add(-margin)
}

// classify turns an oauth2 failure into an AuthError when the endpoint
// refused the credentials, a RedirectError or CertificateError (see
// refusal), and a retryable error otherwise. None ever quotes the response body, which is
// where a misbehaving server could echo the secret.
func (c *tokenCache) classify(err error) error {
	if refused := refusal(err, "token_url", c.conf.TokenURL); refused != nil {
		return refused
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return &retryableError{err: fmt.Errorf("wiz token request to %s failed: %w", c.conf.TokenURL, redactErr(err, c.conf.ClientSecret)), reason: "token_endpoint"}
	}
	status := re.Response.StatusCode
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return &AuthError{
			TokenURL:    c.conf.TokenURL,
			StatusCode:  status,
			Code:        redact(re.ErrorCode, c.conf.ClientSecret),
			Description: redact(re.ErrorDescription, c.conf.ClientSecret),
		}
	default:
		return &retryableError{err: fmt.Errorf("wiz token endpoint %s answered HTTP %d", c.conf.TokenURL, status), reason: "token_endpoint"}
	}
}

// redact removes every occurrence of secret from s.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[REDACTED]")
}

// redactErr returns err, or a copy of its message without the secret.
func redactErr(err error, secret string) error {
	msg := err.Error()
	if secret == "" || !strings.Contains(msg, secret) {
		return err
	}
	return errors.New(redact(msg, secret))
}

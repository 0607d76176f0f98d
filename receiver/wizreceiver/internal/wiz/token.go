// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// maxRefreshMargin caps how early a token is renewed before it expires.
const maxRefreshMargin = 5 * time.Minute

// tokenCache holds one access token for all streams. It renews the token
// before expiry, and holds a refusal for the client's cool-down: streams
// that wait for the token while it is asked for see the refusal, instead
// of asking again.
type tokenCache struct {
	conf       clientcredentials.Config
	httpClient *http.Client
	refused    *cooldown
	// redact removes the client secret from what the token endpoint says.
	redact redactor
	now    func() time.Time

	mu        sync.Mutex
	token     *oauth2.Token
	refreshAt time.Time
	// tokenRedact removes the client secret and the token from what the
	// API says.
	tokenRedact redactor
}

func newTokenCache(cfg Config, httpClient *http.Client, refused *cooldown) *tokenCache {
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
		refused:    refused,
		redact:     newRedactor(cfg.ClientSecret),
		now:        time.Now,
	}
}

// get returns a valid access token, fetching a new one when needed, and
// the redactor of what the API may echo of the credentials.
func (c *tokenCache) get(ctx context.Context) (string, redactor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.token != nil && now.Before(c.refreshAt) {
		return c.token.AccessToken, c.tokenRedact, nil
	}
	if err := c.refused.active(now); err != nil {
		return "", redactor{}, err
	}
	// The confighttp client carries proxy, TLS and timeout settings; the
	// oauth2 package uses the client it finds in the context.
	tok, err := c.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, c.httpClient))
	if err != nil {
		err = c.redact.err(c.classify(err))
		c.refused.hold(err, now)
		return "", redactor{}, err
	}
	c.token = tok
	c.refreshAt = refreshTime(now, tok)
	c.tokenRedact = newRedactor(c.conf.ClientSecret, tok.AccessToken)
	return tok.AccessToken, c.tokenRedact, nil
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
// refusal), and a retryable error otherwise. None quotes the response
// body; the error text it does quote may echo the secret, and get redacts
// it.
func (c *tokenCache) classify(err error) error {
	if refused := refusal(err, "token_url", c.conf.TokenURL); refused != nil {
		return refused
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return &retryableError{err: fmt.Errorf("wiz token request to %s failed: %w", c.conf.TokenURL, err), reason: "token_endpoint"}
	}
	status := re.Response.StatusCode
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return &AuthError{
			TokenURL:   c.conf.TokenURL,
			StatusCode: status,
			// Redacted, then capped: a cut made first could leave the head
			// of the secret where the redactor no longer recognises it.
			Code:        truncateUpstream(c.redact.text(re.ErrorCode)),
			Description: truncateUpstream(c.redact.text(re.ErrorDescription)),
		}
	default:
		return &retryableError{err: fmt.Errorf("wiz token endpoint %s answered HTTP %d", c.conf.TokenURL, status), reason: "token_endpoint"}
	}
}

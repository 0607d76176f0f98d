// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Each form of a credential an upstream may echo is redacted, wherever it
// sits in the text, and the text around it stays.
func TestRedactEveryEncoding(t *testing.T) {
	for _, credential := range []string{wiztest.LeakySecret, wiztest.LeakyToken} {
		for name, form := range wiztest.Encodings(credential) {
			got := wiz.Redact("before "+form+" after", wiztest.LeakySecret, wiztest.LeakyToken)
			assert.Empty(t, wiztest.Leaks(got, wiztest.LeakySecret, wiztest.LeakyToken), "%s of %q: %s", name, credential, got)
			assert.True(t, strings.HasPrefix(got, "before ") && strings.HasSuffix(got, " after"), "%s: %s", name, got)
		}
	}
	assert.Equal(t, "nothing to hide 100%", wiz.Redact("nothing to hide 100%", wiztest.LeakySecret, wiztest.LeakyToken))

	// A text may echo a credential many times, each in its own form.
	forms := wiztest.Encodings(wiztest.LeakySecret)
	echoes := strings.Repeat(forms["query-escaped"]+" "+forms["JSON"]+" "+forms["literal"]+"|", 1000)
	assert.Equal(t, strings.Repeat("[REDACTED] [REDACTED] [REDACTED]|", 1000), wiz.Redact(echoes, wiztest.LeakySecret))

	// Inside a longer base64 text, as HTTP Basic carries "id:secret", the
	// secret's bits start at any offset of a base64 group: only the
	// characters that mix its bits with a neighbour's may stay.
	for _, prefix := range []string{"", "i:", "id:", "cid:"} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			encoded := enc.EncodeToString([]byte(prefix + wiztest.LeakySecret + ":more"))
			got := wiz.Redact("Basic "+encoded, wiztest.LeakySecret)
			assert.Contains(t, got, "[REDACTED]")
			assert.LessOrEqual(t, len(got)-len("Basic [REDACTED]"), 4+len(enc.EncodeToString([]byte(prefix+":more"))),
				"at most two characters each side of the secret's stay: %s", got)
		}
	}
}

// echoingClient is a client, with clientSecret, of a fake Wiz that echoes
// the credentials it was sent: its token endpoint is
// wiztest.EchoingTokens, and api, when not nil, answers its API.
func echoingClient(t *testing.T, clientSecret string, api http.HandlerFunc) *wiz.Client {
	srv := wiztest.NewFakeWiz(t)
	srv.SetToken(wiztest.EchoingTokens)
	if api != nil {
		srv.SetAPI(api)
	}
	backOff := configretry.NewDefaultBackOffConfig()
	backOff.Enabled = false
	return wiz.NewClient(wiz.Config{
		Endpoint: srv.URL + "/graphql", TokenURL: srv.URL + "/oauth/token", Audience: wiz.AudienceCognito,
		ClientID: "id", ClientSecret: clientSecret, BackOff: backOff, AuthFailureCooldown: time.Minute,
	}, &http.Client{}, wiz.NewLimiter(1000))
}

// Whatever an upstream echoes of the client secret or the access token,
// in error text, codes or a redirect's Location, the client's errors hold
// none of it.
func TestUpstreamEchoesAreRedacted(t *testing.T) {
	tests := map[string]struct {
		secret string // the client secret configured, if not the right one
		api    http.HandlerFunc
		check  func(t *testing.T, err error)
	}{
		"token endpoint echoes the request body": {secret: "wrong" + wiztest.LeakySecret, check: func(t *testing.T, err error) {
			var auth *wiz.AuthError
			require.ErrorAs(t, err, &auth)
		}},
		"a refusal echoes the Authorization header": {api: wiztest.EchoGraphQLError("FORBIDDEN"), check: func(t *testing.T, err error) {
			var denied *wiz.AccessDeniedError
			require.ErrorAs(t, err, &denied)
		}},
		"a transient error echoes the Authorization header": {api: wiztest.EchoGraphQLError("INTERNAL"), check: func(t *testing.T, err error) {
			var exhausted *wiz.RetriesExhaustedError
			require.ErrorAs(t, err, &exhausted)
		}},
		"an error code echoes the token": {api: wiztest.EchoGraphQLError(wiztest.LeakyToken), check: func(t *testing.T, err error) {
			require.Error(t, err)
		}},
		"a redirect's Location echoes the token": {api: func(w http.ResponseWriter, r *http.Request) {
			token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			wiztest.Redirect(http.StatusTemporaryRedirect, "https://127.0.0.1:1/?t="+url.QueryEscape(token))(w, r)
		}, check: func(t *testing.T, err error) {
			var redirect *wiz.RedirectError
			require.ErrorAs(t, err, &redirect)
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			secret := wiztest.LeakySecret
			if tt.secret != "" {
				secret = tt.secret
			}
			c := echoingClient(t, secret, tt.api)
			_, err := c.FetchPage(context.Background(), wiz.Request{Operation: "Q", Query: "{x}", ResponseKey: "x"})
			tt.check(t, err)
			t.Log(err)
			assert.Empty(t, wiztest.Leaks(err.Error(), wiztest.LeakySecret, wiztest.LeakyToken, "wrong"+wiztest.LeakySecret))
			assert.Contains(t, err.Error(), "[REDACTED]", "the echo was there")
		})
	}
}

// A credential of a few characters is redacted as it is, and its base64
// forms, a character or two that any text holds, are left alone: a
// one-letter token must not blot out every error message.
func TestRedactShortCredential(t *testing.T) {
	msg := `Cannot query field "sourceRule" on type "Issue". Did you mean "sourceRules"?`
	assert.Equal(t, msg, wiz.Redact(msg, "xyz"))
	assert.Equal(t, "token [REDACTED] echoed", wiz.Redact("token xyz echoed", "xyz"))
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// FakeWiz is a Wiz written with the standard library alone, not our mock
// (internal/mockwiz): a token endpoint, /oauth/token, and an API whose
// answers the test writes. Tests attack the client with it as an outsider
// would, playing an upstream that misbehaves as the mock never does: one
// that echoes credentials, redirects, stamps a Date of its own, or answers
// too much, too little or out of turn. It records every request.
type FakeWiz struct {
	// URL is the server's base URL: token_url is URL + "/oauth/token",
	// endpoint URL + "/graphql".
	URL    string
	server *httptest.Server

	mu       sync.Mutex
	token    http.HandlerFunc
	api      http.HandlerFunc
	replies  []http.HandlerFunc
	date     []string
	dated    bool
	requests []FakeWizRequest
}

// FakeWizRequest is a request the fake received.
type FakeWizRequest struct {
	Path          string
	Authorization string
	UserAgent     string
	// Body is what the request sent: a token request's form, a query.
	Body string
}

// Form is the token request's form.
func (r FakeWizRequest) Form() url.Values {
	form, _ := url.ParseQuery(r.Body)
	return form
}

// FakeWizOption configures a FakeWiz.
type FakeWizOption func(*fakeWizConfig)

type fakeWizConfig struct {
	tls        bool
	token, api http.HandlerFunc
}

// WithTLS serves over TLS, with httptest's certificate: Client trusts it.
func WithTLS() FakeWizOption {
	return func(c *fakeWizConfig) { c.tls = true }
}

// WithToken answers token requests with token (see SetToken).
func WithToken(token http.HandlerFunc) FakeWizOption {
	return func(c *fakeWizConfig) { c.token = token }
}

// WithAPI answers API requests with api (see SetAPI).
func WithAPI(api http.HandlerFunc) FakeWizOption {
	return func(c *fakeWizConfig) { c.api = api }
}

// AuditPage is the fake's API answer by default: a last page of one audit
// log entry.
const AuditPage = `{"data":{"auditLogEntries":{"nodes":[{"id":"1"}],"pageInfo":{"hasNextPage":false,"endCursor":"c"}}}}`

// NewFakeWiz starts a fake Wiz for the test. Unless told otherwise, its
// token endpoint issues a new token, tok-1, tok-2 …, to any client, and
// its API answers AuditPage.
func NewFakeWiz(t testing.TB, opts ...FakeWizOption) *FakeWiz {
	t.Helper()
	var cfg fakeWizConfig
	for _, o := range opts {
		o(&cfg)
	}
	f := &FakeWiz{token: cfg.token, api: cfg.api}
	if f.token == nil {
		f.token = f.issueToken
	}
	if f.api == nil {
		f.api = JSONReply(http.StatusOK, AuditPage)
	}
	f.server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	if cfg.tls {
		f.server.StartTLS()
	} else {
		f.server.Start()
	}
	t.Cleanup(f.server.Close)
	f.URL = f.server.URL
	return f
}

// Client is an HTTP client of the fake: over TLS, one that trusts its
// certificate, which every httptest TLS server shares.
func (f *FakeWiz) Client() *http.Client {
	return f.server.Client()
}

// SetToken answers every later token request with token.
func (f *FakeWiz) SetToken(token http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = token
}

// SetAPI answers every later API request with api, once the queued
// replies are spent.
func (f *FakeWiz) SetAPI(api http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.api = api
}

// Queue answers the next API requests with replies, one each, in order.
func (f *FakeWiz) Queue(replies ...http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies = append(f.replies, replies...)
}

// SetDate stamps every later answer, of both endpoints, with the Date
// values given, as a server on a clock of its own does: none at all when
// none is given. Until then net/http stamps the host's clock.
func (f *FakeWiz) SetDate(values ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.date, f.dated = values, true
}

// Requests is every request so far, to both endpoints, oldest first.
func (f *FakeWiz) Requests() []FakeWizRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeWizRequest(nil), f.requests...)
}

// RequestsTo is the requests so far to path.
func (f *FakeWiz) RequestsTo(path string) []FakeWizRequest {
	var out []FakeWizRequest
	for _, r := range f.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// TokenRequests is how many token requests the fake received.
func (f *FakeWiz) TokenRequests() int {
	return len(f.RequestsTo("/oauth/token"))
}

// Authorizations is the Authorization header of every API request so far.
func (f *FakeWiz) Authorizations() []string {
	var out []string
	for _, r := range f.Requests() {
		if r.Path != "/oauth/token" {
			out = append(out, r.Authorization)
		}
	}
	return out
}

func (f *FakeWiz) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	f.requests = append(f.requests, FakeWizRequest{Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), UserAgent: r.UserAgent(), Body: string(body)})
	if f.dated {
		// net/http stamps its own Date unless the key is set, even to nil.
		w.Header()["Date"] = f.date
	}
	reply := f.api
	switch {
	case r.URL.Path == "/oauth/token":
		reply = f.token
	case len(f.replies) > 0:
		reply, f.replies = f.replies[0], f.replies[1:]
	}
	f.mu.Unlock()
	reply(w, r)
}

// issueToken issues tok-n to any client, n counting the token requests.
func (f *FakeWiz) issueToken(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, f.TokenRequests())
}

// JSONReply answers with status and body as application/json, with the
// header pairs given (name, value, …).
func JSONReply(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// EndlessPage answers with status and a page of audit log entries that
// never ends, up to 64 MiB, adding what it managed to send to written.
func EndlessPage(status int, written *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		node := []byte(`{"id":"` + strings.Repeat("x", 1000) + `"},`)
		_, _ = io.WriteString(w, `{"data":{"auditLogEntries":{"nodes":[`)
		for written.Load() < 64<<20 {
			n, err := w.Write(node)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
}

// Redirect answers with a redirect of status to location.
func Redirect(status int, location string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", location)
		w.WriteHeader(status)
	}
}

// RefuseTokens refuses every client with status, and an error_description
// that echoes the client secret it was sent, then more.
func RefuseTokens(status int, more string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "access_denied", "error_description": "bad secret " + r.PostForm.Get("client_secret") + more})
	}
}

// EchoingTokens is a token endpoint that puts the credentials it was sent
// into its error text, in every encoding: it refuses any client secret but
// LeakySecret with a 401 whose error_description echoes the request body
// and the secret (see Echo), and issues LeakyToken to LeakySecret.
func EchoingTokens(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	w.Header().Set("Content-Type", "application/json")
	if secret := form.Get("client_secret"); secret != LeakySecret {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": Echo(string(body), secret)})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": LeakyToken, "token_type": "Bearer", "expires_in": 3600})
}

// EchoGraphQLError answers an API request with a GraphQL error of the
// code given whose message echoes the Authorization header and the token
// in it.
func EchoGraphQLError(code string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		authorization := r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{
			"message":    Echo(authorization, strings.TrimPrefix(authorization, "Bearer ")),
			"extensions": map[string]any{"code": code},
		}}})
	}
}

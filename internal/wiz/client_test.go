package wiz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
)

const secret = "s3cr3t-value-do-not-print"

// fakeWiz answers the token endpoint and replays scripted GraphQL answers.
type fakeWiz struct {
	mu        sync.Mutex
	answers   []func(w http.ResponseWriter)
	forms     []url.Values
	auths     []string
	agents    []string // User-Agent of every request, both endpoints
	tokens    atomic.Int64
	tokenCode int
}

func (f *fakeWiz) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents = append(f.agents, r.Header.Get("User-Agent"))
	if r.URL.Path == "/oauth/token" {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		f.forms = append(f.forms, form)
		n := f.tokens.Add(1)
		if f.tokenCode != 0 {
			w.WriteHeader(f.tokenCode)
			_, _ = fmt.Fprintf(w, `{"error":"access_denied","error_description":"bad secret %s"}`, form.Get("client_secret"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
		return
	}
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	if len(f.answers) == 0 {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"data":{"auditLogEntries":{"nodes":[{"id":"1"}],"pageInfo":{"hasNextPage":false,"endCursor":"c"}}}}`)
		return
	}
	answer := f.answers[0]
	f.answers = f.answers[1:]
	answer(w)
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = fmt.Fprint(w, `{"errors":[{"message":"nope"}]}`)
	}
}

func gqlError(code, msg string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"data":null,"errors":[{"message":%q,"extensions":{"code":%q}}]}`, msg, code)
	}
}

// gqlErrorAt is a GraphQL error located in the query, as validation errors
// are.
func gqlErrorAt(code, msg string, line, column int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"errors":[{"message":%q,"locations":[{"line":%d,"column":%d}],"extensions":{"code":%q}}]}`, msg, line, column, code)
	}
}

func newTestClient(t *testing.T, f *fakeWiz, transport http.RoundTripper) (*Client, *Limiter) {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := newClientAt(srv.URL, transport)
	return c, c.limiter
}

// newClientAt is a client of the Wiz at base over transport.
func newClientAt(base string, transport http.RoundTripper) *Client {
	return NewClient(testClientConfig(base), &http.Client{Transport: transport}, NewLimiter(1000))
}

// testClientConfig is the client's config for the Wiz at base
// (/oauth/token, /graphql), retrying for at most 2 s.
func testClientConfig(base string) Config {
	backOff := configretry.NewDefaultBackOffConfig()
	backOff.InitialInterval = time.Millisecond
	backOff.MaxInterval = 5 * time.Millisecond
	backOff.MaxElapsedTime = 2 * time.Second
	return Config{
		Endpoint: base + "/graphql", TokenURL: base + "/oauth/token", Audience: AudienceCognito,
		ClientID: "id", ClientSecret: secret, BackOff: backOff, AuthFailureCooldown: time.Minute,
		UserAgent: "otelcol-wiz/1.2.3",
	}
}

var auditReq = Request{Operation: AuditLogEntries.Operation, Query: AuditLogEntries.Query, ResponseKey: AuditLogEntries.ResponseKey, Variables: map[string]any{"first": 1}}

// countingTransport proves which HTTP client carried a request: the
// confighttp one carries proxy and TLS settings.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestTokenRequest(t *testing.T) {
	f := &fakeWiz{}
	transport := &countingTransport{}
	c, _ := newTestClient(t, f, transport)
	page, err := c.FetchPage(context.Background(), auditReq)
	require.NoError(t, err)
	assert.Len(t, page.Nodes, 1)

	require.Len(t, f.forms, 1)
	form := f.forms[0]
	assert.Equal(t, "client_credentials", form.Get("grant_type"))
	assert.Equal(t, "id", form.Get("client_id"))
	assert.Equal(t, secret, form.Get("client_secret"))
	assert.Equal(t, "wiz-api", form.Get("audience"))
	assert.Equal(t, []string{"Bearer tok-1"}, f.auths)
	assert.Equal(t, int64(2), transport.n.Load(), "token and query both went through the configured client")

	// The token is cached.
	_, err = c.FetchPage(context.Background(), auditReq)
	require.NoError(t, err)
	assert.Equal(t, int64(1), f.tokens.Load())
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	f := &fakeWiz{answers: []func(http.ResponseWriter){status(401)}}
	c, _ := newTestClient(t, f, nil)
	_, err := c.FetchPage(context.Background(), auditReq)
	require.NoError(t, err)
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-2"}, f.auths)

	// A fresh token refused again is a configuration problem, not a loop.
	f.answers = []func(http.ResponseWriter){status(401), status(401), status(401)}
	_, err = c.FetchPage(context.Background(), auditReq)
	var auth *AuthError
	require.ErrorAs(t, err, &auth)
	assert.Len(t, f.auths, 4)
}

func TestBadCredentials(t *testing.T) {
	f := &fakeWiz{tokenCode: http.StatusUnauthorized}
	c, _ := newTestClient(t, f, nil)
	_, err := c.FetchPage(context.Background(), auditReq)
	var auth *AuthError
	require.ErrorAs(t, err, &auth)
	assert.Contains(t, err.Error(), "authentication failed")
	assert.Contains(t, err.Error(), "check client_id and client_secret")
	assert.NotContains(t, err.Error(), secret, "a server echoing the secret must not leak it")

	// The refusal is remembered: no second token request during the cool-down.
	_, err = c.FetchPage(context.Background(), auditReq)
	require.ErrorAs(t, err, &auth)
	assert.Equal(t, int64(1), f.tokens.Load())
}

// Every error code Wiz is known to send, and the HTTP statuses, sort into
// retried, refreshed, throttled, or one of the permanent refusals.
func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name    string
		answers []func(http.ResponseWriter)
		check   func(t *testing.T, err error, f *fakeWiz)
	}{
		{"5xx then success", []func(http.ResponseWriter){status(500), status(502), status(503)}, func(t *testing.T, err error, _ *fakeWiz) {
			require.NoError(t, err)
		}},
		{"INTERNAL then success", []func(http.ResponseWriter){gqlError("INTERNAL", "try again")}, func(t *testing.T, err error, _ *fakeWiz) {
			require.NoError(t, err)
		}},
		{"an unknown code then success", []func(http.ResponseWriter){gqlError("SOMETHING_NEW", "hm")}, func(t *testing.T, err error, _ *fakeWiz) {
			require.NoError(t, err, "Wiz's own failures are worth a retry")
		}},
		{"truncated body then success", []func(http.ResponseWriter){func(w http.ResponseWriter) {
			_, _ = fmt.Fprint(w, `{"data":{"auditLogEntries":{"nodes":[{"id"`)
		}}, func(t *testing.T, err error, _ *fakeWiz) { require.NoError(t, err) }},
		{"UNAUTHENTICATED refreshes the token", []func(http.ResponseWriter){gqlError("UNAUTHENTICATED", "Unauthorized")}, func(t *testing.T, err error, f *fakeWiz) {
			require.NoError(t, err)
			assert.Equal(t, int64(2), f.tokens.Load())
		}},
		{"TOKEN_EXPIRED refreshes the token", []func(http.ResponseWriter){gqlError("TOKEN_EXPIRED", "expired")}, func(t *testing.T, err error, f *fakeWiz) {
			require.NoError(t, err)
			assert.Equal(t, int64(2), f.tokens.Load())
		}},
		{"RATE_LIMIT_EXCEEDED in a 200 is a 429", []func(http.ResponseWriter){gqlError("RATE_LIMIT_EXCEEDED", "slow down")}, func(t *testing.T, err error, _ *fakeWiz) {
			require.NoError(t, err, "retried after the throttle pause")
		}},
		{"403", []func(http.ResponseWriter){status(403)}, func(t *testing.T, err error, _ *fakeWiz) {
			var denied *AccessDeniedError
			require.ErrorAs(t, err, &denied)
		}},
		{"UNAUTHORIZED: a missing scope", []func(http.ResponseWriter){gqlError("UNAUTHORIZED", "Access denied; your permissions: [read:issues]")}, func(t *testing.T, err error, _ *fakeWiz) {
			var denied *AccessDeniedError
			require.ErrorAs(t, err, &denied)
			assert.Contains(t, denied.Message, "your permissions: [read:issues]")
		}},
		{"FORBIDDEN", []func(http.ResponseWriter){gqlError("FORBIDDEN", "Forbidden")}, func(t *testing.T, err error, _ *fakeWiz) {
			var denied *AccessDeniedError
			require.ErrorAs(t, err, &denied)
		}},
		{"FORBIDDEN_IP", []func(http.ResponseWriter){gqlError("FORBIDDEN_IP", "IP 203.0.113.7 is not allowed")}, func(t *testing.T, err error, _ *fakeWiz) {
			var refused *IPRefusedError
			require.ErrorAs(t, err, &refused)
			assert.True(t, IsPermanent(err))
			assert.Contains(t, err.Error(), "Wiz refused this collector's IP address; add it to the service account's allowed IPs")
		}},
		{"NOT_FOUND names the query", []func(http.ResponseWriter){gqlError("NOT_FOUND", "Not found")}, func(t *testing.T, err error, _ *fakeWiz) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.True(t, IsPermanent(err))
			assert.Contains(t, err.Error(), "wiz rejected the AuditLogTable query (NOT_FOUND)")
		}},
		{"BAD_USER_INPUT names the query and the filter key", []func(http.ResponseWriter){gqlError("BAD_USER_INPUT",
			`Variable "$filterBy" got invalid value { updatedAt: {} }; Field "updatedAt" is not defined by type "IssueFilters".`)}, func(t *testing.T, err error, _ *fakeWiz) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.Equal(t, "updatedAt", query.Input)
			assert.Equal(t, "IssueFilters", query.InputType)
			assert.Contains(t, err.Error(), "wiz rejected the AuditLogTable query (BAD_USER_INPUT)")
		}},
		{"GRAPHQL_VALIDATION_FAILED names the field and where", []func(http.ResponseWriter){gqlErrorAt("GRAPHQL_VALIDATION_FAILED",
			`Cannot query field "sourceRule" on type "Issue". Did you mean "sourceRules"?`, 5, 7)}, func(t *testing.T, err error, _ *fakeWiz) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", query.Code)
			assert.Equal(t, &RejectedField{Name: "sourceRule", Type: "Issue", Line: 5, Column: 7}, query.Field)
		}},
		{"GRAPHQL_PARSE_FAILED", []func(http.ResponseWriter){gqlError("GRAPHQL_PARSE_FAILED", "Syntax Error")}, func(t *testing.T, err error, _ *fakeWiz) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.Nil(t, query.Field)
		}},
		{"404", []func(http.ResponseWriter){status(404)}, func(t *testing.T, err error, _ *fakeWiz) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.Contains(t, err.Error(), "check endpoint")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeWiz{answers: tt.answers}
			c, _ := newTestClient(t, f, nil)
			_, err := c.FetchPage(context.Background(), auditReq)
			tt.check(t, err, f)
		})
	}
}

// The client names itself on token and API requests alike.
func TestUserAgent(t *testing.T) {
	f := &fakeWiz{}
	c, _ := newTestClient(t, f, nil)
	_, err := c.FetchPage(context.Background(), auditReq)
	require.NoError(t, err)
	assert.Equal(t, []string{"otelcol-wiz/1.2.3", "otelcol-wiz/1.2.3"}, f.agents, "the token request, then the query")
}

func TestRetriesExhausted(t *testing.T) {
	f := &fakeWiz{}
	for range 100 {
		f.answers = append(f.answers, status(503))
	}
	c, _ := newTestClient(t, f, nil)
	c.cfg.BackOff.MaxElapsedTime = 50 * time.Millisecond
	_, err := c.FetchPage(context.Background(), auditReq)
	var exhausted *RetriesExhaustedError
	require.ErrorAs(t, err, &exhausted)
	assert.ErrorContains(t, err, "wiz answered HTTP 503", "the last transient cause is kept")
	assert.Greater(t, exhausted.Attempts, 1)
}

// A 429 pauses the shared limiter for Retry-After, so every stream of the
// receiver waits, not just the refused one.
func TestRetryAfterPausesEveryCaller(t *testing.T) {
	f := &fakeWiz{answers: []func(http.ResponseWriter){status(429, "Retry-After", "1")}}
	c, limiter := newTestClient(t, f, nil)
	c.cfg.BackOff.MaxInterval = time.Second // Retry-After waits up to it
	start := time.Now()
	done := make(chan time.Duration)
	go func() {
		_, err := c.FetchPage(context.Background(), auditReq)
		assert.NoError(t, err)
		done <- time.Since(start)
	}()
	// Another stream asking shortly after the 429 also waits.
	require.Eventually(t, func() bool {
		limiter.mu.Lock()
		defer limiter.mu.Unlock()
		return !limiter.pausedUntil.IsZero()
	}, time.Second, time.Millisecond)
	waited, err := limiter.Wait(context.Background())
	require.NoError(t, err)
	assert.Greater(t, waited, 800*time.Millisecond)
	assert.GreaterOrEqual(t, <-done, time.Second)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	h := func(v string) http.Header { return http.Header{"Retry-After": []string{v}} }
	assert.Equal(t, 7*time.Second, parseRetryAfter(h("7"), now))
	assert.Equal(t, 90*time.Second, parseRetryAfter(h("Sat, 28 Nov 2026 12:01:30 GMT"), now))
	assert.Zero(t, parseRetryAfter(h("Sat, 28 Nov 2026 11:00:00 GMT"), now), "a date in the past")
	assert.Zero(t, parseRetryAfter(h("soon"), now))
	assert.Zero(t, parseRetryAfter(h("-3"), now))
	assert.Zero(t, parseRetryAfter(http.Header{}, now))
	assert.Equal(t, time.Duration(math.MaxInt64), parseRetryAfter(h("99999999999999999999999"), now), "past a Duration: the longest one")
}

func TestShutdownCancelsBackOff(t *testing.T) {
	f := &fakeWiz{}
	for range 100 {
		f.answers = append(f.answers, status(503))
	}
	c, _ := newTestClient(t, f, nil)
	c.cfg.BackOff.InitialInterval = time.Hour
	c.cfg.BackOff.MaxInterval = time.Hour
	c.cfg.BackOff.MaxElapsedTime = 0
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := c.FetchPage(ctx, auditReq)
	require.True(t, errors.Is(err, context.Canceled))
	assert.Less(t, time.Since(start), time.Second)
}

// A Retry-After longer than max_interval, in seconds or as an HTTP date,
// even one past what a time.Duration holds, pauses the shared limiter for
// max_interval, not for what Wiz asked, with a retry budget or without.
// The caller learns what Wiz sent.
func TestRetryAfterCeiling(t *testing.T) {
	for _, sent := range []string{"999999999", "99999999999", "Fri, 01 Jan 2100 00:00:00 GMT"} {
		for _, budget := range []time.Duration{5 * time.Minute, 0} {
			t.Run(fmt.Sprintf("%s with max_elapsed_time %s", sent, budget), func(t *testing.T) {
				retries, pausedUntil := throttledOnce(t, sent, budget)
				assert.False(t, pausedUntil.IsZero(), "the 429 paused the limiter")
				assert.LessOrEqual(t, pausedUntil.Sub(fakeStart), 30*time.Second+time.Second, "paused until %s", pausedUntil)
				require.Len(t, retries, 1)
				assert.Equal(t, 30*time.Second, retries[0].Wait)
				assert.Equal(t, sent, retries[0].RetryAfterCapped, "the caller can log what Wiz sent")
				assert.ErrorContains(t, retries[0].Err, "Retry-After: "+sent+"; waiting retry_on_failure.max_interval (30s) instead")
			})
		}
	}
	t.Run("within max_interval", func(t *testing.T) {
		retries, _ := throttledOnce(t, "7", 5*time.Minute)
		require.Len(t, retries, 1)
		assert.Equal(t, 7*time.Second, retries[0].Wait, "Wiz's own wait")
		assert.Empty(t, retries[0].RetryAfterCapped)
	})
}

// throttledOnce fetches a page through one 429 with Retry-After: sent, on
// the fake clock from fakeStart, with a max_interval of 30 s and the retry
// budget given. It returns the retries the request was told of, and when
// the limiter's pause ended.
func throttledOnce(t *testing.T, sent string, budget time.Duration) (retries []Retry, pausedUntil time.Time) {
	t.Helper()
	f := &fakeWiz{answers: []func(http.ResponseWriter){status(429, "Retry-After", sent)}}
	c, _ := newTestClient(t, f, nil)
	clk := &fakeClock{t: fakeStart}
	c.limiter, c.now = newLimiter(1000, clk.clock()), clk.clock().now
	c.cfg.BackOff.MaxInterval = 30 * time.Second
	c.cfg.BackOff.MaxElapsedTime = budget
	req := auditReq
	req.Retrying = func(r Retry) { retries = append(retries, r) }
	_, err := c.FetchPage(context.Background(), req)
	require.NoError(t, err, "retried after the pause")
	require.Len(t, f.auths, 2)
	c.limiter.mu.Lock()
	defer c.limiter.mu.Unlock()
	return retries, c.limiter.pausedUntil
}

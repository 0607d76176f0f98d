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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

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
	// tokenDescription follows the echoed secret in a refusal's
	// error_description.
	tokenDescription string
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
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.tokenCode)
			_, _ = fmt.Fprintf(w, `{"error":"access_denied","error_description":"bad secret %s%s"}`, form.Get("client_secret"), f.tokenDescription)
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

func gqlError(status int, code, msg string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"data":null,"errors":[{"message":%q,"extensions":{"code":%q}}]}`, msg, code)
	}
}

// gqlErrorAt is a GraphQL error located in the query, as validation errors
// are.
func gqlErrorAt(status int, code, msg string, line, column int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"errors":[{"message":%q,"locations":[{"line":%d,"column":%d}],"extensions":{"code":%q}}]}`, msg, line, column, code)
	}
}

// errorStatuses are the two ways servers send a GraphQL error: with HTTP
// 200, as Wiz and older GraphQL servers do, or with the status of its
// kind, as GraphQL-over-HTTP servers such as Apollo Server 4 do.
var errorStatuses = []struct {
	name   string
	status func(code string) int
}{
	{"200", func(string) int { return http.StatusOK }},
	{"status of its kind", overHTTPStatus},
}

// overHTTPStatus is the status a GraphQL-over-HTTP server gives an error:
// 400 for a query it refuses to run (parse, validation and variable
// errors), 401, 403, 404 and 429 for their kinds, 500 for the rest.
func overHTTPStatus(code string) int {
	switch code {
	case "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT":
		return http.StatusBadRequest
	case "UNAUTHENTICATED", "TOKEN_EXPIRED":
		return http.StatusUnauthorized
	case "UNAUTHORIZED", "FORBIDDEN", "FORBIDDEN_IP":
		return http.StatusForbidden
	case "NOT_FOUND":
		return http.StatusNotFound
	case "RATE_LIMIT_EXCEEDED":
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

func newTestClient(t *testing.T, f *fakeWiz, transport http.RoundTripper, configure ...func(*Config)) (*Client, *Limiter) {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := newClientAt(srv.URL, transport, configure...)
	return c, c.limiter
}

// newClientAt is a client of the Wiz at base over transport.
func newClientAt(base string, transport http.RoundTripper, configure ...func(*Config)) *Client {
	cfg := testClientConfig(base)
	for _, fn := range configure {
		fn(&cfg)
	}
	return NewClient(cfg, &http.Client{Transport: transport}, NewLimiter(1000))
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
		UserAgent: "otelcol-wiz/1.2.3", MaxResponseSize: 16 << 20,
	}
}

// auditReq asks for one audit log entry: the client serves any paged query,
// so its tests bring a small one of their own.
var auditReq = Request{Operation: "AuditLogTable", ResponseKey: "auditLogEntries", Variables: map[string]any{"first": 1},
	Query: `query AuditLogTable($first: Int) { auditLogEntries(first: $first) { nodes { id timestamp } pageInfo { hasNextPage endCursor } } }`}

// countingTransport proves which HTTP client carried a request: the
// confighttp one carries proxy and TLS settings.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// readCounter counts the bytes of API answers read off the wire.
type readCounter struct{ n atomic.Int64 }

func (c *readCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if resp != nil && r.URL.Path == "/graphql" {
		resp.Body = &countedBody{ReadCloser: resp.Body, n: &c.n}
	}
	return resp, err
}

type countedBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
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
// retried, refreshed, throttled, or one of the permanent refusals; a
// GraphQL error the same whatever the status it comes with.
func TestErrorClassification(t *testing.T) {
	for _, way := range errorStatuses {
		t.Run(way.name, func(t *testing.T) { testErrorClassification(t, way.status) })
	}
}

func testErrorClassification(t *testing.T, errStatus func(code string) int) {
	gqlError := func(code, msg string) func(http.ResponseWriter) { return gqlError(errStatus(code), code, msg) }
	gqlErrorAt := func(code, msg string, line, column int) func(http.ResponseWriter) {
		return gqlErrorAt(errStatus(code), code, msg, line, column)
	}
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
		{"RATE_LIMIT_EXCEEDED is a 429", []func(http.ResponseWriter){gqlError("RATE_LIMIT_EXCEEDED", "slow down")}, func(t *testing.T, err error, _ *fakeWiz) {
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

// On a non-2xx answer the errors body decides wherever it can, and the
// status only where it cannot: a body with no errors, or with a code that
// says nothing more than the status.
func TestErrorBodyOnAnyStatus(t *testing.T) {
	raw := func(status int, body string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.WriteHeader(status)
			_, _ = fmt.Fprint(w, body)
		}
	}
	tests := []struct {
		name     string
		answer   func(http.ResponseWriter)
		check    func(t *testing.T, err error)
		requests int
	}{
		{"a validation error with no code in a 400, as graphql-http answers", raw(400,
			`{"errors":[{"message":"Cannot query field \"sourceRule\" on type \"Issue\".","locations":[{"line":5,"column":7}]}]}`), func(t *testing.T, err error) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.Equal(t, &RejectedField{Name: "sourceRule", Type: "Issue", Line: 5, Column: 7}, query.Field)
			assert.Equal(t, "AuditLogTable", query.Operation)
		}, 1},
		{"a validation error in a 500", gqlError(500, "GRAPHQL_VALIDATION_FAILED", `Cannot query field "x" on type "AuditLogEntry".`), func(t *testing.T, err error) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.Equal(t, &RejectedField{Name: "x", Type: "AuditLogEntry"}, query.Field)
		}, 1},
		{"an unknown code in a 400", gqlError(400, "SOMETHING_NEW", "the query is too deep"), func(t *testing.T, err error) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.EqualError(t, err, "wiz rejected the AuditLogTable query (SOMETHING_NEW): the query is too deep")
		}, 1},
		{"an unknown code in a 503", gqlError(503, "SOMETHING_NEW", "hm"), func(t *testing.T, err error) {
			require.NoError(t, err)
		}, 2},
		{"a 400 without an errors body", raw(400, "<html>Bad Request</html>"), func(t *testing.T, err error) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.Contains(t, err.Error(), "wiz rejected the query: HTTP 400 from http://")
		}, 1},
		{"a 403 with no code", raw(403, `{"errors":[{"message":"Access denied; your permissions: [read:issues]"}]}`), func(t *testing.T, err error) {
			var denied *AccessDeniedError
			require.ErrorAs(t, err, &denied)
			assert.Contains(t, denied.Message, "your permissions: [read:issues]")
		}, 1},
		{"a 401 whose body says access denied", raw(401, `{"errors":[{"message":"Unauthorized","extensions":{"code":"UNAUTHORIZED"}}]}`), func(t *testing.T, err error) {
			require.NoError(t, err, "a 401 is about the token, whatever words come with it: refreshed, then served")
		}, 2},
		{"a 404 with no code", raw(404, `{"errors":[{"message":"no such route"}]}`), func(t *testing.T, err error) {
			var query *QueryError
			require.ErrorAs(t, err, &query)
			assert.Contains(t, err.Error(), "no such route")
			assert.Contains(t, err.Error(), "check endpoint")
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeWiz{answers: []func(http.ResponseWriter){tt.answer}}
			c, _ := newTestClient(t, f, nil)
			_, err := c.FetchPage(context.Background(), auditReq)
			tt.check(t, err)
			assert.Len(t, f.auths, tt.requests)
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

// A server's own words reach errors, logs and health capped: a megabyte
// error message, error code or token error_description leaves its head,
// and a note of how much was cut, whatever error it ends up in.
func TestUpstreamTextIsCapped(t *testing.T) {
	for _, way := range errorStatuses {
		t.Run(way.name, func(t *testing.T) { testUpstreamTextIsCapped(t, way.status) })
	}
}

func testUpstreamTextIsCapped(t *testing.T, errStatus func(code string) int) {
	gqlError := func(code, msg string) func(http.ResponseWriter) { return gqlError(errStatus(code), code, msg) }
	huge := "Access denied; your permissions: [" + strings.Repeat("read:everything,", 1<<20/16) + "]"
	tests := []struct {
		name      string
		tokenCode int
		answers   []func(http.ResponseWriter)
		head      string // what the error keeps of the server's text
	}{
		{"an access denied message", 0, []func(http.ResponseWriter){gqlError("UNAUTHORIZED", huge)}, "Access denied; your permissions: [read:everything,"},
		{"a refused IP's message", 0, []func(http.ResponseWriter){gqlError("FORBIDDEN_IP", huge)}, "Access denied; your permissions"},
		{"a validation message", 0, []func(http.ResponseWriter){gqlError("GRAPHQL_VALIDATION_FAILED", huge)}, "Access denied; your permissions"},
		{"an error code", 0, []func(http.ResponseWriter){gqlError(strings.Repeat("X", 1<<20), "oops")}, "XXXXXXXX"},
		{"a retried error's message", 0, []func(http.ResponseWriter){gqlError("INTERNAL", huge)}, "Access denied; your permissions"},
		// The oauth2 package reads at most 1 MiB of a token response.
		{"a token error_description", http.StatusUnauthorized, nil, "bad secret [REDACTED]Access denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeWiz{answers: tt.answers, tokenCode: tt.tokenCode, tokenDescription: huge[:512<<10]}
			c, _ := newTestClient(t, f, nil)
			c.cfg.BackOff.Enabled = false
			_, err := c.FetchPage(context.Background(), auditReq)
			require.Error(t, err)
			msg := err.Error()
			require.Less(t, len(msg), 2*maxUpstreamText, "the error carries at most a few hundred bytes of the server's text")
			assert.Contains(t, msg, tt.head)
			assert.Contains(t, msg, "bytes cut]")
			assert.True(t, utf8.ValidString(msg))
		})
	}
}

func TestTruncateUpstream(t *testing.T) {
	assert.Equal(t, "short", truncateUpstream("short"))
	exact := strings.Repeat("a", maxUpstreamText)
	assert.Equal(t, exact, truncateUpstream(exact))
	// A cut never splits a character: é is two bytes.
	got := truncateUpstream(strings.Repeat("a", maxUpstreamText-1) + strings.Repeat("é", 10))
	assert.Equal(t, strings.Repeat("a", maxUpstreamText-1)+"… [20 bytes cut]", got)
}

// An answer larger than max_response_size fails its request, read no
// further than the limit, however much the server would send. A page that
// large will be as large again, so the error is permanent and names the
// fix. An error status's body is cut off the same way, and the status
// classifies it.
func TestResponseCeiling(t *testing.T) {
	const limit = 64 << 10
	// endless streams a page that never ends, up to 64 MiB, counting what
	// it managed to send.
	endless := func(status int, written *atomic.Int64) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
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
	// sized is a valid page of exactly size bytes, padded inside.
	sized := func(size int) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			page := `{"data":{"auditLogEntries":{"nodes":[{"id":"1"}],"pageInfo":{"hasNextPage":false,"endCursor":"c"}}}`
			_, _ = io.WriteString(w, page+strings.Repeat(" ", size-len(page)-1)+"}")
		}
	}
	limited := func(cfg *Config) { cfg.MaxResponseSize = limit }

	t.Run("a page that never ends", func(t *testing.T) {
		var written atomic.Int64
		f := &fakeWiz{answers: []func(http.ResponseWriter){endless(http.StatusOK, &written)}}
		read := &readCounter{}
		c, _ := newTestClient(t, f, read, limited)
		_, err := c.FetchPage(context.Background(), auditReq)
		var tooLarge *ResponseTooLargeError
		require.ErrorAs(t, err, &tooLarge)
		assert.True(t, IsPermanent(err), "the same page would be as large again")
		assert.EqualError(t, err, "wiz's answer to the AuditLogTable query is larger than max_response_size (65536 bytes), "+
			"and was abandoned there; lower page_size (this request asked for first: 1), or raise max_response_size")
		assert.Len(t, f.auths, 1, "not retried")
		assert.LessOrEqual(t, read.n.Load(), int64(limit+1), "the client read no further than the limit")
		assert.Less(t, written.Load(), int64(64<<20), "the server was cut off")
	})
	t.Run("an error status that never ends", func(t *testing.T) {
		var written atomic.Int64
		f := &fakeWiz{answers: []func(http.ResponseWriter){endless(http.StatusBadGateway, &written), endless(http.StatusBadGateway, &written)}}
		read := &readCounter{}
		c, _ := newTestClient(t, f, read, limited)
		_, err := c.FetchPage(context.Background(), auditReq)
		require.NoError(t, err, "retried as a 502, then served")
		assert.Len(t, f.auths, 3)
		assert.LessOrEqual(t, read.n.Load(), int64(3*(limit+1)), "each answer read no further than the limit")
	})
	t.Run("a page of the limit", func(t *testing.T) {
		f := &fakeWiz{answers: []func(http.ResponseWriter){sized(limit)}}
		c, _ := newTestClient(t, f, nil, limited)
		page, err := c.FetchPage(context.Background(), auditReq)
		require.NoError(t, err)
		assert.Len(t, page.Nodes, 1)
	})
	t.Run("a page a byte past the limit", func(t *testing.T) {
		f := &fakeWiz{answers: []func(http.ResponseWriter){sized(limit + 1)}}
		c, _ := newTestClient(t, f, nil, limited)
		_, err := c.FetchPage(context.Background(), auditReq)
		var tooLarge *ResponseTooLargeError
		require.ErrorAs(t, err, &tooLarge)
	})
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
	t.Run("a megabyte of digits", func(t *testing.T) {
		// Still a number past max_interval, and still text a server
		// chose: what reaches the caller, its logs and health is capped.
		retries, _ := throttledOnce(t, strings.Repeat("9", 1<<20), 5*time.Minute)
		require.Len(t, retries, 1)
		assert.Equal(t, 30*time.Second, retries[0].Wait)
		assert.Less(t, len(retries[0].RetryAfterCapped), 2*maxUpstreamText)
		assert.Less(t, len(retries[0].Err.Error()), 3*maxUpstreamText)
		assert.Contains(t, retries[0].RetryAfterCapped, "bytes cut]")
	})
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

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

const secret = "s3cr3t-value-do-not-print"

// newClient is a client of the fake Wiz over transport (the default one
// when nil), with limiter's pacing (a fast one of its own when nil).
func newClient(fake *wiztest.FakeWiz, transport http.RoundTripper, limiter *wiz.Limiter, configure ...func(*wiz.Config)) *wiz.Client {
	cfg := testClientConfig(fake.URL)
	for _, fn := range configure {
		fn(&cfg)
	}
	if limiter == nil {
		limiter = wiz.NewLimiter(1000)
	}
	return wiz.NewClient(cfg, &http.Client{Transport: transport}, limiter)
}

// testClientConfig is the client's config for the Wiz at base
// (/oauth/token, /graphql), retrying for at most 2 s.
func testClientConfig(base string) wiz.Config {
	backOff := configretry.NewDefaultBackOffConfig()
	backOff.InitialInterval = time.Millisecond
	backOff.MaxInterval = 5 * time.Millisecond
	backOff.MaxElapsedTime = 2 * time.Second
	return wiz.Config{
		Endpoint: base + "/graphql", TokenURL: base + "/oauth/token", Audience: wiz.AudienceCognito,
		ClientID: "id", ClientSecret: secret, BackOff: backOff, AuthFailureCooldown: time.Minute,
		UserAgent: "otelcol-wiz/1.2.3", MaxResponseSize: 16 << 20,
	}
}

// withoutRetries turns the client's retries off.
func withoutRetries(cfg *wiz.Config) { cfg.BackOff.Enabled = false }

// auditReq asks for one audit log entry: the client serves any paged query,
// so its tests bring a small one of their own.
var auditReq = wiz.Request{Operation: "AuditLogTable", ResponseKey: "auditLogEntries", Variables: map[string]any{"first": 1},
	Query: `query AuditLogTable($first: Int) { auditLogEntries(first: $first) { nodes { id timestamp } pageInfo { hasNextPage endCursor } } }`}

// status answers with code and an errors body without a code, with the
// header pairs given.
func status(code int, header ...string) http.HandlerFunc {
	return wiztest.JSONReply(code, `{"errors":[{"message":"nope"}]}`, header...)
}

func gqlError(status int, code, msg string) http.HandlerFunc {
	return wiztest.JSONReply(status, fmt.Sprintf(`{"data":null,"errors":[{"message":%q,"extensions":{"code":%q}}]}`, msg, code))
}

// gqlErrorAt is a GraphQL error located in the query, as validation errors
// are.
func gqlErrorAt(status int, code, msg string, line, column int) http.HandlerFunc {
	return wiztest.JSONReply(status, fmt.Sprintf(`{"errors":[{"message":%q,"locations":[{"line":%d,"column":%d}],"extensions":{"code":%q}}]}`, msg, line, column, code))
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

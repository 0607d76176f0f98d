// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	graphql "github.com/hasura/go-graphql-client"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/backoff"
)

// Config is what the client needs; the receiver maps its own config onto it.
type Config struct {
	Endpoint     string // the GraphQL URL
	TokenURL     string
	Audience     string
	ClientID     string
	ClientSecret string
	// BackOff governs retries of transient failures (429, 5xx, resets,
	// truncated bodies, GraphQL errors Wiz marks as internal).
	BackOff configretry.BackOffConfig
	// AuthFailureCooldown is how long a failure that needs a human (refused
	// credentials, a redirect, a certificate that does not verify) is
	// remembered before Wiz is asked again.
	AuthFailureCooldown time.Duration
	// MaxResponseSize bounds an API answer, in bytes: past it the request
	// fails with a ResponseTooLargeError, and the rest is never read. 0
	// sets no bound.
	MaxResponseSize int64
	// Observer receives self-telemetry; nil discards it.
	Observer Observer
	// UserAgent names this integration to Wiz on token and API requests,
	// e.g. otelcol-wiz/0.1.0; a User-Agent among the configured headers
	// wins.
	UserAgent string
	// HostClock is the clock Wiz's is measured against (see Now); nil is
	// time.Now. Retries and pauses keep time.Now.
	HostClock func() time.Time
}

// Client runs paged GraphQL queries against one Wiz tenant.
type Client struct {
	cfg      Config
	gql      *graphql.Client
	tokens   *tokenCache
	limiter  *Limiter
	refused  *cooldown
	observer Observer
	now      func() time.Time
	clock    *wizClock
}

// NewClient builds a client on httpClient, which carries the user's proxy,
// TLS, timeout and header settings for both the token and the API calls.
// The client follows no redirect.
func NewClient(cfg Config, httpClient *http.Client, limiter *Limiter) *Client {
	observer := cfg.Observer
	if observer == nil {
		observer = nopObserver{}
	}
	httpClient = refuseRedirects(httpClient)
	if cfg.UserAgent != "" {
		httpClient = withUserAgent(httpClient, cfg.UserAgent)
	}
	// The token endpoint's answers are bounded by the oauth2 package.
	apiClient := httpClient
	if cfg.MaxResponseSize > 0 {
		apiClient = withResponseLimit(httpClient, cfg.MaxResponseSize)
	}
	refused := &cooldown{period: cfg.AuthFailureCooldown}
	hostClock := cfg.HostClock
	if hostClock == nil {
		hostClock = time.Now
	}
	return &Client{
		observer: observer,
		cfg:      cfg,
		// The library's own retry is left off: it sleeps without watching
		// the context. Retries happen in FetchPage instead.
		gql:     graphql.NewClient(cfg.Endpoint, apiClient),
		tokens:  newTokenCache(cfg, httpClient, refused),
		limiter: limiter,
		refused: refused,
		now:     time.Now,
		clock:   &wizClock{host: hostClock},
	}
}

// Now is the latest Wiz's clock reads now, by the Date header of its latest
// answer: at most a second and a request's duration past it. known is
// false until an answer with a believable Date (within a day of the host's
// clock) arrived.
func (c *Client) Now() (now time.Time, known bool) {
	return c.clock.now()
}

// Request is one page request of a connection query.
type Request struct {
	// Operation names the query in telemetry, e.g. AuditLogTable.
	Operation string
	Query     string
	// ResponseKey is the key of the connection in the response's data: the
	// root field, or its alias.
	ResponseKey string
	Variables   map[string]any
	// Retrying, when set, is told of each failed attempt FetchPage retries
	// after a wait, before the wait: a caller can show the failure before
	// the retries are spent.
	Retrying func(Retry)
}

// Retry is a failed attempt that FetchPage retries.
type Retry struct {
	Err  error
	Wait time.Duration
	// RetryAfterCapped is the Retry-After Wiz sent when it asked for longer
	// than max_interval, which Wait is instead; "" otherwise.
	RetryAfterCapped string
}

// Page is one page of a connection. Nodes stay raw JSON: decoding them is
// the mapping's job.
type Page struct {
	Nodes       []json.RawMessage
	HasNextPage bool
	EndCursor   string
	// MaxCountReached is the connection's maxCountReached, Wiz's word that
	// the walk reached its result cap; nil where the query does not select
	// it.
	MaxCountReached *bool
}

// FetchPage sends req, retrying transient failures with back-off until the
// retry_on_failure budget is spent. Permanent failures return at once as an
// AuthError, RedirectError, CertificateError, AccessDeniedError,
// IPRefusedError, QueryError or ResponseTooLargeError.
func (c *Client) FetchPage(ctx context.Context, req Request) (Page, error) {
	bo := backoff.New(c.cfg.BackOff, c.now)
	refreshed := false
	for attempt := 1; ; attempt++ {
		page, err := c.fetchOnce(ctx, req, &refreshed)
		if err == nil {
			return page, nil
		}
		if ctx.Err() != nil {
			return Page{}, ctx.Err()
		}
		var retryable *retryableError
		if !errors.As(err, &retryable) {
			return Page{}, err
		}
		if retryable.immediate {
			c.observer.Retried(req.Operation, retryable.reason)
			continue
		}
		wait, ok := bo.Next(retryable.retryAfter)
		if !ok {
			return Page{}, &RetriesExhaustedError{Attempts: attempt, Last: retryable.err}
		}
		c.observer.Retried(req.Operation, retryable.reason)
		if req.Retrying != nil {
			req.Retrying(Retry{Err: retryable.err, Wait: wait, RetryAfterCapped: retryable.retryAfterCapped})
		}
		if retryable.throttled {
			// Every stream of this receiver waits, not just this one.
			c.limiter.PauseUntil(c.now().Add(wait))
			continue
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return Page{}, err
		}
	}
}

// fetchOnce makes one attempt at req, unless a failure that needs a human
// is in its cool-down.
func (c *Client) fetchOnce(ctx context.Context, req Request, refreshed *bool) (Page, error) {
	if err := c.refused.active(c.now()); err != nil {
		return Page{}, err
	}
	page, err := c.send(ctx, req, refreshed)
	c.refused.hold(err, c.now())
	return page, err
}

func (c *Client) send(ctx context.Context, req Request, refreshed *bool) (Page, error) {
	waited, err := c.limiter.Wait(ctx)
	c.observer.RateLimiterWaited(waited)
	if err != nil {
		return Page{}, err
	}
	token, redact, err := c.tokens.get(ctx)
	if err != nil {
		return Page{}, err
	}
	header := http.Header{}
	gql := c.gql.WithRequestModifier(func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
	})
	ctx, limitHit := withLimitHit(ctx)
	start, sent := c.now(), c.clock.host()
	data, err := gql.ExecRaw(ctx, req.Query, req.Variables, graphql.BindResponseHeaders(&header))
	arrived := c.clock.host()
	c.observer.RequestDone(req.Operation, responseStatus(err), c.now().Sub(start))
	if err != nil {
		if limit := limitHit.Load(); limit > 0 && responseStatus(err) < 300 {
			// A 2xx page past max_response_size. (An error status's
			// body is cut off too, but the library then keeps only the
			// status, which classify reads.)
			return Page{}, &ResponseTooLargeError{Operation: req.Operation, Limit: limit, First: req.Variables["first"]}
		}
		err = redact.err(c.classify(req.Operation, err, header, redact))
		var retryable *retryableError
		if errors.As(err, &retryable) && retryable.throttled {
			c.observer.Throttled(req.Operation)
		}
		if errors.Is(err, errUnauthenticated) {
			if *refreshed {
				return Page{}, &AuthError{TokenURL: c.cfg.TokenURL, StatusCode: http.StatusUnauthorized,
					Description: "the API at " + c.cfg.Endpoint + " refused a freshly issued token; the endpoint and token_url may belong to different tenants"}
			}
			// The token expired or was revoked early: refresh once and retry.
			*refreshed = true
			c.tokens.invalidate(token)
			return Page{}, &retryableError{err: err, immediate: true, reason: "token_refresh"}
		}
		return Page{}, err
	}
	// Only an answer that served data is surely Wiz's own.
	if skew, ok := c.clock.observe(header, sent, arrived); ok {
		c.observer.ClockSkew(skew)
	}
	return decodePage(data, req.ResponseKey)
}

var errUnauthenticated = errors.New("wiz API answered 401 Unauthorized")

// classify sorts a go-graphql-client error of the operation's request into
// retryable, unauthenticated or one of the permanent error types. The
// server's texts it quotes are redacted, then capped: a cut made first could
// leave the head of a credential that the redactor no longer recognises.
func (c *Client) classify(operation string, err error, header http.Header, redact redactor) error {
	var gerrs graphql.Errors
	if !errors.As(err, &gerrs) || len(gerrs) == 0 {
		return &retryableError{err: err, reason: "transport"}
	}
	inner := gerrs[0].Unwrap()
	if inner == nil {
		// A 200 whose body holds errors.
		first, code := capped(gerrs[0], redact)
		if classified := c.classifyGraphQL(operation, first, code, header); classified != nil {
			return classified
		}
		// INTERNAL and unknown codes: Wiz's own failures, worth a retry.
		return &retryableError{err: fmt.Errorf("wiz GraphQL error (%s): %s", code, first.Message), reason: "graphql_error"}
	}
	if refused := refusal(inner, "endpoint", c.cfg.Endpoint); refused != nil {
		return refused
	}
	var netErr graphql.NetworkError
	if !errors.As(inner, &netErr) {
		// Transport failures (resets, timeouts) and truncated bodies.
		return &retryableError{err: fmt.Errorf("wiz request failed: %w", inner), reason: "transport"}
	}
	// Any other status may carry errors too: GraphQL-over-HTTP servers
	// (Apollo Server 4 among them) answer a query they refuse to run with
	// 400, and gateways put errors on 401, 403, 429 and 5xx. The body
	// decides where it can, the status where it cannot.
	var body struct {
		Errors graphql.Errors `json:"errors"`
	}
	if json.Unmarshal([]byte(netErr.Body()), &body) != nil || len(body.Errors) == 0 {
		return c.classifyStatus(operation, netErr.StatusCode(), header, nil, "")
	}
	first, code := capped(body.Errors[0], redact)
	classified := c.classifyGraphQL(operation, first, code, header)
	var denied *AccessDeniedError
	if errors.As(classified, &denied) && netErr.StatusCode() == http.StatusUnauthorized {
		// "Unauthorized" on a 401 is about the token, not a scope: a
		// refresh is worth one try before the stream stops.
		return errUnauthenticated
	}
	if classified != nil {
		return classified
	}
	return c.classifyStatus(operation, netErr.StatusCode(), header, &first, code)
}

// capped is e with its message, and its extensions.code, redacted and cut
// to maxUpstreamText: every error below quotes them, and goes on to logs
// and health.
func capped(e graphql.Error, redact redactor) (graphql.Error, string) {
	code, _ := e.Extensions["code"].(string)
	e.Message = truncateUpstream(redact.text(e.Message))
	return e, truncateUpstream(redact.text(code))
}

// classifyGraphQL sorts a GraphQL error by its code, and its message where
// that is Wiz's known wording. It returns nil for a code it does not know
// (INTERNAL among them), which the caller sorts by the HTTP status.
func (c *Client) classifyGraphQL(operation string, first graphql.Error, code string, header http.Header) error {
	msg := first.Message
	switch {
	case code == "UNAUTHENTICATED" || code == "TOKEN_EXPIRED":
		return errUnauthenticated
	case code == "RATE_LIMIT_EXCEEDED":
		return c.throttled(errors.New("wiz rate limit exceeded"), header)
	case code == "FORBIDDEN_IP":
		return &IPRefusedError{Message: msg}
	case code == "UNAUTHORIZED" || code == "FORBIDDEN" || strings.Contains(strings.ToLower(msg), "access denied"):
		return &AccessDeniedError{Message: msg}
	case code == "GRAPHQL_VALIDATION_FAILED" || code == "GRAPHQL_PARSE_FAILED" || code == "BAD_USER_INPUT" || code == "NOT_FOUND":
		return queryError(operation, code, first)
	default:
		return nil
	}
}

// classifyStatus sorts a non-2xx answer by its status. first, when set, is
// the first error of its body, whose code classifyGraphQL did not know.
func (c *Client) classifyStatus(operation string, status int, header http.Header, first *graphql.Error, code string) error {
	detail := ""
	switch {
	case first != nil && code != "":
		detail = " (" + code + ": " + first.Message + ")"
	case first != nil:
		detail = " (" + first.Message + ")"
	}
	switch {
	case status == http.StatusTooManyRequests:
		return c.throttled(errors.New("wiz answered 429 Too Many Requests"+detail), header)
	case status == http.StatusUnauthorized:
		return errUnauthenticated
	case status == http.StatusForbidden:
		return &AccessDeniedError{Message: "HTTP 403 Forbidden" + detail}
	case status == http.StatusNotFound:
		return &QueryError{Message: "HTTP 404 from " + c.cfg.Endpoint + detail + "; check endpoint (your tenant's API endpoint URL, e.g. https://api.us1.app.wiz.io/graphql)"}
	case status >= 500:
		return &retryableError{err: fmt.Errorf("wiz answered HTTP %d%s", status, detail), reason: "server_error"}
	case first != nil:
		// A 400 (or another 4xx) that says why: the query, for the reason
		// its message gives, with the field or filter key it names.
		return queryError(operation, code, *first)
	default:
		return &QueryError{Message: fmt.Sprintf("HTTP %d from %s", status, c.cfg.Endpoint)}
	}
}

// throttled is Wiz's refusal err for its rate limit: every request waits
// for its Retry-After, but no longer than max_interval. A Retry-After of
// years would otherwise stall every stream with no request to show it.
func (c *Client) throttled(err error, header http.Header) *retryableError {
	wait := parseRetryAfter(header, c.now())
	if limit := c.cfg.BackOff.MaxInterval; wait > limit {
		// It parsed, so it is digits or an HTTP date: no credential a cut
		// could split, and digits can run to the HTTP client's 10 MB of
		// headers.
		sent := truncateUpstream(header.Get("Retry-After"))
		return &retryableError{
			err:              fmt.Errorf("%w with Retry-After: %s; waiting retry_on_failure.max_interval (%s) instead", err, sent, limit),
			retryAfter:       limit,
			retryAfterCapped: sent,
			throttled:        true,
			reason:           "throttled",
		}
	}
	return &retryableError{err: err, throttled: true, retryAfter: wait, reason: "throttled"}
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date; seconds
// past what a time.Duration holds read as the longest one. Zero means
// absent or unusable, and the caller falls back to its back-off.
func parseRetryAfter(header http.Header, now time.Time) time.Duration {
	v := header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if secs > uint64(math.MaxInt64/time.Second) {
			return math.MaxInt64
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// responseStatus is the HTTP status behind a go-graphql-client result: 200
// for success and GraphQL errors, the code of an HTTP error, 0 when no
// response arrived.
func responseStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var gerrs graphql.Errors
	if !errors.As(err, &gerrs) || len(gerrs) == 0 {
		return 0
	}
	inner := gerrs[0].Unwrap()
	if inner == nil {
		return http.StatusOK
	}
	var netErr graphql.NetworkError
	if errors.As(inner, &netErr) {
		return netErr.StatusCode()
	}
	if code, _ := gerrs[0].Extensions["code"].(string); code == graphql.ErrJsonDecode {
		return http.StatusOK
	}
	return 0
}

package wiz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	graphql "github.com/hasura/go-graphql-client"
	"go.opentelemetry.io/collector/config/configretry"
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
	// AuthFailureCooldown is how long a refused token request is remembered
	// before the token endpoint is asked again.
	AuthFailureCooldown time.Duration
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
	observer Observer
	now      func() time.Time
	clock    *wizClock
}

// NewClient builds a client on httpClient, which carries the user's proxy,
// TLS, timeout and header settings for both the token and the API calls.
func NewClient(cfg Config, httpClient *http.Client, limiter *Limiter) *Client {
	observer := cfg.Observer
	if observer == nil {
		observer = nopObserver{}
	}
	if cfg.UserAgent != "" {
		httpClient = withUserAgent(httpClient, cfg.UserAgent)
	}
	hostClock := cfg.HostClock
	if hostClock == nil {
		hostClock = time.Now
	}
	return &Client{
		observer: observer,
		cfg:      cfg,
		// The library's own retry is left off: it sleeps without watching
		// the context. Retries happen in FetchPage instead.
		gql:     graphql.NewClient(cfg.Endpoint, httpClient),
		tokens:  newTokenCache(cfg, httpClient),
		limiter: limiter,
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
// AuthError, AccessDeniedError or QueryError.
func (c *Client) FetchPage(ctx context.Context, req Request) (Page, error) {
	bo := NewBackOff(c.cfg.BackOff, c.now)
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
		if retryable.throttled {
			// Every stream of this receiver waits, not just this one.
			c.limiter.PauseUntil(c.now().Add(wait))
			continue
		}
		if err := Sleep(ctx, wait); err != nil {
			return Page{}, err
		}
	}
}

func (c *Client) fetchOnce(ctx context.Context, req Request, refreshed *bool) (Page, error) {
	waited, err := c.limiter.Wait(ctx)
	c.observer.RateLimiterWaited(waited)
	if err != nil {
		return Page{}, err
	}
	token, err := c.tokens.get(ctx)
	if err != nil {
		return Page{}, err
	}
	header := http.Header{}
	gql := c.gql.WithRequestModifier(func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
	})
	start, sent := c.now(), c.clock.host()
	data, err := gql.ExecRaw(ctx, req.Query, req.Variables, graphql.BindResponseHeaders(&header))
	arrived := c.clock.host()
	c.observer.RequestDone(req.Operation, responseStatus(err), c.now().Sub(start))
	if err != nil {
		err = c.classify(req.Operation, err, header)
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
// retryable, unauthenticated or one of the permanent error types.
func (c *Client) classify(operation string, err error, header http.Header) error {
	var gerrs graphql.Errors
	if !errors.As(err, &gerrs) || len(gerrs) == 0 {
		return &retryableError{err: err, reason: "transport"}
	}
	first := gerrs[0]
	var netErr graphql.NetworkError
	if inner := first.Unwrap(); inner != nil {
		if !errors.As(inner, &netErr) {
			// Transport failures (resets, timeouts) and truncated bodies.
			return &retryableError{err: fmt.Errorf("wiz request failed: %w", inner), reason: "transport"}
		}
		return c.classifyStatus(netErr.StatusCode(), header)
	}
	code, _ := first.Extensions["code"].(string)
	msg := first.Message
	switch {
	case code == "UNAUTHENTICATED" || code == "TOKEN_EXPIRED":
		return errUnauthenticated
	case code == "RATE_LIMIT_EXCEEDED":
		return &retryableError{err: errors.New("wiz rate limit exceeded"), throttled: true, retryAfter: parseRetryAfter(header, c.now()), reason: "throttled"}
	case code == "FORBIDDEN_IP":
		return &IPRefusedError{Message: msg}
	case code == "UNAUTHORIZED" || code == "FORBIDDEN" || strings.Contains(strings.ToLower(msg), "access denied"):
		return &AccessDeniedError{Message: msg}
	case code == "GRAPHQL_VALIDATION_FAILED" || code == "GRAPHQL_PARSE_FAILED" || code == "BAD_USER_INPUT" || code == "NOT_FOUND":
		return queryError(operation, code, first)
	default:
		// INTERNAL and unknown codes: Wiz's own failures, worth a retry.
		return &retryableError{err: fmt.Errorf("wiz GraphQL error (%s): %s", code, msg), reason: "graphql_error"}
	}
}

func (c *Client) classifyStatus(status int, header http.Header) error {
	switch {
	case status == http.StatusTooManyRequests:
		return &retryableError{err: errors.New("wiz answered 429 Too Many Requests"), throttled: true, retryAfter: parseRetryAfter(header, c.now()), reason: "throttled"}
	case status == http.StatusUnauthorized:
		return errUnauthenticated
	case status == http.StatusForbidden:
		return &AccessDeniedError{Message: "HTTP 403 Forbidden"}
	case status == http.StatusNotFound:
		return &QueryError{Message: "HTTP 404 from " + c.cfg.Endpoint + "; check endpoint (your tenant's API endpoint URL, e.g. https://api.us1.app.wiz.io/graphql)"}
	case status >= 500:
		return &retryableError{err: fmt.Errorf("wiz answered HTTP %d", status), reason: "server_error"}
	default:
		return &QueryError{Message: fmt.Sprintf("HTTP %d from %s", status, c.cfg.Endpoint)}
	}
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date. Zero means
// absent or unusable, and the caller falls back to its back-off.
func parseRetryAfter(header http.Header, now time.Time) time.Duration {
	v := header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs > 0 {
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

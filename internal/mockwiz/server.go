// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package mockwiz is a mock of the Wiz API for tests and demos: an OAuth2
// client-credentials token endpoint and a GraphQL endpoint that validates
// queries against a Wiz-like schema and serves generated nodes of every data
// set the receiver polls (audit log entries, issues, vulnerability findings,
// cloud configuration findings and Wiz Defend detections) with Wiz's paging,
// filters, scopes, result caps, limits and failure modes. It also renders
// the payloads Wiz's webhook pushes: issues, threats and detections.
package mockwiz

import (
	crand "crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"flag"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/time/rate"
)

// Client is a service account allowed to get tokens.
type Client struct {
	ID, Secret string
	// Scopes are Wiz permissions such as admin:audit (see AllScopes).
	Scopes []string
	// ProjectIDs makes the service account project-scoped: it sees only
	// the issues, findings and detections of these projects, and no audit
	// log.
	ProjectIDs []string
}

// Options configures a Server. Zero values select the defaults.
type Options struct {
	// Clients defaults to "mock-client-id"/"mock-client-secret" with
	// AllScopes.
	Clients []Client
	// TokenLifetime defaults to one hour.
	TokenLifetime time.Duration
	// MaxPageSize is the largest accepted first (default 500).
	MaxPageSize int
	// AuditResultCap is how many audit entries one page walk can return in
	// total (default 10000).
	AuditResultCap int
	// ConfigurationFindingResultCap is the same for configuration findings
	// (default 10000).
	ConfigurationFindingResultCap int
	// OldestFirst serves every collection oldest first instead of newest
	// first, as Wiz does: a change of order a client must survive.
	OldestFirst bool
	// RateLimit is the allowed /graphql requests per second per client;
	// 0 disables rate limiting.
	RateLimit float64
	// Dataset defaults to each collection's default count of nodes (200
	// audit entries, 120 issues, 300 findings …) over the last 48 hours.
	Dataset *Dataset
	// RequestErrorStatus is the HTTP status of the answer to a query the
	// server refuses to run: one that does not parse, fails validation or
	// whose variables do not fit. The default, 400, is what
	// GraphQL-over-HTTP servers and Apollo Server 4 answer, with errors
	// and no data; 200 answers as older servers do, with data null.
	RequestErrorStatus int
	// Now is the server clock (default time.Now); tokens expire, hidden
	// nodes appear and every answer's Date header is stamped by it, so a
	// server on a clock of its own shows a client its skew.
	Now func() time.Time
}

// Server is the mock Wiz API. All its methods are safe for concurrent use.
type Server struct {
	opts Options
	// schema is the shared schema until RemoveSchemaField changes this
	// server's own copy.
	schema *ast.Schema

	mu    sync.Mutex
	nodes map[string][]map[string]any // by log-type name
	// sorted holds each log type's nodes in result order. Nodes are only
	// ever appended and their sort fields never change, so a cache of the
	// same length is current.
	sorted   map[string][]row
	hidden   map[string]time.Time
	live     *generator
	tokens   map[string]session
	limiters map[string]*rate.Limiter
	// queued holds injected faults by endpoint; faultRate and faultRNG
	// draw random ones.
	queued    [2][]Fault
	faultRate float64
	faultRNG  *rand.Rand
	stats     Stats
	recent    []time.Time // /graphql arrivals in the last second
	requests  []RecordedRequest
}

type session struct {
	client  *Client
	expires time.Time
}

// Stats counts what the server has seen.
type Stats struct {
	TokenRequests   int
	GraphQLRequests int
	// ByRootField counts /graphql requests by the root field they query.
	ByRootField map[string]int
	// ByStatus counts /graphql responses by HTTP status.
	ByStatus map[int]int
	// FaultsServed counts injected and random faults, on both endpoints.
	FaultsServed int
	// UserAgents counts requests to both endpoints by User-Agent.
	UserAgents map[string]int
	// MaxObservedRate is the most /graphql requests seen in any one-second
	// window.
	MaxObservedRate int
}

// RecordedRequest is one /graphql request as received.
type RecordedRequest struct {
	Time     time.Time
	ClientID string
	// OperationName is the operation run: operationName or, without it, the
	// name in the query text.
	OperationName string
	// RootField is the first root field queried (not its alias).
	RootField string
	Variables map[string]any
	// Status is the HTTP status answered; 0 if the client went away first.
	Status int
}

// New creates a server.
func New(o Options) *Server {
	if o.Clients == nil {
		o.Clients = []Client{{
			ID: "mock-client-id", Secret: "mock-client-secret", Scopes: AllScopes(),
		}}
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = 500
	}
	if o.AuditResultCap <= 0 {
		o.AuditResultCap = 10000
	}
	if o.ConfigurationFindingResultCap <= 0 {
		o.ConfigurationFindingResultCap = 10000
	}
	if o.RequestErrorStatus == 0 {
		o.RequestErrorStatus = http.StatusBadRequest
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dataset == nil {
		now := o.Now()
		o.Dataset = GenerateDataset(DatasetOptions{Start: now.Add(-48 * time.Hour), End: now, Counts: DefaultCounts()})
	}
	s := &Server{
		opts:     o,
		schema:   schema,
		nodes:    map[string][]map[string]any{},
		sorted:   map[string][]row{},
		hidden:   map[string]time.Time{},
		live:     newGenerator(o.Dataset.seed, streamLive),
		tokens:   map[string]session{},
		limiters: map[string]*rate.Limiter{},
		stats:    Stats{ByRootField: map[string]int{}, ByStatus: map[int]int{}, UserAgents: map[string]int{}},
	}
	// The server changes its nodes, so it must not share them with the
	// dataset, which may seed other servers.
	for logType, nodes := range o.Dataset.nodes {
		for _, n := range nodes {
			s.nodes[logType] = append(s.nodes[logType], deepCopy(n))
		}
	}
	return s
}

// NewTestServer starts a server on a local port for the duration of a test.
func NewTestServer(t testing.TB, o Options) (*Server, *httptest.Server) {
	s := New(o)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return s, hs
}

// Handler routes /oauth/token and /graphql.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", s.serveToken)
	mux.HandleFunc("POST /graphql", s.serveGraphQL)
	return mux
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByRootField = maps.Clone(st.ByRootField)
	st.ByStatus = maps.Clone(st.ByStatus)
	st.UserAgents = maps.Clone(st.UserAgents)
	return st
}

// Requests returns every /graphql request so far, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// serveToken is the client-credentials grant. Errors never echo the
// submitted secret.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	stampDate(w, s.opts.Now())
	s.mu.Lock()
	s.stats.TokenRequests++
	s.stats.UserAgents[r.UserAgent()]++
	s.mu.Unlock()
	f := s.nextFault(tokenEndpoint)
	if !wait(r, f) {
		return
	}
	var rp reply
	switch {
	case f.Status == http.StatusBadGateway || f.Status == http.StatusServiceUnavailable || f.Status == http.StatusGatewayTimeout:
		rp = gatewayPage(f.Status)
	case f.Status == http.StatusUnauthorized:
		rp = jsonReply(f.Status, oauthError{"access_denied", "Unauthorized"})
	case f.Status != 0:
		rp = jsonReply(f.Status, oauthError{"server_error", http.StatusText(f.Status)})
	default:
		rp = jsonReply(s.issueToken(r))
	}
	if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
		rp.retryAfter = f.RetryAfter
	}
	rp.write(w, f.DropMidBody)
}

func (s *Server) issueToken(r *http.Request) (int, any) {
	if err := r.ParseForm(); err != nil {
		return http.StatusBadRequest, oauthError{"invalid_request", "malformed form body"}
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		return http.StatusBadRequest, oauthError{"unsupported_grant_type", "grant_type must be client_credentials"}
	}
	// Audience may come in the body or, as Microsoft Sentinel sends it, in
	// the query string; r.Form holds both.
	if r.Form.Get("audience") != "wiz-api" {
		return http.StatusBadRequest, oauthError{"invalid_request", "audience must be wiz-api"}
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	i := slices.IndexFunc(s.opts.Clients, func(c Client) bool { return c.ID == id })
	if i < 0 || subtle.ConstantTimeCompare([]byte(s.opts.Clients[i].Secret), []byte(secret)) != 1 {
		return http.StatusUnauthorized, oauthError{"access_denied", "Unauthorized"}
	}
	token := randomToken()
	s.mu.Lock()
	s.tokens[token] = session{client: &s.opts.Clients[i], expires: s.opts.Now().Add(s.opts.TokenLifetime)}
	s.mu.Unlock()
	return http.StatusOK, tokenResponse{
		AccessToken:  token,
		TokenType:    "Bearer",
		ExpiresIn:    int(s.opts.TokenLifetime / time.Second),
		RefreshToken: randomToken(),
	}
}

// stampDate sets the answer's Date header by the server clock, as a server
// does by its own; net/http would stamp the host's clock instead.
func stampDate(w http.ResponseWriter, now time.Time) {
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
}

// authenticate returns the client of a valid bearer token, or nil.
func (s *Server) authenticate(r *http.Request, now time.Time) *Client {
	auth := r.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "bearer ") {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.tokens[auth[7:]]
	if !ok {
		return nil
	}
	if !now.Before(sess.expires) {
		delete(s.tokens, auth[7:])
		return nil
	}
	return sess.client
}

// allow takes one request from the client's token bucket.
func (s *Server) allow(c *Client, now time.Time) bool {
	if s.opts.RateLimit <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.limiters[c.ID]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.opts.RateLimit), max(1, int(math.Ceil(s.opts.RateLimit))))
		s.limiters[c.ID] = l
	}
	return l.AllowN(now, 1)
}

// visible reports whether a node has been indexed by now; the caller holds
// s.mu.
func (s *Server) visible(n map[string]any, now time.Time) bool {
	at, hidden := s.hidden[n["id"].(string)]
	return !hidden || !now.Before(at)
}

// AddAuditEntries appends n new audit entries timestamped at (a microsecond
// apart) and returns their ids.
func (s *Server) AddAuditEntries(n int, at time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, n)
	for i := range n {
		e := s.live.auditEntry(at.Add(time.Duration(i) * time.Microsecond))
		s.nodes[auditCollection.logType] = append(s.nodes[auditCollection.logType], e)
		ids[i] = e["id"].(string)
	}
	return ids
}

// node returns the node with the id; the caller holds s.mu.
func (s *Server) node(logType, id string) map[string]any {
	i := slices.IndexFunc(s.nodes[logType], func(n map[string]any) bool { return n["id"] == id })
	if i < 0 {
		return nil
	}
	return s.nodes[logType][i]
}

// ChangeIssueStatus moves an issue to status at the given time. Unknown ids
// are ignored.
func (s *Server) ChangeIssueStatus(id, status string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(issueCollection.logType, id)
	if n == nil {
		return
	}
	ts := formatTime(at)
	n["status"], n["statusChangedAt"], n["updatedAt"] = status, ts, ts
	n["resolvedAt"], n["resolutionReason"] = nil, nil
	switch status {
	case "RESOLVED":
		n["resolvedAt"], n["resolutionReason"] = ts, "ISSUE_FIXED"
	case "REJECTED":
		n["resolutionReason"] = "WONT_FIX"
	}
}

// RedetectVulnerabilityFinding records a new detection of a vulnerability
// finding at the given time; a resolved finding is reopened, as a scan that
// sees it again does. Unknown ids are ignored.
func (s *Server) RedetectVulnerabilityFinding(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(findingCollection.logType, id)
	if n == nil {
		return
	}
	ts := formatTime(at)
	// A re-detection moves lastDetectedAt; only the reopening of a
	// resolved finding, a status change, moves updatedAt too (Wiz's
	// vulnerability findings tutorial).
	n["lastDetectedAt"] = ts
	if n["status"] == "RESOLVED" {
		n["status"], n["resolvedAt"], n["resolutionReason"], n["updatedAt"] = "OPEN", nil, nil, ts
	}
}

// HideUntil simulates late indexing: the node with the id (of any type) is
// left out of query results until the server clock reaches visibleAt.
func (s *Server) HideUntil(id string, visibleAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hidden[id] = visibleAt
}

// Snapshot returns copies of all current nodes, hidden ones included, by
// log-type name.
func (s *Server) Snapshot() map[string][]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]map[string]any, len(s.nodes))
	for logType, nodes := range s.nodes {
		copies := make([]map[string]any, len(nodes))
		for i, n := range nodes {
			copies[i] = deepCopy(n)
		}
		out[logType] = copies
	}
	return out
}

// DefaultCounts is each collection's default number of nodes, by log-type
// name.
func DefaultCounts() map[string]int {
	counts := map[string]int{}
	for _, c := range served {
		counts[c.logType] = c.defaultCount
	}
	return counts
}

// CountFlags defines a flag per collection on fs, such as -audit, for the
// number of its nodes to generate. The returned func reads them, by
// log-type name, once fs is parsed.
func CountFlags(fs *flag.FlagSet) func() map[string]int {
	flags := map[string]*int{}
	for _, c := range served {
		flags[c.logType] = fs.Int(c.flag, c.defaultCount, "number of "+c.logType+" nodes")
	}
	return func() map[string]int {
		counts := map[string]int{}
		for logType, n := range flags {
			counts[logType] = *n
		}
		return counts
	}
}

// AllScopes is every scope the mock's collections need.
func AllScopes() []string {
	scopes := make([]string, len(served))
	for i, c := range served {
		scopes[i] = c.scope
	}
	return scopes
}

// RemoveSchemaField removes a field from an object or input type of this
// server's schema, as Wiz does when it retires a deprecated field: queries
// that select it, and filters that send it, fail validation from then on.
func (s *Server) RemoveSchemaField(typeName, field string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.schema == schema {
		s.schema = loadSchema()
	}
	def := s.schema.Types[typeName]
	if def == nil {
		panic("mockwiz: no type " + typeName)
	}
	i := slices.IndexFunc(def.Fields, func(f *ast.FieldDefinition) bool { return f.Name == field })
	if i < 0 {
		panic("mockwiz: no field " + typeName + "." + field)
	}
	def.Fields = slices.Delete(def.Fields, i, i+1)
}

// currentSchema is the schema requests validate against now.
func (s *Server) currentSchema() *ast.Schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schema
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Fault is one injected failure. Fields combine: Latency delays whatever
// the request gets, DropMidBody truncates the real answer.
type Fault struct {
	// Status answers with this HTTP status (429, 500, 502, 503, 401, ...)
	// instead of the real response; 0 = none.
	Status int
	// RetryAfter is the Retry-After header value ("2" or an HTTP date) for
	// Status 429 or 503.
	RetryAfter string
	// GraphQLCode answers HTTP 200 with data null and one error carrying this
	// extensions.code (e.g. INTERNAL, UNAUTHORIZED). /graphql only.
	GraphQLCode string
	// DropMidBody computes the real response, writes about half of it and
	// closes the connection.
	DropMidBody bool
	// Latency delays the answer; a client that gives up first gets nothing.
	Latency time.Duration
	// RepeatCursor answers the real page but claims another page follows
	// and gives the request's own cursor as endCursor, as a paging bug
	// would: a client that trusts it loops forever. /graphql only.
	RepeatCursor bool
}

type endpoint int

const (
	graphqlEndpoint endpoint = iota
	tokenEndpoint
)

// randomFaults are what SetFaultRate draws from.
var randomFaults = []Fault{
	{Status: http.StatusTooManyRequests, RetryAfter: "1"},
	{Status: http.StatusInternalServerError},
	{Status: http.StatusBadGateway},
	{Status: http.StatusServiceUnavailable},
	{GraphQLCode: "INTERNAL"},
	{DropMidBody: true},
	{RepeatCursor: true},
}

// InjectGraphQLFaults queues faults; each applies to exactly one following
// /graphql request, in order.
func (s *Server) InjectGraphQLFaults(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[graphqlEndpoint] = append(s.queued[graphqlEndpoint], f...)
}

// InjectTokenFaults queues faults for /oauth/token requests, like
// InjectGraphQLFaults.
func (s *Server) InjectTokenFaults(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[tokenEndpoint] = append(s.queued[tokenEndpoint], f...)
}

// SetFaultRate makes a fraction p of /graphql requests without a queued
// fault fail with a random fault: 429 (Retry-After 1), 500, 502, 503, an
// INTERNAL GraphQL error or a dropped connection. The seed makes the
// sequence repeatable; p = 0 disables it.
func (s *Server) SetFaultRate(p float64, seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultRate = p
	s.faultRNG = rand.New(rand.NewPCG(uint64(seed), 0))
}

// nextFault takes the fault for the next request to e; the zero Fault means
// none.
func (s *Server) nextFault(e endpoint) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var f Fault
	switch {
	case len(s.queued[e]) > 0:
		f, s.queued[e] = s.queued[e][0], s.queued[e][1:]
	case e == graphqlEndpoint && s.faultRate > 0 && s.faultRNG.Float64() < s.faultRate:
		f = randomFaults[s.faultRNG.IntN(len(randomFaults))]
	default:
		return f
	}
	s.stats.FaultsServed++
	return f
}

// wait sleeps for the fault's latency; false if the client gave up first.
func wait(r *http.Request, f Fault) bool {
	if f.Latency <= 0 {
		return true
	}
	t := time.NewTimer(f.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// reply is a complete HTTP response, built before writing so that a fault
// can truncate it.
type reply struct {
	status      int
	contentType string
	retryAfter  string
	body        []byte
}

func (rp reply) write(w http.ResponseWriter, drop bool) {
	w.Header().Set("Content-Type", rp.contentType)
	if rp.retryAfter != "" {
		w.Header().Set("Retry-After", rp.retryAfter)
	}
	if !drop {
		w.WriteHeader(rp.status)
		_, _ = w.Write(rp.body)
		return
	}
	// Announce the full length so the client notices the truncation.
	w.Header().Set("Content-Length", strconv.Itoa(len(rp.body)))
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body[:len(rp.body)/2])
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	conn, _, err := rc.Hijack()
	if err != nil {
		// HTTP/2 cannot be hijacked; aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// gatewayPage is what a load balancer in front of the API answers with:
// HTML, not JSON.
func gatewayPage(status int) reply {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return reply{
		status:      status,
		contentType: "text/html",
		body:        []byte("<html><head><title>" + text + "</title></head><body><h1>" + text + "</h1></body></html>\n"),
	}
}

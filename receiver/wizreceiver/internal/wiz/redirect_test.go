package wiz

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hits counts the requests a server received, and whether any of them
// carried a credential.
type hits struct {
	mu sync.Mutex
	// requests and withCredential count by path; "" counts every path.
	requests, withCredential map[string]int
}

func (h *hits) record(r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.requests == nil {
		h.requests, h.withCredential = map[string]int{}, map[string]int{}
	}
	for _, path := range []string{r.URL.Path, ""} {
		h.requests[path]++
		if r.Header.Get("Authorization") != "" || strings.Contains(string(body), "client_secret") {
			h.withCredential[path]++
		}
	}
}

func (h *hits) count(path string) (requests, withCredential int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests[path], h.withCredential[path]
}

// A redirect from token_url or from the API endpoint is refused: its
// target receives no request at all, so neither the client secret nor the
// bearer token can follow it, whatever the status, host or scheme. The
// error names the Location and the setting to change, and is remembered
// for the cool-down like refused credentials, so polling does not loop.
func TestRedirectsAreRefused(t *testing.T) {
	for setting, redirected := range map[string]string{"token_url": "/oauth/token", "endpoint": "/graphql"} {
		for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			for _, target := range []string{"same host", "other https host", "plain http host"} {
				t.Run(fmt.Sprintf("%s %d to %s", setting, code, target), func(t *testing.T) {
					var source, elsewhere hits
					var location string
					wizSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						source.record(r)
						switch r.URL.Path {
						case redirected:
							w.Header().Set("Location", location)
							w.WriteHeader(code)
						case "/oauth/token":
							w.Header().Set("Content-Type", "application/json")
							_, _ = fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
						case "/graphql":
							w.Header().Set("Content-Type", "application/json")
							_, _ = fmt.Fprint(w, `{"data":{"auditLogEntries":{"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":""}}}}`)
						}
					}))
					t.Cleanup(wizSrv.Close)
					other := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.record(r) })
					switch target {
					case "same host":
						location = wizSrv.URL + "/moved" + redirected
					case "other https host":
						srv := httptest.NewTLSServer(other)
						t.Cleanup(srv.Close)
						location = srv.URL + redirected
					case "plain http host":
						srv := httptest.NewServer(other)
						t.Cleanup(srv.Close)
						location = srv.URL + redirected
					}

					// The httptest TLS servers share one certificate, which
					// this transport trusts.
					c := newClientAt(wizSrv.URL, wizSrv.Client().Transport)
					for attempt := range 3 {
						_, err := c.FetchPage(context.Background(), auditReq)
						var redirect *RedirectError
						assert.ErrorAs(t, err, &redirect, "attempt %d", attempt)
						assert.False(t, IsPermanent(err), "a redirect the server may drop again is retried after the cool-down")
						assert.Contains(t, err.Error(), location, "the error names the Location")
						assert.Contains(t, err.Error(), fmt.Sprintf("HTTP %d", code))
						assert.Contains(t, err.Error(), "set "+setting+" to the final URL")
					}
					for _, at := range []struct {
						hits *hits
						path string
					}{{&elsewhere, ""}, {&source, "/moved" + redirected}} {
						requests, withCredential := at.hits.count(at.path)
						assert.Zero(t, withCredential, "a credential followed the redirect")
						assert.Zero(t, requests, "the redirect's target received a request")
					}
					requests, _ := source.count(redirected)
					assert.Equal(t, 1, requests, "the redirect is remembered for the cool-down: no request loop")
				})
			}
		}
	}
}

// A redirect's Location is a server's text like any other: one that echoes
// the client secret, in a header of a megabyte, reaches the error redacted
// and capped, the secret whole nowhere, not even cut in two.
func TestRedirectLocationIsRedactedThenCapped(t *testing.T) {
	// The secret sits across the cut: capping first would leave its head.
	location := "https://elsewhere.example/" + strings.Repeat("x", maxUpstreamText-60) + "?client_secret=" + secret + strings.Repeat("y", 1<<20)
	wizSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", location)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	t.Cleanup(wizSrv.Close)
	c := newClientAt(wizSrv.URL, wizSrv.Client().Transport)
	_, err := c.FetchPage(context.Background(), auditReq)
	var redirect *RedirectError
	require.ErrorAs(t, err, &redirect)
	msg := err.Error()
	assert.Less(t, len(msg), 3*maxUpstreamText, "capped")
	assert.Contains(t, msg, "client_secret=[REDACTED]")
	assert.NotContains(t, msg, secret[:8], "no part of the secret")
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// A certificate that does not verify fails the request at once, naming the
// fix, and is remembered for the cool-down: one connection, whatever the
// retry budget and however often the streams poll.
func TestCertificateNotVerified(t *testing.T) {
	for _, setting := range []string{"token_url", "endpoint"} {
		for _, failure := range []string{"unknown authority", "wrong host name"} {
			t.Run(setting+" "+failure, func(t *testing.T) {
				var connections atomic.Int64
				tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
					t.Error("a request passed a certificate that does not verify")
				}))
				tlsSrv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
					if state == http.StateNew {
						connections.Add(1)
					}
				}
				tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors this test causes
				tlsSrv.StartTLS()
				t.Cleanup(tlsSrv.Close)
				// The token endpoint, when it is not the server under test.
				plain := wiztest.NewFakeWiz(t)

				untrusted := tlsSrv.URL
				transport := http.DefaultTransport.(*http.Transport).Clone()
				if failure == "wrong host name" {
					// The client trusts the certificate, which names
					// 127.0.0.1 and example.com, but not localhost.
					transport = tlsSrv.Client().Transport.(*http.Transport)
					untrusted = strings.Replace(untrusted, "127.0.0.1", "localhost", 1)
				}
				cfg := testClientConfig(plain.URL)
				if setting == "token_url" {
					cfg.TokenURL = untrusted + "/oauth/token"
				} else {
					cfg.Endpoint = untrusted + "/graphql"
				}
				c := wiz.NewClient(cfg, &http.Client{Transport: transport}, wiz.NewLimiter(1000))
				for attempt := range 3 {
					_, err := c.FetchPage(context.Background(), auditReq)
					if attempt == 0 {
						t.Log(err)
					}
					var cert *wiz.CertificateError
					assert.ErrorAs(t, err, &cert, "attempt %d", attempt)
					assert.False(t, wiz.IsPermanent(err), "a certificate renewed, or a CA file reloaded, is tried after the cool-down")
					if failure == "wrong host name" {
						assert.Contains(t, fmt.Sprint(err), "localhost")
						assert.Contains(t, fmt.Sprint(err), "set "+setting+" to a URL whose host name the certificate names")
					} else {
						assert.Contains(t, fmt.Sprint(err), "set tls.ca_file to the CA certificate")
					}
				}
				assert.Equal(t, int64(1), connections.Load(), "one attempt, then the cool-down: no retry loop")
			})
		}
	}
}

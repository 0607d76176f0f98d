// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import "net/http"

// withUserAgent is httpClient sending userAgent on every request that has
// none of its own. It wraps the transport confighttp built, so headers the
// user configured (a User-Agent among them) are still set after it.
func withUserAgent(httpClient *http.Client, userAgent string) *http.Client {
	c := *httpClient
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = userAgentTransport{base: base, userAgent: userAgent}
	return &c
}

type userAgentTransport struct {
	base      http.RoundTripper
	userAgent string
}

func (t userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		// A RoundTripper must not change the request it was given.
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.userAgent)
	}
	return t.base.RoundTrip(req)
}

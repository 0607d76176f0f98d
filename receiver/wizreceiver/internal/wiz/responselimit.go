// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
)

// withResponseLimit is httpClient with every response body cut off past
// limit bytes: a Read beyond fails with *http.MaxBytesError and reads
// nothing more. go-graphql-client reads a body whole, so this is what keeps
// one answer from taking more memory than limit.
func withResponseLimit(httpClient *http.Client, limit int64) *http.Client {
	c := *httpClient
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = responseLimitTransport{base: base, limit: limit}
	return &c
}

type responseLimitTransport struct {
	base  http.RoundTripper
	limit int64
}

func (t responseLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if resp != nil && resp.Body != nil && resp.Body != http.NoBody {
		// MaxBytesReader serves clients as well as servers; without a
		// ResponseWriter it only limits.
		resp.Body = limitHitRecorder{ReadCloser: http.MaxBytesReader(nil, resp.Body, t.limit), hit: limitHitOf(req.Context())}
	}
	return resp, err
}

// limitHitRecorder notes in hit that its body reached the limit. The JSON
// decoder that reads the body need not keep the *http.MaxBytesError in the
// error it returns (encoding/json on the v2 implementation, which the
// distribution is built with, does not), so the request's caller learns
// of it here instead.
type limitHitRecorder struct {
	io.ReadCloser
	hit *atomic.Int64
}

func (r limitHitRecorder) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if tooLarge, ok := err.(*http.MaxBytesError); ok && r.hit != nil { //nolint:errorlint // MaxBytesReader returns it unwrapped
		r.hit.Store(tooLarge.Limit)
	}
	return n, err
}

type limitHitKey struct{}

// withLimitHit is ctx carrying where a response limit hit is noted: the
// limit, or 0 while none was hit.
func withLimitHit(ctx context.Context) (context.Context, *atomic.Int64) {
	hit := new(atomic.Int64)
	return context.WithValue(ctx, limitHitKey{}, hit), hit
}

func limitHitOf(ctx context.Context) *atomic.Int64 {
	hit, _ := ctx.Value(limitHitKey{}).(*atomic.Int64)
	return hit
}

package wiz

import "net/http"

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
		resp.Body = http.MaxBytesReader(nil, resp.Body, t.limit)
	}
	return resp, err
}

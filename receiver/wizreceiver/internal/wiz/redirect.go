// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"errors"
	"fmt"
	"net/http"
)

// RedirectError means token_url or the API endpoint answered with a
// redirect. The client follows none: a redirect would carry the client
// secret, or the bearer token, to a URL nobody configured, past the check
// that demands https.
type RedirectError struct {
	// Setting is the option that names the URL: token_url or endpoint.
	Setting    string
	URL        string // the URL requested
	StatusCode int
	Location   string // where the redirect pointed
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s (%s) answered HTTP %d with a redirect to %s; the receiver follows no redirect, "+
		"so that no credential goes where it was not configured to go: set %s to the final URL",
		e.URL, e.Setting, e.StatusCode, e.Location, e.Setting)
}

// refuseRedirects is httpClient answering every redirect with a
// RedirectError, before any request goes to the redirect's target.
func refuseRedirects(httpClient *http.Client) *http.Client {
	c := *httpClient
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		return &RedirectError{URL: via[len(via)-1].URL.Redacted(), StatusCode: req.Response.StatusCode, Location: req.URL.Redacted()}
	}
	return &c
}

// refusal is the failure behind a transport error that no retry can fix:
// a redirect, or a certificate that does not verify, of the URL that the
// option setting names. It is nil for any other failure.
func refusal(err error, setting, url string) error {
	var redirect *RedirectError
	if errors.As(err, &redirect) {
		named := *redirect
		named.Setting = setting
		return &named
	}
	if cause := certificateFailure(err); cause != nil {
		return &CertificateError{Setting: setting, URL: url, Err: cause}
	}
	return nil
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package wiz is a small client for the Wiz GraphQL API: OAuth2 client
// credentials, a rate limiter shared by every query of one receiver, retries
// with back-off, and error classification. It knows nothing about pdata.
package wiz

import (
	"net/url"
	"strings"
)

// Audience values Wiz's two identity providers expect in the token request.
const (
	AudienceCognito = "wiz-api"
	AudienceAuth0   = "beyond-api"
)

// DefaultTokenURL is the commercial Cognito token endpoint.
const DefaultTokenURL = "https://auth.app.wiz.io/oauth/token"

// DefaultAudience derives the audience from the token URL's host: the legacy
// Auth0 hosts (auth.wiz.io, auth0.<env>.wiz.io) want "beyond-api"; Cognito
// hosts and anything else (a mock, a proxy) get "wiz-api".
func DefaultAudience(tokenURL string) string {
	u, err := url.Parse(tokenURL)
	if err != nil {
		return AudienceCognito
	}
	host := strings.ToLower(u.Hostname())
	if host == "auth.wiz.io" || (strings.HasPrefix(host, "auth0.") && strings.HasSuffix(host, ".wiz.io")) {
		return AudienceAuth0
	}
	return AudienceCognito
}

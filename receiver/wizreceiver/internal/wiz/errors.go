// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// AuthError means the token endpoint refused the credentials. It is a
// configuration problem: retrying soon cannot fix it.
type AuthError struct {
	TokenURL    string
	StatusCode  int
	Code        string // RFC 6749 "error"
	Description string // RFC 6749 "error_description"
}

func (e *AuthError) Error() string {
	detail := ""
	if e.Code != "" {
		detail = fmt.Sprintf(" (%s", e.Code)
		if e.Description != "" {
			detail += ": " + e.Description
		}
		detail += ")"
	}
	return fmt.Sprintf("wiz authentication failed: token endpoint %s answered HTTP %d%s; "+
		"check client_id and client_secret, and that token_url (and audience) belong to your tenant's identity provider",
		e.TokenURL, e.StatusCode, detail)
}

// AccessDeniedError means Wiz refused a query for this service account: a
// missing scope, or a project-scoped account asking for audit logs.
type AccessDeniedError struct {
	Message string // Wiz's own text, which lists the account's permissions
}

func (e *AccessDeniedError) Error() string {
	return "wiz denied access: " + e.Message
}

// QueryError means Wiz rejected the query or its variables (validation,
// bad input, an unknown object, an endpoint that is not a Wiz API).
// Retrying cannot help.
type QueryError struct {
	// Operation names the query, e.g. IssuesTable; empty when the error is
	// not about one query (a wrong endpoint).
	Operation string
	Code      string
	Message   string
	// Field, when set, is a field the query selects that Wiz's schema no
	// longer has: the query can go on without it.
	Field *RejectedField
	// Input, when set, names a filter field Wiz does not accept, and
	// InputType the input type Wiz says lacks it (IssueFilters, say, for a
	// filterBy key; another type for a field nested deeper).
	Input, InputType string
}

func (e *QueryError) Error() string {
	what := "the query"
	if e.Operation != "" {
		what = "the " + e.Operation + " query"
	}
	if e.Code == "" {
		return fmt.Sprintf("wiz rejected %s: %s", what, e.Message)
	}
	return fmt.Sprintf("wiz rejected %s (%s): %s", what, e.Code, e.Message)
}

// RejectedField is a field a validation error says Wiz's schema does not
// have, where the query selects it.
type RejectedField struct {
	Name string // the field
	Type string // the type Wiz says lacks it
	// Line and Column locate the field in the query text, when Wiz says.
	Line, Column int
}

// IPRefusedError means Wiz refused the request because the collector's IP
// address is not on the service account's allow-list.
type IPRefusedError struct {
	Message string // Wiz's own text
}

func (e *IPRefusedError) Error() string {
	return "Wiz refused this collector's IP address; add it to the service account's allowed IPs (" + e.Message + ")"
}

// ResponseTooLargeError means an answer was larger than max_response_size;
// it was read no further. A page that large will be as large again, so
// retrying cannot help: a smaller page_size, or a larger
// max_response_size, can.
type ResponseTooLargeError struct {
	Operation string
	Limit     int64
	// First is the page size the request asked for.
	First any
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("wiz's answer to the %s query is larger than max_response_size (%d bytes), and was abandoned there; "+
		"lower page_size (this request asked for first: %v), or raise max_response_size", e.Operation, e.Limit, e.First)
}

// IsPermanent reports whether err is a refusal that needs a human: retrying
// the request, or polling again, cannot succeed.
func IsPermanent(err error) bool {
	var denied *AccessDeniedError
	var query *QueryError
	var ip *IPRefusedError
	var tooLarge *ResponseTooLargeError
	return errors.As(err, &denied) || errors.As(err, &query) || errors.As(err, &ip) || errors.As(err, &tooLarge)
}

// RetriesExhaustedError wraps the last transient failure once the back-off
// budget (retry_on_failure) is spent.
type RetriesExhaustedError struct {
	Attempts int
	Last     error
}

func (e *RetriesExhaustedError) Error() string {
	return fmt.Sprintf("wiz request failed after %d attempts: %v", e.Attempts, e.Last)
}

func (e *RetriesExhaustedError) Unwrap() error { return e.Last }

// retryableError marks a failure worth retrying. retryAfter, when set, is the
// server's own wait; throttled means the wait applies to every stream.
type retryableError struct {
	err        error
	retryAfter time.Duration
	// retryAfterCapped is the Retry-After Wiz sent when it asked for
	// longer than max_interval, which retryAfter is instead.
	retryAfterCapped string
	throttled        bool
	// immediate retries without a back-off wait (after a token refresh).
	immediate bool
	// reason labels the retry in telemetry.
	reason string
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// maxUpstreamText caps how much of a text a server sends (a GraphQL
// error's message or code, a token endpoint's error_description) an error
// keeps, and so logs and health show: room for Wiz's own sentences, while
// a server answering megabytes cannot make megabyte log lines of them.
const maxUpstreamText = 512

// truncateUpstream is s cut to maxUpstreamText bytes on a character
// boundary, with a note of how much was cut. Anything redacted from s must
// be redacted first: a cut could leave part of a secret.
func truncateUpstream(s string) string {
	if len(s) <= maxUpstreamText {
		return s
	}
	cut := maxUpstreamText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "… [" + strconv.Itoa(len(s)-cut) + " bytes cut]"
}

package wiz

import (
	"fmt"
	"time"
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
// bad input, an endpoint that is not a Wiz API). Retrying cannot help.
type QueryError struct {
	Code    string
	Message string
}

func (e *QueryError) Error() string {
	if e.Code == "" {
		return "wiz rejected the query: " + e.Message
	}
	return fmt.Sprintf("wiz rejected the query (%s): %s", e.Code, e.Message)
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
	throttled  bool
	// immediate retries without a back-off wait (after a token refresh).
	immediate bool
	// reason labels the retry in telemetry.
	reason string
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Every error code Wiz is known to send, and the HTTP statuses, sort into
// retried, refreshed, throttled, or one of the permanent refusals; a
// GraphQL error the same whatever the status it comes with.
func TestErrorClassification(t *testing.T) {
	for _, way := range errorStatuses {
		t.Run(way.name, func(t *testing.T) { testErrorClassification(t, way.status) })
	}
}

func testErrorClassification(t *testing.T, errStatus func(code string) int) {
	gqlError := func(code, msg string) http.HandlerFunc { return gqlError(errStatus(code), code, msg) }
	gqlErrorAt := func(code, msg string, line, column int) http.HandlerFunc {
		return gqlErrorAt(errStatus(code), code, msg, line, column)
	}
	tests := []struct {
		name    string
		answers []http.HandlerFunc
		check   func(t *testing.T, err error, f *wiztest.FakeWiz)
	}{
		{"5xx then success", []http.HandlerFunc{status(500), status(502), status(503)}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			require.NoError(t, err)
		}},
		{"INTERNAL then success", []http.HandlerFunc{gqlError("INTERNAL", "try again")}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			require.NoError(t, err)
		}},
		{"an unknown code then success", []http.HandlerFunc{gqlError("SOMETHING_NEW", "hm")}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			require.NoError(t, err, "Wiz's own failures are worth a retry")
		}},
		{"truncated body then success", []http.HandlerFunc{func(w http.ResponseWriter, _ *http.Request) {
			_, _ = fmt.Fprint(w, `{"data":{"auditLogEntries":{"nodes":[{"id"`)
		}}, func(t *testing.T, err error, _ *wiztest.FakeWiz) { require.NoError(t, err) }},
		{"UNAUTHENTICATED refreshes the token", []http.HandlerFunc{gqlError("UNAUTHENTICATED", "Unauthorized")}, func(t *testing.T, err error, f *wiztest.FakeWiz) {
			require.NoError(t, err)
			assert.Equal(t, 2, f.TokenRequests())
		}},
		{"TOKEN_EXPIRED refreshes the token", []http.HandlerFunc{gqlError("TOKEN_EXPIRED", "expired")}, func(t *testing.T, err error, f *wiztest.FakeWiz) {
			require.NoError(t, err)
			assert.Equal(t, 2, f.TokenRequests())
		}},
		{"RATE_LIMIT_EXCEEDED is a 429", []http.HandlerFunc{gqlError("RATE_LIMIT_EXCEEDED", "slow down")}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			require.NoError(t, err, "retried after the throttle pause")
		}},
		{"403", []http.HandlerFunc{status(403)}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var denied *wiz.AccessDeniedError
			require.ErrorAs(t, err, &denied)
		}},
		{"UNAUTHORIZED: a missing scope", []http.HandlerFunc{gqlError("UNAUTHORIZED", "Access denied; your permissions: [read:issues]")}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var denied *wiz.AccessDeniedError
			require.ErrorAs(t, err, &denied)
			assert.Contains(t, denied.Message, "your permissions: [read:issues]")
		}},
		{"FORBIDDEN", []http.HandlerFunc{gqlError("FORBIDDEN", "Forbidden")}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var denied *wiz.AccessDeniedError
			require.ErrorAs(t, err, &denied)
		}},
		{"FORBIDDEN_IP", []http.HandlerFunc{gqlError("FORBIDDEN_IP", "IP 203.0.113.7 is not allowed")}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var refused *wiz.IPRefusedError
			require.ErrorAs(t, err, &refused)
			assert.True(t, wiz.IsPermanent(err))
			assert.Contains(t, err.Error(), "Wiz refused this collector's IP address; add it to the service account's allowed IPs")
		}},
		{"NOT_FOUND names the query", []http.HandlerFunc{gqlError("NOT_FOUND", "Not found")}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.True(t, wiz.IsPermanent(err))
			assert.Contains(t, err.Error(), "wiz rejected the AuditLogTable query (NOT_FOUND)")
		}},
		{"BAD_USER_INPUT names the query and the filter key", []http.HandlerFunc{gqlError("BAD_USER_INPUT",
			`Variable "$filterBy" got invalid value { updatedAt: {} }; Field "updatedAt" is not defined by type "IssueFilters".`)}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.Equal(t, "updatedAt", query.Input)
			assert.Equal(t, "IssueFilters", query.InputType)
			assert.Contains(t, err.Error(), "wiz rejected the AuditLogTable query (BAD_USER_INPUT)")
		}},
		{"GRAPHQL_VALIDATION_FAILED names the field and where", []http.HandlerFunc{gqlErrorAt("GRAPHQL_VALIDATION_FAILED",
			`Cannot query field "sourceRule" on type "Issue". Did you mean "sourceRules"?`, 5, 7)}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", query.Code)
			assert.Equal(t, &wiz.RejectedField{Name: "sourceRule", Type: "Issue", Line: 5, Column: 7}, query.Field)
		}},
		{"GRAPHQL_PARSE_FAILED", []http.HandlerFunc{gqlError("GRAPHQL_PARSE_FAILED", "Syntax Error")}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.Nil(t, query.Field)
		}},
		{"404", []http.HandlerFunc{status(404)}, func(t *testing.T, err error, _ *wiztest.FakeWiz) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.Contains(t, err.Error(), "check endpoint")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := wiztest.NewFakeWiz(t)
			f.Queue(tt.answers...)
			c := newClient(f, nil, nil)
			_, err := c.FetchPage(context.Background(), auditReq)
			tt.check(t, err, f)
		})
	}
}

// On a non-2xx answer the errors body decides wherever it can, and the
// status only where it cannot: a body with no errors, or with a code that
// says nothing more than the status.
func TestErrorBodyOnAnyStatus(t *testing.T) {
	raw := func(status int, body string) http.HandlerFunc { return wiztest.JSONReply(status, body) }
	tests := []struct {
		name     string
		answer   http.HandlerFunc
		check    func(t *testing.T, err error)
		requests int
	}{
		{"a validation error with no code in a 400, as graphql-http answers", raw(400,
			`{"errors":[{"message":"Cannot query field \"sourceRule\" on type \"Issue\".","locations":[{"line":5,"column":7}]}]}`), func(t *testing.T, err error) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.Equal(t, &wiz.RejectedField{Name: "sourceRule", Type: "Issue", Line: 5, Column: 7}, query.Field)
			assert.Equal(t, "AuditLogTable", query.Operation)
		}, 1},
		{"a validation error in a 500", gqlError(500, "GRAPHQL_VALIDATION_FAILED", `Cannot query field "x" on type "AuditLogEntry".`), func(t *testing.T, err error) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.Equal(t, &wiz.RejectedField{Name: "x", Type: "AuditLogEntry"}, query.Field)
		}, 1},
		{"an unknown code in a 400", gqlError(400, "SOMETHING_NEW", "the query is too deep"), func(t *testing.T, err error) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.EqualError(t, err, "wiz rejected the AuditLogTable query (SOMETHING_NEW): the query is too deep")
		}, 1},
		{"an unknown code in a 503", gqlError(503, "SOMETHING_NEW", "hm"), func(t *testing.T, err error) {
			require.NoError(t, err)
		}, 2},
		{"a 400 without an errors body", raw(400, "<html>Bad Request</html>"), func(t *testing.T, err error) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.Contains(t, err.Error(), "wiz rejected the query: HTTP 400 from http://")
		}, 1},
		{"a 403 with no code", raw(403, `{"errors":[{"message":"Access denied; your permissions: [read:issues]"}]}`), func(t *testing.T, err error) {
			var denied *wiz.AccessDeniedError
			require.ErrorAs(t, err, &denied)
			assert.Contains(t, denied.Message, "your permissions: [read:issues]")
		}, 1},
		{"a 401 whose body says access denied", raw(401, `{"errors":[{"message":"Unauthorized","extensions":{"code":"UNAUTHORIZED"}}]}`), func(t *testing.T, err error) {
			require.NoError(t, err, "a 401 is about the token, whatever words come with it: refreshed, then served")
		}, 2},
		{"a 404 with no code", raw(404, `{"errors":[{"message":"no such route"}]}`), func(t *testing.T, err error) {
			var query *wiz.QueryError
			require.ErrorAs(t, err, &query)
			assert.Contains(t, err.Error(), "no such route")
			assert.Contains(t, err.Error(), "check endpoint")
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := wiztest.NewFakeWiz(t)
			f.Queue(tt.answer)
			c := newClient(f, nil, nil)
			_, err := c.FetchPage(context.Background(), auditReq)
			tt.check(t, err)
			assert.Len(t, f.Authorizations(), tt.requests)
		})
	}
}

// A server's own words reach errors, logs and health capped: a megabyte
// error message, error code or token error_description leaves its head,
// and a note of how much was cut, whatever error it ends up in.
func TestUpstreamTextIsCapped(t *testing.T) {
	for _, way := range errorStatuses {
		t.Run(way.name, func(t *testing.T) { testUpstreamTextIsCapped(t, way.status) })
	}
}

func testUpstreamTextIsCapped(t *testing.T, errStatus func(code string) int) {
	gqlError := func(code, msg string) http.HandlerFunc { return gqlError(errStatus(code), code, msg) }
	huge := "Access denied; your permissions: [" + strings.Repeat("read:everything,", 1<<20/16) + "]"
	tests := []struct {
		name      string
		tokenCode int
		answers   []http.HandlerFunc
		head      string // what the error keeps of the server's text
	}{
		{"an access denied message", 0, []http.HandlerFunc{gqlError("UNAUTHORIZED", huge)}, "Access denied; your permissions: [read:everything,"},
		{"a refused IP's message", 0, []http.HandlerFunc{gqlError("FORBIDDEN_IP", huge)}, "Access denied; your permissions"},
		{"a validation message", 0, []http.HandlerFunc{gqlError("GRAPHQL_VALIDATION_FAILED", huge)}, "Access denied; your permissions"},
		{"an error code", 0, []http.HandlerFunc{gqlError(strings.Repeat("X", 1<<20), "oops")}, "XXXXXXXX"},
		{"a retried error's message", 0, []http.HandlerFunc{gqlError("INTERNAL", huge)}, "Access denied; your permissions"},
		// The oauth2 package reads at most 1 MiB of a token response.
		{"a token error_description", http.StatusUnauthorized, nil, "bad secret [REDACTED]Access denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := wiztest.NewFakeWiz(t)
			f.Queue(tt.answers...)
			if tt.tokenCode != 0 {
				f.SetToken(wiztest.RefuseTokens(tt.tokenCode, huge[:512<<10]))
			}
			c := newClient(f, nil, nil, withoutRetries)
			_, err := c.FetchPage(context.Background(), auditReq)
			require.Error(t, err)
			msg := err.Error()
			require.Less(t, len(msg), 2*wiz.MaxUpstreamText, "the error carries at most a few hundred bytes of the server's text")
			assert.Contains(t, msg, tt.head)
			assert.Contains(t, msg, "bytes cut]")
			assert.True(t, utf8.ValidString(msg))
		})
	}
}

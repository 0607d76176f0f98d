// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

func TestToken(t *testing.T) {
	clk := wiztest.NewClock(testEnd)
	e := newEnv(t, Options{Now: clk.Now, TokenLifetime: time.Minute})
	form := func(secret, audience string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {"mock-client-id"}, "client_secret": {secret}}
		if audience != "" {
			v.Set("audience", audience)
		}
		return v
	}

	t.Run("success", func(t *testing.T) {
		r := e.tokenRequest(form("mock-client-secret", "wiz-api"), "")
		require.Equal(t, http.StatusOK, r.status, r.body)
		m := r.json(t)
		assert.Equal(t, "Bearer", m["token_type"])
		assert.EqualValues(t, 60, m["expires_in"])
		assert.NotEmpty(t, m["access_token"])
		assert.NotEmpty(t, m["refresh_token"])
		assert.NotEqual(t, e.token, m["access_token"], "tokens are random")
	})
	t.Run("audience in query string", func(t *testing.T) {
		r := e.tokenRequest(form("mock-client-secret", ""), "?audience=wiz-api")
		assert.Equal(t, http.StatusOK, r.status, r.body)
	})
	t.Run("basic auth", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader("grant_type=client_credentials&audience=wiz-api"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("mock-client-id", "mock-client-secret")
		assert.Equal(t, http.StatusOK, e.do(req).status)
	})
	t.Run("wrong secret", func(t *testing.T) {
		r := e.tokenRequest(form("s3cr3t-guess", "wiz-api"), "")
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.JSONEq(t, `{"error":"access_denied","error_description":"Unauthorized"}`, r.body)
		assert.NotContains(t, r.body, "s3cr3t-guess")
	})
	t.Run("unknown client", func(t *testing.T) {
		f := form("mock-client-secret", "wiz-api")
		f.Set("client_id", "nobody")
		assert.Equal(t, http.StatusUnauthorized, e.tokenRequest(f, "").status)
	})
	t.Run("wrong audience", func(t *testing.T) {
		r := e.tokenRequest(form("s3cr3t-guess", "beyond-api"), "")
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, "invalid_request", r.json(t)["error"])
		assert.NotContains(t, r.body, "s3cr3t-guess")
	})
	t.Run("expiry", func(t *testing.T) {
		assert.Equal(t, http.StatusOK, e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 1}).status)
		clk.Advance(time.Minute)
		r := e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 1})
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.JSONEq(t, `{"errors":[{"message":"Unauthorized","extensions":{"code":"UNAUTHENTICATED"}}]}`, r.body)
	})
	t.Run("no or unknown bearer", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, e.do(e.graphqlRequest("", wizreceivertest.PolledByKey("audit").Query, nil)).status)
		assert.Equal(t, http.StatusUnauthorized, e.do(e.graphqlRequest("forged", wizreceivertest.PolledByKey("audit").Query, nil)).status)
	})
}

func TestScopes(t *testing.T) {
	ds := testDataset(20, 40, 60)
	project := ds.Projects[0]
	srv, hs := NewTestServer(t, Options{Dataset: ds, Clients: []Client{
		{ID: "vulns", Secret: "a", Scopes: []string{"read:vulnerabilities"}},
		{ID: "project", Secret: "b", Scopes: AllScopes(), ProjectIDs: []string{project}},
	}})
	login := func(id, secret string) *env {
		e := &env{t: t, srv: srv, url: hs.URL}
		r := e.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "audience": {"wiz-api"}, "client_id": {id}, "client_secret": {secret}}, "")
		require.Equal(t, http.StatusOK, r.status)
		e.token = r.json(t)["access_token"].(string)
		return e
	}

	vulns := login("vulns", "a")
	r := vulns.query(wizreceivertest.PolledByKey("issues").Query, map[string]any{"first": 5})
	assert.Equal(t, http.StatusOK, r.status)
	m := r.json(t)
	assert.Nil(t, m["data"])
	code, msg := firstError(t, r)
	assert.Equal(t, "UNAUTHORIZED", code)
	assert.Equal(t, "Access denied: the service account lacks the required scope read:issues; your permissions: [read:vulnerabilities]", msg)
	code, _ = firstError(t, vulns.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 5}))
	assert.Equal(t, "UNAUTHORIZED", code)
	assert.NotEmpty(t, vulns.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 100, nil, nil))

	scoped := login("project", "b")
	code, msg = firstError(t, scoped.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 5}))
	assert.Equal(t, "UNAUTHORIZED", code)
	assert.Equal(t, "Access denied: audit logs are not available to project-scoped service accounts; your permissions: [admin:audit,read:issues,read:vulnerabilities,read:cloud_configuration,read:detections]", msg)
	snapshot := srv.Snapshot()
	_, issues, findings := snapshot[auditCollection.logType], snapshot[issueCollection.logType], snapshot[findingCollection.logType]
	inProject := func(n map[string]any) bool {
		return slices.ContainsFunc(n["projects"].([]any), func(p any) bool { return p.(map[string]any)["id"] == project })
	}
	wantIssues := ids(issues, inProject)
	require.NotEmpty(t, wantIssues)
	require.Less(t, len(wantIssues), len(issues))
	assert.ElementsMatch(t, wantIssues, scoped.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 10, nil, nil))
	assert.ElementsMatch(t, ids(findings, inProject), scoped.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 10, nil, nil))
	// A filter for another project cannot widen the scope.
	other := ds.Projects[1]
	assert.ElementsMatch(t, ids(issues, func(n map[string]any) bool {
		return inProject(n) && slices.ContainsFunc(n["projects"].([]any), func(p any) bool { return p.(map[string]any)["id"] == other })
	}), scoped.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 10, map[string]any{"project": []any{other}}, nil))
}

// Every answer carries the server clock's time in its Date header, as a
// server stamps its own: a mock on a clock of its own shows a client its
// skew, whatever the host's clock says.
func TestDateHeaderFollowsServerClock(t *testing.T) {
	clk := wiztest.NewClock(testEnd.Add(-90 * time.Second))
	e := newEnv(t, Options{Now: clk.Now})
	at := func(r response) time.Time {
		t.Helper()
		date, err := http.ParseTime(r.header.Get("Date"))
		require.NoError(t, err, "Date %q", r.header.Get("Date"))
		return date
	}
	assert.Equal(t, testEnd.Add(-90*time.Second), at(e.query(`{ auditLogEntries(first: 1) { nodes { id } } }`, nil)))
	clk.Advance(time.Hour + 1500*time.Millisecond)
	token := e.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "audience": {"wiz-api"},
		"client_id": {"mock-client-id"}, "client_secret": {"mock-client-secret"}}, "")
	assert.Equal(t, testEnd.Add(time.Hour-89*time.Second), at(token), "one-second resolution, truncated")
}

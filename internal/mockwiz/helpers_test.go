// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testEnd anchors generated data, so tests do not depend on the wall clock.
var testEnd = time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)

func testDataset(audit, issues, findings int) *Dataset {
	return GenerateDataset(DatasetOptions{Seed: 7, Start: testEnd.Add(-24 * time.Hour), End: testEnd, Counts: counts(audit, issues, findings)})
}

// env is a running mock with a token for its first client.
type env struct {
	t     *testing.T
	srv   *Server
	url   string
	token string
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	if o.Dataset == nil {
		o.Dataset = testDataset(60, 40, 60)
	}
	srv, hs := NewTestServer(t, o)
	e := &env{t: t, srv: srv, url: hs.URL}
	id, secret := "mock-client-id", "mock-client-secret"
	if o.Clients != nil {
		id, secret = o.Clients[0].ID, o.Clients[0].Secret
	}
	resp := e.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "audience": {"wiz-api"}, "client_id": {id}, "client_secret": {secret}}, "")
	require.Equal(t, http.StatusOK, resp.status, resp.body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(resp.body), &tok))
	e.token = tok.AccessToken
	return e
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (e *env) tokenRequest(form url.Values, query string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/oauth/token"+query, strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

func (e *env) graphqlRequest(token, query string, vars map[string]any) *http.Request {
	e.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(e.t, err)
	req, err := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// query posts a query with the env's token.
func (e *env) query(query string, vars map[string]any) response {
	e.t.Helper()
	return e.do(e.graphqlRequest(e.token, query, vars))
}

// firstError is the code and message of the response's first GraphQL error.
func firstError(t *testing.T, r response) (code, message string) {
	t.Helper()
	m := r.json(t)
	errs, _ := m["errors"].([]any)
	require.NotEmpty(t, errs, r.body)
	e := errs[0].(map[string]any)
	ext, _ := e["extensions"].(map[string]any)
	code, _ = ext["code"].(string)
	return code, e["message"].(string)
}

// page is one decoded connection page.
type page struct {
	Nodes    []map[string]any `json:"nodes"`
	PageInfo struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	TotalCount int `json:"totalCount"`
}

func (e *env) page(query, key string, vars map[string]any) page {
	e.t.Helper()
	r := e.query(query, vars)
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	var out struct {
		Data   map[string]page `json:"data"`
		Errors []any           `json:"errors"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(r.body), &out))
	require.Empty(e.t, out.Errors, r.body)
	return out.Data[key]
}

// walk pages through a connection and returns the ids in order; between
// pages it calls between (if not nil).
func (e *env) walk(query, key string, first int, filter map[string]any, between func(pageNo int)) []string {
	e.t.Helper()
	var ids []string
	vars := map[string]any{"first": first, "filterBy": filter}
	for n := 0; ; n++ {
		p := e.page(query, key, vars)
		for _, node := range p.Nodes {
			ids = append(ids, node["id"].(string))
		}
		if !p.PageInfo.HasNextPage {
			return ids
		}
		require.NotNil(e.t, p.PageInfo.EndCursor)
		vars["after"] = *p.PageInfo.EndCursor
		if between != nil {
			between(n)
		}
	}
}

func ids(nodes []map[string]any, keep func(map[string]any) bool) []string {
	var out []string
	for _, n := range nodes {
		if keep == nil || keep(n) {
			out = append(out, n["id"].(string))
		}
	}
	return out
}

// keys returns a JSON object's keys in document order.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var out []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		out = append(out, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return out
}

// counts is a dataset's node counts of the first three log types.
func counts(audit, issues, findings int) map[string]int {
	return map[string]int{auditCollection.logType: audit, issueCollection.logType: issues, findingCollection.logType: findings}
}

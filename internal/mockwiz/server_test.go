package mockwiz

import (
	"encoding/json"
	"fmt"
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

// A query the server refuses to run (it does not parse, fails validation,
// or its variables do not fit) is answered with 400 and errors alone, as
// GraphQL-over-HTTP servers and Apollo Server 4 do; with RequestErrorStatus
// 200, with 200 and data null, as older servers do. Either way the errors
// are those graphql-js words.
func TestValidation(t *testing.T) {
	for _, status := range []int{0, http.StatusOK} {
		t.Run(fmt.Sprint(status), func(t *testing.T) { testValidation(t, status) })
	}
}

func testValidation(t *testing.T, requestErrorStatus int) {
	e := newEnv(t, Options{RequestErrorStatus: requestErrorStatus})
	tests := []struct {
		name, query, code, message string
		vars                       map[string]any
	}{
		{
			name:    "unknown field",
			query:   `{ auditLogEntries(first: 1) { nodes { id actor } } }`,
			code:    "GRAPHQL_VALIDATION_FAILED",
			message: `Cannot query field "actor" on type "AuditLogEntry". Did you mean "action"?`,
		},
		{
			name:    "fragment on a type that cannot apply",
			query:   `{ issuesV2(first: 1) { nodes { sourceRule { ... on VulnerableAssetVirtualMachine { operatingSystem } } } } }`,
			code:    "GRAPHQL_VALIDATION_FAILED",
			message: `Fragment cannot be spread here as objects of type "IssueSourceRule" can never be of type "VulnerableAssetVirtualMachine".`,
		},
		{
			name:    "unknown fragment",
			query:   `{ issuesV2(first: 1) { nodes { ...Missing } } }`,
			code:    "GRAPHQL_VALIDATION_FAILED",
			message: `Unknown fragment "Missing".`,
		},
		{
			name:    "unaliased conflicting description",
			query:   `{ issuesV2(first: 1) { nodes { sourceRule { ... on Control { description } ... on CloudEventRule { description } } } } }`,
			code:    "GRAPHQL_VALIDATION_FAILED",
			message: `Fields "description" conflict because they return conflicting types "String" and "String!". Use different aliases on the fields to fetch both if this was intentional.`,
		},
		{
			name:    "wrong argument type",
			query:   `{ auditLogEntries(first: "ten") { nodes { id } } }`,
			code:    "GRAPHQL_VALIDATION_FAILED",
			message: `Int cannot represent non-integer value: "ten"`,
		},
		{
			name:    "bad variable",
			query:   wizreceivertest.PolledByKey("audit").Query,
			vars:    map[string]any{"first": 5, "filterBy": map[string]any{"status": []any{"MAYBE"}}},
			code:    "BAD_USER_INPUT",
			message: "MAYBE is not a valid AuditLogEntryStatus",
		},
		{
			name:    "syntax error",
			query:   `{ auditLogEntries(first: 1) { nodes { id }`,
			code:    "GRAPHQL_PARSE_FAILED",
			message: "Expected Name, found <EOF>",
		},
		{
			name:    "unknown operation",
			query:   `query A { auditLogEntries(first: 1) { nodes { id } } } query B { issuesV2(first: 1) { nodes { id } } }`,
			code:    "BAD_USER_INPUT",
			message: "Unknown operation, or no operationName for a document with several operations",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.query(tt.query, tt.vars)
			code, msg := firstError(t, r)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.message, msg)
			m := r.json(t)
			if requestErrorStatus == http.StatusOK {
				assert.Equal(t, http.StatusOK, r.status)
				assert.Contains(t, m, "data")
				assert.Nil(t, m["data"])
			} else {
				assert.Equal(t, http.StatusBadRequest, r.status)
				assert.NotContains(t, m, "data", "the query never ran")
			}
		})
	}
}

func TestReceiverQueriesAndFragments(t *testing.T) {
	e := newEnv(t, Options{})

	t.Run("findings", func(t *testing.T) {
		r := e.query(wizreceivertest.PolledByKey("vulnerability_findings").Query, map[string]any{"first": 500})
		var out struct {
			Data struct {
				VulnerabilityFindings struct {
					Nodes []json.RawMessage `json:"nodes"`
				} `json:"vulnerabilityFindings"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &out), r.body)
		nodes := out.Data.VulnerabilityFindings.Nodes
		require.Len(t, nodes, 60)
		base := []string{
			"id", "type", "name", "region", "providerUniqueId", "cloudProviderURL", "cloudPlatform", "status",
			"subscriptionName", "subscriptionExternalId", "subscriptionId", "tags",
			"hasLimitedInternetExposure", "hasWideInternetExposure", "isAccessibleFromVPN",
			"isAccessibleFromOtherVnets", "isAccessibleFromOtherSubscriptions",
		}
		extra := map[string][]string{
			"VIRTUAL_MACHINE":   {"operatingSystem", "ipAddresses"},
			"SERVERLESS":        {"runtime"},
			"CONTAINER_IMAGE":   {"imageId"},
			"CONTAINER":         {"ImageExternalId", "VmExternalId", "ServerlessContainer", "PodNamespace", "PodName", "NodeName"},
			"REPOSITORY_BRANCH": nil,
		}
		seen := map[string]bool{}
		for _, raw := range nodes {
			nodeKeys := keys(t, raw)
			assert.Equal(t, []string{"id", "portalUrl", "name", "CVEDescription", "CVSSSeverity"}, nodeKeys[:5], "selection order")
			assert.Equal(t, "vulnerableAsset", nodeKeys[len(nodeKeys)-1])
			var n struct {
				VulnerableAsset json.RawMessage `json:"vulnerableAsset"`
			}
			require.NoError(t, json.Unmarshal(raw, &n))
			var asset map[string]any
			require.NoError(t, json.Unmarshal(n.VulnerableAsset, &asset))
			typ := asset["type"].(string)
			seen[typ] = true
			require.Contains(t, extra, typ)
			assert.Equal(t, append(slices.Clone(base), extra[typ]...), keys(t, n.VulnerableAsset), typ)
		}
		assert.Len(t, seen, len(extra), "every asset kind is generated")
	})

	t.Run("issues", func(t *testing.T) {
		p := e.page(wizreceivertest.PolledByKey("issues").Query, "issues", map[string]any{"first": 100})
		require.Len(t, p.Nodes, 40)
		want := map[string][]string{
			"Control":                {"__typename", "id", "name", "controlDescription", "resolutionRecommendation", "securitySubCategories", "risks"},
			"CloudEventRule":         {"__typename", "id", "name", "cloudEventRuleDescription", "sourceType", "type", "securitySubCategories", "risks"},
			"CloudConfigurationRule": {"__typename", "id", "name", "cloudConfigurationRuleDescription", "remediationInstructions", "serviceType", "securitySubCategories", "risks"},
		}
		seen := map[string]bool{}
		for _, n := range p.Nodes {
			rules := append([]any{n["sourceRule"]}, n["sourceRules"].([]any)...)
			for _, rule := range rules {
				raw, err := json.Marshal(rule)
				require.NoError(t, err)
				typ := rule.(map[string]any)["__typename"].(string)
				seen[typ] = true
				assert.ElementsMatch(t, want[typ], keys(t, raw))
			}
			assert.Contains(t, n, "dueAt", "null fields are present")
		}
		assert.Len(t, seen, 3)
	})

	t.Run("named fragments and aliases", func(t *testing.T) {
		q := `query Q($n: Int) {
  a: vulnerabilityFindings(first: $n) { nodes { vulnerableAsset { __typename ...VM ...Img } } total: totalCount }
}
fragment VM on VulnerableAssetVirtualMachine { os: operatingSystem }
fragment Img on VulnerableAssetContainerImage { imageId }`
		r := e.query(q, map[string]any{"n": 60})
		var out struct {
			Data struct {
				A struct {
					Nodes []struct {
						VulnerableAsset map[string]any `json:"vulnerableAsset"`
					} `json:"nodes"`
					Total int `json:"total"`
				} `json:"a"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &out), r.body)
		assert.Equal(t, 60, out.Data.A.Total)
		for _, n := range out.Data.A.Nodes {
			a := n.VulnerableAsset
			switch a["__typename"] {
			case "VulnerableAssetVirtualMachine":
				assert.Len(t, a, 2)
				assert.Contains(t, a, "os")
			case "VulnerableAssetContainerImage":
				assert.Len(t, a, 2)
				assert.Contains(t, a, "imageId")
			default:
				assert.Len(t, a, 1, "no fields of other types: %v", a)
			}
		}
	})

	t.Run("deprecated issues root field", func(t *testing.T) {
		p := e.page(`{ issues(first: 3) { nodes { id } pageInfo { hasNextPage endCursor } } }`, "issues", nil)
		assert.Len(t, p.Nodes, 3)
		assert.True(t, p.PageInfo.HasNextPage)
	})
}

func TestPaginationWalkWhileDataChanges(t *testing.T) {
	e := newEnv(t, Options{Dataset: testDataset(95, 53, 71)})
	snapshot := e.srv.Snapshot()
	audit, issues, findings := snapshot[auditCollection.logType], snapshot[issueCollection.logType], snapshot[findingCollection.logType]

	got := e.walk(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", 10, nil, func(int) {
		// Newer entries sort before the cursor, so the walk does not see them.
		e.srv.AddAuditEntries(2, testEnd.Add(time.Hour))
	})
	assert.ElementsMatch(t, ids(audit, nil), got)

	i := 0
	got = e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 7, nil, func(int) {
		e.srv.ChangeIssueStatus(issues[i]["id"].(string), "RESOLVED", testEnd.Add(time.Hour))
		i++
	})
	assert.ElementsMatch(t, ids(issues, nil), got)

	got = e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 9, nil, func(n int) {
		e.srv.RedetectVulnerabilityFinding(findings[n]["id"].(string), testEnd.Add(time.Hour))
	})
	assert.ElementsMatch(t, ids(findings, nil), got)

	// Order: newest first.
	p := e.page(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", map[string]any{"first": 500})
	assert.True(t, slices.IsSortedFunc(p.Nodes, func(a, b map[string]any) int {
		return strings.Compare(b["timestamp"].(string), a["timestamp"].(string))
	}))
}

func TestFilters(t *testing.T) {
	e := newEnv(t, Options{})
	snapshot := e.srv.Snapshot()
	audit, issues, findings := snapshot[auditCollection.logType], snapshot[issueCollection.logType], snapshot[findingCollection.logType]
	walkAudit := func(filter map[string]any) []string {
		return e.walk(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", 500, filter, nil)
	}

	t.Run("exclusive bounds", func(t *testing.T) {
		target := audit[10]
		ts := target["timestamp"].(string)
		at, err := time.Parse(time.RFC3339Nano, ts)
		require.NoError(t, err)
		id := target["id"].(string)
		assert.NotContains(t, walkAudit(map[string]any{"timestamp": map[string]any{"after": ts}}), id)
		assert.NotContains(t, walkAudit(map[string]any{"timestamp": map[string]any{"before": ts}}), id)
		assert.Equal(t, []string{id}, walkAudit(map[string]any{"timestamp": map[string]any{
			"after": formatTime(at.Add(-time.Microsecond)), "before": formatTime(at.Add(time.Microsecond)),
		}}))
		want := ids(audit, func(n map[string]any) bool { return n["timestamp"].(string) > ts })
		assert.ElementsMatch(t, want, walkAudit(map[string]any{"timestamp": map[string]any{"after": ts}}))
	})
	t.Run("audit status, action, userType", func(t *testing.T) {
		assert.ElementsMatch(t, ids(audit, func(n map[string]any) bool { return n["status"] == "FAILED" || n["status"] == "INVALID" }),
			walkAudit(map[string]any{"status": []any{"FAILED", "INVALID"}}))
		assert.ElementsMatch(t, ids(audit, func(n map[string]any) bool { return n["action"] == "Login" }),
			walkAudit(map[string]any{"action": "login"}))
		sa := ids(audit, func(n map[string]any) bool { return n["serviceAccount"] != nil })
		require.NotEmpty(t, sa)
		assert.ElementsMatch(t, sa, walkAudit(map[string]any{"userType": []any{"SERVICE_ACCOUNT"}}))
	})
	t.Run("issues", func(t *testing.T) {
		project := e.srv.opts.Dataset.Projects[1]
		inProject := func(n map[string]any) bool {
			return slices.ContainsFunc(n["projects"].([]any), func(p any) bool { return p.(map[string]any)["id"] == project })
		}
		filter := map[string]any{"project": project, "status": []any{"OPEN", "RESOLVED"}, "severity": []any{"HIGH", "CRITICAL", "MEDIUM"}}
		want := ids(issues, func(n map[string]any) bool {
			return inProject(n) && (n["status"] == "OPEN" || n["status"] == "RESOLVED") && n["severity"] != "LOW" && n["severity"] != "INFORMATIONAL"
		})
		require.NotEmpty(t, want)
		assert.ElementsMatch(t, want, e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 50, filter, nil))

		ts := issues[3]["statusChangedAt"].(string)
		assert.ElementsMatch(t, ids(issues, func(n map[string]any) bool { return n["statusChangedAt"].(string) > ts }),
			e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 50, map[string]any{"statusChangedAt": map[string]any{"after": ts}}, nil))
		assert.ElementsMatch(t, ids(issues, func(n map[string]any) bool { return n["type"] == "THREAT_DETECTION" }),
			e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 50, map[string]any{"type": []any{"THREAT_DETECTION"}}, nil))
	})
	t.Run("findings", func(t *testing.T) {
		all := e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 500, nil, nil)
		assert.Len(t, all, len(findings), "no status filter returns every status")
		assert.ElementsMatch(t, ids(findings, func(n map[string]any) bool { return n["status"] == "RESOLVED" }),
			e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 500, map[string]any{"status": []any{"RESOLVED"}}, nil))
		ts := findings[5]["firstDetectedAt"].(string)
		assert.ElementsMatch(t, ids(findings, func(n map[string]any) bool { return n["firstDetectedAt"].(string) < ts }),
			e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 500, map[string]any{"firstSeenAt": map[string]any{"before": ts}}, nil))
		project := e.srv.opts.Dataset.Projects[0]
		got := e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 500, map[string]any{"projectId": []any{project}}, nil)
		assert.ElementsMatch(t, ids(findings, func(n map[string]any) bool {
			return slices.ContainsFunc(n["projects"].([]any), func(p any) bool { return p.(map[string]any)["id"] == project })
		}), got)
	})
	t.Run("bad DateTime", func(t *testing.T) {
		code, _ := firstError(t, e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 5, "filterBy": map[string]any{"timestamp": map[string]any{"after": "yesterday"}}}))
		assert.Equal(t, "BAD_USER_INPUT", code)
	})
}

// Every filter the schema declares must be implemented.
func TestSchemaFiltersImplemented(t *testing.T) {
	for input, impl := range map[string]map[string]filterField{
		"AuditLogEntryFilters": auditFilters, "IssueFilters": issueFilters, "VulnerabilityFindingFilters": findingFilters,
		"ConfigurationFindingFilters":         configurationFindingFilters,
		"ConfigurationFindingRuleFilters":     configurationFindingRuleFilters,
		"ConfigurationFindingResourceFilters": configurationFindingResourceFilters,
		"DetectionFilters":                    detectionFilters,
		"DetectionResourceFilter":             detectionResourceFilters,
		"DetectionMatchedRuleFilter":          detectionMatchedRuleFilters,
	} {
		var declared []string
		for _, f := range schema.Types[input].Fields {
			declared = append(declared, f.Name)
		}
		var implemented []string
		for name := range impl {
			implemented = append(implemented, name)
		}
		assert.ElementsMatch(t, declared, implemented, input)
	}
}

func TestPagingErrors(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name, query, message string
		vars                 map[string]any
	}{
		{"first too large", wizreceivertest.PolledByKey("audit").Query, "first must be <= 500", map[string]any{"first": 501}},
		{"first too large for issues", wizreceivertest.PolledByKey("issues").Query, "first must be <= 500", map[string]any{"first": 1000}},
		{"audit without first", wizreceivertest.PolledByKey("audit").Query, "first is required", nil},
		{"undecodable cursor", wizreceivertest.PolledByKey("vulnerability_findings").Query, `invalid cursor "bm90IGEgY3Vyc29y"`, map[string]any{"first": 5, "after": "bm90IGEgY3Vyc29y"}},
		{"garbage cursor", wizreceivertest.PolledByKey("audit").Query, `invalid cursor "%%%"`, map[string]any{"first": 5, "after": "%%%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.query(tt.query, tt.vars)
			assert.Equal(t, http.StatusOK, r.status)
			code, msg := firstError(t, r)
			assert.Equal(t, "BAD_USER_INPUT", code)
			assert.Equal(t, tt.message, msg)
			assert.Nil(t, r.json(t)["data"])
		})
	}
	t.Run("cursor of another query", func(t *testing.T) {
		p := e.page(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", map[string]any{"first": 1})
		code, _ := firstError(t, e.query(wizreceivertest.PolledByKey("issues").Query, map[string]any{"first": 1, "after": *p.PageInfo.EndCursor}))
		assert.Equal(t, "BAD_USER_INPUT", code)
	})
}

func TestAuditResultCap(t *testing.T) {
	e := newEnv(t, Options{AuditResultCap: 25})
	var sizes []int
	vars := map[string]any{"first": 10}
	for {
		p := e.page(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", vars)
		sizes = append(sizes, len(p.Nodes))
		if !p.PageInfo.HasNextPage {
			break
		}
		vars["after"] = *p.PageInfo.EndCursor
	}
	assert.Equal(t, []int{10, 10, 5}, sizes)
	// Issues are not capped.
	assert.Len(t, e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 10, nil, nil), 40)
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

// A field Wiz retires fails validation from then on, with the error and the
// location graphql-js gives; a filter key it retires fails as bad input
// naming the key and its input type. Other servers keep the whole schema.
func TestRemoveSchemaField(t *testing.T) {
	e := newEnv(t, Options{})
	other := newEnv(t, Options{})
	e.srv.RemoveSchemaField("Issue", "sourceRule")
	e.srv.RemoveSchemaField("IssueFilters", "updatedAt")

	r := e.query(wizreceivertest.PolledByKey("issues").Query, map[string]any{"first": 1})
	assert.Equal(t, http.StatusBadRequest, r.status, "a query that fails validation")
	got := r.json(t)
	errs := got["errors"].([]any)
	require.NotEmpty(t, errs)
	first := errs[0].(map[string]any)
	assert.Equal(t, `Cannot query field "sourceRule" on type "Issue". Did you mean "sourceRules"?`, first["message"])
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", first["extensions"].(map[string]any)["code"])
	loc := first["locations"].([]any)[0].(map[string]any)
	line := strings.Split(wizreceivertest.PolledByKey("issues").Query, "\n")[int(loc["line"].(float64))-1]
	assert.True(t, strings.HasPrefix(line[int(loc["column"].(float64))-1:], "sourceRule {"), "the location points at the field: %q", line)

	got = e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 1}).json(t)
	assert.Nil(t, got["errors"], "other types keep their fields")

	filter := map[string]any{"updatedAt": map[string]any{"after": "2024-01-01T00:00:00Z"}}
	r = e.query(`query Q($filterBy: IssueFilters) { issuesV2(first: 1, filterBy: $filterBy) { nodes { id } } }`, map[string]any{"filterBy": filter})
	assert.Equal(t, http.StatusBadRequest, r.status, "variables that do not fit")
	got = r.json(t)
	first = got["errors"].([]any)[0].(map[string]any)
	assert.Equal(t, `Variable "$filterBy" got invalid value; Field "updatedAt" is not defined by type "IssueFilters".`, first["message"])
	assert.Equal(t, "BAD_USER_INPUT", first["extensions"].(map[string]any)["code"])

	got = other.query(wizreceivertest.PolledByKey("issues").Query, map[string]any{"first": 1, "filterBy": filter}).json(t)
	assert.Nil(t, got["errors"], "another server's schema is untouched")
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

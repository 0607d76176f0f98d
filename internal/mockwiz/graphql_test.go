// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

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

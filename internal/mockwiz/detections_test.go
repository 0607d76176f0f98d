// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

func walkDetections(e *env, first int, filter map[string]any) []string {
	e.t.Helper()
	return e.walk(wizreceivertest.PolledByKey("detections").Query, "detections", first, filter, nil)
}

// bothTypes is the type filter a client must send to see every detection.
var bothTypes = map[string]any{"equals": []any{"GENERATED_THREAT", "MATCH_ONLY"}}

func TestDetectionNodes(t *testing.T) {
	e := newEnv(t, Options{Dataset: defendDataset(0, 150)})
	p := e.page(wizreceivertest.PolledByKey("detections").Query, "detections", map[string]any{"first": 500})
	require.Len(t, p.Nodes, 150)
	resources, actors, origins := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, n := range p.Nodes {
		for _, r := range n["resources"].([]any) {
			resources[r.(map[string]any)["type"].(string)] = true
		}
		actor, _ := n["primaryActor"].(map[string]any)
		if actor == nil {
			actors["none"] = true
			assert.Nil(t, n["actors"])
		} else {
			actors[actor["type"].(string)] = true
		}
		origins[n["origins"].([]any)[0].(string)] = true
		created, updated := parsed(t, n["createdAt"]), parsed(t, n["updatedAt"])
		assert.False(t, created.Before(testEnd.Add(-24*time.Hour)) || updated.Before(created) || updated.After(testEnd),
			"createdAt <= updatedAt, both in the dataset's range")
		assert.Len(t, n["createdAt"], len(detectionTimeLayout), "seven fractional digits")
		assert.Equal(t, n["type"] == "GENERATED_THREAT", n["issue"] != nil, "only a detection that generated a threat links one")
		events := n["triggeringEvents"].(map[string]any)
		assert.NotEmpty(t, events["nodes"])
		assert.GreaterOrEqual(t, events["totalCount"], float64(len(events["nodes"].([]any))))
		assert.NotContains(t, events, "totalCountV2", "not selected")
		rule := n["ruleMatch"].(map[string]any)["rule"].(map[string]any)
		assert.True(t, slices.ContainsFunc(rule["securitySubCategories"].([]any), func(s any) bool {
			return s.(map[string]any)["category"].(map[string]any)["framework"].(map[string]any)["name"] == "MITRE ATT&CK Matrix"
		}), "every rule maps onto MITRE ATT&CK")
	}
	assert.Equal(t, map[string]bool{"VIRTUAL_MACHINE": true, "CONTAINER": true, "USER_ACCOUNT": true, "ENDPOINT": true, "ATTACK_SURFACE_FINDING": true}, resources)
	assert.Equal(t, map[string]bool{"NETWORK_ADDRESS": true, "USER_ACCOUNT": true, "SERVICE_ACCOUNT": true, "UNKNOWN": true, "none": true}, actors)
	assert.Len(t, origins, 4)
	assert.Equal(t, defendDataset(0, 40), defendDataset(0, 40), "deterministic")
}

func TestDetectionFilters(t *testing.T) {
	e := newEnv(t, Options{Dataset: defendDataset(0, 150)})
	detections := e.srv.Snapshot()[detectionCollection.logType]
	threat := detections[slices.IndexFunc(detections, func(n map[string]any) bool { return n["issue"] != nil })]
	project := e.srv.opts.Dataset.Projects[1]
	account := detections[3]["cloudAccounts"].([]any)[0].(map[string]any)
	resource := detections[5]["primaryResource"].(map[string]any)["id"]
	rule := detections[7]["ruleMatch"].(map[string]any)["rule"].(map[string]any)
	typed := func(filter map[string]any) map[string]any {
		filter["type"] = bothTypes
		return filter
	}
	tests := []struct {
		name   string
		filter map[string]any
		want   func(n map[string]any) bool
	}{
		{"no filterBy: every type", nil, func(map[string]any) bool { return true }},
		{"a filter without type: GENERATED_THREAT only, silently", map[string]any{"severity": map[string]any{"equals": []any{"HIGH", "CRITICAL"}}},
			func(n map[string]any) bool {
				return n["type"] == "GENERATED_THREAT" && (n["severity"] == "HIGH" || n["severity"] == "CRITICAL")
			}},
		{"both types asked for", typed(map[string]any{}), func(map[string]any) bool { return true }},
		{"MATCH_ONLY", map[string]any{"type": map[string]any{"equals": []any{"MATCH_ONLY"}}}, func(n map[string]any) bool { return n["type"] == "MATCH_ONLY" }},
		{"origin", typed(map[string]any{"origin": map[string]any{"equals": []any{"WIZ_SENSOR"}}}),
			func(n map[string]any) bool { return slices.Contains(n["origins"].([]any), "WIZ_SENSOR") }},
		{"project: one id", typed(map[string]any{"projectId": project}), func(n map[string]any) bool {
			return slices.ContainsFunc(n["cloudAccounts"].([]any)[0].(map[string]any)["linkedProjects"].([]any), func(p any) bool { return p.(map[string]any)["id"] == project })
		}},
		{"threat", typed(map[string]any{"issueId": threat["issue"].(map[string]any)["id"]}), func(n map[string]any) bool { return n["id"] == threat["id"] }},
		{"cloud platform", typed(map[string]any{"cloudPlatform": map[string]any{"equals": []any{"GCP"}}}),
			func(n map[string]any) bool {
				return n["cloudAccounts"].([]any)[0].(map[string]any)["cloudProvider"] == "GCP"
			}},
		{"cloud account by external id", typed(map[string]any{"cloudAccountOrCloudOrganizationId": map[string]any{"equals": []any{account["externalId"]}}}),
			func(n map[string]any) bool {
				return n["cloudAccounts"].([]any)[0].(map[string]any)["externalId"] == account["externalId"]
			}},
		{"resource", typed(map[string]any{"resource": map[string]any{"id": map[string]any{"equals": []any{resource}}}}),
			func(n map[string]any) bool { return n["primaryResource"].(map[string]any)["id"] == resource }},
		{"matched rule", typed(map[string]any{"matchedRule": map[string]any{"id": rule["id"]}}),
			func(n map[string]any) bool {
				return n["ruleMatch"].(map[string]any)["rule"].(map[string]any)["id"] == rule["id"]
			}},
		{"matched rule name", typed(map[string]any{"matchedRuleName": map[string]any{"equals": []any{rule["name"]}}}),
			func(n map[string]any) bool {
				return n["ruleMatch"].(map[string]any)["rule"].(map[string]any)["name"] == rule["name"]
			}},
		{"equals left out: no restriction", typed(map[string]any{"severity": map[string]any{}}), func(map[string]any) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := ids(detections, tt.want)
			require.NotEmpty(t, want)
			assert.ElementsMatch(t, want, walkDetections(e, 20, tt.filter))
		})
	}
	t.Run("a list of projects is not one project id", func(t *testing.T) {
		r := e.query(wizreceivertest.PolledByKey("detections").Query, map[string]any{"first": 5, "filterBy": map[string]any{"projectId": []any{project, "other"}}})
		code, _ := firstError(t, r)
		assert.Equal(t, "BAD_USER_INPUT", code)
		assert.Equal(t, []any{"variable", "filterBy", "projectId"}, r.json(t)["errors"].([]any)[0].(map[string]any)["path"])
	})
}

// Keyset cursors keep every digit of a detection's time: a walk over
// detections apart by less than a microsecond serves each once.
func TestDetectionWalkBelowOneMicrosecond(t *testing.T) {
	e := newEnv(t, Options{Dataset: defendDataset(0, 30)})
	detections := e.srv.Snapshot()[detectionCollection.logType]
	base := testEnd.Add(-time.Hour).Truncate(time.Microsecond)
	e.srv.mu.Lock()
	for i, n := range e.srv.nodes[detectionCollection.logType] {
		// Ten 100 ns steps to a microsecond, three microseconds in all.
		n["createdAt"] = formatDetectionTime(base.Add(time.Duration(i) * detectionTimeUnit))
	}
	e.srv.sorted = map[string][]row{}
	e.srv.mu.Unlock()
	got := e.walk(wizreceivertest.PolledByKey("detections").Query, "detections", 4, nil, nil)
	assert.ElementsMatch(t, ids(detections, nil), got)
	assert.Len(t, got, len(detections))
}

// A detection goes on after it was created: each new triggering event
// moves its updatedAt and counts.
func TestUpdateDetection(t *testing.T) {
	e := newEnv(t, Options{Dataset: defendDataset(0, 20), Now: wiztest.NewClock(testEnd).Now})
	detections := e.srv.Snapshot()[detectionCollection.logType]
	id := detections[4]["id"].(string)
	before := detections[4]["triggeringEvents"].(map[string]any)
	at := testEnd.Add(time.Minute + 123*time.Nanosecond)
	for i := range maxTriggeringEvents {
		e.srv.UpdateDetection(id, at.Add(time.Duration(i)*time.Second))
	}
	e.srv.UpdateDetection("no-such-detection", at)

	since := map[string]any{"updatedAt": map[string]any{"after": formatDetectionTime(at)}, "type": bothTypes}
	assert.Equal(t, []string{id}, walkDetections(e, 10, since))
	after := e.srv.Snapshot()[detectionCollection.logType][4]
	last := at.Add((maxTriggeringEvents - 1) * time.Second)
	assert.Equal(t, formatDetectionTime(last), after["updatedAt"], "to 100 ns")
	events := after["triggeringEvents"].(map[string]any)
	assert.Len(t, events["nodes"], maxTriggeringEvents, "the newest ten are kept")
	assert.Equal(t, before["totalCount"].(int)+maxTriggeringEvents, events["totalCount"])
	assert.Equal(t, events["totalCount"], events["totalCountV2"])
	newest := events["nodes"].([]any)[0].(map[string]any)
	assert.Equal(t, last.UTC().Format(eventTimeLayout), newest["timestamp"])
	assert.Equal(t, newest["timestamp"], after["endedAt"])
	assert.Equal(t, detections[4]["createdAt"], after["createdAt"], "creation stays")
}

// A project-scoped service account sees the configuration findings and
// detections of its projects only.
func TestProjectScopedDefendData(t *testing.T) {
	ds := defendDataset(60, 60)
	project := ds.Projects[0]
	srv, hs := NewTestServer(t, Options{Dataset: ds, Clients: []Client{{ID: "project", Secret: "b", Scopes: AllScopes(), ProjectIDs: []string{project}}}})
	e := &env{t: t, srv: srv, url: hs.URL}
	r := e.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "audience": {"wiz-api"}, "client_id": {"project"}, "client_secret": {"b"}}, "")
	require.Equal(t, http.StatusOK, r.status)
	e.token = r.json(t)["access_token"].(string)

	hasProject := func(path string) func(n map[string]any) bool {
		return func(n map[string]any) bool { return slices.Contains(lookupAll(n, path), any(project)) }
	}
	snapshot := srv.Snapshot()
	findings := ids(snapshot[configurationFindingCollection.logType], hasProject("resource.projects.id"))
	detections := ids(snapshot[detectionCollection.logType], hasProject("cloudAccounts.linkedProjects.id"))
	require.NotEmpty(t, findings)
	require.NotEmpty(t, detections)
	assert.ElementsMatch(t, findings, walkConfigurationFindings(e, nil))
	assert.ElementsMatch(t, detections, walkDetections(e, 20, nil))
}

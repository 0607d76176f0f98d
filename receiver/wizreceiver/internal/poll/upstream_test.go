// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
)

// A server's error text reaches logs and health capped: a 5 MB GraphQL
// error message makes neither a 5 MB log line nor a 5 MB health body,
// whether it stops the stream or is retried.
func TestHugeUpstreamErrorStaysSmall(t *testing.T) {
	huge := "Access denied; your permissions: [" + strings.Repeat("read:everything,", 5<<20/16) + "]"
	for _, code := range []string{"UNAUTHORIZED", "INTERNAL"} {
		t.Run(code, func(t *testing.T) {
			url := wiztest.NewFakeWiz(t, wiztest.WithAPI(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = fmt.Fprintf(w, `{"data":null,"errors":[{"message":%q,"extensions":{"code":%q}}]}`, huge, code)
			})).URL
			e := newEnv(t, url)
			e.BackOff.Enabled = false
			e.enableOnly("audit")
			logs := e.observeLogs(zapcore.DebugLevel)
			s, _ := e.stream(t)

			err := s.Poll(context.Background())
			require.Error(t, err)
			s.stopped(err, "Poll failed; retrying next interval")
			require.NotNil(t, e.statuses.Last().Err)
			health := e.statuses.Last().Err.Error()
			require.Less(t, len(health), 2048, "the health body")
			assert.Contains(t, health, "Access denied; your permissions: [read:everything,")
			require.NotZero(t, logs.Len())
			for _, entry := range logs.All() {
				line := entry.Message + fmt.Sprint(entry.ContextMap())
				require.Less(t, len(line), 2048, "the log line %q", entry.Message)
			}
		})
	}
}

// Against GraphQL servers that are not our mock: when Wiz retires
// Issue.sourceRule, a server that answers the query with HTTP 400 and an
// errors body, as Apollo Server 4 does (with a code) and graphql-http does
// (without one), has the field dropped, and records keep flowing.
func TestSchemaDriftAgainstStandardServers(t *testing.T) {
	tests := []struct {
		name, contentType, extensions string
	}{
		{"Apollo Server 4", "application/json; charset=utf-8", `,"extensions":{"code":"GRAPHQL_VALIDATION_FAILED","stacktrace":["GraphQLError: Cannot query field"]}`},
		{"graphql-http", "application/graphql-response+json; charset=utf-8", ""},
	}
	retired := regexp.MustCompile(`\bsourceRule\s*\{`)
	at := time.Now().Add(-time.Hour).UTC()
	stamp := at.Format(time.RFC3339Nano)
	node := `{"id":"issue-1","status":"OPEN","severity":"HIGH","type":"TOXIC_COMBINATION",` +
		`"createdAt":"` + stamp + `","updatedAt":"` + stamp + `","statusChangedAt":"` + stamp + `","sourceRules":[]}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var refused atomic.Int64
			url := wiztest.NewFakeWiz(t, wiztest.WithAPI(func(w http.ResponseWriter, r *http.Request) {
				var req struct {
					Query     string `json:"query"`
					Variables struct {
						FilterBy struct {
							StatusChangedAt struct{ After, Before time.Time } `json:"statusChangedAt"`
						} `json:"filterBy"`
					} `json:"variables"`
				}
				if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				if loc := retired.FindStringIndex(req.Query); loc != nil {
					refused.Add(1)
					line := strings.Count(req.Query[:loc[0]], "\n") + 1
					column := loc[0] - strings.LastIndex(req.Query[:loc[0]], "\n")
					w.Header().Set("Content-Type", tt.contentType)
					w.WriteHeader(http.StatusBadRequest)
					_, _ = fmt.Fprintf(w, `{"errors":[{"message":"Cannot query field \"sourceRule\" on type \"Issue\". Did you mean \"sourceRules\"?",`+
						`"locations":[{"line":%d,"column":%d}]%s}]}`, line, column, tt.extensions)
					return
				}
				nodes := ""
				if window := req.Variables.FilterBy.StatusChangedAt; at.After(window.After) && at.Before(window.Before) {
					nodes = node
				}
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = fmt.Fprintf(w, `{"data":{"issues":{"nodes":[%s],"pageInfo":{"hasNextPage":false,"endCursor":"c1"}}}}`, nodes)
			})).URL
			e := newEnv(t, url)
			e.enableOnly("issues")
			logs := e.observeLogs(zapcore.WarnLevel)
			sink := &consumertest.LogsSink{}
			e.Next = sink
			s, _ := e.stream(t)

			require.NoError(t, s.checkConnection(context.Background()))
			require.NoError(t, s.Poll(context.Background()))
			assert.Equal(t, int64(1), refused.Load(), "refused once, then asked without the field")
			assert.Equal(t, map[string]int{"issue-1@" + stamp: 1}, wiztest.Received(sink)[logtype.Issues.Name])
			dropped := logs.FilterMessage("Wiz no longer has a field the query selects; polling without it").FilterField(zap.String("field", "Issue.sourceRule"))
			assert.Equal(t, 1, dropped.Len())
			assert.Nil(t, e.statuses.Last(), "no status: no error")
		})
	}
}

// A page larger than max_response_size stops its stream after one
// request, read no further than the limit, with an error that names the
// fix: the same page would be as large at every retry and every poll.
func TestOversizedPageStopsTheStream(t *testing.T) {
	const limit = 64 << 10
	var written atomic.Int64
	fake := wiztest.NewFakeWiz(t, wiztest.WithAPI(wiztest.EndlessPage(http.StatusOK, &written)))
	e := newEnv(t, fake.URL)
	e.MaxResponseSize = limit
	e.enableOnly("audit")
	s, _ := e.stream(t)

	err := s.Poll(context.Background())
	require.Error(t, err)
	assert.True(t, s.stopped(err, "retry"), "the stream stops: polling again would fetch the same page")
	assert.True(t, e.statuses.Last().Permanent)
	assert.Contains(t, e.statuses.Last().Err.Error(), "audit stream stopped: wiz's answer to the AuditLogTable query is larger than max_response_size (65536 bytes), "+
		"and was abandoned there; lower page_size (this request asked for first: 50), or raise max_response_size")
	assert.Len(t, fake.RequestsTo("/graphql"), 1, "not retried")
	assert.Less(t, written.Load(), int64(64<<20), "the rest was never read")
}

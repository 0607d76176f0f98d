// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

func repeat(f mockwiz.Fault, n int) []mockwiz.Fault {
	out := make([]mockwiz.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// Each fault, injected while the receiver walks several pages of the three
// default log types (of all five in the random mix), costs nothing: every
// record arrives exactly once. The streams are polled directly, one after
// another: the collector's goroutines add nothing to what a fault does to a
// poll.
func TestFaultsLoseAndRepeatNothing(t *testing.T) {
	inOneSecond := time.Now().Add(time.Second).UTC().Format(http.TimeFormat)
	// wizClock is Wiz's clock where a case moves it.
	wizClock := wiztest.NewClock(time.Now())
	tests := []struct {
		name   string
		opts   mockwiz.Options
		inject func(srv *mockwiz.Server)
		// perPage, when set, runs at every page the consumer takes.
		perPage func()
		check   func(t *testing.T, srv *mockwiz.Server)
		// optIn also polls the log types that are off by default.
		optIn bool
	}{
		{name: "429 with Retry-After in seconds", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Status: 429, RetryAfter: "1"}, mockwiz.Fault{Status: 429, RetryAfter: "1"})
		}},
		{name: "429 with Retry-After as an HTTP date", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Status: 429, RetryAfter: inOneSecond})
		}},
		{name: "429 without Retry-After", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 429}, 3)...)
		}},
		{name: "500", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 500}, 3)...) }},
		{name: "502", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 502}, 3)...) }},
		{name: "503", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 503}, 3)...) }},
		{name: "connection dropped mid-body", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{DropMidBody: true}, mockwiz.Fault{DropMidBody: true})
		}},
		{name: "GraphQL error with HTTP 200", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(repeat(mockwiz.Fault{GraphQLCode: "INTERNAL"}, 3)...)
		}},
		// Wiz's clock moves 25 minutes a page: its tokens of an hour expire
		// every three pages, and Wiz refuses them.
		{name: "token expiring mid-walk", opts: mockwiz.Options{Now: wizClock.Now}, perPage: func() { wizClock.Advance(25 * time.Minute) }, check: func(t *testing.T, srv *mockwiz.Server) {
			assert.Greater(t, srv.Stats().TokenRequests, 5)
		}},
		{name: "token endpoint down for a while", inject: func(srv *mockwiz.Server) {
			srv.InjectTokenFaults(mockwiz.Fault{Status: 503}, mockwiz.Fault{Status: 502}, mockwiz.Fault{DropMidBody: true}, mockwiz.Fault{Latency: 200 * time.Millisecond})
		}},
		{name: "repeated cursor", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{Latency: time.Millisecond},
				mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{RepeatCursor: true}, mockwiz.Fault{RepeatCursor: true})
		}},
		{name: "random mix", inject: func(srv *mockwiz.Server) { srv.SetFaultRate(0.2, 11) }, optIn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			counts := map[string]int{logtype.Audit.Name: 90, logtype.Issues.Name: 50, logtype.VulnerabilityFindings.Name: 70}
			if tt.optIn {
				counts[logtype.ConfigurationFindings.Name], counts[logtype.Detections.Name] = 60, 60
			}
			opts.Dataset = polltest.DatasetOf(42, counts)
			srv, url := polltest.NewMock(t, opts)
			if tt.inject != nil {
				tt.inject(srv)
			}
			e := newEnv(t, url)
			if tt.optIn {
				e.enableOptIn(logtype.Audit.Key, logtype.Issues.Key, logtype.VulnerabilityFindings.Key)
			}
			e.PageSize = 15
			e.RequestsPerSecond = 40
			sink := &consumertest.LogsSink{}
			e.Next = sink
			if tt.perPage != nil {
				next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
					tt.perPage()
					return sink.ConsumeLogs(ctx, ld)
				})
				require.NoError(t, err)
				e.Next = next
			}
			streams, _ := e.streams(t)

			want := wiztest.Expected(t, srv)
			polltest.PollUntil(t, streams, 20, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
			wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
			if tt.check != nil {
				tt.check(t, srv)
			}
		})
	}
}

// A corrupt or unknown-version checkpoint is reported and ignored: the
// stream reads from initial_lookback and does not crash-loop.
func TestCorruptCheckpoint(t *testing.T) {
	for name, stored := range map[string]string{
		"not json":        "\x00\x01garbage",
		"future version":  `{"version":99,"watermark":"2026-01-01T00:00:00Z"}`,
		"wrong json type": `[1,2,3]`,
		"no watermark":    `{"version":1,"seen":[{"h":1,"t":2}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(25, 0, 0)})
			e := newEnv(t, url)
			e.enableOnly("audit")
			dir := t.TempDir()

			// Plant the bad checkpoint where the stream will look.
			client := storagetest.NewFileBackedClient(component.KindReceiver, storageID, "", dir)
			require.NoError(t, client.Set(context.Background(), "checkpoint.audit", []byte(stored)))
			require.NoError(t, client.Close(context.Background()))

			core, logs := observer.New(zapcore.InfoLevel)
			e.Logger = zap.New(core)
			sink := &consumertest.LogsSink{}
			e.Next = sink
			e.fileStorage(dir)
			streams, _ := e.streams(t)

			want := wiztest.Expected(t, srv)
			polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
			wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
			require.Equal(t, 1, logs.FilterMessage("Ignoring unusable checkpoint; reading from initial_lookback instead").Len())
		})
	}
}

// A window start with nanoseconds: the query, reading from a tick before
// it, takes in the entry on the start's microsecond, and the key set must
// still hold that entry's key when a later window reads it again.
func TestSubMicrosecondWindowStart(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 0)})
	sink := &consumertest.LogsSink{}
	s, _ := auditEnv(t, url, sink).stream(t) // any stream without a cap
	base := time.Now().Add(-time.Hour).Truncate(time.Second).Add(500 * time.Nanosecond)
	s.walker.state.Watermark = base.Add(-10 * time.Minute)
	srv.AddAuditEntries(1, base.Add(-s.walker.overlap).Truncate(time.Microsecond))
	setNow(s, func() time.Time { return base })
	require.NoError(t, s.Poll(context.Background()))
	setNow(s, func() time.Time { return base.Add(time.Minute) })
	require.NoError(t, s.Poll(context.Background()))
	wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
}

// A cursor Wiz rejects mid-walk (an expired one, say) restarts the walk
// from the window's start instead of stopping the stream; the capped
// stream's keys of the walk drop what it reads again.
func TestCursorRejectedMidWalk(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(230, 0, 0), AuditResultCap: 50})
	sink := &consumertest.LogsSink{}
	core, logs := observer.New(zapcore.WarnLevel)
	e := auditEnv(t, url, sink)
	e.Logger = zap.New(core)
	s, _ := cappedAuditStream(t, e)
	s.query.client = &rejectCursor{Client: s.query.client, nth: 2}
	require.NoError(t, s.Poll(context.Background()))
	wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	assert.Equal(t, 1, logs.FilterMessage("Cursor rejected; re-reading the window from its start").Len())
}

// rejectCursor sends its nth request that carries a cursor with a cursor
// the mock cannot decode, which Wiz answers with a GraphQL error.
type rejectCursor struct {
	Client
	nth, seen int
}

func (f *rejectCursor) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	if _, ok := req.Variables["after"]; ok {
		if f.seen++; f.seen == f.nth {
			req.Variables = maps.Clone(req.Variables)
			req.Variables["after"] = "bm90IGEgY3Vyc29y"
		}
	}
	return f.Client.FetchPage(ctx, req)
}

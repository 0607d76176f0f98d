// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// storageID is the receiver's id the storage clients belong to: a restart
// that keeps it finds its checkpoints.
var storageID = component.NewID(metadata.Type)

// testEnv is a test's receiver, as far as the engine sees it: the settings
// its streams share (the fast polling of the receiver's tests, a
// receiver's defaults otherwise), its Wiz client's, and its log type
// sections. streams builds the enabled streams as the receiver does, with
// a recording telemetry, status and API observer of the test's, and
// checks the checkpoint's invariants after every write.
type testEnv struct {
	Settings
	url               string
	RequestsPerSecond float64
	MaxResponseSize   int64
	AuthRetryInterval time.Duration
	ProjectIDs        []string
	// ResultCaps is Wiz's per-query cap by log-type key, which tests lower
	// to match a mock's.
	ResultCaps map[string]int
	// wrap, when set, stands between each stream and the Wiz client.
	wrap func(Client) Client

	sections   map[string]logtype.Config
	tt         *componenttest.Telemetry
	telemetry  map[string]*recordingTelemetry
	api        *recordingObserver
	statuses   *wiztest.Statuses
	invariants *Invariants
}

// newEnv is a fast-polling receiver of the three default log types, as
// the receiver's tests configure one, on the (mock) Wiz at url, delivering
// to a sink that drops everything.
func newEnv(t *testing.T, url string) *testEnv {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	backOff := configretry.NewDefaultBackOffConfig()
	backOff.InitialInterval = 10 * time.Millisecond
	backOff.MaxInterval = 50 * time.Millisecond
	backOff.MaxElapsedTime = 5 * time.Second
	e := &testEnv{
		Settings: Settings{
			PollInterval:      100 * time.Millisecond,
			InitialLookback:   24 * time.Hour,
			Overlap:           time.Minute,
			MaxWindow:         24 * time.Hour,
			PageSize:          50,
			NoEventsTimeout:   24 * time.Hour,
			BackOff:           backOff,
			SplitRefusedPages: true,
			MaxBatchBytes:     16 << 20,
			Storage:           storage.NewNopClient(),
			Markers:           storage.NewNopClient(),
			Next:              consumertest.NewNop(),
			Logger:            zap.NewNop(),
			Resource:          pcommon.NewResource(),
			Version:           "latest",
			Now:               time.Now,
		},
		url:               url,
		RequestsPerSecond: 200,
		MaxResponseSize:   16 << 20,
		AuthRetryInterval: 5 * time.Minute,
		ResultCaps:        map[string]int{},
		sections:          map[string]logtype.Config{},
		tt:                tt,
		telemetry:         map[string]*recordingTelemetry{},
		api:               &recordingObserver{},
		statuses:          &wiztest.Statuses{},
		invariants:        NewInvariants(t.Errorf),
	}
	e.Resource.Attributes().PutStr("wiz.api.endpoint", url+"/graphql")
	for _, lt := range logtype.All {
		e.sections[lt.Key] = lt.NewConfig()
		if lt.ResultCap > 0 {
			e.ResultCaps[lt.Key] = lt.ResultCap
		}
	}
	return e
}

// logType is lt's section.
func (e *testEnv) logType(lt *logtype.LogType) logtype.Config {
	return e.sections[lt.Key]
}

// enableOnly enables the log types with the given keys and disables the
// others.
func (e *testEnv) enableOnly(keys ...string) {
	for _, lt := range logtype.All {
		e.logType(lt).Settings().Enabled = slices.Contains(keys, lt.Key)
	}
}

// enableOptIn enables the log types off by default (cloud configuration
// findings and Wiz Defend detections) and the others with the given keys.
// Configuration findings are read in every status, as the mock's expected
// records (wiztest.Expected) are every node it holds.
func (e *testEnv) enableOptIn(keys ...string) {
	e.enableOnly(append(keys, logtype.ConfigurationFindings.Key, logtype.Detections.Key)...)
	e.logType(&logtype.ConfigurationFindings).(*logtype.ConfigurationFindingsConfig).Statuses = []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}
}

// fileStorage keeps the checkpoints and their markers in dir, as a
// file_storage extension does, until the release of streams.
func (e *testEnv) fileStorage(dir string) {
	e.Storage = storagetest.NewFileBackedClient(component.KindReceiver, storageID, "", dir)
	e.Markers = storagetest.NewFileBackedClient(component.KindReceiver, storageID, "markers", dir)
}

// memoryStorage keeps the checkpoints and their markers in memory.
func (e *testEnv) memoryStorage() {
	e.Storage = storagetest.NewInMemoryClient(component.KindReceiver, storageID, "")
	e.Markers = storagetest.NewInMemoryClient(component.KindReceiver, storageID, "markers")
}

// client is the Wiz client the receiver would build.
func (e *testEnv) client(t *testing.T) *wiz.Client {
	httpCfg := confighttp.NewDefaultClientConfig()
	httpCfg.Timeout = time.Minute
	httpClient, err := httpCfg.ToClient(context.Background(), nil, componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	tokenURL := e.url + "/oauth/token"
	return wiz.NewClient(wiz.Config{
		Endpoint:            e.url + "/graphql",
		TokenURL:            tokenURL,
		Audience:            wiz.DefaultAudience(tokenURL),
		ClientID:            polltest.ClientID,
		ClientSecret:        polltest.ClientSecret,
		BackOff:             e.BackOff,
		AuthFailureCooldown: e.AuthRetryInterval,
		MaxResponseSize:     e.MaxResponseSize,
		Observer:            e.api,
		UserAgent:           "otelcol-wiz/" + e.Version,
		HostClock:           e.Now,
	}, httpClient, wiz.NewLimiter(e.RequestsPerSecond))
}

// streams builds the enabled streams, each restored from its checkpoint,
// for a test to poll directly. The returned func releases the storage, as
// a shutdown does; it also runs at cleanup.
func (e *testEnv) streams(t *testing.T) ([]*Stream, func()) {
	t.Helper()
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: storageID, Transport: "https", ReceiverCreateSettings: metadatatest.NewSettings(e.tt),
	})
	require.NoError(t, err)
	client := e.client(t)
	var streams []*Stream
	for _, lt := range logtype.All {
		section := e.logType(lt)
		if !section.Settings().Enabled {
			continue
		}
		set := e.Settings
		set.LogType = lt
		set.Query = lt.Poll(section, e.ProjectIDs)
		set.ResultCap = e.ResultCaps[lt.Key]
		set.Client, set.WizClock = client, client
		if e.wrap != nil {
			set.Client = e.wrap(client)
		}
		set.ObsReport = obsrecv
		set.Status = e.statuses.Report
		set.Telemetry = e.telemetryOf(lt.Name)
		if set.AfterSave == nil {
			set.AfterSave = e.invariants.Check
		}
		if d := section.Settings().NoEventsTimeout; d != nil {
			set.NoEventsTimeout = *d
		}
		streams = append(streams, New(set))
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			require.NoError(t, e.Storage.Close(context.Background()))
			require.NoError(t, e.Markers.Close(context.Background()))
		})
	}
	t.Cleanup(release)
	for _, s := range streams {
		require.NoError(t, s.Restore(context.Background()))
	}
	return streams, release
}

// stream is streams' first stream.
func (e *testEnv) stream(t *testing.T) (*Stream, func()) {
	t.Helper()
	streams, release := e.streams(t)
	require.NotEmpty(t, streams)
	return streams[0], release
}

// telemetryOf is the telemetry of the log type named name.
func (e *testEnv) telemetryOf(name string) *recordingTelemetry {
	if e.telemetry[name] == nil {
		e.telemetry[name] = &recordingTelemetry{fieldsDropped: map[string]int{}}
	}
	return e.telemetry[name]
}

// recordingTelemetry records what a stream counts, as the receiver's
// metrics would show it.
type recordingTelemetry struct {
	mu                                                    sync.Mutex
	emitted, flattened, refused, unmappable, deduplicated int
	unconverted                                           int
	fieldsDropped                                         map[string]int
	// noEvents is the no-events alert as last set.
	noEvents bool
}

func (r *recordingTelemetry) add(to *int, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*to += n
}

func (r *recordingTelemetry) Emitted(n int)      { r.add(&r.emitted, n) }
func (r *recordingTelemetry) Flattened(n int)    { r.add(&r.flattened, n) }
func (r *recordingTelemetry) Refused(n int)      { r.add(&r.refused, n) }
func (r *recordingTelemetry) Unmappable(n int)   { r.add(&r.unmappable, n) }
func (r *recordingTelemetry) Deduplicated(n int) { r.add(&r.deduplicated, n) }
func (r *recordingTelemetry) Unconverted(error)  { r.add(&r.unconverted, 1) }

func (r *recordingTelemetry) FieldDropped(field string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fieldsDropped[field]++
}

func (*recordingTelemetry) Polled(time.Time, time.Time, time.Time, bool) {}

func (r *recordingTelemetry) NoEvents(raised bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.noEvents = raised
}

// recordingObserver records the Wiz client's clock skew readings.
type recordingObserver struct {
	mu    sync.Mutex
	skews []time.Duration
}

func (*recordingObserver) RequestDone(string, int, time.Duration) {}
func (*recordingObserver) Throttled(string)                       {}
func (*recordingObserver) Retried(string, string)                 {}
func (*recordingObserver) RateLimiterWaited(time.Duration)        {}

func (o *recordingObserver) ClockSkew(skew time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.skews = append(o.skews, skew)
}

// setNow moves s, and only s, to the host clock now: the Wiz client keeps
// the clock it measures Wiz's against.
func setNow(s *Stream, now func() time.Time) {
	s.now, s.walker.now, s.walker.clock.host, s.walker.delivery.now = now, now, now, now
}

// auditEnv is a receiver of the audit log alone, without a result cap,
// over the mock at url: pages of 20, no retries, delivering to next.
func auditEnv(t *testing.T, url string, next consumer.Logs) *testEnv {
	e := newEnv(t, url)
	e.PageSize = 20
	e.BackOff.Enabled = false
	e.enableOnly("audit")
	e.ResultCaps["audit"] = 0
	e.Next = next
	return e
}

// refuseNth refuses the nth page it is given, once, with err (default: a
// retryable error).
type refuseNth struct {
	*consumertest.LogsSink
	n, calls int
	err      error
}

func (c *refuseNth) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.calls++
	if c.calls == c.n {
		if c.err != nil {
			return c.err
		}
		return errors.New("exporter queue full")
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// observeLogs has the streams log to the logs returned, from level up.
func (e *testEnv) observeLogs(level zapcore.Level) *observer.ObservedLogs {
	core, logs := observer.New(level)
	e.Logger = zap.New(core)
	return logs
}

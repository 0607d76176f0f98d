// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/poll"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/webhook"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// dataCenterHost matches Wiz API hosts such as api.us1.app.wiz.io.
var dataCenterHost = regexp.MustCompile(`^api\.([a-z0-9-]+)\.app\.wiz\.(io|us)$`)

// wizReceiver runs one stream per enabled log type, and the webhook when it
// is enabled. The streams share the HTTP client, the token, the rate
// limiter and the storage client.
type wizReceiver struct {
	cfg     *Config
	set     receiver.Settings
	next    consumer.Logs
	obsrecv *receiverhelper.ObsReport
	metrics *telemetry

	// now is the clock for windows and timestamps; tests replace it.
	now func() time.Time
	// resultCaps is Wiz's per-query cap by log-type key; tests lower them
	// to match a mock's.
	resultCaps map[string]int
	// afterSave, when set, sees each stream after every checkpoint write.
	afterSave func(*poll.Stream)
	// sleep, when set, waits between a stream's polls; tests pace the
	// streams with it.
	sleep func(ctx context.Context, d time.Duration) error

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	storage storage.Client
	// markers is the storage client of the checkpoints' markers.
	markers storage.Client
	// webhook is nil unless webhook.enabled.
	webhook *webhook.Server
}

func newWizReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*wizReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "https",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	r := &wizReceiver{cfg: cfg, set: set, next: next, obsrecv: obsrecv, metrics: &telemetry{tb: tb},
		now: time.Now, resultCaps: resultCaps()}
	if cfg.Webhook.Enabled {
		ws := cfg.Webhook.settings(set, next, r.metrics.forWebhook())
		ws.Format = cfg.format()
		ws.SplitRefusedPages = cfg.SplitRefusedPages
		if r.webhook, err = webhook.New(ws); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Start starts the webhook, then builds the client and starts the streams.
// It does no network I/O: an unreachable Wiz must not stop the collector;
// the streams report it.
func (r *wizReceiver) Start(ctx context.Context, host component.Host) error {
	status := newStatusTracker(host)
	if r.webhook != nil {
		if err := r.webhook.Start(ctx, host, status.report); err != nil {
			return err
		}
	}
	if !r.cfg.polls() {
		return nil
	}
	streams, err := r.buildStreams(ctx, host, status)
	if err != nil {
		return err
	}
	for _, s := range streams {
		if err := s.Restore(ctx); err != nil {
			return err
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for _, s := range streams {
		r.wg.Go(func() { s.Run(runCtx) })
	}
	return nil
}

// buildStreams wires one stream per enabled log type onto a shared HTTP
// client, token, rate limiter and storage client.
func (r *wizReceiver) buildStreams(ctx context.Context, host component.Host, status *statusTracker) ([]*poll.Stream, error) {
	httpClient, err := r.cfg.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	r.storage, err = getStorageClient(ctx, host, r.cfg.StorageID, r.set.ID, "")
	if err != nil {
		return nil, err
	}
	r.markers, err = getStorageClient(ctx, host, r.cfg.StorageID, r.set.ID, markersClient)
	if err != nil {
		return nil, err
	}
	if r.cfg.StorageID == nil {
		r.set.Logger.Warn("No storage configured: checkpoints live in memory only, so a restart re-reads initial_lookback and repeats records; set storage: to a file_storage extension")
	}
	client := wiz.NewClient(wiz.Config{
		Endpoint:            r.cfg.graphQLURL(),
		TokenURL:            r.cfg.TokenURL,
		Audience:            r.cfg.audience(),
		ClientID:            r.cfg.ClientID,
		ClientSecret:        string(r.cfg.ClientSecret),
		BackOff:             r.cfg.BackOff,
		AuthFailureCooldown: r.cfg.AuthRetryInterval,
		MaxResponseSize:     r.cfg.MaxResponseSize,
		Observer:            r.metrics,
		UserAgent:           "otelcol-wiz/" + r.set.BuildInfo.Version,
		HostClock:           r.now,
	}, httpClient, wiz.NewLimiter(r.cfg.RequestsPerSecond))

	shared := poll.Settings{
		PollInterval:      r.cfg.PollInterval,
		InitialLookback:   r.cfg.InitialLookback,
		Overlap:           r.cfg.Overlap,
		MaxWindow:         r.cfg.MaxWindow,
		PageSize:          r.cfg.PageSize,
		NoEventsTimeout:   r.cfg.NoEventsTimeout,
		BackOff:           r.cfg.BackOff,
		SplitRefusedPages: r.cfg.SplitRefusedPages,
		MaxBatchBytes:     r.cfg.MaxBatchBytes,
		Client:            client,
		WizClock:          client,
		Storage:           r.storage,
		Markers:           r.markers,
		Next:              r.next,
		ObsReport:         r.obsrecv,
		Status:            status.report,
		Logger:            r.set.Logger,
		Resource:          r.resource(),
		Version:           r.set.BuildInfo.Version,
		Now:               r.now,
		Sleep:             r.sleep,
		AfterSave:         r.afterSave,
		Format:            r.cfg.format(),
		FormatName:        r.cfg.Format,
	}
	var streams []*poll.Stream
	for _, lt := range logtype.All {
		section := r.cfg.logType(lt)
		if !section.Settings().Enabled {
			continue
		}
		set := shared
		set.LogType = lt
		set.Query = lt.Poll(section, r.cfg.ProjectIDs)
		set.ResultCap = r.resultCaps[lt.Key]
		set.Telemetry = r.metrics.forStream(lt.Name)
		if d := section.Settings().NoEventsTimeout; d != nil {
			set.NoEventsTimeout = *d
		}
		streams = append(streams, poll.New(set))
	}
	return streams, nil
}

// Shutdown stops the webhook, letting its requests in flight finish, then
// cancels the streams' requests and waits for the streams, or until ctx
// ends (a next consumer that ignores cancellation must not hang the
// collector). Each stream's checkpoint is already consistent: it is saved
// at page boundaries.
func (r *wizReceiver) Shutdown(ctx context.Context) error {
	var webhookErr error
	if r.webhook != nil {
		webhookErr = r.webhook.Shutdown(ctx)
	}
	if r.cancel != nil {
		r.cancel()
	}
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("wiz receiver: streams still running at shutdown: %w", ctx.Err())
	}
	r.metrics.tb.Shutdown()
	errs := []error{webhookErr}
	for _, client := range []storage.Client{r.storage, r.markers} {
		if client != nil {
			errs = append(errs, client.Close(ctx))
		}
	}
	return errors.Join(errs...)
}

// resultCaps is Wiz's result cap of each log type that has one.
func resultCaps() map[string]int {
	caps := map[string]int{}
	for _, lt := range logtype.All {
		if lt.ResultCap > 0 {
			caps[lt.Key] = lt.ResultCap
		}
	}
	return caps
}

// resource describes the telemetry source: the Wiz tenant's API. The cloud
// resources a record is about go on the record, not here.
func (r *wizReceiver) resource() pcommon.Resource {
	res := pcommon.NewResource()
	endpoint := r.cfg.graphQLURL()
	res.Attributes().PutStr("wiz.api.endpoint", endpoint)
	if u, err := url.Parse(endpoint); err == nil {
		if m := dataCenterHost.FindStringSubmatch(u.Hostname()); m != nil {
			res.Attributes().PutStr("wiz.data_center", m[1])
		}
	}
	return res
}

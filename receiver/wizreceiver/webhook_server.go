package wizreceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
)

// webhookStatus is the webhook's name in the receiver's component status.
const webhookStatus = "webhook"

// webhookServer is the receiver's HTTP endpoint for Wiz's pushes: the
// collector's own confighttp server, with its TLS and authenticator, in
// front of the webhook handler.
type webhookServer struct {
	cfg     *WebhookConfig
	set     receiver.Settings
	handler *webhookHandler

	server *http.Server
	// addr is the address listened on, the port chosen when the endpoint
	// asks for port 0.
	addr string
	// cancel ends the requests' contexts once the server has stopped.
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newWebhookServer(cfg *WebhookConfig, set receiver.Settings, next consumer.Logs, metrics *telemetry, now func() time.Time) (*webhookServer, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	h := &webhookHandler{
		path:       cfg.Path,
		maxBody:    cfg.MaxRequestBodySize,
		maxRecords: cfg.MaxRecordsPerRequest,
		next:       next,
		obsrecv:    obsrecv,
		metrics:    newWebhookTelemetry(metrics),
		slots:      make(chan struct{}, cfg.MaxConcurrentRequests),
		logger:     set.Logger,
		version:    set.BuildInfo.Version,
		now:        now,
	}
	h.answerWithin = answerWithin(cfg.WriteTimeout)
	if cfg.DedupWindow > 0 {
		h.recent = newRecentBodies(cfg.DedupWindow, maxRecentBodies)
	}
	return &webhookServer{cfg: cfg, set: set, handler: h}, nil
}

// start listens and serves. A port that cannot be bound is a permanent
// error: the receiver does not start, so pushes are never lost silently.
func (s *webhookServer) start(ctx context.Context, host component.Host, status *statusTracker) error {
	endpoint := s.cfg.NetAddr.Endpoint
	ln, err := s.cfg.ToListener(ctx)
	if err != nil {
		if _, bind := errors.AsType[*net.OpError](err); bind {
			err = fmt.Errorf("webhook cannot listen on %s: %w; free the port or set webhook.endpoint to another address", endpoint, err)
		} else {
			err = fmt.Errorf("webhook.tls: %w; check the certificate, key and CA files", err)
		}
		status.report(webhookStatus, err, true)
		return err
	}
	// confighttp caps neither the connections nor their header bytes, which
	// a client holds before it is authenticated.
	limit := newConnLimit(ln, s.cfg.MaxConnections)
	ln = limit
	server, err := s.cfg.ToServer(ctx, host.GetExtensions(), s.set.TelemetrySettings, s.handler,
		confighttp.WithErrorHandler(s.handler.refuse))
	if err != nil {
		_ = ln.Close()
		err = fmt.Errorf("webhook: %w", err)
		status.report(webhookStatus, err, true)
		return err
	}
	server.MaxHeaderBytes = s.cfg.MaxRequestHeaderSize
	server.ConnState = limit.track
	server.Handler = s.handler.metrics.countResponses(server.Handler)
	baseCtx, cancel := context.WithCancel(context.Background())
	server.BaseContext = func(net.Listener) context.Context { return baseCtx }
	s.server, s.cancel, s.addr = server, cancel, ln.Addr().String()
	s.handler.stopping = baseCtx

	if !s.cfg.TLS.HasValue() && !s.cfg.onLoopback() {
		s.set.Logger.Warn("The webhook listens beyond loopback without TLS: terminate TLS in front of it (a load balancer or ingress), "+
			"or set webhook.tls; otherwise Wiz's credentials and payloads cross the network in clear text",
			zap.String("endpoint", endpoint))
	}
	s.wg.Go(func() {
		if err := server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			err = fmt.Errorf("webhook stopped serving: %w", err)
			s.set.Logger.Error("Webhook stopped", zap.Error(err))
			status.report(webhookStatus, err, true)
		}
	})
	s.set.Logger.Info("Webhook listening", zap.String("endpoint", s.addr), zap.String("path", s.cfg.Path),
		zap.Bool("tls", s.cfg.TLS.HasValue()), zap.Bool("auth", s.cfg.Auth.HasValue()))
	status.report(webhookStatus, nil, false)
	return nil
}

// shutdown stops accepting requests and waits for those in flight and the
// deliveries that outlived theirs, or until ctx ends; then it cancels what
// is left of them, and waits for that to end.
func (s *webhookServer) shutdown(ctx context.Context) error {
	if s.server == nil {
		return nil
	}
	err := s.server.Shutdown(ctx)
	if err == nil {
		err = s.handler.drain(ctx)
	}
	s.cancel()
	if err != nil {
		_ = s.server.Close()
		err = fmt.Errorf("webhook: requests or deliveries still in flight at shutdown: %w", err)
	}
	// A cancelled delivery ends as soon as the next consumer sees its
	// context end.
	_ = s.handler.drain(context.Background())
	s.wg.Wait()
	return err
}

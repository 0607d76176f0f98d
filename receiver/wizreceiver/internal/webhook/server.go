// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
)

// statusName is the webhook's name in the receiver's component status.
const statusName = "webhook"

// Server is the receiver's HTTP endpoint for Wiz's pushes: the collector's
// own confighttp server, with its TLS and authenticator, in front of the
// webhook handler.
type Server struct {
	set     Settings
	handler *handler

	server *http.Server
	// limit caps the server's connections.
	limit *connLimit
	// addr is the address listened on, the port chosen when the endpoint
	// asks for port 0.
	addr string
	// cancel ends the requests' contexts once the server has stopped.
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds the webhook; it does no I/O.
func New(set Settings) (*Server, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.Receiver.ID,
		Transport:              "http",
		ReceiverCreateSettings: set.Receiver,
	})
	if err != nil {
		return nil, err
	}
	h := &handler{
		path:       set.Path,
		maxBody:    set.Server.MaxRequestBodySize,
		maxRecords: set.MaxRecordsPerRequest,
		split:      set.SplitRefusedPages,
		next:       set.Next,
		obsrecv:    obsrecv,
		metrics:    set.Telemetry,
		format:     set.Format,
		deliveries: &deliveries{
			slots:        make(chan struct{}, set.MaxConcurrentRequests),
			answerWithin: answerWithin(set.Server.WriteTimeout),
			logger:       set.Receiver.Logger,
		},
		logger:  set.Receiver.Logger,
		version: set.Receiver.BuildInfo.Version,
		now:     set.Now,
	}
	if set.DedupWindow > 0 {
		h.recent = newRecentBodies(set.DedupWindow, maxRecentBodies)
	}
	return &Server{set: set, handler: h}, nil
}

// Addr is the address the webhook listens on, once started: the port
// chosen when the endpoint asks for port 0.
func (s *Server) Addr() string {
	return s.addr
}

// Start listens and serves, reporting the webhook's health to status. A
// port that cannot be bound is a permanent error: the receiver does not
// start, so pushes are never lost silently.
func (s *Server) Start(ctx context.Context, host component.Host, status func(name string, err error, permanent bool)) error {
	cfg := &s.set.Server
	endpoint := cfg.NetAddr.Endpoint
	ln, err := cfg.ToListener(ctx)
	if err != nil {
		if _, bind := errors.AsType[*net.OpError](err); bind {
			err = fmt.Errorf("webhook cannot listen on %s: %w; free the port or set webhook.endpoint to another address", endpoint, err)
		} else {
			err = fmt.Errorf("webhook.tls: %w; check the certificate, key and CA files", err)
		}
		status(statusName, err, true)
		return err
	}
	// confighttp caps neither the connections nor their header bytes, which
	// a client holds before it is authenticated.
	limit := newConnLimit(ln, s.set.MaxConnections, s.set.Now)
	ln = limit
	server, err := cfg.ToServer(ctx, host.GetExtensions(), s.set.Receiver.TelemetrySettings, s.handler,
		confighttp.WithErrorHandler(s.handler.refuse))
	if err != nil {
		_ = ln.Close()
		err = fmt.Errorf("webhook: %w", err)
		status(statusName, err, true)
		return err
	}
	server.MaxHeaderBytes = s.set.MaxRequestHeaderSize
	server.ConnState = limit.track
	server.Handler = countResponses(limit.closeForWaiting(server.Handler), s.set.Telemetry)
	baseCtx, cancel := context.WithCancel(context.Background())
	server.BaseContext = func(net.Listener) context.Context { return baseCtx }
	s.server, s.cancel, s.addr, s.limit = server, cancel, ln.Addr().String(), limit
	s.handler.deliveries.stopping = baseCtx

	logger := s.set.Receiver.Logger
	if !cfg.TLS.HasValue() && !s.set.Loopback {
		logger.Warn("The webhook listens beyond loopback without TLS: terminate TLS in front of it (a load balancer or ingress), "+
			"or set webhook.tls; otherwise Wiz's credentials and payloads cross the network in clear text",
			zap.String("endpoint", endpoint))
	}
	s.wg.Go(func() {
		if err := server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			err = fmt.Errorf("webhook stopped serving: %w", err)
			logger.Error("Webhook stopped", zap.Error(err))
			status(statusName, err, true)
		}
	})
	logger.Info("Webhook listening", zap.String("endpoint", s.addr), zap.String("path", s.set.Path),
		zap.Bool("tls", cfg.TLS.HasValue()), zap.Bool("auth", cfg.Auth.HasValue()))
	status(statusName, nil, false)
	return nil
}

// Shutdown stops accepting requests and waits for those in flight and the
// deliveries that outlived theirs, until ctx ends; then it cancels what is
// left of them and returns, saying how much was left, so that a pipeline
// that does not heed the cancellation cannot hold the collector's shutdown.
// A cancelled delivery has not had its records acknowledged to Wiz, which
// heard 503 or nothing, so Wiz's retry brings them again.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.server == nil {
		return nil
	}
	err := s.server.Shutdown(ctx)
	if err == nil {
		err = s.handler.deliveries.drain(ctx)
	}
	s.cancel()
	if err != nil {
		_ = s.server.Close()
		err = fmt.Errorf("webhook: requests or deliveries still in flight at shutdown were cancelled (%d): %w", s.handler.deliveries.inFlight(), err)
	}
	s.wg.Wait()
	return err
}

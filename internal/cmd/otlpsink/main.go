// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Command otlpsink is an OTLP/HTTP logs backend on loopback for `make bench`:
// it accepts every export on /v1/logs and answers GET /stats with what it
// received (requests, records, bytes as sent and as OTLP protobuf), as JSON.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/otelcol-wiz/otelcol-wiz/internal/otlpsink"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4318", "listen address")
	flag.Parse()

	sink := &otlpsink.Sink{}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/logs", sink)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(sink.Stats())
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("OTLP sink listening on http://%s", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdownCtx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

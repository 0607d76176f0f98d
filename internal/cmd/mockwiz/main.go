// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Command mockwiz serves the mock Wiz API (see internal/mockwiz) for demos
// and manual testing of the receiver, and with -webhook-url pushes to a
// collector's webhook as Wiz's webhook integration does. GET /stats answers,
// as JSON, how many /graphql requests it answered and their body bytes.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8899", "listen address")
	clientID := flag.String("client-id", "mock-client-id", "accepted OAuth client id")
	clientSecret := flag.String("client-secret", "mock-client-secret", "accepted OAuth client secret")
	counts := mockwiz.CountFlags(flag.CommandLine)
	lookback := flag.Duration("lookback", 24*time.Hour, "generated data spans [now-lookback, now]")
	tokenLifetime := flag.Duration("token-lifetime", time.Hour, "access token lifetime")
	faultRate := flag.Float64("fault-rate", 0, "fraction of /graphql requests that fail with a random fault")
	seed := flag.Int64("seed", 1, "random seed for data and faults")
	requestErrorStatus := flag.Int("request-error-status", http.StatusBadRequest, "HTTP status of the answer to a query that fails parsing, validation or variable coercion: 400 as GraphQL-over-HTTP servers and Apollo Server 4, 200 as older servers")
	live := flag.Duration("live", 0, "if > 0, add an audit entry, change an issue and a configuration finding, re-detect a finding and update a detection at this interval")
	webhookURL := flag.String("webhook-url", "", "if set, push payloads of each kind (issue, threat, Defend detection) to this webhook URL, as Wiz's webhook integration does, retrying until each is answered 200")
	webhookToken := flag.String("webhook-token", "", "the bearer token sent with each push (Wiz's \"Token (Bearer)\" option)")
	webhookPushes := flag.Int("webhook-pushes", 3, "payloads of each kind to push")
	webhookEvery := flag.Duration("webhook-every", 2*time.Second, "pause between rounds of pushes, one payload of each kind a round")
	flag.Parse()

	now := time.Now()
	srv := mockwiz.New(mockwiz.Options{
		Clients:            []mockwiz.Client{{ID: *clientID, Secret: *clientSecret, Scopes: mockwiz.AllScopes()}},
		TokenLifetime:      *tokenLifetime,
		RequestErrorStatus: *requestErrorStatus,
		Dataset: mockwiz.GenerateDataset(mockwiz.DatasetOptions{
			Seed: *seed, Start: now.Add(-*lookback), End: now,
			Counts: counts(),
		}),
	})
	srv.SetFaultRate(*faultRate, *seed)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// Log the bound address, which differs from -addr when it asks for port 0.
	base := "http://" + ln.Addr().String()
	log.Printf("mock Wiz listening; endpoint: %s/graphql token_url: %s/oauth/token", base, base)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *live > 0 {
		go mutate(ctx, srv, *live, *seed)
	}
	if *webhookURL != "" {
		go func() {
			p := newPusher(*webhookURL, *webhookToken, *webhookPushes, *webhookEvery)
			delivered, err := p.run(ctx, time.Now())
			if err != nil {
				log.Printf("pushes to the webhook stopped: %v", err)
			}
			log.Printf("pushed to %s: %d issue, %d threat and %d detection payloads", *webhookURL,
				delivered[mockwiz.WebhookIssue], delivered[mockwiz.WebhookThreat], delivered[mockwiz.WebhookDetection])
		}()
	}
	counter := &answerCounter{next: srv.Handler()}
	mux := http.NewServeMux()
	mux.Handle("/", counter)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(counter.stats())
	})
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
	log.Print("mock Wiz stopped")
}

// mutate makes new records appear, so a demo shows data flowing.
func mutate(ctx context.Context, srv *mockwiz.Server, every time.Duration, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	statuses := []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			srv.AddAuditEntries(1, now)
			snapshot := srv.Snapshot()
			issues, findings := snapshot["Wiz.Issues"], snapshot["Wiz.VulnerabilityFinding"]
			if len(issues) > 0 {
				srv.ChangeIssueStatus(issues[rng.IntN(len(issues))]["id"].(string), statuses[rng.IntN(len(statuses))], now)
			}
			if len(findings) > 0 {
				srv.RedetectVulnerabilityFinding(findings[rng.IntN(len(findings))]["id"].(string), now)
			}
			configurationFindings, detections := snapshot["Wiz.CloudConfigurationFinding"], snapshot["Wiz.DefendDetection"]
			if len(configurationFindings) > 0 {
				id := configurationFindings[rng.IntN(len(configurationFindings))]["id"].(string)
				srv.ChangeConfigurationFindingStatus(id, statuses[rng.IntN(len(statuses))], now)
			}
			if len(detections) > 0 {
				srv.UpdateDetection(detections[rng.IntN(len(detections))]["id"].(string), now)
			}
		}
	}
}

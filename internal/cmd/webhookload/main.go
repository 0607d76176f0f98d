// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Command webhookload measures the wiz receiver's webhook through the built
// collector, on loopback: a steady rate of realistic Wiz Defend detections
// (about 5 KB each), then a flood at ten times that rate. The collector
// exports each request's records to an OTLP/HTTP backend in this process,
// which checks that every acknowledged payload arrived exactly once and no
// refused one at all. It prints latency percentiles, the collector's CPU per
// 1,000 requests, its resident set over time and the flood's answers;
// `make bench` (internal/scripts/bench.sh) writes them to
// docs/performance.md.
//
// Usage: webhookload -otelcol _build/otelcol-wiz [-rate 1000] [-duration 60s] [-flood-duration 10s]
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

type options struct {
	otelcol, config string
	rate            int
	warmup          time.Duration
	duration        time.Duration
	floodFactor     int
	floodDuration   time.Duration
	floodInFlight   int
}

func main() {
	var o options
	flag.StringVar(&o.otelcol, "otelcol", "_build/otelcol-wiz", "the built collector")
	flag.StringVar(&o.config, "config", "testdata/bench/webhook.yaml", "the collector's configuration")
	flag.IntVar(&o.rate, "rate", 1000, "requests per second of the steady phase")
	// Long enough for the collector's heap to reach its size under the
	// load, so that the steady phase's RSS shows growth, not the ramp.
	flag.DurationVar(&o.warmup, "warmup", 15*time.Second, "unmeasured load before the steady phase")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "length of the steady phase")
	flag.IntVar(&o.floodFactor, "flood-factor", 10, "the flood's rate, in multiples of -rate")
	flag.DurationVar(&o.floodDuration, "flood-duration", 10*time.Second, "length of the flood")
	flag.IntVar(&o.floodInFlight, "flood-in-flight", 1024, "most requests in flight during the flood, each on a connection of its own")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "webhookload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	b := newBackend()
	backendLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	backendSrv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = backendSrv.Serve(backendLn) }()
	defer func() { _ = backendSrv.Close() }()

	port, err := freePort()
	if err != nil {
		return err
	}
	token := randomToken()
	c, err := startCollector(o, port, token, "http://"+backendLn.Addr().String())
	if err != nil {
		return err
	}
	defer c.kill()
	if err := c.waitListening(port, 30*time.Second); err != nil {
		return err
	}

	d, err := newDetections(time.Now())
	if err != nil {
		return err
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 1024}
	defer transport.CloseIdleConnections()
	g := &generator{
		client:     &http.Client{Transport: transport, Timeout: 10 * time.Second},
		url:        "http://127.0.0.1:" + port + "/",
		token:      token,
		detections: d,
		collector:  process{pid: c.cmd.Process.Pid},
	}
	// At the steady rate answers take milliseconds: a few requests are in
	// flight. The flood may hold many more than the webhook's cap of 64,
	// which is what it tests.
	if _, err := g.run(phase{name: "warm-up", rate: o.rate, duration: o.warmup, maxInFlight: 256}); err != nil {
		return err
	}
	steady, err := g.run(phase{name: "steady", rate: o.rate, duration: o.duration, maxInFlight: 256, first: 1 << 24})
	if err != nil {
		return err
	}
	flood, err := g.run(phase{name: "flood", rate: o.floodFactor * o.rate, duration: o.floodDuration, maxInFlight: o.floodInFlight, first: 2 << 24})
	if err != nil {
		return err
	}
	after := g.send(3 << 24)
	exitErr := c.stop(30 * time.Second)

	if _, err := os.Stdout.WriteString(report(len(d.base), steady, flood, b, after.status, exitErr)); err != nil {
		return err
	}
	return os.Remove(c.log.Name())
}

// collector is the built collector, run on testdata/bench/webhook.yaml.
type collector struct {
	cmd *exec.Cmd
	log *os.File
	// exited is closed once the process has exited, and err says how.
	exited chan struct{}
	err    error
}

func startCollector(o options, port, token, backendURL string) (*collector, error) {
	log, err := os.CreateTemp("", "webhookload-otelcol-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.otelcol, "--config", o.config)
	cmd.Env = append(os.Environ(), "WEBHOOK_PORT="+port, "WIZ_WEBHOOK_TOKEN="+token, "OTLP_ENDPOINT="+backendURL)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &collector{cmd: cmd, log: log, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// waitListening waits until the webhook's port takes connections.
func (c *collector) waitListening(port string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("the collector exited before listening (%w); its log is %s", c.err, c.log.Name())
		default:
		}
		if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
			return conn.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the webhook did not listen within %s; the collector's log is %s", limit, c.log.Name())
}

// stop ends the collector with SIGTERM and returns how it exited: nil for
// a clean exit after its shutdown.
func (c *collector) stop(limit time.Duration) error {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("the collector was gone before the end: %w", err)
	}
	select {
	case <-c.exited:
		return c.err
	case <-time.After(limit):
		return fmt.Errorf("the collector did not stop within %s", limit)
	}
}

// kill ends the collector if it still runs. Its log stays for a failed
// run to point at.
func (c *collector) kill() {
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	_ = c.log.Close()
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	return port, ln.Close()
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

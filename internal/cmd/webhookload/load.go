// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

// phase is one stretch of load: rate requests per second for duration, an
// open loop (each request leaves at its time, whatever the answers to the
// earlier ones), at most maxInFlight at once.
type phase struct {
	name        string
	rate        int
	duration    time.Duration
	maxInFlight int
	// first numbers the phase's payloads, so that no two phases share one.
	first int
}

// outcome is what one request got.
type outcome struct {
	uid     string
	status  int // 0: no answer
	latency time.Duration
}

// result is what a phase measured.
type result struct {
	phase
	outcomes []outcome
	elapsed  time.Duration
	// cpu is the collector's CPU time during the phase.
	cpu time.Duration
	// rss samples the collector's resident set once a second; peak is its
	// high-water mark at the end of the phase.
	rss  []int64
	peak int64
}

// generator sends the load and watches the collector.
type generator struct {
	client     *http.Client
	url, token string
	detections detections
	collector  process
}

// run sends ph's requests and waits for every answer. It is bounded in
// count (rate × duration requests) and in time (duration, plus the
// client's timeout for the last answers).
func (g *generator) run(ph phase) (result, error) {
	total := int(float64(ph.rate) * ph.duration.Seconds())
	res := result{phase: ph, outcomes: make([]outcome, 0, total)}
	outcomes := make([]outcome, total)
	cpu0, err := g.collector.cpu()
	if err != nil {
		return res, err
	}
	stopSampling := g.sampleRSS(&res)

	interval := time.Second / time.Duration(ph.rate)
	slots := make(chan struct{}, ph.maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	sent := 0
	for ; sent < total; sent++ {
		if d := time.Until(start.Add(time.Duration(sent) * interval)); d > 0 {
			time.Sleep(d)
		}
		if time.Since(start) > ph.duration {
			break // the generator fell behind: what it sent is the load
		}
		slots <- struct{}{}
		i := sent
		wg.Go(func() {
			defer func() { <-slots }()
			outcomes[i] = g.send(ph.first + i)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	stopSampling()
	res.outcomes = outcomes[:sent]

	cpu1, err := g.collector.cpu()
	if err != nil {
		return res, err
	}
	res.cpu = cpu1 - cpu0
	_, res.peak, err = g.collector.memory()
	return res, err
}

// send pushes the n-th detection and notes the answer.
func (g *generator) send(n int) outcome {
	body := g.detections.payload(n)
	o := outcome{uid: wizreceivertest.PayloadUID(body)}
	req, err := http.NewRequest(http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.token)
	start := time.Now()
	resp, err := g.client.Do(req)
	if err != nil {
		return o
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	o.status, o.latency = resp.StatusCode, time.Since(start)
	return o
}

// sampleRSS records the collector's resident set into res once a second
// until the returned func is called.
func (g *generator) sampleRSS(res *result) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if rss, _, err := g.collector.memory(); err == nil {
					res.rss = append(res.rss, rss)
				}
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// statuses counts the outcomes by status code (0: no answer).
func (r result) statuses() map[int]int {
	counts := map[int]int{}
	for _, o := range r.outcomes {
		counts[o.status]++
	}
	return counts
}

// percentile is the p-th percentile of the answered requests' latencies.
func (r result) percentile(p float64) time.Duration {
	var latencies []time.Duration
	for _, o := range r.outcomes {
		if o.status != 0 {
			latencies = append(latencies, o.latency)
		}
	}
	if len(latencies) == 0 {
		return 0
	}
	slices.Sort(latencies)
	return latencies[min(len(latencies)-1, int(p/100*float64(len(latencies))))]
}

// delivery checks the backend against the answers: every payload answered
// 200 must have arrived exactly once, and no other one at all.
func (r result) delivery(b *backend) (delivered, lost, repeated, unexpected int) {
	for _, o := range r.outcomes {
		n := b.received(o.uid)
		switch {
		case o.status == http.StatusOK && n == 0:
			lost++
		case o.status == http.StatusOK:
			delivered++
			if n > 1 {
				repeated++
			}
		case n > 0:
			unexpected++
		}
	}
	return delivered, lost, repeated, unexpected
}

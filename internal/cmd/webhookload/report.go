// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Targets of the steady phase.
const (
	targetP99 = 50 * time.Millisecond
	// rssGrowthLimit is what "flat" allows the resident set to grow by
	// from the first samples to the last: the garbage collector's swings
	// under a steady load. (The webhook's de-duplication set is allocated
	// whole when it starts.)
	rssGrowthLimit = 10 << 20
)

// report writes the phases' figures and how they meet the targets.
func report(size int, steady, flood result, b *backend, afterFlood int, exitErr error) string {
	w := &strings.Builder{}
	fmt.Fprintf(w, "%d-byte detections over loopback with a bearer token; one export per request to an OTLP/HTTP backend in the generator, no queue\n\n", size)
	sDelivered, sLost, sRepeated, sUnexpected := steady.delivery(b)
	line(w, steady, sDelivered, sLost, sRepeated, sUnexpected)
	first, last := average(steady.rss, 10, false), average(steady.rss, 10, true)
	fmt.Fprintf(w, "%8s collector RSS every 10 s: %s MB; peak since its start (VmHWM) %.1f MB\n", "", rssSeries(steady.rss), mb(steady.peak))
	fDelivered, fLost, fRepeated, fUnexpected := flood.delivery(b)
	line(w, flood, fDelivered, fLost, fRepeated, fUnexpected)
	fmt.Fprintf(w, "%8s collector peak RSS %.1f MB; after the flood it answered %s and %s\n", "", mb(flood.peak), statusText(afterFlood), exitText(exitErr))

	fmt.Fprintln(w)
	p99 := steady.percentile(99)
	growth := last - first
	onlyRefusals := true
	for status := range flood.statuses() {
		onlyRefusals = onlyRefusals && (status == http.StatusOK || status == http.StatusServiceUnavailable)
	}
	fmt.Fprintf(w, "targets at %d/s: 0 lost: %s (%d lost, %d repeated); p99 ≤ %s: %s (%s); RSS flat: %s (%+.1f MB from the first 10 s to the last)\n",
		steady.rate, verdict(sLost == 0 && sRepeated == 0 && sUnexpected == 0), sLost, sRepeated, ms(targetP99), verdict(p99 <= targetP99), ms(p99),
		verdict(growth <= rssGrowthLimit), mb(growth))
	fmt.Fprintf(w, "target under the flood: only 503s refused, nothing lost, no crash: %s\n",
		verdict(onlyRefusals && fLost == 0 && fUnexpected == 0 && afterFlood == http.StatusOK && exitErr == nil))
	return w.String()
}

func line(w *strings.Builder, r result, delivered, lost, repeated, unexpected int) {
	achieved := float64(len(r.outcomes)) / r.elapsed.Seconds()
	fmt.Fprintf(w, "%-8s %5d req/s for %s: sent %d (%.0f/s achieved, at most %d in flight); answers %s; delivered %d, lost %d, repeated %d, from refused requests %d\n",
		r.name, r.rate, r.duration, len(r.outcomes), achieved, r.maxInFlight, answers(r.statuses()), delivered, lost, repeated, unexpected)
	fmt.Fprintf(w, "%8s latency p50 %s, p99 %s, max %s; collector CPU %.1f ms per 1,000 requests (%.0f%% of a core)\n",
		"", ms(r.percentile(50)), ms(r.percentile(99)), ms(r.percentile(100)),
		float64(r.cpu.Microseconds())/float64(len(r.outcomes)), 100*r.cpu.Seconds()/r.elapsed.Seconds())
}

// answers writes status counts: "200 ×59998, 503 ×2".
func answers(counts map[int]int) string {
	var parts []string
	for _, status := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", statusText(status), counts[status]))
	}
	return strings.Join(parts, ", ")
}

func statusText(status int) string {
	if status == 0 {
		return "no answer"
	}
	return fmt.Sprint(status)
}

func exitText(err error) string {
	if err == nil {
		return "exited cleanly on SIGTERM"
	}
	return fmt.Sprintf("did not exit cleanly (%v)", err)
}

// average is the mean of the first (or last) n samples.
func average(samples []int64, n int, last bool) int64 {
	n = min(n, len(samples))
	if n == 0 {
		return 0
	}
	window := samples[:n]
	if last {
		window = samples[len(samples)-n:]
	}
	var sum int64
	for _, s := range window {
		sum += s
	}
	return sum / int64(n)
}

// rssSeries is every tenth sample, in MB.
func rssSeries(samples []int64) string {
	var parts []string
	for i := 0; i < len(samples); i += 10 {
		parts = append(parts, fmt.Sprintf("%.1f", mb(samples[i])))
	}
	if len(samples) > 0 && (len(samples)-1)%10 != 0 {
		parts = append(parts, fmt.Sprintf("%.1f", mb(samples[len(samples)-1])))
	}
	return strings.Join(parts, " ")
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

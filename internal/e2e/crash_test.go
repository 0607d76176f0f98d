// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/otlpsink"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// otlpBackend is an OTLP/HTTP logs endpoint that counts every record it
// accepted, by log type and log.record.uid. It can refuse, or hold, exports
// for a while, as a backend that is down or stuck.
type otlpBackend struct {
	otlpsink.Sink
	mu   sync.Mutex
	uids wiztest.Counts
	// refusals is how many exports to answer 503 before accepting again,
	// as a backend that is down for a while.
	refusals int
	// gate, when not nil, holds every export until it is closed; held
	// counts the exports held so far.
	gate chan struct{}
	held atomic.Int32
}

func newOTLPBackend() *otlpBackend {
	b := &otlpBackend{uids: wiztest.Counts{}}
	b.OnLogs = func(logs plog.Logs) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.uids.Add(logs)
	}
	return b
}

func (b *otlpBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.gate != nil {
		b.held.Add(1)
		<-b.gate
	}
	b.mu.Lock()
	refuse := b.refusals > 0
	if refuse {
		b.refusals--
	}
	b.mu.Unlock()
	if refuse {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	b.Sink.ServeHTTP(w, r)
}

func (b *otlpBackend) snapshot() wiztest.Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := wiztest.Counts{}
	for typ, m := range b.uids {
		out[typ] = map[string]int{}
		for uid, n := range m {
			out[typ][uid] = n
		}
	}
	return out
}

// TestE2EKill9 kills the collector with SIGKILL at random moments of a
// backfill, restarts it each time, and checks what the backend received:
// nothing may be lost. It runs both crash-safe pipeline shapes:
// examples/otlp.yaml itself, with no sending queue (the receiver's
// checkpoint follows the backend's answer), and a persistent queue (it
// follows the page's write to the on-disk queue).
//
// A record repeats only when a kill lands while it is in flight: sent, with
// no trace on disk yet that the backend took it. Without a queue that is the
// receiver's page between the export and its checkpoint; with the persistent
// queue it is the queue's batch between the export and its removal from the
// queue. The test reports how many repeated and bounds them by what can be in
// flight at one kill.
func TestE2EKill9(t *testing.T) {
	bin := binary(t)
	root := repoRoot(t)
	for _, shape := range []struct {
		name, config string
		// args override the example's pacing for a backfill in seconds
		// (pages of 50, so that a kill lands mid-backfill and the bound
		// below is tight) and move what would bind fixed ports.
		args []string
		// inFlight is the most records one kill can leave unacknowledged.
		inFlight int
	}{
		// Three streams with a page of 50 each.
		{"no_queue", filepath.Join(root, "examples", "otlp.yaml"), []string{
			"--set=receivers.wiz.poll_interval=200ms",
			"--set=receivers.wiz.page_size=50",
			"--set=receivers.wiz.requests_per_second=40",
			"--set=extensions.healthcheckv2.http.endpoint=127.0.0.1:" + freePort(t),
			noMetrics,
		}, 3 * 50},
		// One queue consumer with batches of at most 500, plus the
		// receiver's pages between the queue write and the checkpoint.
		{"persistent_queue", filepath.Join(root, "testdata", "e2e", "crash-queue.yaml"), nil, 500 + 3*50},
	} {
		t.Run(shape.name, func(t *testing.T) {
			kill9(t, bin, shape.config, shape.args, shape.inFlight)
		})
	}
}

func kill9(t *testing.T, bin, config string, args []string, inFlight int) {
	srv, env := newWiz(t, 9, 1500, 600, 1500)
	backend := newOTLPBackend()
	otlp := httptest.NewServer(backend)
	t.Cleanup(otlp.Close)
	dir := t.TempDir()
	env = append(env, "WIZ_STATE_DIR="+filepath.Join(dir, "state"), "OTLP_ENDPOINT="+otlp.URL)
	want := wiztest.Expected(t, srv)

	rng := rand.New(rand.NewPCG(wiztest.Seed(t), 1))
	kills := 0
	for range 8 {
		c := startCollector(t, bin, config, env, filepath.Join(dir, "unused.jsonl"), args...)
		time.Sleep(time.Duration(150+rng.IntN(500)) * time.Millisecond)
		require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
		_ = c.cmd.Wait()
		kills++
		if wiztest.AllArrived(want, backend.snapshot()) {
			break
		}
	}
	c := startCollector(t, bin, config, env, filepath.Join(dir, "unused.jsonl"), args...)
	// Not require: on a timeout the figures below say what was lost.
	assert.Eventually(t, func() bool { return wiztest.AllArrived(want, backend.snapshot()) }, 60*time.Second, 100*time.Millisecond)
	time.Sleep(time.Second)
	c.stop(t)

	got := backend.snapshot()
	total, lost, duplicated := 0, 0, 0
	for typ, uids := range want {
		expected := map[string]bool{}
		for _, uid := range uids {
			total++
			expected[uid] = true
			if got[typ][uid] == 0 {
				lost++
			}
		}
		for uid, n := range got[typ] {
			duplicated += n - 1
			assert.True(t, expected[uid], "%s: unexpected record %s", typ, uid)
		}
	}
	t.Logf("kill -9 on %s: %d kills; %d records, %d lost, %d duplicated", filepath.Base(config), kills, total, lost, duplicated)
	if !assert.Zero(t, lost, "records lost") {
		t.Logf("collector log of the last run:\n%s", c.log.String())
	}
	assert.LessOrEqual(t, duplicated, kills*inFlight)
}

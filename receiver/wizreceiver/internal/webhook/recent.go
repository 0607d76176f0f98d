// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"sync"
	"time"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// maxRecentBodies bounds the bodies the webhook remembers: a few MB,
// allocated when it starts. At a sustained rate above maxRecentBodies per
// dedup_window the oldest are forgotten early, so the window is shorter,
// but memory stays flat.
const maxRecentBodies = 65536

// bodyHash identifies a request body: half the SHA-256 of its canonical
// JSON, ample for telling apart the bodies of one window. A body re-sent
// with other whitespace is the same body, as its records have the same
// uids.
type bodyHash [16]byte

func hashBody(body []byte) bodyHash {
	sum := mapping.CanonicalSum(body)
	return bodyHash(sum[:16])
}

// claim is what recentBodies says of a body about to be delivered.
type claim int

const (
	// claimed: deliver it, then release it.
	claimed claim = iota
	// redelivered: it was accepted within the window; acknowledge it
	// without emitting it again.
	redelivered
	// inFlight: an identical body is being delivered right now; the
	// sender should try again shortly.
	inFlight
)

// recentBodies remembers the bodies the webhook accepted within window, so
// that an identical re-delivery is acknowledged but not emitted twice. A
// body is remembered only once the next consumer accepted it: until then it
// is claimed, and an identical request meanwhile is turned away rather than
// emitted beside it. Its memory is allocated whole at the start, for limit
// bodies, so it stays flat however many pass.
type recentBodies struct {
	window time.Duration

	mu       sync.Mutex
	accepted map[bodyHash]int64 // acceptance time, Unix nanoseconds
	// ring holds the accepted bodies oldest first: n of them from start.
	ring     []acceptedBody
	start, n int
	claimed  map[bodyHash]struct{}
}

type acceptedBody struct {
	hash bodyHash
	at   int64
}

func newRecentBodies(window time.Duration, limit int) *recentBodies {
	return &recentBodies{
		window:   window,
		accepted: make(map[bodyHash]int64, limit),
		ring:     make([]acceptedBody, limit),
		claimed:  map[bodyHash]struct{}{},
	}
}

// claim checks h at now and, when it is new, claims it.
func (r *recentBodies) claim(h bodyHash, now time.Time) claim {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now.UnixNano())
	if _, ok := r.accepted[h]; ok {
		return redelivered
	}
	if _, ok := r.claimed[h]; ok {
		return inFlight
	}
	r.claimed[h] = struct{}{}
	return claimed
}

// release ends h's claim; an accepted body is remembered from now on, in
// place of the oldest when the ring is full.
func (r *recentBodies) release(h bodyHash, accepted bool, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.claimed, h)
	if !accepted {
		return
	}
	if r.n == len(r.ring) {
		r.forgetOldest()
	}
	at := now.UnixNano()
	r.accepted[h] = at
	r.ring[(r.start+r.n)%len(r.ring)] = acceptedBody{hash: h, at: at}
	r.n++
}

// expire forgets the bodies accepted a window or more before now.
func (r *recentBodies) expire(now int64) {
	for r.n > 0 && now-r.ring[r.start].at >= int64(r.window) {
		r.forgetOldest()
	}
}

func (r *recentBodies) forgetOldest() {
	delete(r.accepted, r.ring[r.start].hash)
	r.start = (r.start + 1) % len(r.ring)
	r.n--
}

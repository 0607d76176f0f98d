// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// deliveries holds the slots of max_concurrent_requests: a request takes
// one before it reads its body, and its delivery holds it until the next
// consumer has answered, which may be after the request was answered.
type deliveries struct {
	slots chan struct{}
	// answerWithin is how long a request waits for the next consumer; 0
	// waits as long as it takes.
	answerWithin time.Duration
	// expire, when not nil, ends the wait of a request that receives from
	// it, as answerWithin passing does: tests say when a request's time is
	// up, and never race the server's write deadline.
	expire chan struct{}
	// stopping ends when the server has stopped: it cancels the deliveries
	// that outlived their requests.
	stopping context.Context
	// drained counts the slots drain took, to leave none to deliveries.
	drained int
	logger  *zap.Logger
}

// take takes a slot, unless every one is taken.
func (d *deliveries) take() bool {
	select {
	case d.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// release frees a slot taken for a request that delivers nothing.
func (d *deliveries) release() {
	<-d.slots
}

// inTime runs deliver on a goroutine of its own, which holds the request's
// slot until the next consumer has answered, and relays the delivery's
// answer. Once answerWithin has passed since start, it answers 503 with
// Retry-After instead (an exporter retrying through a backend outage,
// without a queue, holds a delivery for minutes), and the delivery goes on
// with its body still claimed: a re-delivery meanwhile is told to retry;
// one after it is acknowledged without being emitted when the consumer
// accepted the records, and emitted when it refused them. The deadline is
// real time, not the handler's clock: it races the server's own write
// deadline.
func (d *deliveries) inTime(ctx context.Context, w http.ResponseWriter, start time.Time, deliver func(context.Context, http.ResponseWriter)) {
	// The request's context ends with its answer; the delivery's ends
	// when it does, or when the server has stopped.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(d.stopping, cancel)
	answered := make(chan *heldAnswer, 1)
	go func() {
		defer d.release()
		defer stop()
		defer cancel()
		a := &heldAnswer{header: http.Header{}}
		deliver(ctx, a)
		answered <- a
	}()
	if d.answerWithin <= 0 {
		(<-answered).sendTo(w)
		return
	}
	timer := time.NewTimer(time.Until(start.Add(d.answerWithin)))
	defer timer.Stop()
	select {
	case a := <-answered:
		a.sendTo(w)
		return
	case <-timer.C:
	case <-d.expire:
	}
	d.logger.Warn("The pipeline did not take webhook records within write_timeout; answering 503 so that Wiz retries, "+
		"while the delivery goes on: a re-delivery after it is acknowledged if the records were accepted",
		zap.Duration("waited", d.answerWithin))
	retryLater(w, retryAfterRefused, "the pipeline did not take the records within write_timeout")
}

// drain takes every slot as its request or delivery ends, so that none is
// left and none can start; it gives up when ctx ends, keeping the slots it
// took.
func (d *deliveries) drain(ctx context.Context) error {
	for d.drained < cap(d.slots) {
		select {
		case d.slots <- struct{}{}:
			d.drained++
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// inFlight is how many requests and deliveries hold a slot, besides those
// drain took.
func (d *deliveries) inFlight() int {
	return len(d.slots) - d.drained
}

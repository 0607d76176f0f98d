package wizreceiver

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// answerWithin is how long a request waits for the next consumer: its
// write_timeout, less a margin to write the answer in (a second, or half a
// write_timeout shorter than two). Past write_timeout the server would
// close the connection with no answer at all. A write_timeout of 0 has no
// deadline, and a request waits as long as its delivery takes.
func answerWithin(writeTimeout time.Duration) time.Duration {
	if writeTimeout <= 0 {
		return 0
	}
	return writeTimeout - min(time.Second, writeTimeout/2)
}

// deliverInTime delivers body on a goroutine of its own, which holds the
// request's slot until the next consumer has answered, and relays the
// delivery's answer. Once answerWithin has passed since start, it answers
// 503 with Retry-After instead (an exporter retrying through a backend
// outage, without a queue, holds a delivery for minutes), and the delivery
// goes on with its body still claimed: a re-delivery meanwhile is told to
// retry; one after it is acknowledged without being emitted when the
// consumer accepted the records, and emitted when it refused them. The
// deadline is real time, not the handler's clock: it races the server's
// own write deadline.
func (h *webhookHandler) deliverInTime(ctx context.Context, w http.ResponseWriter, body []byte, start time.Time) {
	// The request's context ends with its answer; the delivery's ends
	// when it does, or when the server has stopped.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(h.stopping, cancel)
	answered := make(chan *heldAnswer, 1)
	go func() {
		defer func() { <-h.slots }()
		defer stop()
		defer cancel()
		a := &heldAnswer{header: http.Header{}}
		h.deliver(ctx, a, body)
		answered <- a
	}()
	if h.answerWithin <= 0 {
		(<-answered).sendTo(w)
		return
	}
	timer := time.NewTimer(time.Until(start.Add(h.answerWithin)))
	defer timer.Stop()
	select {
	case a := <-answered:
		a.sendTo(w)
	case <-timer.C:
		h.logger.Warn("The pipeline did not take webhook records within write_timeout; answering 503 so that Wiz retries, "+
			"while the delivery goes on: a re-delivery after it is acknowledged if the records were accepted",
			zap.Duration("waited", h.answerWithin))
		retryLater(w, retryAfterRefused, "the pipeline did not take the records within write_timeout")
	}
}

// drain takes every slot as its request or delivery ends, so that none is
// left and none can start; it gives up when ctx ends, keeping the slots it
// took.
func (h *webhookHandler) drain(ctx context.Context) error {
	for h.drained < cap(h.slots) {
		select {
		case h.slots <- struct{}{}:
			h.drained++
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// heldAnswer is an answer written before it is known whether it will be
// sent: the delivery writes it, and its request relays it if it is ready
// in time.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *heldAnswer) Header() http.Header { return a.header }

func (a *heldAnswer) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *heldAnswer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(b)
}

func (a *heldAnswer) sendTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), a.header)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body.Bytes())
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/consume"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
)

// Retry-After of a 503, in seconds.
const (
	// retryAfterBusy: every slot is taken, or an identical body is being
	// delivered; either frees within milliseconds, unless the pipeline holds
	// a delivery past its request's answer (see deliveries.inTime).
	retryAfterBusy = 1
	// retryAfterRefused: the next consumer refused the records for now
	// (a backend down, a memory limiter).
	retryAfterRefused = 5
)

// handler answers Wiz's pushes behind the authenticator: it checks
// the request, maps the payload and hands the records to the next
// consumer, answering 200 only once the consumer accepted them. It never
// queues: past max_concurrent_requests it answers 503.
type handler struct {
	path    string
	maxBody int64
	next    consumer.Logs
	obsrecv *receiverhelper.ObsReport
	metrics Telemetry
	// recent is nil when dedup_window is 0.
	recent     *recentBodies
	deliveries *deliveries
	logger     *zap.Logger
	version    string
	now        func() time.Time
	// maxRecords is max_records_per_request.
	maxRecords int
	// split is split_refused_pages: an array refused for good is sent again
	// in halves, down to the records refused, rather than refused whole.
	split bool
	// unknownWarnings keeps the WARN about payloads of no known type to a
	// line a minute, which says how many it left out.
	unknownWarnings logThrottle
	// format turns a native record into the configured format; nil keeps
	// it native.
	format func(logType string, lr plog.LogRecord) error
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The server's write deadline runs from about now: see
	// deliveries.inTime.
	start := time.Now()
	if r.URL.Path != h.path {
		answer(w, http.StatusNotFound, "no webhook at this path: Wiz posts to "+h.path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		answer(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		answer(w, http.StatusUnsupportedMediaType, "the content type must be application/json (or an application/*+json type)")
		return
	}
	if !h.deliveries.take() {
		retryLater(w, retryAfterBusy, "too many requests at once")
		return
	}
	// Once handed to deliveries.inTime, the slot is the delivery's to free.
	delivering := false
	defer func() {
		if !delivering {
			h.deliveries.release()
		}
	}()
	if r.ContentLength > h.maxBody {
		answer(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than max_request_body_size (%d bytes)", h.maxBody))
		return
	}
	body, err := readBody(r)
	h.metrics.BodyRead(len(body))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			answer(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than max_request_body_size (%d bytes)", h.maxBody))
			return
		}
		answer(w, http.StatusBadRequest, "reading the body failed")
		h.logger.Debug("Webhook request body could not be read", zap.String("remote", r.RemoteAddr), zap.Error(err))
		return
	}
	delivering = true
	h.deliveries.inTime(r.Context(), w, start, func(ctx context.Context, w http.ResponseWriter) { h.deliver(ctx, w, body) })
}

// deliver maps body and hands its records to the next consumer, once: a
// body accepted within dedup_window is acknowledged and not emitted again.
func (h *handler) deliver(ctx context.Context, w http.ResponseWriter, body []byte) {
	payloads, err := mapping.SplitPushed(body, h.maxRecords)
	if errors.Is(err, mapping.ErrTooManyPayloads) {
		answer(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body holds more than max_records_per_request (%d) records: send fewer at once", h.maxRecords))
		return
	}
	if err != nil {
		answer(w, http.StatusBadRequest, err.Error())
		return
	}
	received := h.now()
	if h.recent != nil {
		key := hashBody(body)
		switch h.recent.claim(key, received) {
		case redelivered:
			h.metrics.Redelivered()
			answerJSON(w, http.StatusOK, `{"status":"duplicate"}`)
			return
		case inFlight:
			retryLater(w, retryAfterBusy, "an identical body is being delivered")
			return
		case claimed:
		}
		accepted := false
		defer func() { h.recent.release(key, accepted, h.now()) }()
		accepted = h.emit(ctx, w, payloads, received)
		return
	}
	h.emit(ctx, w, payloads, received)
}

// emit maps the body's payloads, hands the records to the next consumer
// and answers; it reports whether the consumer accepted them, all or all
// but those it refused for good. A batch refused for good is split
// (consume.Batch), unless split_refused_pages is off, and only the records
// refused alone are not sent again: when the consumer accepted the others,
// Wiz hears 200, so that it does not send them again, and the body is
// remembered like an accepted one.
func (h *handler) emit(ctx context.Context, w http.ResponseWriter, bodyPayloads [][]byte, received time.Time) bool {
	logs, payloads, err := h.decode(bodyPayloads, received)
	if err != nil {
		answer(w, http.StatusBadRequest, err.Error())
		return false
	}
	for _, p := range payloads {
		if p.Type != &logtype.Webhook {
			continue
		}
		if ok, suppressed := h.unknownWarnings.allow(h.now()); ok {
			h.logger.Warn("Webhook payload of no known type; emitted as "+logtype.Webhook.Name+
				" (one line a minute at most; suppressed counts the payloads left out since the last)",
				zap.String("trigger_source", p.TriggerSource), zap.String("uid", p.UID), zap.Int("suppressed", suppressed))
		}
	}
	accepted := 0
	refused, err := consume.Batch(ctx, logs, h.split, h.send, func(lo, hi int) {
		countEmitted(h.metrics, payloads[lo:hi])
		accepted += hi - lo
	})
	if len(refused) > 0 {
		// Wiz's retry would be refused again: drop the records, loudly.
		dropped := make([]logtype.PushedRecord, len(refused))
		for i, r := range refused {
			dropped[i] = payloads[r.Index]
		}
		countRefused(h.metrics, dropped)
		h.logger.Error("Next consumer permanently refused webhook records (one of its pipelines, when the receiver feeds several); not sending them again",
			zap.Int("records", len(dropped)), zap.Int("body_records", len(payloads)),
			zap.Strings("ids", payloadIDs(dropped)), zap.Error(refused[0].Err))
	}
	switch {
	case err != nil:
		h.logger.Warn("Next consumer refused webhook records; answering 503 so that Wiz retries",
			zap.Int("records", len(payloads)-accepted-len(refused)), zap.Error(err))
		retryLater(w, retryAfterRefused, "the pipeline cannot take the records now")
		return false
	case accepted == 0:
		answer(w, http.StatusInternalServerError, "the pipeline refused the records")
		return false
	case len(refused) > 0:
		answerJSON(w, http.StatusOK, `{"status":"partial","records":`+strconv.Itoa(accepted)+`,"dropped":`+strconv.Itoa(len(refused))+`}`)
		return true
	default:
		answerJSON(w, http.StatusOK, `{"status":"accepted","records":`+strconv.Itoa(accepted)+`}`)
		return true
	}
}

// send hands logs to the next consumer, once: Wiz retries.
func (h *handler) send(ctx context.Context, logs plog.Logs) error {
	return consume.Once(ctx, h.obsrecv, "json", h.next, logs, h.split)
}

// decode maps a body's payloads, one JSON object or the elements of an
// array of them (a batch), into records.
func (h *handler) decode(payloads [][]byte, received time.Time) (plog.Logs, []logtype.PushedRecord, error) {
	logs := plog.NewLogs()
	sl := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(h.version)
	records := sl.LogRecords()
	records.EnsureCapacity(len(payloads))
	mapped := make([]logtype.PushedRecord, 0, len(payloads))
	// An object the array repeats, whitespace aside, is one record: the
	// repeat's uid is the same.
	uids := make(map[string]struct{}, len(payloads))
	lr := plog.NewLogRecord()
	for i, payload := range payloads {
		p, err := logtype.MapPushed(payload, received, lr)
		if err != nil {
			if len(payloads) > 1 {
				return plog.Logs{}, nil, fmt.Errorf("element %d of the array is not a JSON object: %w", i, err)
			}
			return plog.Logs{}, nil, fmt.Errorf("the body is not a JSON object, or an array of objects: %w", err)
		}
		if _, repeated := uids[p.UID]; repeated {
			lr = plog.NewLogRecord()
			continue
		}
		uids[p.UID] = struct{}{}
		if h.format != nil {
			if err := h.format(p.Type.Name, lr); err != nil {
				h.metrics.Unconverted(p.Type.Name, err)
			}
		}
		lr.MoveTo(records.AppendEmpty())
		mapped = append(mapped, p)
	}
	return logs, mapped, nil
}

// readBody reads the whole body into one buffer sized by Content-Length
// (which max_request_body_size already bounds), rather than growing one step
// by step as io.ReadAll does, whose copies stood out in CPU profiles under
// load. A decompressed or chunked body still grows as it must.
func readBody(r *http.Request) ([]byte, error) {
	size := int64(bytes.MinRead)
	if r.ContentLength > 0 {
		size += r.ContentLength
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
}

// payloadIDs names payloads in a log line: each one's own id, else its uid.
func payloadIDs(payloads []logtype.PushedRecord) []string {
	ids := make([]string, len(payloads))
	for i, p := range payloads {
		ids[i] = p.ID
		if ids[i] == "" {
			ids[i] = p.UID
		}
	}
	return ids
}

// isJSON accepts application/json and the application/*+json types, with
// any parameters.
func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mediaType == "application/json" ||
		strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json"))
}

// refuse answers the server's own refusals: the authenticator's (401) and
// the body decompressor's. The authenticator's message is not repeated: it
// is the extension's, and could echo what the client presented.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, msg string, status int) {
	if status == http.StatusUnauthorized {
		h.metrics.AuthFailed()
		h.logger.Debug("Webhook request failed authentication", zap.String("remote", r.RemoteAddr))
		answer(w, status, "authentication failed")
		return
	}
	answer(w, status, msg)
}

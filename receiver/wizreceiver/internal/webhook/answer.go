// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strconv"
	"time"
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

func retryLater(w http.ResponseWriter, seconds int, reason string) {
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	answer(w, http.StatusServiceUnavailable, reason+": retry later")
}

// answer writes an error as {"error": msg}.
func answer(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	answerJSON(w, status, string(body))
}

func answerJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"errors"
	"maps"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
)

// statusTracker folds the health of every stream into the one component
// status the collector keeps per receiver: permanent if any stream stopped
// for good, recoverable if any stream's last poll failed, OK otherwise. It
// reports only changes.
type statusTracker struct {
	host component.Host

	mu        sync.Mutex
	streams   map[string]streamHealth
	lastEvent string
}

type streamHealth struct {
	err       error
	permanent bool
}

func newStatusTracker(host component.Host) *statusTracker {
	return &statusTracker{host: host, streams: map[string]streamHealth{}}
}

// report records the outcome of a stream's last poll; err == nil is healthy.
func (t *statusTracker) report(stream string, err error, permanent bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.streams[stream] = streamHealth{err: err, permanent: permanent}

	var permanentErrs, recoverableErrs []error
	for _, name := range slices.Sorted(maps.Keys(t.streams)) {
		h := t.streams[name]
		switch {
		case h.err == nil:
		case h.permanent:
			permanentErrs = append(permanentErrs, h.err)
		default:
			recoverableErrs = append(recoverableErrs, h.err)
		}
	}
	var ev *componentstatus.Event
	switch {
	case len(permanentErrs) > 0:
		ev = componentstatus.NewPermanentErrorEvent(errors.Join(append(permanentErrs, recoverableErrs...)...))
	case len(recoverableErrs) > 0:
		ev = componentstatus.NewRecoverableErrorEvent(errors.Join(recoverableErrs...))
	default:
		ev = componentstatus.NewEvent(componentstatus.StatusOK)
	}
	key := ev.Status().String()
	if ev.Err() != nil {
		key += ev.Err().Error()
	}
	if key == t.lastEvent {
		return
	}
	t.lastEvent = key
	componentstatus.ReportStatus(t.host, ev)
}

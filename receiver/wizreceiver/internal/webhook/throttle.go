// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"sync"
	"time"
)

// logThrottle lets one log line through a period and counts the ones it
// holds back, so that a flood of alike events costs a line a period, not
// a line an event. Its zero value lets a line through once a minute.
type logThrottle struct {
	mu         sync.Mutex
	next       time.Time
	suppressed int
}

const logThrottlePeriod = time.Minute

// allow reports whether a line at now goes out and, when it does, how many
// were held back since the last one.
func (l *logThrottle) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.next) {
		l.suppressed++
		return false, 0
	}
	suppressed, l.suppressed, l.next = l.suppressed, 0, now.Add(logThrottlePeriod)
	return true, suppressed
}

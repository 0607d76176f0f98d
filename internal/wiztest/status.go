// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import "sync"

// Status is one report of a stream's or the webhook's health: err is nil
// when healthy, and permanent when it needs a human.
type Status struct {
	Name      string
	Err       error
	Permanent bool
}

// Statuses records the reports of the engine's and the webhook's status
// callback, which the receiver folds into its component status.
type Statuses struct {
	mu      sync.Mutex
	reports []Status
}

// Report is the status callback.
func (s *Statuses) Report(name string, err error, permanent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, Status{Name: name, Err: err, Permanent: permanent})
}

// All is every report so far.
func (s *Statuses) All() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.reports...)
}

// Last is the latest report, or nil when none came.
func (s *Statuses) Last() *Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reports) == 0 {
		return nil
	}
	last := s.reports[len(s.reports)-1]
	return &last
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import "time"

// ChangeConfigurationFindingStatus moves a configuration finding to status
// at the given time, as a scan that finds its resource changed does: its
// statusChangedAt, updatedAt and analyzedAt move; a RESOLVED finding
// passes, any other fails; a REJECTED one carries the ignore rule that
// rejected it. Unknown ids are ignored.
func (s *Server) ChangeConfigurationFindingStatus(id, status string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(configurationFindingCollection.logType, id)
	if n == nil {
		return
	}
	ts := formatTime(at)
	n["status"], n["statusChangedAt"], n["updatedAt"], n["analyzedAt"] = status, ts, ts, ts
	n["result"], n["resolutionReason"], n["ignoreRules"] = "FAIL", nil, nil
	switch status {
	case "RESOLVED":
		n["result"], n["resolutionReason"] = "PASS", "ISSUE_FIXED"
	case "REJECTED":
		n["resolutionReason"], n["ignoreRules"] = "EXCEPTION", []any{s.live.ignoreRule()}
	}
}

// ReanalyzeConfigurationFinding records a scan that finds a configuration
// finding unchanged: only its analyzedAt moves. Unknown ids are ignored.
func (s *Server) ReanalyzeConfigurationFinding(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.node(configurationFindingCollection.logType, id); n != nil {
		n["analyzedAt"] = formatTime(at)
	}
}

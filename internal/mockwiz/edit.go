// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import "time"

// AddAuditEntry appends one audit entry of a mutation: action (e.g.
// "UpdateIPRestrictions") with the status (SUCCESS, FAILED, ACCESS_DENIED
// or INVALID), timestamped at. The actor and the rest are generated as for
// any other entry. It returns the entry's id.
func (s *Server) AddAuditEntry(action, status string, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.live.auditEntry(at)
	e["action"], e["status"] = action, status
	// The generated entry may be a login, whose request id is its own id
	// and whose parameters are a login's.
	e["requestId"] = s.live.uuid()
	e["actionParameters"] = s.live.mutationParams(action)
	s.nodes[auditCollection.logType] = append(s.nodes[auditCollection.logType], e)
	return e["id"].(string)
}

// SetFindingSeverity rates a vulnerability finding: both its vendorSeverity
// and its severity become severity (NONE, LOW, MEDIUM, HIGH or CRITICAL).
// Unknown ids are ignored.
func (s *Server) SetFindingSeverity(id, severity string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.node(findingCollection.logType, id); n != nil {
		n["vendorSeverity"], n["severity"] = severity, severity
	}
}

// SetActionParameters replaces what the audit entry with the id records of
// its action's input. The action's author wrote that input, nested as deep
// as they liked. Unknown ids are ignored.
func (s *Server) SetActionParameters(id string, params any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.node(auditCollection.logType, id); n != nil {
		n["actionParameters"] = params
	}
}

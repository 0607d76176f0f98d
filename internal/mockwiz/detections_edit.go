// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import "time"

// UpdateDetection records another triggering event of a detection at the
// given time, as Wiz does while an attack goes on: the event joins the
// detection's (the newest maxTriggeringEvents are kept, all are counted),
// and its updatedAt and endedAt move. Unknown ids are ignored.
func (s *Server) UpdateDetection(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(detectionCollection.logType, id)
	if n == nil {
		return
	}
	events := n["triggeringEvents"].(map[string]any)
	nodes := events["nodes"].([]any)
	// The same kind of event as the latest, by the same actor.
	event := deepCopy(nodes[0].(map[string]any))
	event["id"], event["timestamp"] = s.live.uuid(), at.UTC().Format(eventTimeLayout)
	events["nodes"] = append([]any{event}, nodes[:min(len(nodes), maxTriggeringEvents-1)]...)
	total, _ := intArg(events["totalCount"])
	events["totalCount"], events["totalCountV2"] = total+1, total+1
	n["updatedAt"], n["endedAt"] = formatDetectionTime(at), event["timestamp"]
}

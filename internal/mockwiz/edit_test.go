// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

func TestAddAuditEntryAndSetFindingSeverity(t *testing.T) {
	e := newEnv(t, Options{Now: wiztest.NewClock(testEnd).Now})
	at := testEnd.Add(-time.Minute)

	id := e.srv.AddAuditEntry("UpdateIPRestrictions", "FAILED", at)
	after := map[string]any{"timestamp": map[string]any{"after": formatTime(at.Add(-time.Microsecond))}}
	assert.Contains(t, e.walk(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", 500, after, nil), id)
	snapshot := e.srv.Snapshot()
	audit, findings := snapshot[auditCollection.logType], snapshot[findingCollection.logType]
	entry := audit[len(audit)-1]
	require.Equal(t, id, entry["id"])
	assert.Equal(t, "UpdateIPRestrictions", entry["action"])
	assert.Equal(t, "FAILED", entry["status"])
	assert.Equal(t, formatTime(at), entry["timestamp"])
	assert.NotEqual(t, id, entry["requestId"], "a mutation has its own request id")
	assert.Contains(t, entry["actionParameters"], "input")

	fid := findings[0]["id"].(string)
	e.srv.SetFindingSeverity(fid, "NONE")
	e.srv.SetFindingSeverity("no-such-finding", "LOW")
	findings = e.srv.Snapshot()[findingCollection.logType]
	assert.Equal(t, "NONE", findings[0]["vendorSeverity"])
	assert.Equal(t, "NONE", findings[0]["severity"])
}

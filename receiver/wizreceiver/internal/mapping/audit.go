// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"go.opentelemetry.io/collector/pdata/plog"
)

// Audit maps auditLogEntries nodes.
type Audit struct {
	Names Names
}

// auditAttrs is the most attributes Audit sets (TestAttributeCapacity).
const auditAttrs = 11

// KeyFields implements Mapper: audit entries are polled on timestamp alone.
func (Audit) KeyFields() []string { return []string{"id", "timestamp"} }

// Map implements Mapper.
func (a Audit) Map(node []byte, lr plog.LogRecord) (Mapped, error) {
	res, m, err := common(node, lr, a.Names, "timestamp", "timestamp", auditAttrs)
	if err != nil {
		return Mapped{}, err
	}
	attrs := lr.Attributes()
	// Audit entries never change, so the Wiz id alone identifies a record.
	attrs.PutStr(AttrRecordUID, res.Key.ID)
	status := str(m, "status")
	putStr(attrs, "wiz.audit.action", str(m, "action"))
	putStr(attrs, "wiz.audit.status", status)
	putStr(attrs, "wiz.audit.request_id", str(m, "requestId"))
	putStr(attrs, "client.address", str(m, "sourceIP"))
	putStr(attrs, "user_agent.original", str(m, "userAgent"))
	if user, ok := obj(m, "user"); ok {
		putStr(attrs, "user.id", str(user, "id"))
		putStr(attrs, "user.name", str(user, "name"))
	}
	if sa, ok := obj(m, "serviceAccount"); ok {
		putStr(attrs, "wiz.service_account.id", str(sa, "id"))
		putStr(attrs, "wiz.service_account.name", str(sa, "name"))
	}
	if status == "SUCCESS" {
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	} else {
		// FAILED, ACCESS_DENIED and INVALID: a refused action is what
		// detections look for.
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	}
	return res, nil
}

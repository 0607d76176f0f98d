package wizreceiver

import (
	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// auditResultCap is the most audit entries Wiz serves for one query.
const auditResultCap = 10000

// auditStream polls auditLogEntries on timestamp. Audit entries never
// change, so their time is final. Wiz has no project filter for them and
// refuses them to project-scoped service accounts.
func auditStream() streamSpec {
	return streamSpec{
		name:                  "audit",
		logType:               "Wiz.Audit",
		scope:                 "admin:audit",
		deniedToProjectScoped: true,
		conn:                  wiz.AuditLogEntries,
		timeFilter:            "timestamp",
		resultCap:             auditResultCap,
		mapper:                mapping.Audit{},
	}
}

package wizreceiver

import (
	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// auditResultCap is the most audit entries Wiz serves for one query.
const auditResultCap = 10000

// auditStream polls auditLogEntries on timestamp. Audit entries never
// change, so their time is final. Wiz has no project filter for them,
// refuses them to project-scoped service accounts, and serves at most
// resultCap of them per query.
func auditStream(resultCap int) streamSpec {
	return streamSpec{
		name:                  "audit",
		logType:               "Wiz.Audit",
		scope:                 "admin:audit",
		deniedToProjectScoped: true,
		conn:                  wiz.AuditLogEntries,
		timeFilter:            "timestamp",
		resultCap:             resultCap,
		mapper:                mapping.Audit{},
	}
}

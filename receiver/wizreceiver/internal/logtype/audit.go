// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Audit polls auditLogEntries on timestamp. Audit entries never change, so
// their time is final. Wiz has no project filter for them, refuses them to
// project-scoped service accounts, and serves at most 10,000 of them per
// query.
var Audit = LogType{
	Key:                   "audit",
	Name:                  "Wiz.Audit",
	EventName:             "wiz.audit",
	Noun:                  "audit logs",
	Scope:                 "admin:audit",
	Query:                 wiz.Connection{Operation: "AuditLogTable", ResponseKey: "auditLogEntries", Query: auditLogEntriesQuery},
	TimeFields:            []TimeField{{Filter: "timestamp", Node: "timestamp"}},
	DeniedToProjectScoped: true,
	ResultCap:             10000,
	ServedNewestFirst:     true,
	NewConfig:             func() Config { return &AuditConfig{SectionSettings: SectionSettings{Enabled: true}} },
	newMapper:             func(names mapping.Names, _ TimeField) mapping.Mapper { return mapping.Audit{Names: names} },
}

// auditLogEntriesQuery selects every field of an audit log entry.
const auditLogEntriesQuery = `query AuditLogTable($first: Int, $after: String, $filterBy: AuditLogEntryFilters) {
  auditLogEntries(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id action requestId status timestamp actionParameters userAgent sourceIP
      serviceAccount { id name }
      user { id name }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// AuditConfig configures the Wiz.Audit log type.
type AuditConfig struct {
	SectionSettings `mapstructure:",squash"`
}

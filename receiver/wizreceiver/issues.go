package wizreceiver

import (
	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// issueTimeFields maps issues.time_field to the node field, which is also
// the filterBy key.
var issueTimeFields = map[string]string{
	IssueTimeStatusChangedAt: "statusChangedAt",
	IssueTimeUpdatedAt:       "updatedAt",
	IssueTimeCreatedAt:       "createdAt",
}

// issuesStream polls issuesV2. The default, statusChangedAt, moves on every
// status change (new, resolved, reopened, rejected); createdAt would miss
// all but the first.
func issuesStream(cfg *Config) streamSpec {
	field := issueTimeFields[cfg.Issues.TimeField]
	filter := map[string]any{}
	if len(cfg.ProjectIDs) > 0 {
		filter["project"] = cfg.ProjectIDs
	}
	return streamSpec{
		name:       "issues",
		logType:    "Wiz.Issues",
		scope:      "read:issues",
		conn:       wiz.Issues,
		timeFilter: field,
		filter:     filter,
		mapper:     mapping.Issue{TimeField: field},
	}
}

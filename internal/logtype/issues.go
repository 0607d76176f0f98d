package logtype

import (
	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// Issues polls issuesV2. The default, statusChangedAt (Wiz's delta-pull
// tutorial recommends it), moves on every status change (new, resolved,
// reopened, rejected); updatedAt also moves on note and ticket changes, but
// no public client filters issues on it, so it is the less proven choice;
// createdAt would miss all but the first.
var Issues = LogType{
	Key:       "issues",
	Name:      "Wiz.Issues",
	EventName: "wiz.issue",
	Noun:      "issues",
	Scope:     "read:issues",
	Query:     wiz.Issues,
	// The node field is also the filterBy key.
	TimeFields: []TimeField{
		{Option: "status_changed_at", Filter: "statusChangedAt", Node: "statusChangedAt"},
		{Option: "updated_at", Filter: "updatedAt", Node: "updatedAt"},
		{Option: "created_at", Filter: "createdAt", Node: "createdAt"},
	},
	ProjectFilter: "project",
	NewConfig: func() Config {
		return &IssuesConfig{Stream: Stream{Enabled: true}, TimeFieldOption: TimeFieldOption{TimeField: "status_changed_at"}}
	},
	newMapper: func(names mapping.Names, tf TimeField) mapping.Mapper {
		return mapping.Issue{Names: names, TimeField: tf.Node}
	},
}

// IssuesConfig configures the Wiz.Issues log type.
type IssuesConfig struct {
	Stream          `mapstructure:",squash"`
	TimeFieldOption `mapstructure:",squash"`
}

package logtype

import (
	"errors"
	"slices"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

var (
	// detectionTypes: GENERATED_THREAT detections produced or joined a
	// threat, MATCH_ONLY ones matched a rule alone.
	detectionTypes      = []string{"GENERATED_THREAT", "MATCH_ONLY"}
	detectionSeverities = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
)

// Detections polls Wiz Defend's detections (Detections API v2). The
// default, updatedAt, moves when a detection changes after it was created
// (new triggering events); createdAt reports each detection once, as it
// was first seen. Off by default: existing service accounts lack the
// scope.
var Detections = LogType{
	Key:       "detections",
	Name:      "Wiz.DefendDetection",
	EventName: "wiz.detection",
	Noun:      "detections",
	Scope:     "read:detections",
	Query:     wiz.Detections,
	// The node field is also the filterBy key.
	TimeFields: []TimeField{
		{Option: "updated_at", Filter: "updatedAt", Node: "updatedAt"},
		{Option: "created_at", Filter: "createdAt", Node: "createdAt"},
	},
	ProjectFilter:    "projectId",
	ProjectFilterOne: true,
	NewConfig: func() Config {
		return &DetectionsConfig{
			TimeFieldOption: TimeFieldOption{TimeField: "updated_at"},
			Types:           slices.Clone(detectionTypes),
		}
	},
	newMapper: func(names mapping.Names, tf TimeField) mapping.Mapper {
		return mapping.Detection{Names: names, TimeField: tf.Node}
	},
}

// DetectionsConfig configures the Wiz.DefendDetection log type.
type DetectionsConfig struct {
	Stream          `mapstructure:",squash"`
	TimeFieldOption `mapstructure:",squash"`
	// Types restricts detections to these types.
	Types []string `mapstructure:"types"`
	// Severities restricts detections to these severities; empty, every
	// severity is read and no severity filter is sent.
	Severities []string `mapstructure:"severities"`
}

// Filter selects the types, always: sent any filter without a type, Wiz
// keeps only GENERATED_THREAT detections and drops MATCH_ONLY ones without
// a word. Detection filters wrap their values in {equals: [...]}.
func (c *DetectionsConfig) Filter() map[string]any {
	filter := map[string]any{"type": map[string]any{"equals": c.Types}}
	if len(c.Severities) > 0 {
		filter["severity"] = map[string]any{"equals": c.Severities}
	}
	return filter
}

// Validate checks the types and severities.
func (c *DetectionsConfig) Validate() error {
	return errors.Join(
		validateList("types", "detection type", c.Types, detectionTypes),
		validateValues("severities", "severity", c.Severities, detectionSeverities),
	)
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package logtype declares each Wiz data set the receiver polls, once: its
// config key, Panther log-type name and event name, scope, query, time
// fields, fixed filters, mapper, result cap and config section. The
// receiver's factory, config, streams and documentation tests, the
// mapping's and the mock's tests and the shared test helpers all iterate
// over All. docs/design/adding-a-data-set.md lists what a new data set
// needs beside its entry, and TestEveryDataSetIsComplete holds each entry
// to it.
//
// The log types Wiz pushes to the receiver's webhook are declared beside
// them, in Pushed.
package logtype

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// All lists the log types in the order the configuration, the start-up log
// and the documentation show them.
var All = []*LogType{&Audit, &Issues, &VulnerabilityFindings, &ConfigurationFindings, &Detections}

// Keys lists every log type's key for a message: "audit, issues or …".
func Keys() string {
	keys := make([]string, len(All))
	for i, lt := range All {
		keys[i] = lt.Key
	}
	return orList(keys)
}

// ByName returns the log type with Panther's name, or nil.
func ByName(name string) *LogType {
	i := slices.IndexFunc(All, func(lt *LogType) bool { return lt.Name == name })
	if i < 0 {
		return nil
	}
	return All[i]
}

// LogType is one Wiz data set.
type LogType struct {
	// Key is the log type's section in the receiver's configuration, and
	// names its checkpoint.
	Key string
	// Name is Panther's log-type name, the records' wiz.log_type.
	Name string
	// EventName is the records' EventName.
	EventName string
	// Noun names the records in messages: "audit logs".
	Noun string
	// Scope is the Wiz service-account scope the query needs.
	Scope string
	// Query is the paged query the log type's stream sends; its text is a
	// const beside the entry.
	Query wiz.Connection
	// TimeFields are the fields the log type can poll on; the first is the
	// default.
	TimeFields []TimeField
	// ProjectFilter is the filterBy path project_ids go to, dotted where
	// Wiz nests it; empty when Wiz has no project filter for the log type.
	ProjectFilter string
	// ProjectFilterOne marks a project filter that takes one project id (a
	// String) where others take a list: the one configured id is sent as
	// itself, and Validate refuses several.
	ProjectFilterOne bool
	// DeniedToProjectScoped marks a query Wiz refuses to project-scoped
	// service accounts.
	DeniedToProjectScoped bool
	// ResultCap is the most nodes Wiz serves for one query, its pages
	// together; 0 means no cap.
	ResultCap int
	// ServedNewestFirst marks a query Wiz serves newest first by the
	// polled time, so that a capped walk is read on below the oldest
	// entry it was served. A capped walk in another order (configuration
	// findings come in analysis order) is narrowed by halving its window,
	// which costs more requests and drops the window's overlap.
	ServedNewestFirst bool
	// Snapshots, when set, says the log type supports posture snapshots
	// (its section has the snapshot option) and how they are read.
	Snapshots *Snapshots
	// NewConfig returns the log type's config section with its defaults.
	NewConfig func() Config
	// newMapper returns the mapper of the log type's nodes when it polls
	// on tf; its records carry names.
	newMapper func(names mapping.Names, tf TimeField) mapping.Mapper
}

// Mapper returns the mapper of the log type's nodes when it polls on tf:
// its records carry the log type's names.
func (lt *LogType) Mapper(tf TimeField) mapping.Mapper {
	return lt.newMapper(mapping.Names{LogType: lt.Name, EventName: lt.EventName}, tf)
}

// TimeField is one field a log type can poll on.
type TimeField struct {
	// Option is the time_field value that selects the field; empty where
	// the log type polls on one field only.
	Option string
	// Filter is the filterBy key that bounds a query window on the field.
	Filter string
	// Node is the node field that holds the time.
	Node string
}

// Config is a log type's section of the receiver's configuration. A
// section with options of its own also implements filterSelector (the
// filterBy entries they select) and validator (their checks).
type Config interface {
	// Settings returns what every section has.
	Settings() *SectionSettings
}

// filterSelector is a section whose options select fixed filterBy entries
// (statuses, say), beside the time window and the project filter.
type filterSelector interface {
	Filter() map[string]any
}

// validator is a section with checks of its own; errors name the option
// without the section's key.
type validator interface {
	Validate() error
}

// SectionSettings are the settings every log type's section has.
type SectionSettings struct {
	Enabled bool `mapstructure:"enabled"`
	// NoEventsTimeout overrides the receiver-wide no_events_timeout for
	// this log type.
	NoEventsTimeout *time.Duration `mapstructure:"no_events_timeout"`
}

// Settings implements Config for the sections that embed SectionSettings.
func (s *SectionSettings) Settings() *SectionSettings { return s }

// TimeFieldOption is the time_field option of log types that can poll on
// more than one field.
type TimeFieldOption struct {
	TimeField string `mapstructure:"time_field"`
}

// timeFieldSelector is a section with a time_field option.
type timeFieldSelector interface {
	selectedTimeField() string
}

func (o TimeFieldOption) selectedTimeField() string { return o.TimeField }

// PollQuery is what a stream needs to poll the log type as configured.
type PollQuery struct {
	TimeField TimeField
	// Filter holds the fixed filterBy entries: the section's, and the
	// project filter; nil when there are none.
	Filter map[string]any
	Mapper mapping.Mapper
	// Snapshot is the section's posture snapshots; nil when it takes none.
	Snapshot *SnapshotQuery
}

// Poll resolves cfg, a section Validate accepted, into what a stream polls.
func (lt *LogType) Poll(cfg Config, projectIDs []string) PollQuery {
	tf := lt.timeField(cfg)
	var filter map[string]any
	if sel, ok := cfg.(filterSelector); ok {
		filter = sel.Filter()
	}
	// A stored cursor belongs to the filter's JSON (the stream's
	// fingerprint), so the filter keeps the shape earlier releases sent:
	// nil where the log type has no fixed filter at all, an empty object
	// where it has a project filter but no project_ids.
	if lt.ProjectFilter != "" {
		if filter == nil {
			filter = map[string]any{}
		}
		if len(projectIDs) > 0 {
			var ids any = projectIDs
			if lt.ProjectFilterOne && len(projectIDs) == 1 {
				ids = projectIDs[0]
			}
			setPath(filter, strings.Split(lt.ProjectFilter, "."), ids)
		}
	}
	return PollQuery{TimeField: tf, Filter: filter, Mapper: lt.Mapper(tf), Snapshot: lt.snapshotQuery(cfg, filter)}
}

// timeField is the field cfg selects, the default when it selects none.
func (lt *LogType) timeField(cfg Config) TimeField {
	if sel, ok := cfg.(timeFieldSelector); ok {
		if i := slices.IndexFunc(lt.TimeFields, func(tf TimeField) bool { return tf.Option == sel.selectedTimeField() }); i >= 0 {
			return lt.TimeFields[i]
		}
	}
	return lt.TimeFields[0]
}

// setPath sets the value at a nested path of filter, creating the maps on
// the way.
func setPath(filter map[string]any, path []string, value any) {
	for _, key := range path[:len(path)-1] {
		next, ok := filter[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			filter[key] = next
		}
		filter = next
	}
	filter[path[len(path)-1]] = value
}

// Validate checks cfg, the log type's section, with the receiver's
// project_ids; every error names the option by its full key.
func (lt *LogType) Validate(cfg Config, projectIDs []string) error {
	var errs []error
	if d := cfg.Settings().NoEventsTimeout; d != nil && *d < 0 {
		errs = append(errs, fmt.Errorf("no_events_timeout must not be negative, got %s: use 0 to disable the alert", *d))
	}
	if sel, ok := cfg.(timeFieldSelector); ok {
		options := make([]string, len(lt.TimeFields))
		for i, tf := range lt.TimeFields {
			options[i] = tf.Option
		}
		if got := sel.selectedTimeField(); !slices.Contains(options, got) {
			errs = append(errs, fmt.Errorf("time_field %q is not supported: use %s", got, orList(options)))
		}
	}
	if v, ok := cfg.(validator); ok {
		errs = append(errs, v.Validate())
	}
	if sel, ok := cfg.(snapshotSelector); ok && lt.Snapshots != nil {
		errs = append(errs, sel.snapshot().validate(lt.Snapshots.Statuses))
	}
	var named []error
	for _, err := range errs {
		for _, e := range split(err) {
			named = append(named, fmt.Errorf("%s.%w", lt.Key, e))
		}
	}
	if lt.ProjectFilterOne && cfg.Settings().Enabled && len(projectIDs) > 1 {
		named = append(named, fmt.Errorf("project_ids lists %d projects, but Wiz filters %s by one: "+
			"list one project, or run a wiz receiver per project (wiz/<name>) with %s enabled in each, or set %s.enabled: false",
			len(projectIDs), lt.Noun, lt.Key, lt.Key))
	}
	return errors.Join(named...)
}

// split returns the errors errors.Join joined into err, each on its own,
// so that each names its option by its full key; nil is none.
func split(err error) []error {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		if err == nil {
			return nil
		}
		return []error{err}
	}
	var out []error
	for _, e := range joined.Unwrap() {
		out = append(out, split(e)...)
	}
	return out
}

// validateList checks a list option against the values Wiz knows (of the
// kind noun): it must not be empty, and every entry must be one of them.
func validateList(option, noun string, got, known []string) error {
	if len(got) == 0 {
		return fmt.Errorf("%s must not be empty: list some of %s, or remove it for the default", option, strings.Join(known, ", "))
	}
	return validateValues(option, noun, got, known)
}

// validateValues checks that every entry of a list option is one of the
// values Wiz knows (of the kind noun); an empty list passes.
func validateValues(option, noun string, got, known []string) error {
	var errs []error
	for _, v := range got {
		if !slices.Contains(known, v) {
			errs = append(errs, fmt.Errorf("%s: %q is not a %s: use %s", option, v, noun, strings.Join(known, ", ")))
		}
	}
	return errors.Join(errs...)
}

// orList writes a, b or c.
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

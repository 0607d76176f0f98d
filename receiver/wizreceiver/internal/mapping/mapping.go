// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package mapping turns Wiz nodes (raw JSON) into OpenTelemetry log records.
// It knows nothing about HTTP or GraphQL paging.
package mapping

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Attribute keys shared by every log type.
const (
	AttrLogType   = "wiz.log_type"
	AttrRecordUID = "log.record.uid"
	AttrProjects  = "wiz.project.ids"
)

// Names are what a log type's records say they are. The log type's
// registry entry (internal/logtype) declares them and hands them to its
// mapper.
type Names struct {
	// LogType is the records' wiz.log_type: Panther's log-type name where
	// Panther has one.
	LogType string
	// EventName is the records' EventName.
	EventName string
}

// Key identifies one version of a Wiz object: its id and the value of the
// field the stream polls on. Two records with the same key are duplicates;
// a status change gives the same id a new key.
type Key struct {
	ID   string
	Time time.Time
}

// Mapped is what mapping a node tells besides the record.
type Mapped struct {
	Key Key
	// Flattened is set when the body nested deeper than OTLP/protobuf
	// allows: values below maxBodyDepth are kept as their JSON text.
	Flattened bool
}

// Mapper maps one node into lr.
type Mapper interface {
	Map(node []byte, lr plog.LogRecord) (Mapped, error)
	// KeyFields names the node fields the key is read from: the id, the
	// polled time field and the field read when Wiz leaves that one empty.
	// A query can go on without any other field.
	KeyFields() []string
}

// common decodes node and fills what every log type shares, names among
// them; it returns what the mapping tells and the map to read attributes
// from. The record's Timestamp is the polled time field, so it orders like the checkpoint does;
// missing, it falls back to fallbackField. maxAttrs is the most attributes
// the mapper sets: the attribute map is allocated once at that size
// instead of growing five or six times. On error lr is left untouched.
func common(node []byte, lr plog.LogRecord, names Names, timeField, fallbackField string, maxAttrs int) (Mapped, pcommon.Map, error) {
	d, err := decodeNode(node)
	if err != nil {
		return Mapped{}, pcommon.Map{}, err
	}
	defer d.release()
	// The key comes from the tokens, so that a node without one leaves lr
	// untouched and the body is built once, in place.
	id := d.topStr("id")
	if id == "" {
		return Mapped{}, pcommon.Map{}, fmt.Errorf("node has no id")
	}
	raw := d.topStr(timeField)
	if raw == "" {
		raw = d.topStr(fallbackField)
	}
	ts, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return Mapped{}, pcommon.Map{}, fmt.Errorf("node %s: field %s: %w", id, timeField, err)
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetEventName(names.EventName)
	m, flattened := d.build(lr.Body().SetEmptyMap())
	attrs := lr.Attributes()
	attrs.EnsureCapacity(maxAttrs)
	attrs.PutStr(AttrLogType, names.LogType)
	return Mapped{Key: Key{ID: id, Time: ts}, Flattened: flattened}, m, nil
}

// obj returns the object at key.
func obj(m pcommon.Map, key string) (pcommon.Map, bool) {
	v, ok := m.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeMap {
		return pcommon.Map{}, false
	}
	return v.Map(), true
}

// list returns the array at key.
func list(m pcommon.Map, key string) (pcommon.Slice, bool) {
	v, ok := m.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return pcommon.Slice{}, false
	}
	return v.Slice(), true
}

// str returns the string at key, or "".
func str(m pcommon.Map, key string) string {
	v, ok := m.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return ""
	}
	return v.Str()
}

// firstStr returns the first non-empty string at keys, or "": Wiz names
// a resource by its provider's id where it has one, else by another id.
func firstStr(m pcommon.Map, keys ...string) string {
	for _, key := range keys {
		if v := str(m, key); v != "" {
			return v
		}
	}
	return ""
}

// putStr sets key only when Wiz sent a non-empty string.
func putStr(attrs pcommon.Map, key, value string) {
	if value != "" {
		attrs.PutStr(key, value)
	}
}

// putBool sets key only when Wiz sent a boolean.
func putBool(attrs pcommon.Map, key string, m pcommon.Map, field string) {
	if v, ok := m.Get(field); ok && v.Type() == pcommon.ValueTypeBool {
		attrs.PutBool(key, v.Bool())
	}
}

// putNumber sets key as a double only when Wiz sent a number.
func putNumber(attrs pcommon.Map, key string, m pcommon.Map, field string) {
	v, ok := m.Get(field)
	if !ok {
		return
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		attrs.PutDouble(key, float64(v.Int()))
	case pcommon.ValueTypeDouble:
		attrs.PutDouble(key, v.Double())
	default:
	}
}

// putStrings sets key to a string slice built from the non-empty strings
// pick finds in the elements of l.
func putStrings(attrs pcommon.Map, key string, l pcommon.Slice, pick func(pcommon.Value) string) {
	n := 0
	for _, e := range l.All() {
		if pick(e) != "" {
			n++
		}
	}
	if n == 0 {
		return
	}
	s := attrs.PutEmptySlice(key)
	s.EnsureCapacity(n)
	for _, e := range l.All() {
		if v := pick(e); v != "" {
			s.AppendEmpty().SetStr(v)
		}
	}
}

// strValue is the string in v, or "".
func strValue(v pcommon.Value) string {
	if v.Type() != pcommon.ValueTypeStr {
		return ""
	}
	return v.Str()
}

// putProjectIDs sets wiz.project.ids from the node's projects list.
func putProjectIDs(attrs pcommon.Map, m pcommon.Map) {
	projects, ok := list(m, "projects")
	if !ok {
		return
	}
	putStrings(attrs, AttrProjects, projects, func(p pcommon.Value) string {
		if p.Type() != pcommon.ValueTypeMap {
			return ""
		}
		return str(p.Map(), "id")
	})
}

// versioned sets what every record of an object that changes over time
// carries, the uid of this version and Wiz's severity, and returns the
// record's attributes for the rest.
func versioned(lr plog.LogRecord, key Key, severity string) pcommon.Map {
	attrs := lr.Attributes()
	attrs.PutStr(AttrRecordUID, recordUID(key))
	setSeverity(lr, severity)
	return attrs
}

// recordUID is log.record.uid for objects that change over time: the same
// issue or finding yields a new record at every change, and semantic
// conventions treat equal uids as duplicates, so the uid includes the
// polled time.
func recordUID(k Key) string {
	// Built in a stack buffer: one allocation, the string itself.
	var buf [96]byte
	b := append(buf[:0], k.ID...)
	b = append(b, '@')
	return string(k.Time.UTC().AppendFormat(b, time.RFC3339Nano))
}

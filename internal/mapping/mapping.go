// Package mapping turns Wiz nodes (raw JSON) into OpenTelemetry log records.
// It knows nothing about HTTP or GraphQL paging.
package mapping

import (
	"bytes"
	"encoding/json"
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

// Key identifies one version of a Wiz object: its id and the value of the
// field the stream polls on. Two records with the same key are duplicates;
// a status change gives the same id a new key.
type Key struct {
	ID   string
	Time time.Time
}

// Mapper maps one node into lr and returns the node's key.
type Mapper interface {
	Map(node []byte, lr plog.LogRecord) (Key, error)
}

// decodeNode parses a node keeping numbers exact, so integers stay integers
// in the body instead of becoming floats.
func decodeNode(node []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(node))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding node: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("node is null")
	}
	return m, nil
}

// common fills what every log type shares and returns the node's key. The
// record's Timestamp is the polled time field, so it orders like the
// checkpoint does; missing, it falls back to fallbackField.
func common(m map[string]any, lr plog.LogRecord, eventName, logType, timeField, fallbackField string) (Key, error) {
	id := str(m, "id")
	if id == "" {
		return Key{}, fmt.Errorf("node has no id")
	}
	raw := str(m, timeField)
	if raw == "" {
		raw = str(m, fallbackField)
	}
	ts, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return Key{}, fmt.Errorf("node %s: field %s: %w", id, timeField, err)
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetEventName(eventName)
	putValue(lr.Body().SetEmptyMap(), m)
	attrs := lr.Attributes()
	attrs.PutStr(AttrLogType, logType)
	return Key{ID: id, Time: ts}, nil
}

// putValue copies a decoded JSON value into dst, preserving its type.
func putValue(dst pcommon.Map, m map[string]any) {
	dst.EnsureCapacity(len(m))
	for k, v := range m {
		setValue(dst.PutEmpty(k), v)
	}
}

func setValue(dst pcommon.Value, v any) {
	switch x := v.(type) {
	case nil:
		// An empty pcommon.Value stands for JSON null.
	case string:
		dst.SetStr(x)
	case bool:
		dst.SetBool(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			dst.SetInt(i)
		} else if f, err := x.Float64(); err == nil {
			dst.SetDouble(f)
		} else {
			dst.SetStr(x.String())
		}
	case map[string]any:
		putValue(dst.SetEmptyMap(), x)
	case []any:
		s := dst.SetEmptySlice()
		s.EnsureCapacity(len(x))
		for _, e := range x {
			setValue(s.AppendEmpty(), e)
		}
	}
}

// obj returns the object at path, or nil.
func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := m[p].(map[string]any)
		if next == nil {
			return nil
		}
		m = next
	}
	return m
}

// str returns the string at key, or "".
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// putStr sets key only when Wiz sent a non-empty string.
func putStr(attrs pcommon.Map, key, value string) {
	if value != "" {
		attrs.PutStr(key, value)
	}
}

// putBool sets key only when Wiz sent a boolean.
func putBool(attrs pcommon.Map, key string, m map[string]any, field string) {
	if b, ok := m[field].(bool); ok {
		attrs.PutBool(key, b)
	}
}

// putNumber sets key as a double only when Wiz sent a number.
func putNumber(attrs pcommon.Map, key string, m map[string]any, field string) {
	if n, ok := m[field].(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			attrs.PutDouble(key, f)
		}
	}
}

// putStrings sets key to a string slice built from the strings in list.
func putStrings(attrs pcommon.Map, key string, list []any, pick func(any) string) {
	var vals []string
	for _, e := range list {
		if s := pick(e); s != "" {
			vals = append(vals, s)
		}
	}
	if len(vals) == 0 {
		return
	}
	s := attrs.PutEmptySlice(key)
	s.EnsureCapacity(len(vals))
	for _, v := range vals {
		s.AppendEmpty().SetStr(v)
	}
}

// putProjectIDs sets wiz.project.ids from the node's projects list.
func putProjectIDs(attrs pcommon.Map, m map[string]any) {
	projects, _ := m["projects"].([]any)
	putStrings(attrs, AttrProjects, projects, func(p any) string {
		po, _ := p.(map[string]any)
		return str(po, "id")
	})
}

// recordUID is log.record.uid for objects that change over time: the same
// issue or finding yields a new record at every change, and semantic
// conventions treat equal uids as duplicates, so the uid includes the
// polled time.
func recordUID(k Key) string {
	return k.ID + "@" + k.Time.UTC().Format(time.RFC3339Nano)
}

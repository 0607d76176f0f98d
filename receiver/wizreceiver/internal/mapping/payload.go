// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Attribute keys of every pushed record: the Wiz automation rule that sent
// the payload.
const (
	AttrTriggerType     = "wiz.webhook.trigger.type"
	AttrTriggerRuleID   = "wiz.webhook.trigger.rule_id"
	AttrTriggerRuleName = "wiz.webhook.trigger.rule_name"
)

// PushedFields are where the mapping reads a pushed record's own values in
// the payload of one pushed log type; internal/logtype declares them with
// the type. Paths are dotted: "issue.created" is the created field of the
// issue object.
type PushedFields struct {
	// ID is the path of the payload's own id, which log lines name it by.
	ID string
	// TimeFields are the paths of the record's Timestamp: the first that
	// holds a time Wiz writes wins.
	TimeFields []string
	// Severity is the path of Wiz's severity.
	Severity string
	// Attributes sets the type's own attributes from the payload; nil for
	// none.
	Attributes func(payload, attrs pcommon.Map)
}

// Pushed is a payload mapped into a log record.
type Pushed struct {
	// ID is the payload's own id, "" when it has none.
	ID string
	// UID is the record's log.record.uid.
	UID string
	// TriggerSource is the payload's trigger.source as sent, "" when it
	// has none.
	TriggerSource string
	// Flattened is set when the body nested deeper than OTLP/protobuf
	// allows: values below maxBodyDepth are kept as their JSON text.
	Flattened bool
}

// MapPushed decodes payload, which must be one JSON object and nothing
// else, and maps it into lr as the log type classify finds for it: classify
// reads the decoded payload and returns the type's names and fields. The
// body is the payload as Wiz sent it, in Wiz's key order. A payload without
// a time the type reads gets observed as its Timestamp; its body still
// holds whatever Wiz sent. On error lr is left untouched, and classify is
// not called.
func MapPushed(payload []byte, classify func(payload pcommon.Map) (Names, PushedFields), observed time.Time, lr plog.LogRecord) (Pushed, error) {
	// The decoder stops after the first value; a payload must not carry
	// more.
	if !json.Valid(payload) {
		return Pushed{}, errors.New("the payload is not valid JSON")
	}
	d, err := decodeNode(payload)
	if err != nil {
		return Pushed{}, err
	}
	defer d.release()
	// Nothing below fails, so the body is built in place.
	view, flattened := d.build(lr.Body().SetEmptyMap())
	names, fields := classify(view)
	p := Pushed{ID: text(view, fields.ID), UID: PayloadUID(payload), TriggerSource: text(view, "trigger.source"), Flattened: flattened}

	ts := observed
	for _, field := range fields.TimeFields {
		if t, ok := ParseTime(text(view, field)); ok {
			ts = t
			break
		}
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.SetEventName(names.EventName)
	severity := text(view, fields.Severity)
	setSeverity(lr, severity)

	attrs := lr.Attributes()
	attrs.PutStr(AttrLogType, names.LogType)
	attrs.PutStr(AttrRecordUID, p.UID)
	if trigger, ok := obj(view, "trigger"); ok {
		putStr(attrs, AttrTriggerType, text(trigger, "type"))
		putStr(attrs, AttrTriggerRuleID, text(trigger, "ruleId"))
		putStr(attrs, AttrTriggerRuleName, text(trigger, "ruleName"))
	}
	if fields.Attributes != nil {
		fields.Attributes(view, attrs)
	}
	return p, nil
}

// PayloadUID is a pushed record's log.record.uid: the CanonicalSum of the
// payload, so a re-delivery has the same uid downstream, whatever
// whitespace it carries.
func PayloadUID(payload []byte) string {
	sum := CanonicalSum(payload)
	return hex.EncodeToString(sum[:])
}

// CanonicalSum is the SHA-256 of payload's JSON with its insignificant
// whitespace removed (jsontext's compact form), so that bodies differing
// only there have one sum. Strings, numbers and member order stay as sent:
// two payloads whose records differ never share a sum. (RFC 8785's
// canonical form would round integers past 2^53, making two ids one, and
// refuses the duplicate names and invalid UTF-8 the mapping accepts.) A
// payload that is not JSON is summed as it is.
func CanonicalSum(payload []byte) [sha256.Size]byte {
	buf := compactBuffers.Get().(*[]byte)
	// On error AppendFormat appends payload as it is.
	compact, _ := jsontext.AppendFormat((*buf)[:0], payload, compactOptions...)
	sum := sha256.Sum256(compact)
	if cap(compact) <= maxPooledCompact {
		*buf = compact
		compactBuffers.Put(buf)
	}
	return sum
}

// compactOptions are jsontext's Value.Compact: whitespace goes, and
// everything else stays as it is.
var compactOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true), jsontext.PreserveRawStrings(true)}

// compactBuffers hold the compact forms CanonicalSum hashes; one past
// maxPooledCompact (a rare, large body) is left to the collector.
var compactBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledCompact = 64 << 10

// at returns the value at a dotted path.
func at(m pcommon.Map, path string) (pcommon.Value, bool) {
	for {
		key, rest, nested := strings.Cut(path, ".")
		v, ok := m.Get(key)
		if !ok || !nested {
			return v, ok
		}
		if v.Type() != pcommon.ValueTypeMap {
			return pcommon.Value{}, false
		}
		m, path = v.Map(), rest
	}
}

// text returns the string or integer at a dotted path as text, or "": Wiz
// sends some ids as numbers (an AWS account's externalId, say).
func text(m pcommon.Map, path string) string {
	if path == "" {
		return ""
	}
	v, ok := at(m, path)
	if !ok {
		return ""
	}
	return ValueText(v)
}

// ValueText is v as text when it is a string or an integer, else "".
func ValueText(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10)
	default:
		return ""
	}
}

// timeLayouts are the ways Wiz writes a time: RFC 3339 (with up to nine
// fractional digits), or, in pushed payloads, with a space for the T and no
// zone, which is UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// ParseTime reads a time as Wiz writes it in a node or a pushed payload;
// false for "" or any other text.
func ParseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package ocsf converts the wiz receiver's native records into OCSF 1.5.0
// events (https://schema.ocsf.io/1.5.0), the classes Amazon's Wiz source
// writes: issues, threats and detections are Detection Findings (2004),
// vulnerability findings Vulnerability Findings (2002), configuration
// findings Compliance Findings (2003), and audit entries Authentication
// (3002) for logins and API Activity (6003) for every other action.
// docs/ocsf.md gives the mapping field by field.
//
// It reads what internal/mapping wrote, the native body and the record's
// timestamp and log.record.uid, and knows nothing of HTTP or GraphQL.
package ocsf

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// Version is the OCSF schema version of every event, its metadata.version.
const Version = "1.5.0"

var (
	// ErrNoClass is returned for a record of a log type no OCSF class
	// holds: Wiz.Webhook, the payloads of no known kind.
	ErrNoClass = errors.New("no OCSF class holds the log type")
	// ErrIncomplete is returned for a record that lacks what its class
	// cannot do without: a finding's Wiz id, a vulnerability's id.
	ErrIncomplete = errors.New("the record lacks what its OCSF class requires")
)

// Convert replaces the body of lr, a native record of the log type named
// logType (its wiz.log_type), with the OCSF event of the record: the
// event's attributes mapped from the native body, and the native body
// itself, as its JSON text, in raw_data. The record's attributes,
// timestamps, severity and event name stay as they are.
//
// It returns an error wrapping ErrNoClass or ErrIncomplete for a record it
// cannot convert, and leaves lr as it was: the caller counts it and sends
// it on native, or drops it.
func Convert(logType string, lr plog.LogRecord) error {
	return convert(logType, lr)
}

// Reason names why Convert left a record native, as a metric attribute:
// no_class or incomplete.
func Reason(err error) string {
	if errors.Is(err, ErrNoClass) {
		return "no_class"
	}
	return "incomplete"
}

func convert(logType string, lr plog.LogRecord) error {
	conv, ok := converters[logType]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoClass, logType)
	}
	body := lr.Body()
	if body.Type() != pcommon.ValueTypeMap {
		return fmt.Errorf("%w: a %s record's body is a %s, not an object", ErrIncomplete, logType, body.Type())
	}
	native := body.Map()
	rec := record{logType: logType, provider: conv.provider, time: lr.Timestamp().AsTime().UnixMilli()}
	if uid, ok := lr.Attributes().Get(mapping.AttrRecordUID); ok {
		rec.uid = uid.Str()
	}
	ev := pcommon.NewMap()
	ev.EnsureCapacity(conv.attributes)
	if err := conv.convert(native, rec, ev); err != nil {
		return fmt.Errorf("%w: %s record: %w", ErrIncomplete, logType, err)
	}
	putRawData(ev, native)
	ev.MoveTo(body.SetEmptyMap())
	return nil
}

// converter converts the records of one log type.
type converter struct {
	// convert writes the event of native into ev; ev is thrown away when
	// it fails.
	convert func(native pcommon.Map, rec record, ev pcommon.Map) error
	// provider is the event's metadata.log_provider: how the receiver got
	// the record.
	provider string
	// attributes is the most attributes convert writes at the top level,
	// raw_data's place among them, so that ev is allocated once.
	attributes int
}

// The log_provider of polled and pushed records.
const (
	polled = "Wiz API"
	pushed = "Wiz webhook"
)

// converters holds the converter of each log type, by its wiz.log_type.
var converters = map[string]converter{
	"Wiz.Audit":                     {convertAudit, polled, auditAttributes},
	"Wiz.Issues":                    {convertIssue, polled, detectionAttributes},
	"Wiz.VulnerabilityFinding":      {convertVulnerabilityFinding, polled, vulnerabilityAttributes},
	"Wiz.CloudConfigurationFinding": {convertConfigurationFinding, polled, complianceAttributes},
	"Wiz.DefendDetection":           {convertDetection, polled, detectionAttributes},
	"Wiz.IssuesWebhook":             {convertPushedIssue, pushed, detectionAttributes},
	"Wiz.Threats":                   {convertThreat, pushed, detectionAttributes},
	"Wiz.Detections":                {convertPushedDetection, pushed, detectionAttributes},
}

// record is what a converter reads of the record beside its body.
type record struct {
	logType, provider string
	// time is the record's Timestamp in milliseconds: the time of the
	// version of the object the record carries (the polled time field, a
	// pushed payload's time), the event's time.
	time int64
	// uid is the record's log.record.uid, the event's metadata.uid: an
	// audit entry's Wiz id, a finding's id at its version's time, a
	// pushed payload's hash.
	uid string
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// Pushed lists the log types Wiz pushes to the receiver's webhook, in the
// order the classifier tries their shapes and the documentation shows them.
// The last, Webhook, is the catch-all: a payload of no other type is
// emitted as it is, never dropped. The receiver's webhook, the
// documentation tests and the shared test helpers iterate over Pushed.
var Pushed = []*PushedType{&IssuesWebhook, &DetectionsWebhook, &Threats, &Webhook}

// PushedType is one kind of payload Wiz's webhook integration sends: how to
// recognise it, what its records are called, and where the mapping reads
// their values (PushedFields).
type PushedType struct {
	// Name is the records' wiz.log_type: Panther's log-type name where
	// Panther has one.
	Name string
	// EventName is the records' EventName.
	EventName string
	// TriggerSource is trigger.source in the payloads, compared
	// case-insensitively; empty for the catch-all.
	TriggerSource string
	// Shape lists the top-level fields that identify the payload when it
	// has no trigger.source (Wiz lets users edit the issue template); empty
	// for the catch-all.
	Shape []string
	mapping.PushedFields
}

// PushedRecord is a payload mapped into a log record, and the type it was
// classified as.
type PushedRecord struct {
	Type *PushedType
	mapping.Pushed
}

// MapPushed decodes payload, which must be one JSON object and nothing
// else, classifies it, and maps it into lr; observed is when it arrived.
// On error lr is left untouched.
func MapPushed(payload []byte, observed time.Time, lr plog.LogRecord) (PushedRecord, error) {
	var typ *PushedType
	p, err := mapping.MapPushed(payload, func(body pcommon.Map) (mapping.Names, mapping.PushedFields) {
		typ = Classify(body)
		return mapping.Names{LogType: typ.Name, EventName: typ.EventName}, typ.PushedFields
	}, observed, lr)
	if err != nil {
		return PushedRecord{}, err
	}
	return PushedRecord{Type: typ, Pushed: p}, nil
}

// Classify returns the type of a decoded payload: the one its
// trigger.source names; without a trigger.source, the first whose shape it
// has; otherwise the catch-all, the last of Pushed.
func Classify(payload pcommon.Map) *PushedType {
	catchAll := Pushed[len(Pushed)-1]
	if trigger, ok := payload.Get("trigger"); ok && trigger.Type() == pcommon.ValueTypeMap {
		if source, ok := trigger.Map().Get("source"); ok && source.Type() == pcommon.ValueTypeStr && source.Str() != "" {
			for _, typ := range Pushed {
				if typ.TriggerSource != "" && strings.EqualFold(source.Str(), typ.TriggerSource) {
					return typ
				}
			}
			return catchAll
		}
	}
	for _, typ := range Pushed {
		if len(typ.Shape) > 0 && hasFields(payload, typ.Shape) {
			return typ
		}
	}
	return catchAll
}

func hasFields(m pcommon.Map, fields []string) bool {
	for _, f := range fields {
		if _, ok := m.Get(f); !ok {
			return false
		}
	}
	return true
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package wizreceivertest gives this repository's mock Wiz, end-to-end
// tests and load tool what they need of the receiver's internals, which Go
// keeps from them: each log type's names and query, and the
// log.record.uid the receiver gives a record. It follows the receiver's
// internals and is no API of the receiver.
package wizreceivertest // import "github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// The attributes every record carries.
const (
	AttrLogType   = mapping.AttrLogType
	AttrRecordUID = mapping.AttrRecordUID
)

// LogType is a data set the receiver polls, as its registry entry
// declares it.
type LogType struct {
	// Key is its section in the receiver's configuration.
	Key string
	// Name is its records' wiz.log_type.
	Name string
	// Scope is the service-account scope its query needs.
	Scope string
	// Query is the GraphQL query the receiver sends, ResponseKey the key
	// of the connection in its answer's data.
	Query, ResponseKey string
	// DefaultFilter is the filterBy its default section sends, beside the
	// time window.
	DefaultFilter map[string]any
	// ResultCap is the most nodes Wiz serves one query; 0 for none.
	ResultCap int
	// DeniedToProjectScoped marks a query Wiz refuses to project-scoped
	// service accounts.
	DeniedToProjectScoped bool
	lt                    *logtype.LogType
}

// UID is the log.record.uid of the record the receiver makes of node when
// it polls on the log type's default time field.
func (l LogType) UID(node []byte) (string, error) {
	lr := plog.NewLogRecord()
	if _, err := l.lt.Mapper(l.lt.TimeFields[0]).Map(node, lr); err != nil {
		return "", err
	}
	v, ok := lr.Attributes().Get(mapping.AttrRecordUID)
	if !ok {
		return "", fmt.Errorf("%s: the record has no %s", l.Name, mapping.AttrRecordUID)
	}
	return v.Str(), nil
}

// Polled lists the data sets the receiver polls, in the registry's order.
func Polled() []LogType {
	out := make([]LogType, len(logtype.All))
	for i, lt := range logtype.All {
		out[i] = LogType{
			Key: lt.Key, Name: lt.Name, Scope: lt.Scope, Query: lt.Query.Query, ResponseKey: lt.Query.ResponseKey,
			DefaultFilter: lt.Poll(lt.NewConfig(), nil).Filter, ResultCap: lt.ResultCap,
			DeniedToProjectScoped: lt.DeniedToProjectScoped, lt: lt,
		}
	}
	return out
}

// PolledByKey is the polled data set of the configuration section key; it
// panics on a key the registry does not have.
func PolledByKey(key string) LogType {
	for _, lt := range Polled() {
		if lt.Key == key {
			return lt
		}
	}
	panic("wizreceivertest: no polled log type " + key)
}

// PolledByName is the polled data set whose records' wiz.log_type is name.
func PolledByName(name string) (LogType, bool) {
	for _, lt := range Polled() {
		if lt.Name == name {
			return lt, true
		}
	}
	return LogType{}, false
}

// PushedType is a kind of payload the webhook takes.
type PushedType struct {
	// Name is its records' wiz.log_type.
	Name string
	// TriggerSource is trigger.source in its payloads; empty for the
	// catch-all.
	TriggerSource string
}

// Pushed lists the kinds of payload the webhook takes, the catch-all last.
func Pushed() []PushedType {
	out := make([]PushedType, len(logtype.Pushed))
	for i, typ := range logtype.Pushed {
		out[i] = PushedType{Name: typ.Name, TriggerSource: typ.TriggerSource}
	}
	return out
}

// PushedBySource is the kind of payload whose trigger.source is source; it
// panics on a source the registry does not have.
func PushedBySource(source string) PushedType {
	for _, typ := range Pushed() {
		if typ.TriggerSource == source {
			return typ
		}
	}
	panic("wizreceivertest: no pushed log type with trigger.source " + source)
}

// PayloadUID is the log.record.uid the webhook gives a pushed payload.
func PayloadUID(payload []byte) string { return mapping.PayloadUID(payload) }

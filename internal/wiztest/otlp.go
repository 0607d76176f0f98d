// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/proto"
)

// OTLPRecursionLimit is how deep the messages of a protobuf request may nest
// for the decoders of protobuf's C++, Java and Python runtimes by default,
// and for pdata's once it bounds them (open-telemetry/opentelemetry-collector
// #15301): a request nested deeper is refused whole.
const OTLPRecursionLimit = 100

// StrictLimit is the recursion limit of a backend stricter than OTLP's
// usual 100: it decodes the mock's records, whose bodies nest at most five
// levels (5 + 3·5 messages), and refuses one that nests DeepLevels.
const (
	StrictLimit = 40
	// DeepLevels levels of objects below a body: 5 + 3·(DeepLevels+1)
	// messages, past StrictLimit.
	DeepLevels = 12
)

// DeepParams is an input of levels nested objects.
func DeepParams(levels int) any {
	var v any = "leaf"
	for range levels {
		v = map[string]any{"a": v}
	}
	return v
}

// DecodeOTLP sends logs over OTLP/protobuf as a strict backend reads them:
// pdata marshals the request, protobuf's reference decoder reads it with at
// most limit levels of nested messages (counting the request as the
// first), and pdata reads what passed. It returns what the backend got, or
// the decoder's refusal.
func DecodeOTLP(logs plog.Logs, limit int) (plog.Logs, error) {
	var marshaler plog.ProtoMarshaler
	raw, err := marshaler.MarshalLogs(logs)
	if err != nil {
		return plog.Logs{}, err
	}
	// LogsData is ExportLogsServiceRequest's twin on the wire.
	if err := (proto.UnmarshalOptions{RecursionLimit: limit}).Unmarshal(raw, &logspb.LogsData{}); err != nil {
		return plog.Logs{}, err
	}
	var unmarshaler plog.ProtoUnmarshaler
	return unmarshaler.UnmarshalLogs(raw)
}

// StrictBackend is a next consumer that takes logs the way an OTLP backend
// takes them over protobuf: a request its decoder refuses is refused for
// good and whole (an OTLP receiver answers it 400, which an exporter does
// not retry); the sink holds what it decoded.
type StrictBackend struct {
	consumertest.LogsSink
	// Limit is the decoder's recursion limit: OTLPRecursionLimit when 0.
	Limit    int
	refusals atomic.Int64
}

// ConsumeLogs implements consumer.Logs.
func (b *StrictBackend) ConsumeLogs(ctx context.Context, logs plog.Logs) error {
	limit := b.Limit
	if limit == 0 {
		limit = OTLPRecursionLimit
	}
	got, err := DecodeOTLP(logs, limit)
	if err != nil {
		b.refusals.Add(1)
		return consumererror.NewPermanent(err)
	}
	return b.LogsSink.ConsumeLogs(ctx, got)
}

// Refusals is how many requests the backend refused.
func (b *StrictBackend) Refusals() int64 {
	return b.refusals.Load()
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// Format runs on every record the stream delivers; a record it fails on
// goes out as mapped, native, and is counted as unconverted.
func TestFormatFailureGoesOutNative(t *testing.T) {
	_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(30, 0, 0)})
	e := newEnv(t, url)
	e.enableOnly("audit")
	sink := &consumertest.LogsSink{}
	e.Next = sink
	formatted := 0
	e.Format = func(logType string, lr plog.LogRecord) error {
		if formatted%3 == 2 {
			formatted++
			return errors.New("incomplete")
		}
		formatted++
		lr.Body().SetStr("formatted " + logType)
		return nil
	}
	s, _ := e.stream(t)
	require.NoError(t, s.Poll(context.Background()))

	native, converted := 0, 0
	for _, logs := range sink.AllLogs() {
		polltest.ForEachRecord(logs, func(lr plog.LogRecord) {
			if lr.Body().Str() == "formatted Wiz.Audit" {
				converted++
				return
			}
			require.Equal(t, "Map", lr.Body().Type().String(), "a record left native keeps its mapped body")
			native++
		})
	}
	assert.Equal(t, 30, native+converted, "every record goes out")
	assert.Equal(t, 10, native)
	assert.Equal(t, 10, e.telemetryOf("Wiz.Audit").unconverted)
}

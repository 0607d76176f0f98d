// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/ocsf"
)

// TestGolden pins the events of each log type's samples, polled on its
// default time field, in testdata/<sample>_ocsf.json: a JSON array of the
// events, raw_data left out (TestEveryRecordIsAValidEvent holds it to the
// native body), in the events' own key order.
func TestGolden(t *testing.T) {
	files := map[string][]sample{}
	for _, lt := range logtype.All {
		files[lt.Key] = polledSamples(t, lt, lt.TimeFields[0])
	}
	for name, payload := range pushedPayloads(t) {
		// One payload of each of the mock's kinds; the others differ in
		// their ids and severity alone.
		if strings.HasPrefix(name, "pushed_mock_") && !strings.HasSuffix(name, "_3") {
			continue
		}
		files[strings.TrimSuffix(name, "_3")] = []sample{pushedSample(t, name, payload)}
	}
	for name, samples := range files {
		t.Run(name, func(t *testing.T) {
			var events []json.RawMessage
			for _, s := range samples {
				if err := ocsf.Convert(s.logType, s.record); err != nil {
					require.ErrorIs(t, err, ocsf.ErrNoClass, name)
					continue
				}
				event := s.record.Body().Map()
				event.Remove("raw_data")
				events = append(events, json.RawMessage(ocsf.JSONText(event)))
			}
			if len(events) == 0 {
				return
			}
			got, err := json.Marshal(events)
			require.NoError(t, err)
			indented := jsontext.Value(got)
			require.NoError(t, indented.Indent(jsontext.WithIndent("  ")))
			path := filepath.Join("testdata", name+"_ocsf.json")
			if *update {
				require.NoError(t, os.WriteFile(path, append(indented, '\n'), 0o600))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to write %s", path)
			require.Equal(t, string(want), string(indented)+"\n")
		})
	}
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// memStorage is a storage client holding one stored value.
type memStorage struct {
	storage.Client
	value []byte
}

func (m *memStorage) Get(context.Context, string) ([]byte, error) { return m.value, nil }
func (m *memStorage) Set(_ context.Context, _ string, v []byte) error {
	m.value = v
	return nil
}

// scriptedPages serves pages decoded from fuzz input: each byte pair is a
// node count and a cursor id (hasNextPage when the cursor id is odd).
type scriptedPages struct {
	script []byte
	calls  int
}

func (p *scriptedPages) FetchPage(context.Context, wiz.Request) (wiz.Page, error) {
	i := p.calls * 2
	p.calls++
	if i+1 >= len(p.script) {
		return wiz.Page{}, nil
	}
	n, c := int(p.script[i]%4), p.script[i+1]
	page := wiz.Page{HasNextPage: c%2 == 1, EndCursor: fmt.Sprintf("c%d", c%8)}
	if c%8 == 0 {
		page.EndCursor = ""
	}
	for j := range n {
		page.Nodes = append(page.Nodes, json.RawMessage(fmt.Sprintf(
			`{"id":"n%d-%d","timestamp":"2026-11-27T00:00:0%d.000001Z"}`, i, j, j)))
	}
	return page, nil
}

// untoldClock is the clock of a Wiz that has not told it.
type untoldClock struct{}

func (untoldClock) Now() (time.Time, bool) { return time.Time{}, false }

// fuzzStream is an audit stream on pages, to be restored from stored, on a
// clock that stands still and a Wiz that has not told its own.
func fuzzStream(t *testing.T, stored []byte, pages Client) *Stream {
	return fuzzStreamAt(t, stored, pages, func() time.Time { return time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) })
}

// fuzzStreamAt is fuzzStream on the host clock now.
func fuzzStreamAt(t *testing.T, stored []byte, pages Client, now func() time.Time) *Stream {
	e := newEnv(t, "http://127.0.0.1:1")
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverCreateSettings: metadatatest.NewSettings(e.tt)})
	require.NoError(t, err)
	lt := &logtype.Audit
	set := e.Settings
	set.LogType = lt
	set.Query = lt.Poll(lt.NewConfig(), nil)
	set.Client, set.WizClock = pages, untoldClock{}
	set.Storage, set.Markers = &memStorage{value: stored}, &memStorage{}
	set.ObsReport = obsrecv
	set.Telemetry = e.telemetryOf(lt.Name)
	set.Status = e.statuses.Report
	set.Now = now
	return New(set)
}

// FuzzCheckpoint feeds arbitrary stored checkpoints to restore: none may
// panic, and every one leaves a usable state the stream can poll from.
func FuzzCheckpoint(f *testing.F) {
	good, _ := json.Marshal(checkpoint{Version: checkpointVersion, Watermark: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
		Window: &window{Start: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Cursor: "abc"},
		Seen:   []seenKey{{Hash: 1, Time: 2}}})
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"window":{"start":"2026-11-27T00:00:00Z","end":"2026-11-26T00:00:00Z"}}`))
	f.Add([]byte(`{"version":1,"watermark":"2026-11-27T00:00:00Z","window":{"start":"2026-11-26T00:00:00Z","end":"2026-11-26T12:00:00Z"}}`))
	f.Add([]byte(`{"version":1,"watermark":"2026-11-27T00:00:00Z","window":{"start":"2026-11-26T23:59:00Z","end":"2026-11-27T01:00:00Z","until":"2026-11-26T00:00:00Z"}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff, 0x00})
	f.Fuzz(func(t *testing.T, stored []byte) {
		s := fuzzStream(t, stored, &scriptedPages{})
		require.NoError(t, s.Restore(context.Background()), "only a failing storage may stop restore")
		require.False(t, s.walker.state.Watermark.IsZero(), "restore must leave a watermark")
		require.NotNil(t, s.walker.dedup.seen)
		if w := s.walker.state.Window; w != nil {
			require.False(t, w.End.Before(s.walker.state.Watermark), "a restored window must not move the watermark back")
			require.True(t, w.Until.IsZero() || (!w.Until.Before(w.Start) && !w.Until.After(w.End)), "until must lie in the window")
		}
		_ = s.Poll(context.Background())
	})
}

// FuzzPaging serves arbitrary page sequences (repeated, missing and cyclic
// cursors, empty pages): every walk must end, within one request per
// distinct cursor plus one.
func FuzzPaging(f *testing.F) {
	f.Add([]byte{1, 1, 1, 1})       // the same cursor twice
	f.Add([]byte{0, 3})             // hasNextPage with no nodes
	f.Add([]byte{2, 8})             // hasNextPage without a cursor
	f.Add([]byte{3, 1, 3, 3, 3, 2}) // a proper walk
	f.Fuzz(func(t *testing.T, script []byte) {
		pages := &scriptedPages{script: script}
		s := fuzzStream(t, nil, pages)
		require.NoError(t, s.Restore(context.Background()))
		s.walker.state.Window = &window{Start: s.now().Add(-time.Hour), End: s.now()}
		_ = s.walker.walk(context.Background())
		require.LessOrEqual(t, pages.calls, 9, "a walk must stop once a cursor repeats")
	})
}

// failingStorage is a storage client whose reads fail, as a broken disk's.
type failingStorage struct{ memStorage }

func (*failingStorage) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("input/output error")
}

// A checkpoint that cannot be used falls back to initial_lookback; a
// storage that cannot be read stops the start instead, since falling back
// would silently skip or repeat records.
func TestRestoreStorageFailure(t *testing.T) {
	s := fuzzStream(t, nil, &scriptedPages{})
	s.walker.store.client = &failingStorage{}
	err := s.Restore(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "audit stream: reading checkpoint \"checkpoint.audit\" from the storage extension: input/output error")
	assert.Contains(t, err.Error(), "check the storage extension")

	// The markers, a client of their own, fail the same way.
	s = fuzzStream(t, nil, &scriptedPages{})
	s.walker.store.markers = &failingStorage{}
	err = s.Restore(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "audit stream: reading the marker of checkpoint \"checkpoint.audit\" from the storage extension: input/output error")

	corrupt := fuzzStream(t, []byte("{not json"), &scriptedPages{})
	require.NoError(t, corrupt.Restore(context.Background()))
	assert.True(t, corrupt.walker.state.Watermark.Equal(corrupt.now().Add(-corrupt.walker.initialLookback)))
}

// Everything up to the watermark was delivered, so a stored window that ends
// before it (older releases could store one) is dropped, not read: reading
// it would move the watermark back.
func TestRestoreDropsWindowBehindWatermark(t *testing.T) {
	stored := []byte(`{"version":1,"watermark":"2026-11-27T00:00:00Z",` +
		`"window":{"start":"2026-11-26T00:00:00Z","end":"2026-11-26T12:00:00Z","cursor":"abc","served":40}}`)
	s := fuzzStream(t, stored, &scriptedPages{})
	require.NoError(t, s.Restore(context.Background()))
	assert.Nil(t, s.walker.state.Window)
	assert.Equal(t, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), s.walker.state.Watermark.UTC())
}

// A stored cursor belongs to its query's fingerprint, so a release that
// changes the fingerprint of unchanged settings restarts every unfinished
// window. These are the fingerprints earlier releases stored.
func TestFingerprintsStayStable(t *testing.T) {
	tests := []struct {
		key      string
		projects []string
		want     string
	}{
		{"audit", nil, "efcde265b063772f"},
		{"audit", []string{"p-1", "p-2"}, "efcde265b063772f"},
		{"issues", nil, "022f807ff065aa64"},
		{"issues", []string{"p-1", "p-2"}, "cba78f4b800710ad"},
		{"vulnerability_findings", nil, "c7c76be654c954fb"},
		{"vulnerability_findings", []string{"p-1", "p-2"}, "be6eb0e6213abf35"},
		{"configuration_findings", nil, "2dc5beb7ba2776de"},
		{"configuration_findings", []string{"p-1"}, "f8c96e1234980f9b"},
		{"detections", nil, "99316842d182cf92"},
		{"detections", []string{"p-1"}, "d8e7e4eb6e219e85"},
	}
	pinned := map[string]bool{}
	for _, tt := range tests {
		i := slices.IndexFunc(logtype.All, func(lt *logtype.LogType) bool { return lt.Key == tt.key })
		require.GreaterOrEqual(t, i, 0, tt.key)
		lt := logtype.All[i]
		q := &wizQuery{logType: lt, poll: lt.Poll(lt.NewConfig(), tt.projects)}
		assert.Equal(t, tt.want, q.fingerprint(), "%s with project_ids %v", tt.key, tt.projects)
		pinned[tt.key] = true
	}
	for _, lt := range logtype.All {
		assert.True(t, pinned[lt.Key], "pin the fingerprints of %s", lt.Key)
	}
}

// A checkpoint missing from a storage that held one is loud: one WARN
// names the data set, initial_lookback and what is read again. A fresh
// storage, and one whose checkpoint is there, say nothing. The checkpoints'
// file truncated to nothing (what bbolt makes of a 0-byte file: an empty
// database) and the checkpoint's key deleted are both noticed.
func TestLostCheckpointWarns(t *testing.T) {
	const lostMsg = "Checkpoint lost: this storage held one for the stream and now has none; reading again from initial_lookback"
	for name, damage := range map[string]func(t *testing.T, dir string, id component.ID){
		"the checkpoints' file truncated to 0 bytes": func(t *testing.T, dir string, id component.ID) {
			// storagetest names a client's file as file_storage does:
			// kind, type, name and client name.
			file := filepath.Join(dir, fmt.Sprintf("%s_%s_%s_%s", component.KindReceiver, id.Type(), id.Name(), ""))
			require.FileExists(t, file)
			require.NoError(t, os.Truncate(file, 0))
		},
		"the checkpoint's key deleted": func(t *testing.T, dir string, id component.ID) {
			client := storagetest.NewFileBackedClient(component.KindReceiver, id, "", dir)
			require.NoError(t, client.Delete(context.Background(), "checkpoint.audit"))
			require.NoError(t, client.Close(context.Background()))
		},
	} {
		t.Run(name, func(t *testing.T) {
			clock := wiztest.NewClock(time.Now())
			_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(10, 0, 0), Now: clock.Now})
			e := newEnv(t, url)
			e.Now = clock.Now
			e.enableOnly("audit")
			dir := t.TempDir()
			core, logs := observer.New(zapcore.WarnLevel)
			e.Logger = zap.New(core)
			run := func() {
				e.fileStorage(dir)
				streams, release := e.streams(t)
				polltest.PollUntil(t, streams, 1, func() bool { return true })
				release()
			}

			run()
			assert.Zero(t, logs.FilterMessageSnippet(lostMsg).Len(), "a fresh storage never held a checkpoint")
			run()
			assert.Zero(t, logs.FilterMessageSnippet(lostMsg).Len(), "the checkpoint is there")

			damage(t, dir, storageID)
			run()
			lost := logs.FilterMessageSnippet(lostMsg).All()
			require.Len(t, lost, 1)
			fields := lost[0].ContextMap()
			assert.Equal(t, "audit", fields["stream"])
			assert.Equal(t, "Wiz.Audit", fields["log_type"])
			assert.Equal(t, e.InitialLookback, fields["initial_lookback"])
			assert.Equal(t, clock.Now().Add(-e.InitialLookback), fields["from"].(time.Time))
			assert.Contains(t, fields, "checkpointed_since")

			run()
			assert.Len(t, logs.FilterMessageSnippet(lostMsg).All(), 1, "the checkpoint written since is there")
		})
	}
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReleaseVersions(t *testing.T) {
	r, err := releaseVersions("v0.159.0")
	require.NoError(t, err)
	assert.Equal(t, release{v0: "v0.159.0", v1: "v1.65.0"}, r)
	r, err = releaseVersions("v0.165.0")
	require.NoError(t, err)
	assert.Equal(t, "v1.71.0", r.v1)
	for _, bad := range []string{"", "0.159.0", "v0.159.1", "v1.65.0", "v0.90.0"} {
		_, err := releaseVersions(bad)
		assert.Error(t, err, bad)
	}
}

func TestCollectorModules(t *testing.T) {
	tests := []struct {
		name, path, data string
		want             []module
	}{
		{
			name: "go.mod require block, single require and replace",
			path: "go.mod",
			data: `module example.com/x

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1
	go.opentelemetry.io/collector/component v1.65.0
	go.opentelemetry.io/collector/config/confighttp v0.159.0 // indirect
	go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.72.0 // indirect
)

require github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden v0.165.0

replace github.com/open-telemetry/opentelemetry-collector-contrib/extension/internal/basicauth => github.com/open-telemetry/opentelemetry-collector-contrib/extension/internal/basicauth v0.155.0
`,
			want: []module{
				{path: "go.opentelemetry.io/collector/component", version: "v1.65.0", line: 7},
				{path: "go.opentelemetry.io/collector/config/confighttp", version: "v0.159.0", line: 8},
				{path: "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden", version: "v0.165.0", line: 12},
				{path: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/internal/basicauth", version: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/internal/basicauth v0.155.0", line: 14, replace: true},
			},
		},
		{
			name: "ocb manifest, comments and replaces",
			path: "builder-config.yaml",
			data: `receivers:
  - gomod: github.com/otelcol-wiz/otelcol-wiz v0.0.0
processors:
  # - gomod: go.opentelemetry.io/collector/processor/batchprocessor v0.1.0
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor v0.159.0
connectors:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/connector/routingconnector v0.149.0
replaces:
  - github.com/open-telemetry/opentelemetry-collector-contrib/extension/a => github.com/open-telemetry/opentelemetry-collector-contrib/extension/a v0.161.0
`,
			want: []module{
				{path: "go.opentelemetry.io/collector/processor/batchprocessor", version: "v0.159.0", line: 5},
				{path: "github.com/open-telemetry/opentelemetry-collector-contrib/connector/routingconnector", version: "v0.149.0", line: 7},
				{path: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/a", version: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/a v0.161.0", line: 8, replace: true},
			},
		},
		{
			name: "a replace to a local path in go.mod",
			path: "go.mod",
			data: "module example.com/x\n\nreplace example.com/y => ../y\n",
			want: []module{{path: "example.com/y", version: "../y", line: 3, replace: true}},
		},
		{
			name: "the built collector's components output",
			path: "components.yaml",
			data: `processors:
    - name: batch
      module: go.opentelemetry.io/collector/processor/batchprocessor v0.159.0
providers:
    - scheme: env
      module: go.opentelemetry.io/collector/confmap/provider/envprovider v1.65.0
`,
			want: []module{
				{path: "go.opentelemetry.io/collector/processor/batchprocessor", version: "v0.159.0", line: 3},
				{path: "go.opentelemetry.io/collector/confmap/provider/envprovider", version: "v1.65.0", line: 6},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collectorModules(tt.path, []byte(tt.data))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOffReleaseModulesAreNamed(t *testing.T) {
	r, err := releaseVersions("v0.159.0")
	require.NoError(t, err)
	mods, err := collectorModules("builder-config.yaml", []byte(`processors:
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor v0.159.0
  - gomod: go.opentelemetry.io/collector/confmap/provider/envprovider v1.65.0
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/connector/routingconnector v0.149.0
  - gomod: go.opentelemetry.io/collector/confmap/provider/fileprovider v1.71.0
`))
	require.NoError(t, err)
	var off []string
	for _, m := range mods {
		if m.replace || !r.holds(m.version) {
			off = append(off, m.path+" "+m.version)
		}
	}
	assert.Equal(t, []string{
		"github.com/open-telemetry/opentelemetry-collector-contrib/connector/routingconnector v0.149.0",
		"go.opentelemetry.io/collector/confmap/provider/fileprovider v1.71.0",
	}, off)
}

// The built collector's go.mod takes this repository's module from its
// local path, as the manifest's `path: .` asks; no other replace passes.
func TestSelfFromPath(t *testing.T) {
	mods, err := collectorModules("go.mod", []byte("module example.com/dist\n\nreplace github.com/otelcol-wiz/otelcol-wiz v0.0.0 => ..\n\nreplace example.com/other => ../other\n\nreplace github.com/otelcol-wiz/otelcol-wiz => example.com/fork v1.0.0\n"))
	require.NoError(t, err)
	require.Len(t, mods, 3)
	assert.True(t, selfFromPath(mods[0], "github.com/otelcol-wiz/otelcol-wiz"))
	assert.False(t, selfFromPath(mods[1], "github.com/otelcol-wiz/otelcol-wiz"), "another module's local replace")
	assert.False(t, selfFromPath(mods[2], "github.com/otelcol-wiz/otelcol-wiz"), "this module replaced by another module")
}

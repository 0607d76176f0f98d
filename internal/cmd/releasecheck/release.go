// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
)

// stableMinorOffset is how far the minor of the collector's v0 modules runs
// ahead of its stable (v1) modules in one release: core v0.159.0 ships with
// v1.65.0, v0.165.0 with v1.71.0.
const stableMinorOffset = 94

// release is the two versions a collector module may have in one release:
// the v0 one (core and contrib) and the stable one of core's v1 modules.
type release struct{ v0, v1 string }

func (r release) holds(version string) bool { return version == r.v0 || version == r.v1 }

func (r release) String() string { return r.v0 + " or " + r.v1 }

var releasePattern = regexp.MustCompile(`^v0\.(\d+)\.0$`)

func releaseVersions(v0 string) (release, error) {
	m := releasePattern.FindStringSubmatch(v0)
	if m == nil {
		return release{}, fmt.Errorf("release %q is not of the form v0.N.0", v0)
	}
	minor, _ := strconv.Atoi(m[1])
	if minor <= stableMinorOffset {
		return release{}, fmt.Errorf("release %s predates the stable v1 modules", v0)
	}
	return release{v0: v0, v1: fmt.Sprintf("v1.%d.0", minor-stableMinorOffset)}, nil
}

// isCollectorModule tells whether a module comes from the collector's own
// releases: core (with its stable modules) or contrib.
func isCollectorModule(path string) bool {
	return path == "go.opentelemetry.io/collector" ||
		strings.HasPrefix(path, "go.opentelemetry.io/collector/") ||
		strings.HasPrefix(path, "github.com/open-telemetry/opentelemetry-collector-contrib/")
}

// module is a module a file names, where: its collector modules are held
// to the release, and a replace is refused whatever it names.
type module struct {
	path, version string
	line          int
	replace       bool
}

// collectorModules lists what a go.mod, an ocb manifest
// (builder-config.yaml) or the built collector's `components` output names:
// every collector module with its version, and every replace.
func collectorModules(path string, data []byte) ([]module, error) {
	if strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml") {
		return yamlModules(path, data)
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil, err
	}
	var out []module
	for _, r := range f.Require {
		if isCollectorModule(r.Mod.Path) {
			out = append(out, module{path: r.Mod.Path, version: r.Mod.Version, line: r.Syntax.Start.Line})
		}
	}
	for _, r := range f.Replace {
		out = append(out, module{path: r.Old.Path, version: strings.TrimSpace(r.New.Path + " " + r.New.Version), line: r.Syntax.Start.Line, replace: true})
	}
	return out, nil
}

// selfFromPath reports whether m is the one replace a built collector's
// go.mod has: ocb's, of this repository's module by its local path (the
// manifest's `path: .`), which is not a release of anything.
func selfFromPath(m module, self string) bool {
	return m.replace && m.path == self && (strings.HasPrefix(m.version, ".") || strings.HasPrefix(m.version, "/"))
}

// manifestModule is a manifest's or components output's "gomod: path
// version" or "module: path version".
var manifestModule = regexp.MustCompile(`^\s*-?\s*(?:gomod|module):\s*(\S+)\s+(\S+)`)

func yamlModules(path string, data []byte) ([]module, error) {
	var doc struct {
		Replaces []string `yaml:"replaces"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []module
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; scanner.Scan(); n++ {
		line := scanner.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if m := manifestModule.FindStringSubmatch(line); m != nil && isCollectorModule(m[1]) {
			out = append(out, module{path: m[1], version: m[2], line: n})
		}
		if strings.HasPrefix(strings.TrimSpace(line), "replaces:") && len(doc.Replaces) > 0 {
			for _, r := range doc.Replaces {
				old, repl, _ := strings.Cut(r, "=>")
				out = append(out, module{path: strings.TrimSpace(old), version: strings.TrimSpace(repl), line: n, replace: true})
			}
		}
	}
	return out, scanner.Err()
}

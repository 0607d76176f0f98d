package main

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
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

type module struct {
	path, version string
	line          int
}

// goModLine is a require or replace entry of a go.mod: a module path and a
// version, in a block or after the keyword. A replace's right-hand side is
// an entry too, so a replace to another release is caught.
var (
	goModLine    = regexp.MustCompile(`^\s*(?:require\s+|replace\s+)?(\S+)\s+(v\S+)`)
	goModReplace = regexp.MustCompile(`=>\s*(\S+)\s+(v\S+)`)
	manifestLine = regexp.MustCompile(`(?:gomod|module):\s*(\S+)\s+(v\S+)`)
	manifestRepl = regexp.MustCompile(`^\s*-\s*(\S+)\s*=>\s*(\S+)\s+(v\S+)`)
)

// collectorModules lists the collector modules that a go.mod or an ocb
// manifest (builder-config.yaml) names, with their versions.
func collectorModules(path string, data []byte) ([]module, error) {
	manifest := strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")
	var out []module
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; scanner.Scan(); n++ {
		line := scanner.Text()
		if i := strings.Index(line, "#"); manifest && i >= 0 {
			line = line[:i]
		}
		if i := strings.Index(line, "//"); !manifest && i >= 0 {
			line = line[:i]
		}
		var found [][2]string
		if manifest {
			if m := manifestLine.FindStringSubmatch(line); m != nil {
				found = append(found, [2]string{m[1], m[2]})
			}
			if m := manifestRepl.FindStringSubmatch(line); m != nil {
				found = append(found, [2]string{m[2], m[3]})
			}
		} else {
			if m := goModReplace.FindStringSubmatch(line); m != nil {
				found = append(found, [2]string{m[1], m[2]})
			} else if m := goModLine.FindStringSubmatch(line); m != nil {
				found = append(found, [2]string{m[1], m[2]})
			}
		}
		for _, f := range found {
			if isCollectorModule(f[0]) {
				out = append(out, module{path: f[0], version: f[1], line: n})
			}
		}
	}
	return out, scanner.Err()
}

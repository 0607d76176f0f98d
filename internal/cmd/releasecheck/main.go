// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Command releasecheck fails when a collector module in go.mod files or the
// ocb manifest leaves the one collector release the distribution is built
// on. make test runs it with the Makefile's COLLECTOR_RELEASE:
//
//	releasecheck -release v0.159.0 go.mod internal/tools/go.mod builder-config.yaml
//
// It names each module that is at another version, and the version, and
// refuses every replace, of a collector module or not.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	release := flag.String("release", "", "the collector release, e.g. v0.159.0")
	self := flag.String("self", "github.com/otelcol-wiz/otelcol-wiz", "this repository's module, which ocb's build may take from its local path")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: releasecheck -release vX.Y.Z FILE...")
		os.Exit(2)
	}
	versions, err := releaseVersions(*release)
	if err != nil {
		fmt.Fprintln(os.Stderr, "releasecheck:", err)
		os.Exit(2)
	}
	bad := 0
	for _, path := range flag.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "releasecheck:", err)
			os.Exit(2)
		}
		mods, err := collectorModules(path, data)
		if err != nil {
			fmt.Fprintln(os.Stderr, "releasecheck:", err)
			os.Exit(2)
		}
		for _, m := range mods {
			if m.replace {
				if !selfFromPath(m, *self) {
					fmt.Fprintf(os.Stderr, "%s:%d: replace of %s by %s: the distribution takes every module as released; remove it\n", path, m.line, m.path, m.version)
					bad++
				}
				continue
			}
			if !versions.holds(m.version) {
				fmt.Fprintf(os.Stderr, "%s:%d: %s is at %s, not at collector release %s (%s)\n", path, m.line, m.path, m.version, *release, versions)
				bad++
			}
		}
	}
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "releasecheck: %d module(s) replaced or off collector release %s; move them to it, or move COLLECTOR_RELEASE in the Makefile and every module together\n", bad, *release)
		os.Exit(1)
	}
	fmt.Printf("releasecheck: every collector module in %v is at release %s (%s), and none is replaced\n", flag.Args(), *release, versions)
}

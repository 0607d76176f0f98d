# otelcol-wiz: the Wiz receiver and a collector distribution that carries it.
#
#   make demo   build the collector and run it against the local mock Wiz
#   make test   gofmt, go vet, golangci-lint, go test -race, the soak test,
#               and the end-to-end tests of the built collector
#
# Every tool is pinned and installed on first use into TOOLS_DIR, a cache
# shared by all clones on this machine.

SHELL        := /bin/bash
GO           ?= go
# The one collector release the distribution is built on: core and contrib
# modules at this version, core's stable modules at its v1 twin (v1.65.0),
# and ocb at it too. release-check holds go.mod, internal/tools/go.mod,
# builder-config.yaml and the built collector to it.
COLLECTOR_RELEASE := v0.159.0
OCB_VERSION  := $(COLLECTOR_RELEASE)
LINT_VERSION := v2.15.0
TOOLS_DIR    ?= $(HOME)/.cache/otelcol-wiz/tools
OCB          := $(TOOLS_DIR)/builder-$(OCB_VERSION)
GOLANGCI     := $(TOOLS_DIR)/golangci-lint-$(LINT_VERSION)
BUILD_DIR    := _build
OTELCOL      := $(BUILD_DIR)/otelcol-wiz
MOCKWIZ      := $(BUILD_DIR)/mockwiz
OTLPSINK     := $(BUILD_DIR)/otlpsink
DEMO_SECONDS ?= 25

.PHONY: all demo test license-check release-check components-check unit-test soak-test e2e-test otelcol mockwiz otlpsink lint vet fmt-check fmt generate tools clean bench

all: test

$(OCB):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR)/.ocb-$(OCB_VERSION) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	mv $(TOOLS_DIR)/.ocb-$(OCB_VERSION)/builder $@

$(GOLANGCI):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR)/.lint-$(LINT_VERSION) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(LINT_VERSION)
	mv $(TOOLS_DIR)/.lint-$(LINT_VERSION)/golangci-lint $@

tools: $(OCB) $(GOLANGCI)

## otelcol: build the collector distribution from builder-config.yaml
# GOEXPERIMENT=jsonv2 builds encoding/json on encoding/json/v2, with v1's
# behaviour. go-graphql-client decodes every Wiz response with encoding/json
# (it scans the whole body, then again to copy out "data"); the v2 scanner
# does that at a fraction of the CPU. The e2e tests run this build.
otelcol: $(OCB)
	GOEXPERIMENT=jsonv2 $(OCB) --config builder-config.yaml
	@echo "built $(OTELCOL)"

## mockwiz: build the standalone mock Wiz server
mockwiz:
	@mkdir -p $(BUILD_DIR)
	$(GO) build -o $(MOCKWIZ) ./internal/cmd/mockwiz

## otlpsink: build the OTLP backend the benchmarks export to
otlpsink:
	@mkdir -p $(BUILD_DIR)
	$(GO) build -o $(OTLPSINK) ./internal/cmd/otlpsink

## demo: run the collector against the mock Wiz and show records flowing
demo: otelcol mockwiz
	./internal/scripts/demo.sh $(OTELCOL) $(MOCKWIZ) $(DEMO_SECONDS)

## test: every check and every test, as CI runs them
test: fmt-check license-check vet lint release-check unit-test soak-test e2e-test

## release-check: every collector module in go.mod files and the ocb manifest is at COLLECTOR_RELEASE
release-check:
	$(GO) run ./internal/cmd/releasecheck -release $(COLLECTOR_RELEASE) go.mod internal/tools/go.mod builder-config.yaml

## components-check: the built collector links and lists only COLLECTOR_RELEASE's modules
components-check: otelcol
	$(OTELCOL) components > $(BUILD_DIR)/components.yaml
	$(GO) run ./internal/cmd/releasecheck -release $(COLLECTOR_RELEASE) $(BUILD_DIR)/go.mod $(BUILD_DIR)/components.yaml

unit-test:
	$(GO) test -race -count=1 -skip TestSoak ./...
	# The distribution is built with GOEXPERIMENT=jsonv2: the JSON code and
	# its differential tests against encoding/json run under it too.
	GOEXPERIMENT=jsonv2 $(GO) test -race -count=1 ./receiver/wizreceiver/internal/mapping/ ./receiver/wizreceiver/internal/wiz/ ./receiver/wizreceiver/internal/ocsf/

## soak-test: about a minute of mixed faults over 20,000 records; prints its figures
soak-test:
	$(GO) test -race -count=1 -run TestSoak -v ./receiver/wizreceiver/ 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'; exit $${PIPESTATUS[0]}

e2e-test: otelcol components-check
	OTELCOL_WIZ_BIN=$(abspath $(OTELCOL)) $(GO) test -race -count=1 -run E2E -v ./internal/e2e/ 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'; exit $${PIPESTATUS[0]}

lint: $(GOLANGCI)
	$(GOLANGCI) run ./...

vet:
	$(GO) vet ./...

## license-check: every Go file but mdatagen's carries the Apache-2.0 header
license-check:
	@out=$$(for f in $$(git ls-files '*.go'); do head -1 "$$f" | grep -q 'Code generated' && continue; head -2 "$$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' || echo "$$f"; done); \
	if [ -n "$$out" ]; then echo "missing the licence header (// Copyright The otelcol-wiz Authors, // SPDX-License-Identifier: Apache-2.0):"; echo "$$out"; exit 1; fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

## generate: regenerate receiver/wizreceiver/internal/metadata with mdatagen
generate:
	cd receiver/wizreceiver && $(GO) generate ./...

clean:
	rm -rf $(BUILD_DIR)

## bench: the benchmark table, backfills through the built collector (the
## whole pipeline and the receiver's own part), and the webhook under load;
## prints them and writes docs/performance.md (about 10 minutes with the build)
bench: otelcol mockwiz otlpsink
	GO=$(GO) BENCH_CMD="make bench" ./internal/scripts/bench.sh $(OTELCOL) $(MOCKWIZ) $(OTLPSINK)

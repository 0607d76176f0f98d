// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package tools pins the code generators used by `make generate` in a module of
// their own, so their dependencies never leak into the receiver's go.mod.
package tools

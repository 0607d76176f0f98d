// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

// Connection is one paged Wiz query: its text and where its connection sits
// in the response. Every query takes $first, $after and $filterBy, so one
// polling loop serves all of them.
type Connection struct {
	Operation   string
	Query       string
	ResponseKey string
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// An answer larger than max_response_size fails its request, read no
// further than the limit, however much the server would send. A page that
// large will be as large again, so the error is permanent and names the
// fix. An error status's body is cut off the same way, and the status
// classifies it.
func TestResponseCeiling(t *testing.T) {
	const limit = 64 << 10
	// sized is a valid page of exactly size bytes, padded inside.
	sized := func(size int) http.HandlerFunc {
		page := wiztest.AuditPage[:len(wiztest.AuditPage)-1]
		return wiztest.JSONReply(http.StatusOK, page+strings.Repeat(" ", size-len(page)-1)+"}")
	}
	limited := func(cfg *wiz.Config) { cfg.MaxResponseSize = limit }

	t.Run("a page that never ends", func(t *testing.T) {
		var written atomic.Int64
		f := wiztest.NewFakeWiz(t)
		f.Queue(wiztest.EndlessPage(http.StatusOK, &written))
		read := &readCounter{}
		c := newClient(f, read, nil, limited)
		_, err := c.FetchPage(context.Background(), auditReq)
		var tooLarge *wiz.ResponseTooLargeError
		require.ErrorAs(t, err, &tooLarge)
		assert.True(t, wiz.IsPermanent(err), "the same page would be as large again")
		assert.EqualError(t, err, "wiz's answer to the AuditLogTable query is larger than max_response_size (65536 bytes), "+
			"and was abandoned there; lower page_size (this request asked for first: 1), or raise max_response_size")
		assert.Len(t, f.Authorizations(), 1, "not retried")
		assert.LessOrEqual(t, read.n.Load(), int64(limit+1), "the client read no further than the limit")
		assert.Less(t, written.Load(), int64(64<<20), "the server was cut off")
	})
	t.Run("an error status that never ends", func(t *testing.T) {
		var written atomic.Int64
		f := wiztest.NewFakeWiz(t)
		f.Queue(wiztest.EndlessPage(http.StatusBadGateway, &written), wiztest.EndlessPage(http.StatusBadGateway, &written))
		read := &readCounter{}
		c := newClient(f, read, nil, limited)
		_, err := c.FetchPage(context.Background(), auditReq)
		require.NoError(t, err, "retried as a 502, then served")
		assert.Len(t, f.Authorizations(), 3)
		assert.LessOrEqual(t, read.n.Load(), int64(3*(limit+1)), "each answer read no further than the limit")
	})
	t.Run("a page of the limit", func(t *testing.T) {
		f := wiztest.NewFakeWiz(t)
		f.Queue(sized(limit))
		c := newClient(f, nil, nil, limited)
		page, err := c.FetchPage(context.Background(), auditReq)
		require.NoError(t, err)
		assert.Len(t, page.Nodes, 1)
	})
	t.Run("a page a byte past the limit", func(t *testing.T) {
		f := wiztest.NewFakeWiz(t)
		f.Queue(sized(limit + 1))
		c := newClient(f, nil, nil, limited)
		_, err := c.FetchPage(context.Background(), auditReq)
		var tooLarge *wiz.ResponseTooLargeError
		require.ErrorAs(t, err, &tooLarge)
	})
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SlowHeader opens a connection to addr and sends the start of a request
// whose headers never end: a request line, then header lines until about
// size bytes. It does not read the answer.
func SlowHeader(t testing.TB, addr string, size int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	var b bytes.Buffer
	b.WriteString("POST / HTTP/1.1\r\nHost: wiz\r\nContent-Type: application/json\r\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "X-Pad-%d: %s\r\n", i, strings.Repeat("p", 1000))
	}
	// A server that stopped reading may reset the connection meanwhile;
	// what it answered, if anything, is for the caller to read.
	_, _ = conn.Write(b.Bytes())
	return conn
}

// RequireRefused reads the answer to a request whose headers are past
// max_request_header_size, and fails the test unless by deadline the server
// answered 431, or ended the connection.
func RequireRefused(t testing.TB, conn net.Conn, deadline time.Time) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(deadline))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err == nil {
		assert.Equal(t, "HTTP/1.1 431 Request Header Fields Too Large", strings.TrimSpace(status))
		return
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		t.Fatal("the server still holds a connection whose headers are past max_request_header_size")
	}
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"net"
	"net/http"
	"sync"
)

// connLimit caps the connections the webhook's server has open, which
// confighttp does not: Accept waits while the cap is reached, so a
// connection past it waits in the listen backlog until one closes, and the
// server's ConnState hook frees a place as each one ends. It hands the
// server the accepted connection itself. netutil.LimitListener wraps it
// instead, which hides a *tls.Conn from net/http (requests lose their TLS
// state, the handshake its timeout) and a TCP connection's CloseWrite (so
// a 431 can be lost to a reset).
type connLimit struct {
	net.Listener
	open      chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func newConnLimit(ln net.Listener, maxConns int) *connLimit {
	return &connLimit{Listener: ln, open: make(chan struct{}, maxConns), closed: make(chan struct{})}
}

func (l *connLimit) Accept() (net.Conn, error) {
	select {
	case l.open <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	conn, err := l.Listener.Accept()
	if err != nil {
		<-l.open
		return nil, err
	}
	return conn, nil
}

func (l *connLimit) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// track is the server's ConnState hook: net/http reports every connection
// it accepted as closed, or hijacked, exactly once.
func (l *connLimit) track(_ net.Conn, state http.ConnState) {
	if state == http.StateClosed || state == http.StateHijacked {
		<-l.open
	}
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"container/list"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connLimit caps the connections the webhook's server has open, which
// confighttp does not: past the cap, a new connection is taken from the
// listener but handed to the server only once a place is free, and the
// server's ConnState hook frees a place as each connection ends. It hands
// the server the accepted connection itself. netutil.LimitListener wraps it
// instead, which hides a *tls.Conn from net/http (requests lose their TLS
// state, the handshake its timeout) and a TCP connection's CloseWrite (so
// a 431 can be lost to a reset).
//
// A sender's pool of keep-alive connections would otherwise hold every
// place, idle until idle_timeout or busy as long as it sends, while the
// connection it has just opened, its request already sent, waits
// unanswered past the sender's timeout. So while a new connection waits,
// the next response asks its client to close its connection
// (closeForWaiting), and Accept closes the connection that has been idle
// the longest, once it has been idle for minIdle, much as nginx does with
// its keep-alive connections.
type connLimit struct {
	net.Listener
	open      chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	// wentIdle tells a waiting Accept that a connection went idle.
	wentIdle chan struct{}
	// owed is true while a new connection waits for a place and no
	// response has yet been sent with Connection: close for it.
	owed atomic.Bool
	now  func() time.Time

	mu sync.Mutex
	// idle holds the connections waiting for their next request, the one
	// idle the longest first; byConn finds a connection's element in it.
	idle   list.List
	byConn map[net.Conn]*list.Element
}

func newConnLimit(ln net.Listener, maxConns int, now func() time.Time) *connLimit {
	return &connLimit{
		Listener: ln,
		now:      now,
		open:     make(chan struct{}, maxConns),
		closed:   make(chan struct{}),
		wentIdle: make(chan struct{}, 1),
		byConn:   map[net.Conn]*list.Element{},
	}
}

func (l *connLimit) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	defer l.owed.Store(false)
	for {
		select {
		case l.open <- struct{}{}:
			return conn, nil
		default:
		}
		l.owed.Store(true)
		// A notice from before this check is stale: the check sees it.
		select {
		case <-l.wentIdle:
		default:
		}
		wait, later := l.wentIdle, (<-chan time.Time)(nil)
		switch idleFor := l.closeLongestIdle(); {
		case idleFor < 0:
		case idleFor < minIdle:
			later = time.After(minIdle - idleFor)
		default:
			// Its place frees once the server reports it closed; closing
			// another meanwhile would be one too many.
			wait = nil
		}
		select {
		case l.open <- struct{}{}:
			return conn, nil
		case <-wait:
		case <-later:
		case <-l.closed:
			_ = conn.Close()
			return nil, net.ErrClosed
		}
	}
}

// minIdle is how long a connection must have been idle to be closed for a
// new one. A sender reuses the connection it used last first, so one idle
// that long is unlikely to be carrying a request; one that is (net/http
// calls a connection active only once its request's headers are read) is
// closed under it, and that push fails without an answer for the sender
// to retry.
const minIdle = time.Second

// closeLongestIdle closes the connection idle the longest if it has been
// idle for minIdle: the server then reports it closed, which frees its
// place. It returns how long that connection was idle, or -1 when none is.
func (l *connLimit) closeLongestIdle() time.Duration {
	l.mu.Lock()
	front := l.idle.Front()
	if front == nil {
		l.mu.Unlock()
		return -1
	}
	c := front.Value.(*idleConn)
	idleFor := l.now().Sub(c.since)
	if idleFor >= minIdle {
		l.forget(c.conn)
	}
	l.mu.Unlock()
	if idleFor >= minIdle {
		// Apart: closing a TLS connection writes to its peer, which must
		// not hold up the accepting goroutine.
		go func() { _ = c.conn.Close() }()
	}
	return idleFor
}

// closeForWaiting wraps the server's handler: while a new connection waits
// for a place, the next response asks its client to close its connection
// (Connection: close), which net/http does once the response is written.
// A sender whose connections are all busy, so that none is idle to close,
// thus makes room for its new one. Unlike closing an idle connection, this
// fails no request: the client learns it before it would reuse the
// connection.
func (l *connLimit) closeForWaiting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.owed.CompareAndSwap(true, false) {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// idleConn is a connection waiting for its next request, since when.
type idleConn struct {
	conn  net.Conn
	since time.Time
}

func (l *connLimit) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// track is the server's ConnState hook: net/http reports every connection
// it accepted as closed, or hijacked, exactly once, and as idle each time
// it waits for a next request.
func (l *connLimit) track(conn net.Conn, state http.ConnState) {
	l.mu.Lock()
	ended := state == http.StateClosed || state == http.StateHijacked
	switch state {
	case http.StateIdle:
		if _, ok := l.byConn[conn]; !ok {
			l.byConn[conn] = l.idle.PushBack(&idleConn{conn: conn, since: l.now()})
		}
		select {
		case l.wentIdle <- struct{}{}:
		default:
		}
	case http.StateActive, http.StateClosed, http.StateHijacked:
		l.forget(conn)
	}
	l.mu.Unlock()
	if ended {
		<-l.open
	}
}

// forget drops conn from the idle connections; l.mu is held.
func (l *connLimit) forget(conn net.Conn) {
	if e, ok := l.byConn[conn]; ok {
		l.idle.Remove(e)
		delete(l.byConn, conn)
	}
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// decodePage reads the connection at data[key]: its nodes, pageInfo and
// maxCountReached. It reads data once, with jsontext, and hands the nodes
// out as sub-slices of data, without decoding or copying them: the
// mapping decodes each node anyway.
//
// It reads what encoding/json reads into map[string]*struct{Nodes
// []json.RawMessage; PageInfo struct{HasNextPage bool; EndCursor string};
// MaxCountReached *bool}, and refuses what that refuses, since every
// member of data is read as a connection: field names match
// case-insensitively; a repeated key replaces the connection, a repeated
// field replaces the field, a repeated pageInfo merges; null is a missing
// connection, nil nodes or maxCountReached, and no change to the rest.
// data is the "data" member go-graphql-client decoded, so it is valid
// JSON: anything unexpected means the response is malformed, which is
// worth a retry.
func decodePage(data []byte, key string) (Page, error) {
	r := pageReaders.Get().(*pageReader)
	defer r.release()
	page, found, err := r.read(data, key)
	if err != nil {
		return Page{}, &retryableError{err: fmt.Errorf("wiz response is not valid JSON: %w", err), reason: "bad_response"}
	}
	if !found {
		return Page{}, &QueryError{Message: fmt.Sprintf("the response has no %q connection", key)}
	}
	return page, nil
}

// pageReader is a jsontext.Decoder over a page, pooled so that its state
// stack is allocated once.
type pageReader struct {
	in  bytes.Buffer // over data: the decoder then reads data in place
	dec jsontext.Decoder
}

var pageReaders = sync.Pool{New: func() any { return new(pageReader) }}

// encoding/json accepts duplicate names and invalid UTF-8.
var pageOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

var (
	errShape    = errors.New("unexpected JSON type")
	errTrailing = errors.New("more than white space after the data object")
)

func (r *pageReader) release() {
	r.in = bytes.Buffer{}
	r.dec.Reset(&r.in) // drops the reference to data
	pageReaders.Put(r)
}

func (r *pageReader) read(data []byte, key string) (page Page, found bool, err error) {
	r.in = *bytes.NewBuffer(data)
	r.dec.Reset(&r.in, pageOptions...)
	_, err = r.object("data", func(name string) error {
		conn, ok, err := r.connection()
		if name == key {
			page, found = conn, ok
		}
		return err
	})
	if err != nil {
		return Page{}, false, err
	}
	if _, err := r.dec.ReadToken(); !errors.Is(err, io.EOF) {
		return Page{}, false, errTrailing
	}
	return page, found, nil
}

// connection reads one connection; ok is false when it is null.
func (r *pageReader) connection() (page Page, ok bool, err error) {
	null, err := r.object("a connection", func(name string) error {
		var err error
		switch {
		case strings.EqualFold(name, "nodes"):
			page.Nodes, err = r.nodes()
		case strings.EqualFold(name, "pageInfo"):
			_, err = r.object("pageInfo", func(name string) error {
				switch {
				case strings.EqualFold(name, "hasNextPage"):
					return r.boolean(func(v bool) { page.HasNextPage = v })
				case strings.EqualFold(name, "endCursor"):
					return r.string(func(v string) { page.EndCursor = v })
				default:
					return r.dec.SkipValue()
				}
			})
		case strings.EqualFold(name, "maxCountReached"):
			page.MaxCountReached = nil
			err = r.boolean(func(v bool) { page.MaxCountReached = &v })
		default:
			err = r.dec.SkipValue()
		}
		return err
	})
	return page, !null && err == nil, err
}

// object reads an object, calling member with each name while the decoder
// stands at its value, which member must read; or it reads null.
func (r *pageReader) object(what string, member func(name string) error) (null bool, err error) {
	tok, err := r.dec.ReadToken()
	switch {
	case err != nil:
		return false, err
	case tok.Kind() == 'n':
		return true, nil
	case tok.Kind() != '{':
		return false, fmt.Errorf("%w: %s is %v, want an object", errShape, what, tok.Kind())
	}
	for {
		tok, err := r.dec.ReadToken()
		if err != nil {
			return false, err
		}
		if tok.Kind() == '}' {
			return false, nil
		}
		if err := member(tok.String()); err != nil {
			return false, err
		}
	}
}

// nodes reads the nodes array as sub-slices of the page, or null as nil.
func (r *pageReader) nodes() ([]json.RawMessage, error) {
	tok, err := r.dec.ReadToken()
	switch {
	case err != nil:
		return nil, err
	case tok.Kind() == 'n':
		return nil, nil
	case tok.Kind() != '[':
		return nil, fmt.Errorf("%w: nodes is %v, want an array", errShape, tok.Kind())
	}
	nodes := []json.RawMessage{}
	for r.dec.PeekKind() != ']' {
		node, err := r.dec.ReadValue()
		if err != nil {
			return nil, err
		}
		// Capped, so that appending to a node cannot overwrite the next.
		nodes = append(nodes, json.RawMessage(node[:len(node):len(node)]))
	}
	_, err = r.dec.ReadToken()
	return nodes, err
}

// boolean reads a boolean into set, or null, which it skips.
func (r *pageReader) boolean(set func(bool)) error {
	tok, err := r.dec.ReadToken()
	switch {
	case err != nil:
		return err
	case tok.Kind() == 't' || tok.Kind() == 'f':
		set(tok.Bool())
	case tok.Kind() != 'n':
		return fmt.Errorf("%w: %v, want a boolean", errShape, tok.Kind())
	}
	return nil
}

// string reads a string into set, or null, which it skips.
func (r *pageReader) string(set func(string)) error {
	tok, err := r.dec.ReadToken()
	switch {
	case err != nil:
		return err
	case tok.Kind() == '"':
		set(tok.String())
	case tok.Kind() != 'n':
		return fmt.Errorf("%w: %v, want a string", errShape, tok.Kind())
	}
	return nil
}

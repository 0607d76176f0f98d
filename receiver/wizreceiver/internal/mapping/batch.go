// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// ErrTooManyPayloads is SplitPushed's error for an array of more payloads
// than its limit.
var ErrTooManyPayloads = errors.New("too many payloads")

// SplitPushed returns the payloads of a pushed body: the body itself when
// it is not an array, else the array's elements, which alias body. It stops
// at the element past limit with ErrTooManyPayloads, before a record is
// built: a body of tiny objects is refused for the cost of reading it, not
// of millions of records. An array that is not valid JSON, or is empty, is
// an error; whether each element is an object is MapPushed's to check.
func SplitPushed(body []byte, limit int) ([][]byte, error) {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '[' {
		return [][]byte{body}, nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body), nodeOptions...)
	if _, err := dec.ReadToken(); err != nil {
		return nil, notJSON(err)
	}
	var payloads [][]byte
	for dec.PeekKind() != ']' {
		if len(payloads) == limit {
			return nil, ErrTooManyPayloads
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, notJSON(err)
		}
		end := dec.InputOffset()
		payloads = append(payloads, body[end-int64(len(v)):end])
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, notJSON(err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the body is not valid JSON: data follows the array")
	}
	if len(payloads) == 0 {
		return nil, errors.New("the body is an empty array: send a JSON object, or an array of objects")
	}
	return payloads, nil
}

func notJSON(err error) error {
	return fmt.Errorf("the body is not valid JSON: %w", err)
}

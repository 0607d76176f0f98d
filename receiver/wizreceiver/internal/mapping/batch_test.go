// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// A body is its own payload, or an array of them, each exactly as sent;
// an array past the limit is refused before the rest of it is read.
func TestSplitPushed(t *testing.T) {
	split := func(body string, limit int) ([]string, error) {
		payloads, err := mapping.SplitPushed([]byte(body), limit)
		var got []string
		for _, p := range payloads {
			got = append(got, string(p))
		}
		return got, err
	}
	for body, want := range map[string][]string{
		`{"a":1}`:                        {`{"a":1}`},
		` {"a" : 1} `:                    {` {"a" : 1} `},
		`[{"a":1}]`:                      {`{"a":1}`},
		"\n[ {\"a\" : [1, 2]} ,\t{} ]\n": {`{"a" : [1, 2]}`, `{}`},
		`[7,"x",null]`:                   {`7`, `"x"`, `null`},
		`"x"`:                            {`"x"`},
	} {
		got, err := split(body, 3)
		require.NoError(t, err, body)
		assert.Equal(t, want, got, body)
	}

	_, err := split(`[{},{},{},{}]`, 3)
	assert.ErrorIs(t, err, mapping.ErrTooManyPayloads)
	// Past the limit the rest is not read: its errors do not matter.
	_, err = split(`[{},{},{},{}`+strings.Repeat("x", 100), 3)
	assert.ErrorIs(t, err, mapping.ErrTooManyPayloads)

	for body, want := range map[string]string{
		`[]`:        "the body is an empty array",
		` [ ] `:     "the body is an empty array",
		`[{}`:       "the body is not valid JSON",
		`[{},]`:     "the body is not valid JSON",
		`[{}] {}`:   "data follows the array",
		`[{}] x`:    "data follows the array",
		`[{"a":}]`:  "the body is not valid JSON",
		`[{}{}]`:    "the body is not valid JSON",
		"[\"\xff\"": "the body is not valid JSON",
	} {
		_, err := split(body, 3)
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
		assert.NotErrorIs(t, err, mapping.ErrTooManyPayloads, body)
	}
}

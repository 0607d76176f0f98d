// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceDecodePage is the plain encoding/json reading of a page that
// decodePage must match on every valid input.
func referenceDecodePage(data []byte, key string) (Page, bool, error) {
	var resp map[string]*struct {
		Nodes           []json.RawMessage `json:"nodes"`
		PageInfo        pageInfo          `json:"pageInfo"`
		MaxCountReached *bool             `json:"maxCountReached"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return Page{}, false, err
	}
	conn := resp[key]
	if conn == nil {
		return Page{}, false, nil
	}
	return Page{Nodes: conn.Nodes, HasNextPage: conn.PageInfo.HasNextPage, EndCursor: conn.PageInfo.EndCursor, MaxCountReached: conn.MaxCountReached}, true, nil
}

// pageInfo is the reference's reading of a connection's pageInfo.
type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

var pageSamples = []string{
	`{"auditLogEntries":{"nodes":[{"id":"1","a":[1,{"b":"]}"}]},{"id":"2\"}"}],"pageInfo":{"hasNextPage":true,"endCursor":"abc"}}}`,
	` { "auditLogEntries" : { "totalCount": 3, "pageInfo" : { "endCursor" : null , "hasNextPage" : false } , "nodes" : [ ] } } `,
	`{"other":{"x":[1,2,{"y":"z"}]},"auditLogEntries":{"nodes":null,"pageInfo":null}}`,
	`{"auditLogEntries":null}`,
	`{}`,
	`{"\u0061uditLogEntries":{"nodes":[true,false,null,-1.5e3,"s"],"pageInfo":{"hasNextPage":true,"endCursor":"\u00e9"}}}`,
	`{"auditLogEntries":{"nodes":[{"id":"1"}]},"auditLogEntries":{"nodes":[{"id":"2"}],"nodes":[{"id":"3"}]}}`,
	`{"auditLogEntries":{"pageInfo":{"hasNextPage":true},"pageInfo":{"endCursor":"c"}}}`,
}

func TestDecodePageMatchesEncodingJSON(t *testing.T) {
	for _, sample := range pageSamples {
		require.True(t, json.Valid([]byte(sample)), sample)
		want, found, err := referenceDecodePage([]byte(sample), "auditLogEntries")
		require.NoError(t, err)
		got, err := decodePage([]byte(sample), "auditLogEntries")
		if !found {
			var query *QueryError
			require.ErrorAs(t, err, &query, sample)
			continue
		}
		require.NoError(t, err, sample)
		assert.Equal(t, want, got, sample)
	}
}

// maxCountReached is nil when absent or null; the last one wins, its name
// matches in any case, and a non-boolean is a malformed response.
func TestDecodePageMaxCountReached(t *testing.T) {
	yes, no := true, false
	for sample, want := range map[string]*bool{
		`{"issues":{"nodes":[]}}`:                                                  nil,
		`{"issues":{"nodes":[],"maxCountReached":null}}`:                           nil,
		`{"issues":{"nodes":[],"maxCountReached":true}}`:                           &yes,
		`{"issues":{"maxCountReached":true,"nodes":[],"MaxCountReached":false}}`:   &no,
		`{"issues":{"maxCountReached":true,"pageInfo":{},"maxCountReached":null}}`: nil,
	} {
		got, err := decodePage([]byte(sample), "issues")
		require.NoError(t, err, sample)
		assert.Equal(t, want, got.MaxCountReached, sample)
		ref, _, err := referenceDecodePage([]byte(sample), "issues")
		require.NoError(t, err, sample)
		assert.Equal(t, ref, got, sample)
	}
	_, err := decodePage([]byte(`{"issues":{"nodes":[],"maxCountReached":"yes"}}`), "issues")
	var retryable *retryableError
	require.ErrorAs(t, err, &retryable)
}

func TestDecodePageMalformed(t *testing.T) {
	for _, sample := range []string{``, `[]`, `{"auditLogEntries":{"nodes":"x"}}`, `{"auditLogEntries":{"nodes":[{"id":"1"`, `{"auditLogEntries"`} {
		_, err := decodePage([]byte(sample), "auditLogEntries")
		var retryable *retryableError
		require.ErrorAs(t, err, &retryable, sample)
	}
}

// FuzzDecodePage: on every valid JSON input decodePage returns exactly
// what encoding/json reads; on any input it returns without panicking.
func FuzzDecodePage(f *testing.F) {
	for _, sample := range pageSamples {
		f.Add([]byte(sample))
	}
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodePage(data, "auditLogEntries")
		if !json.Valid(data) {
			return
		}
		want, found, refErr := referenceDecodePage(data, "auditLogEntries")
		switch {
		case refErr != nil:
			// Valid JSON of the wrong shape: both must refuse it.
			if err == nil {
				t.Fatalf("decodePage accepted %q that encoding/json refuses: %v", data, refErr)
			}
		case !found:
			var query *QueryError
			if !errors.As(err, &query) {
				t.Fatalf("decodePage(%q) = %v, want a missing-connection error", data, err)
			}
		default:
			if err != nil {
				t.Fatalf("decodePage(%q): %v", data, err)
			}
			assert.Equal(t, want, got)
		}
	})
}

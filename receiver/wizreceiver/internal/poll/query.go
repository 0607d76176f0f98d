// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// wizQuery is a stream's query as Wiz is sent it: the log type's query and
// its section's filters. It follows Wiz's schema: a field Wiz no longer has
// leaves the query (the drift below).
type wizQuery struct {
	logType *logtype.LogType
	poll    logtype.PollQuery
	// text is the query sent: the log type's, less any field Wiz's schema
	// no longer has.
	text    string
	client  Client
	metrics Telemetry
	logger  *zap.Logger
	// retried is told of each failed request the client retries, and
	// fetched of each request that succeeded: the stream shows the
	// retries in its status.
	retried func(wiz.Retry)
	fetched func()
}

// fingerprint identifies the query settings a stored cursor is valid for.
func (q *wizQuery) fingerprint() string {
	filter, _ := json.Marshal(q.poll.Filter)
	sum := sha256.Sum256([]byte(q.logType.Query.Query + "\x00" + q.poll.TimeField.Filter + "\x00" + string(filter)))
	return hex.EncodeToString(sum[:8])
}

// fetch asks Wiz for a page of the query with vars.
func (q *wizQuery) fetch(ctx context.Context, vars map[string]any) (wiz.Page, error) {
	lt := q.logType.Query
	page, err := q.client.FetchPage(ctx, wiz.Request{Operation: lt.Operation, Query: q.text, ResponseKey: lt.ResponseKey,
		Variables: vars, Retrying: q.retried})
	if err == nil {
		q.fetched()
	}
	return page, err
}

// filter is the query's filterBy for the polled time range [start, end],
// each bound widened by a tick: Wiz's timestamps carry microseconds, and
// the widening makes the range inclusive whatever Wiz's bound semantics.
func (q *wizQuery) filter(start, end time.Time) map[string]any {
	filter := maps.Clone(q.poll.Filter)
	if filter == nil {
		filter = map[string]any{}
	}
	filter[q.poll.TimeField.Filter] = map[string]any{
		"after":  formatTime(start.Add(-timeTick)),
		"before": formatTime(end.Add(timeTick)),
	}
	return filter
}

// dropRejectedField lets the stream go on when Wiz rejects its query for
// selecting a field Wiz's schema no longer has (Wiz deprecates fields and
// then removes them): the field leaves the query, with one WARN and a
// count, and records arrive without it. It reports whether the query
// changed, so the request can be sent again. A field the receiver needs
// (the id, the polled time, paging) cannot go: the stream stops with an
// error naming it.
func (q *wizQuery) dropRejectedField(err error) (bool, error) {
	var query *wiz.QueryError
	if !errors.As(err, &query) || query.Field == nil {
		return false, err
	}
	text, path, dropErr := wiz.DropField(q.text, *query.Field)
	if dropErr != nil {
		return false, fmt.Errorf("%w; dropping the field: %w", err, dropErr)
	}
	field := query.Field.Type + "." + query.Field.Name
	if q.needs(path) {
		return false, fmt.Errorf("wiz no longer has the field %s, which the receiver needs to poll %s (%s); "+
			"upgrade the receiver, or set %s.enabled: false: %w", field, q.logType.Name, strings.Join(path, "."), q.logType.Key, err)
	}
	q.text = text
	q.metrics.FieldDropped(field)
	q.logger.Warn("Wiz no longer has a field the query selects; polling without it",
		zap.String("stream", q.logType.Key), zap.String("field", field), zap.String("path", strings.Join(path, ".")), zap.Error(err))
	return true, nil
}

// needs reports whether the field at path (root field first) is one the
// stream cannot poll without: the connection, its nodes and paging, or a
// node field the key is read from (the id, the polled time and its
// fallback). Anything else the connection or a node carries
// (maxCountReached, totalCount, a node's details) can go.
func (q *wizQuery) needs(path []string) bool {
	switch {
	case len(path) == 1 || path[1] == "pageInfo":
		return true
	case path[1] != "nodes":
		return false
	case len(path) == 2:
		return true
	default:
		return len(path) == 3 && slices.Contains(q.poll.Mapper.KeyFields(), path[2])
	}
}

// explainRejectedInput names the option behind a filterBy key Wiz does not
// accept, and what to use instead.
func (q *wizQuery) explainRejectedInput(query *wiz.QueryError) error {
	key, lt := query.Input, q.logType
	switch {
	case key == q.poll.TimeField.Filter && q.poll.TimeField != lt.TimeFields[0]:
		return fmt.Errorf("%s stream stopped: Wiz does not accept filterBy.%s, which %s.time_field: %s sends; use %s.time_field: %s (%w)",
			lt.Key, key, lt.Key, q.poll.TimeField.Option, lt.Key, lt.TimeFields[0].Option, query)
	case key == q.poll.TimeField.Filter:
		return fmt.Errorf("%s stream stopped: Wiz no longer accepts filterBy.%s, the field %s is polled on; upgrade the receiver, or set %s.enabled: false (%w)",
			lt.Key, key, lt.Name, lt.Key, query)
	case lt.ProjectFilter != "" && slices.Contains(strings.Split(lt.ProjectFilter, "."), key):
		return fmt.Errorf("%s stream stopped: Wiz does not accept filterBy.%s, which project_ids sends for %s; remove project_ids, or set %s.enabled: false (%w)",
			lt.Key, lt.ProjectFilter, lt.Name, lt.Key, query)
	default:
		return fmt.Errorf("%s stream stopped: Wiz does not accept the filter field %s (of %s), which an option of the %s section sends; remove or change that option (%w)",
			lt.Key, key, query.InputType, lt.Key, query)
	}
}

package wizreceiver

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// dropRejectedField lets the stream go on when Wiz rejects its query for
// selecting a field Wiz's schema no longer has (Wiz deprecates fields and
// then removes them): the field leaves the query, with one WARN and a
// count, and records arrive without it. It reports whether the query
// changed, so the request can be sent again. A field the receiver needs
// (the id, the polled time, paging) cannot go: the stream stops with an
// error naming it.
func (s *stream) dropRejectedField(err error) (bool, error) {
	var query *wiz.QueryError
	if !errors.As(err, &query) || query.Field == nil {
		return false, err
	}
	text, path, dropErr := wiz.DropField(s.queryText, *query.Field)
	if dropErr != nil {
		return false, fmt.Errorf("%w; dropping the field: %w", err, dropErr)
	}
	field := query.Field.Type + "." + query.Field.Name
	if s.needs(path) {
		return false, fmt.Errorf("wiz no longer has the field %s, which the receiver needs to poll %s (%s); "+
			"upgrade the receiver, or set %s.enabled: false: %w", field, s.logType.Name, strings.Join(path, "."), s.logType.Key, err)
	}
	s.queryText = text
	s.metrics.fieldDropped(field)
	s.logger.Warn("Wiz no longer has a field the query selects; polling without it",
		zap.String("stream", s.logType.Key), zap.String("field", field), zap.String("path", strings.Join(path, ".")), zap.Error(err))
	return true, nil
}

// needs reports whether the field at path (root field first) is one the
// stream cannot poll without: the connection, its nodes and paging, or a
// node field the key is read from (the id, the polled time and its
// fallback). Anything else the connection or a node carries
// (maxCountReached, totalCount, a node's details) can go.
func (s *stream) needs(path []string) bool {
	switch {
	case len(path) == 1 || path[1] == "pageInfo":
		return true
	case path[1] != "nodes":
		return false
	case len(path) == 2:
		return true
	default:
		return len(path) == 3 && slices.Contains(s.query.Mapper.KeyFields(), path[2])
	}
}

// explainRejectedInput names the option behind a filterBy key Wiz does not
// accept, and what to use instead.
func (s *stream) explainRejectedInput(query *wiz.QueryError) error {
	key, lt := query.Input, s.logType
	switch {
	case key == s.query.TimeField.Filter && s.query.TimeField != lt.TimeFields[0]:
		return fmt.Errorf("%s stream stopped: Wiz does not accept filterBy.%s, which %s.time_field: %s sends; use %s.time_field: %s (%w)",
			lt.Key, key, lt.Key, s.query.TimeField.Option, lt.Key, lt.TimeFields[0].Option, query)
	case key == s.query.TimeField.Filter:
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

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// predicate selects nodes.
type predicate func(n map[string]any) bool

// filterField compiles the value of one filterBy field into a predicate.
type filterField func(arg any) (predicate, *gqlerror.Error)

// Every field of the schema's filter inputs has an entry here (a test checks
// it), so no filter is silently ignored.
var (
	auditFilters = map[string]filterField{
		"timestamp": timeWindow("timestamp"),
		"action":    equalFold("action"),
		"search":    oneOf("id", "requestId"),
		"status":    oneOf("status"),
		"user":      oneOf("user.id", "serviceAccount.id"),
		"userType":  actorType,
		"userAgent": oneOf("userAgent"),
		"sourceIP":  oneOf("sourceIP"),
	}
	issueFilters = map[string]filterField{
		"id":               oneOf("id"),
		"status":           oneOf("status"),
		"severity":         oneOf("severity"),
		"type":             oneOf("type"),
		"createdAt":        timeWindow("createdAt"),
		"updatedAt":        timeWindow("updatedAt"),
		"statusChangedAt":  timeWindow("statusChangedAt"),
		"resolvedAt":       timeWindow("resolvedAt"),
		"dueAt":            timeWindow("dueAt"),
		"project":          oneOf("projects.id"),
		"hasServiceTicket": nonEmpty("serviceTickets"),
		"hasNote":          nonEmpty("notes"),
	}
	// Without a status filter every status is returned, like an explicit
	// list of all of them: the receiver must see resolutions, and Elastic's
	// "OPEN only" default is a client-side choice, not the API's.
	findingFilters = map[string]filterField{
		"id":                oneOf("id"),
		"status":            oneOf("status"),
		"severity":          oneOf("severity"),
		"vendorSeverity":    oneOf("vendorSeverity"),
		"assetType":         oneOf("vulnerableAsset.type"),
		"assetId":           oneOf("vulnerableAsset.id"),
		"vulnerabilityId":   oneOf("name"),
		"detectionMethod":   oneOf("detectionMethod"),
		"hasExploit":        boolEqual("hasExploit"),
		"hasCisaKevExploit": boolEqual("hasCisaKevExploit"),
		"projectId":         oneOf("projects.id"),
		"updatedAt":         timeWindow("updatedAt"),
		"firstSeenAt":       timeWindow("firstDetectedAt"),
		"resolvedAt":        timeWindow("resolvedAt"),
	}
)

func userError(format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": "BAD_USER_INPUT"}}
}

// lookupAll follows a dotted path of object keys and returns every value at
// its end: a list on the way, or at the end, stands for each of its
// elements ("projects.id" is the id of every project).
func lookupAll(n map[string]any, path string) []any {
	values := []any{n}
	for key := range strings.SplitSeq(path, ".") {
		var next []any
		for _, v := range values {
			if m, ok := v.(map[string]any); ok {
				next = appendElements(next, m[key])
			}
		}
		values = next
	}
	return values
}

// appendElements appends v, or each element of a list v; null is nothing.
func appendElements(out []any, v any) []any {
	switch x := v.(type) {
	case nil:
		return out
	case []any:
		return append(out, x...)
	}
	return append(out, v)
}

// allOf matches the nodes every predicate matches.
func allOf(preds []predicate) predicate {
	return func(n map[string]any) bool {
		return !slices.ContainsFunc(preds, func(p predicate) bool { return !p(n) })
	}
}

// nested compiles an input object of filter fields, such as filterBy
// itself: a node must match every field sent. A null field filters
// nothing.
func nested(fields map[string]filterField) filterField {
	return func(arg any) (predicate, *gqlerror.Error) {
		m, _ := arg.(map[string]any)
		var preds []predicate
		for key, v := range m {
			if v == nil {
				continue
			}
			p, err := fields[key](v)
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
		}
		return allOf(preds), nil
	}
}

// stringList returns a list argument's strings. Variable coercion may turn a
// single value into a typed []string, literals arrive as []any.
func stringList(arg any) []string {
	switch v := arg.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func parseTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// timeWindow matches a DateTimeFilter. Both bounds are exclusive, and a node
// whose field is null never matches.
func timeWindow(field string) filterField {
	return func(arg any) (predicate, *gqlerror.Error) {
		m, _ := arg.(map[string]any)
		var bounds [2]*time.Time
		for i, key := range []string{"after", "before"} {
			v, ok := m[key]
			if !ok || v == nil {
				continue
			}
			t, ok := parseTime(v)
			if !ok {
				return nil, userError("invalid DateTime %v for %s.%s: want RFC 3339", v, field, key)
			}
			bounds[i] = &t
		}
		after, before := bounds[0], bounds[1]
		return func(n map[string]any) bool {
			t, ok := parseTime(n[field])
			return ok && (after == nil || t.After(*after)) && (before == nil || t.Before(*before))
		}, nil
	}
}

// oneOf matches when a value at any of the paths is one of the arguments.
func oneOf(paths ...string) filterField {
	return func(arg any) (predicate, *gqlerror.Error) {
		want := stringList(arg)
		return func(n map[string]any) bool {
			for _, p := range paths {
				for _, v := range lookupAll(n, p) {
					if s, ok := v.(string); ok && slices.Contains(want, s) {
						return true
					}
				}
			}
			return false
		}, nil
	}
}

// equals matches a detection filter's {equals: [...]} wrapper as oneOf
// matches a plain list; without equals it filters nothing.
func equals(paths ...string) filterField {
	match := oneOf(paths...)
	return func(arg any) (predicate, *gqlerror.Error) {
		m, _ := arg.(map[string]any)
		if m["equals"] == nil {
			return allOf(nil), nil
		}
		return match(m["equals"])
	}
}

// includeFlagged matches an include* filter: false leaves out the nodes
// whose flag is true.
func includeFlagged(flag string) filterField {
	return func(arg any) (predicate, *gqlerror.Error) {
		return func(n map[string]any) bool { return arg == true || n[flag] != true }, nil
	}
}

func equalFold(field string) filterField {
	return func(arg any) (predicate, *gqlerror.Error) {
		want, _ := arg.(string)
		return func(n map[string]any) bool {
			s, _ := n[field].(string)
			return strings.EqualFold(s, want)
		}, nil
	}
}

func boolEqual(field string) filterField {
	return func(arg any) (predicate, *gqlerror.Error) {
		return func(n map[string]any) bool { return n[field] == arg }, nil
	}
}

// nonEmpty matches a has* filter: whether the list field has elements.
func nonEmpty(field string) filterField {
	return func(arg any) (predicate, *gqlerror.Error) {
		return func(n map[string]any) bool {
			list, _ := n[field].([]any)
			return (len(list) > 0) == (arg == true)
		}, nil
	}
}

// actorType matches AuditLogEntryUserType values by which actor is set.
func actorType(arg any) (predicate, *gqlerror.Error) {
	want := stringList(arg)
	return func(n map[string]any) bool {
		return (slices.Contains(want, "USER") && n["user"] != nil) ||
			(slices.Contains(want, "SERVICE_ACCOUNT") && n["serviceAccount"] != nil)
	}, nil
}

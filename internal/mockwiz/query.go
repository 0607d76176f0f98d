// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// collection is how one root field pages through the nodes of one log type.
type collection struct {
	// logType is Panther's name of the log type the collection serves.
	logType string
	// flag and defaultCount are the mockwiz command's flag for the number
	// of nodes to generate, and its default.
	flag         string
	defaultCount int
	// generate makes one node timestamped within [start, end].
	generate func(g *generator, start, end time.Time, projects []map[string]any) map[string]any
	scope    string
	// sortField orders results newest first, as Wiz does; cursorField is its
	// name inside cursors. Its value never changes once a node exists.
	sortField, cursorField string
	filters                map[string]filterField
	// implied holds the filterBy entries Wiz applies on its own when a
	// query sends filterBy without them.
	implied map[string]any
	// projectIDs is the path to the ids of a node's projects, which a
	// project-scoped service account is restricted to.
	projectIDs string
	// resultCap, when set, is how many results Wiz serves one walk of the
	// query, its pages together.
	resultCap func(Options) int
	// Wiz rejects a query without first, and refuses project-scoped
	// service accounts.
	requireFirst, deniedToProjectScoped bool
}

var (
	auditCollection = collection{
		logType: "Wiz.Audit", flag: "audit", defaultCount: 200,
		generate: func(g *generator, start, end time.Time, _ []map[string]any) map[string]any {
			return g.auditEntry(g.timeIn(start, end))
		},
		scope: "admin:audit", sortField: "timestamp", cursorField: "Timestamp",
		filters: auditFilters, requireFirst: true, deniedToProjectScoped: true,
		resultCap: func(o Options) int { return o.AuditResultCap },
	}
	issueCollection = collection{
		logType: "Wiz.Issues", flag: "issues", defaultCount: 120, generate: (*generator).issue,
		scope: "read:issues", sortField: "createdAt", cursorField: "CreatedAt", filters: issueFilters,
		projectIDs: "projects.id",
	}
	findingCollection = collection{
		logType: "Wiz.VulnerabilityFinding", flag: "findings", defaultCount: 300, generate: (*generator).finding,
		scope: "read:vulnerabilities", sortField: "firstDetectedAt", cursorField: "FirstDetectedAt", filters: findingFilters,
		projectIDs: "projects.id",
	}
	// served lists every collection once, in the order datasets are
	// generated.
	served = []*collection{&auditCollection, &issueCollection, &findingCollection, &configurationFindingCollection, &detectionCollection}
	// collections maps root fields to what they serve; issues is the
	// deprecated name of issuesV2 over the same data. orderBy is accepted and
	// ignored: results are always newest first, which keyset cursors rely on.
	collections = map[string]collection{
		"auditLogEntries":       auditCollection,
		"issuesV2":              issueCollection,
		"issues":                issueCollection,
		"vulnerabilityFindings": findingCollection,
		"configurationFindings": configurationFindingCollection,
		"detections":            detectionCollection,
	}
)

// defaultPageSize applies when an issues or findings query omits first.
const defaultPageSize = 50

// cursor is a keyset position: the sort value and id of the last node of a
// page. Wiz's cursors look the same (base64 JSON), and keyset paging keeps a
// walk correct while nodes are added or changed between pages.
type cursor struct {
	Fields []cursorField `json:"fields"`
}

type cursorField struct {
	Field string
	Value string
}

// row is a node with its parsed sort key.
type row struct {
	at   time.Time
	id   string
	node map[string]any
}

// compareRows orders rows newest first, or oldest first.
func compareRows(a, b row, oldestFirst bool) int {
	c := cmp.Or(b.at.Compare(a.at), strings.Compare(b.id, a.id))
	if oldestFirst {
		return -c
	}
	return c
}

func (c collection) encodeCursor(r row) string {
	// Nanoseconds: detections' times have more digits than microseconds.
	b, _ := json.Marshal(cursor{Fields: []cursorField{
		{Field: c.cursorField, Value: r.at.UTC().Format(time.RFC3339Nano)},
		{Field: "Id", Value: r.id},
	}})
	return base64.StdEncoding.EncodeToString(b)
}

func (c collection) decodeCursor(s string) (time.Time, string, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", err
	}
	var cur cursor
	if err := json.Unmarshal(raw, &cur); err != nil {
		return time.Time{}, "", err
	}
	if len(cur.Fields) != 2 || cur.Fields[0].Field != c.cursorField || cur.Fields[1].Field != "Id" {
		return time.Time{}, "", errors.New("cursor of another query")
	}
	t, err := time.Parse(time.RFC3339Nano, cur.Fields[0].Value)
	return t, cur.Fields[1].Value, err
}

func intArg(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	case int:
		return n, true
	}
	return 0, false
}

func accessDenied(reason string, c *Client) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("Access denied: %s; your permissions: [%s]", reason, strings.Join(c.Scopes, ",")),
		Extensions: map[string]any{"code": "UNAUTHORIZED"},
	}
}

// connection answers one root field: a page of nodes after the cursor,
// pageInfo and, when wantTotal, totalCount. The page holds copies, so the
// caller may use it without the lock.
func (s *Server) connection(c collection, args map[string]any, client *Client, now time.Time, repeatCursor, wantTotal bool) (map[string]any, *gqlerror.Error) {
	if !slices.Contains(client.Scopes, c.scope) {
		return nil, accessDenied("the service account lacks the required scope "+c.scope, client)
	}
	if c.deniedToProjectScoped && len(client.ProjectIDs) > 0 {
		return nil, accessDenied("audit logs are not available to project-scoped service accounts", client)
	}
	first := defaultPageSize
	if raw := args["first"]; raw != nil {
		v, ok := intArg(raw)
		switch {
		case !ok || v < 0:
			return nil, userError("first must be >= 0")
		case v > s.opts.MaxPageSize:
			return nil, userError("first must be <= %d", s.opts.MaxPageSize)
		}
		first = v
	} else if c.requireFirst {
		return nil, userError("first is required")
	}
	preds := []predicate{func(n map[string]any) bool { return s.visible(n, now) }}
	if len(client.ProjectIDs) > 0 {
		p, _ := oneOf(c.projectIDs)(client.ProjectIDs)
		preds = append(preds, p)
	}
	filterBy, sent := args["filterBy"].(map[string]any)
	if sent {
		filterBy = maps.Clone(filterBy)
		for key, arg := range c.implied {
			if filterBy[key] == nil {
				filterBy[key] = arg
			}
		}
	}
	p, err := nested(c.filters)(filterBy)
	if err != nil {
		return nil, err
	}
	matches := allOf(append(preds, p))

	s.mu.Lock()
	defer s.mu.Unlock()
	rows := s.sortedRows(c)
	start := 0
	if after, _ := args["after"].(string); after != "" {
		t, id, err := c.decodeCursor(after)
		if err != nil {
			return nil, userError("invalid cursor %q", after)
		}
		at := row{at: t, id: id}
		start = sort.Search(len(rows), func(i int) bool { return compareRows(rows[i], at, s.opts.OldestFirst) > 0 })
	}
	// Only the page and one match beyond it are looked for: a backfill's
	// walk then costs a page per request, not the whole collection.
	var page []row
	hasNext := false
	for i := start; i < len(rows); i++ {
		if !matches(rows[i].node) {
			continue
		}
		if len(page) == first {
			hasNext = true
			break
		}
		page = append(page, rows[i])
	}
	maxCountReached := false
	if c.resultCap != nil {
		// The cap counts the walk's results: the matches before the cursor,
		// then this page.
		limit := c.resultCap(s.opts)
		before := 0
		for _, r := range rows[:start] {
			if matches(r.node) {
				before++
			}
		}
		if before+len(page) >= limit {
			// The walk has reached the cap: the API sends no further
			// results, and says whether the query matched more.
			maxCountReached = before+len(page) > limit || hasNext
			page = page[:max(0, limit-before)]
			hasNext = false
		}
	}
	nodes := make([]any, 0, len(page))
	for _, r := range page {
		nodes = append(nodes, deepCopy(r.node))
	}
	var endCursor any
	if len(page) > 0 {
		endCursor = c.encodeCursor(page[len(page)-1])
	}
	if repeatCursor {
		endCursor, hasNext = args["after"], true
	}
	conn := map[string]any{
		"nodes":    nodes,
		"pageInfo": map[string]any{"hasNextPage": hasNext, "endCursor": endCursor},
		// Served where the schema's connection has the field.
		"maxCountReached": maxCountReached,
	}
	if wantTotal {
		total := 0
		for _, r := range rows {
			if matches(r.node) {
				total++
			}
		}
		conn["totalCount"] = total
	}
	return conn, nil
}

// sortedRows returns the collection's nodes in serving order; the caller
// holds s.mu.
func (s *Server) sortedRows(c collection) []row {
	nodes := s.nodes[c.logType]
	if len(s.sorted[c.logType]) == len(nodes) {
		return s.sorted[c.logType]
	}
	rows := make([]row, len(nodes))
	for i, n := range nodes {
		at, _ := parseTime(n[c.sortField])
		rows[i] = row{at: at, id: n["id"].(string), node: n}
	}
	slices.SortFunc(rows, func(a, b row) int { return compareRows(a, b, s.opts.OldestFirst) })
	s.sorted[c.logType] = rows
	return rows
}

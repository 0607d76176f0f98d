// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

type graphQLRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

func graphQLError(message, code string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": code}}
}

func jsonReply(status int, body any) reply {
	var b []byte
	var err error
	if o, ok := body.(orderedObject); ok {
		b, err = o.MarshalJSON()
	} else {
		b, err = json.Marshal(body)
	}
	if err != nil {
		// Only generated data is encoded; failing here is a bug in the mock.
		panic(err)
	}
	return reply{status: status, contentType: "application/json", body: b}
}

// errorsReply is a response with errors and no data at all, as Wiz answers
// requests it rejects before GraphQL execution (authentication, rate limit).
func errorsReply(status int, errs ...*gqlerror.Error) reply {
	return jsonReply(status, orderedObject{{"errors", errs}})
}

// failedReply is an HTTP 200 GraphQL response whose operation failed.
func failedReply(errs ...*gqlerror.Error) reply {
	return jsonReply(http.StatusOK, orderedObject{{"errors", errs}, {"data", nil}})
}

// refusedReply answers a query the server refuses to run (a parse,
// validation or variable error) with RequestErrorStatus.
func (s *Server) refusedReply(errs ...*gqlerror.Error) reply {
	if s.opts.RequestErrorStatus == http.StatusOK {
		return failedReply(errs...)
	}
	// The query never ran, so there is no data, not even null.
	return errorsReply(s.opts.RequestErrorStatus, errs...)
}

var (
	errUnauthenticated = graphQLError("Unauthorized", "UNAUTHENTICATED")
	errRateLimited     = graphQLError("Rate limit exceeded", "RATE_LIMIT_EXCEEDED")
)

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	stampDate(w, now)
	var req graphQLRequest
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	// Parsed once here for the request record, and used again to answer.
	doc, parseErr := parser.ParseQuery(&ast.Source{Name: "request", Input: req.Query})
	op := operation(doc, req.OperationName)
	rec := RecordedRequest{Time: now, OperationName: req.OperationName, Variables: deepCopy(req.Variables)}
	if op != nil {
		rec.OperationName, rec.RootField = op.Name, rootField(op)
	}
	client := s.authenticate(r, now)
	if client != nil {
		rec.ClientID = client.ID
	}
	s.arrive(rec.RootField, r.UserAgent(), now)

	f := s.nextFault(graphqlEndpoint)
	if !wait(r, f) {
		s.record(rec)
		return
	}
	var rp reply
	switch {
	case f.Status != 0:
		rp = graphQLFaultReply(f)
	case f.GraphQLCode != "":
		rp = failedReply(graphQLError("Injected fault", f.GraphQLCode))
	case client == nil:
		rp = errorsReply(http.StatusUnauthorized, errUnauthenticated)
	case !s.allow(client, now):
		rp = errorsReply(http.StatusTooManyRequests, errRateLimited)
		rp.retryAfter = "1"
	case err != nil:
		rp = errorsReply(http.StatusBadRequest, graphQLError("invalid request body: "+err.Error(), "BAD_REQUEST"))
	case parseErr != nil:
		var gqlErr *gqlerror.Error
		if !errors.As(parseErr, &gqlErr) {
			gqlErr = graphQLError(parseErr.Error(), "")
		}
		gqlErr.Extensions = map[string]any{"code": "GRAPHQL_PARSE_FAILED"}
		rp = s.refusedReply(gqlErr)
	default:
		rp = s.answer(doc, op, req, client, now, f.RepeatCursor)
	}
	rec.Status = rp.status
	s.record(rec)
	rp.write(w, f.DropMidBody)
}

// graphQLFaultReply is an injected HTTP failure of the API.
func graphQLFaultReply(f Fault) reply {
	var rp reply
	switch f.Status {
	case http.StatusUnauthorized:
		rp = errorsReply(f.Status, errUnauthenticated)
	case http.StatusTooManyRequests:
		rp = errorsReply(f.Status, errRateLimited)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		rp = gatewayPage(f.Status)
	default:
		rp = errorsReply(f.Status, graphQLError(http.StatusText(f.Status), "INTERNAL"))
	}
	if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
		rp.retryAfter = f.RetryAfter
	}
	return rp
}

// operation picks the operation to run: the named one, or the only one.
func operation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	switch {
	case doc == nil:
		return nil
	case name != "":
		return doc.Operations.ForName(name)
	case len(doc.Operations) == 1:
		return doc.Operations[0]
	}
	return nil
}

func rootField(op *ast.OperationDefinition) string {
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			return f.Name
		}
	}
	return ""
}

// answer validates and executes a parsed request.
func (s *Server) answer(doc *ast.QueryDocument, op *ast.OperationDefinition, req graphQLRequest, client *Client, now time.Time, repeatCursor bool) reply {
	sch := s.currentSchema()
	if errs := validator.ValidateWithRules(sch, doc, nil); len(errs) > 0 {
		for _, e := range errs {
			e.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
		}
		return s.refusedReply(errs...)
	}
	if op == nil {
		return s.refusedReply(graphQLError("Unknown operation, or no operationName for a document with several operations", "BAD_USER_INPUT"))
	}
	// Coercion writes into the maps it is given; the request record keeps
	// its own copy.
	vars, err := validator.VariableValues(sch, op, req.Variables)
	if err != nil {
		var gqlErr *gqlerror.Error
		if !errors.As(err, &gqlErr) {
			gqlErr = graphQLError(err.Error(), "")
		}
		gqlErr = inWizWords(sch, op, gqlErr)
		gqlErr.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
		return s.refusedReply(gqlErr)
	}
	return jsonReply(http.StatusOK, s.execute(sch, op, vars, client, now, repeatCursor))
}

// execute runs a validated query operation.
func (s *Server) execute(sch *ast.Schema, op *ast.OperationDefinition, vars map[string]any, client *Client, now time.Time, repeatCursor bool) orderedObject {
	e := &executor{schema: sch, vars: vars}
	var data orderedObject
	var errs []*gqlerror.Error
	for _, g := range e.collect(op.SelectionSet, "Query", nil) {
		f := g.fields[0]
		if f.Name == "__typename" {
			data = append(data, member{g.key, "Query"})
			continue
		}
		c, ok := collections[f.Name]
		var conn map[string]any
		var err *gqlerror.Error
		if ok {
			conn, err = s.connection(c, f.ArgumentMap(vars), client, now, repeatCursor, e.selects(g.fields, "totalCount"))
		} else {
			err = graphQLError("Introspection is not supported by the mock", "GRAPHQL_VALIDATION_FAILED")
		}
		if err != nil {
			err.Path = ast.Path{ast.PathName(g.key)}
			err.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
			errs = append(errs, err)
			continue
		}
		data = append(data, member{g.key, e.value(g.fields, f.Definition.Type, conn)})
	}
	if len(errs) > 0 {
		// Every root field is non-null, so one failed field nulls all data.
		return orderedObject{{"data", nil}, {"errors", errs}}
	}
	return orderedObject{{"data", data}}
}

// arrive counts a /graphql request and tracks the busiest second.
func (s *Server) arrive(root, userAgent string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.GraphQLRequests++
	s.stats.UserAgents[userAgent]++
	if root != "" {
		s.stats.ByRootField[root]++
	}
	s.recent = append(s.recent, now)
	for len(s.recent) > 0 && !s.recent[0].After(now.Add(-time.Second)) {
		s.recent = s.recent[1:]
	}
	s.stats.MaxObservedRate = max(s.stats.MaxObservedRate, len(s.recent))
}

func (s *Server) record(rec RecordedRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.Status != 0 {
		s.stats.ByStatus[rec.Status]++
	}
	s.requests = append(s.requests, rec)
}

// inWizWords words an unknown input field the way Wiz's graphql-js server
// does, naming the field and its input type: `Variable "$filterBy" got
// invalid value …; Field "updatedAt" is not defined by type "IssueFilters".`
// Other variable errors keep gqlparser's words.
func inWizWords(sch *ast.Schema, op *ast.OperationDefinition, e *gqlerror.Error) *gqlerror.Error {
	// gqlparser's path: variable, the variable's name, then input fields.
	if e.Message != "unknown field" || len(e.Path) < 3 {
		return e
	}
	names := make([]string, 0, len(e.Path))
	for _, p := range e.Path {
		name, ok := p.(ast.PathName)
		if !ok {
			return e // a list element on the way: keep gqlparser's words
		}
		names = append(names, string(name))
	}
	def := op.VariableDefinitions.ForName(names[1])
	if def == nil {
		return e
	}
	typ := sch.Types[def.Type.Name()]
	for _, field := range names[2 : len(names)-1] {
		if typ == nil || typ.Fields.ForName(field) == nil {
			return e
		}
		typ = sch.Types[typ.Fields.ForName(field).Type.Name()]
	}
	if typ == nil {
		return e
	}
	return &gqlerror.Error{Message: fmt.Sprintf(`Variable "$%s" got invalid value; Field "%s" is not defined by type "%s".`,
		names[1], names[len(names)-1], typ.Name)}
}

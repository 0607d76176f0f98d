// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"regexp"

	graphql "github.com/hasura/go-graphql-client"
)

// Wiz's GraphQL server words validation errors as graphql-js does.
var (
	unknownFieldMessage = regexp.MustCompile(`Cannot query field "(\w+)" on type "(\w+)"`)
	unknownInputMessage = regexp.MustCompile(`Field "(\w+)" is not defined by type "(\w+)"`)
)

// queryError is the QueryError of a rejected operation, naming the field
// or filter key Wiz's schema lacks where its message does.
func queryError(operation, code string, e graphql.Error) *QueryError {
	qe := &QueryError{Operation: operation, Code: code, Message: e.Message}
	if m := unknownFieldMessage.FindStringSubmatch(e.Message); m != nil {
		qe.Field = &RejectedField{Name: m[1], Type: m[2]}
		if len(e.Locations) > 0 {
			qe.Field.Line, qe.Field.Column = e.Locations[0].Line, e.Locations[0].Column
		}
	} else if m := unknownInputMessage.FindStringSubmatch(e.Message); m != nil {
		qe.Input, qe.InputType = m[1], m[2]
	}
	return qe
}

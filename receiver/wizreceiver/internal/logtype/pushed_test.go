// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The classifier relies on the shape of Pushed: unique names and trigger
// sources, a shape for every type it can recognise without a trigger, and
// the catch-all, which has neither, last.
func TestPushedRegistry(t *testing.T) {
	names, sources := map[string]bool{}, map[string]bool{}
	for i, typ := range Pushed {
		assert.False(t, names[typ.Name], "%s is declared twice", typ.Name)
		names[typ.Name] = true
		assert.True(t, strings.HasPrefix(typ.EventName, "wiz.webhook."), "%s: event name %q", typ.Name, typ.EventName)
		last := i == len(Pushed)-1
		if last {
			assert.Empty(t, typ.TriggerSource, "the catch-all %s must be last and match no trigger.source", typ.Name)
			assert.Empty(t, typ.Shape, "the catch-all %s has no shape", typ.Name)
			continue
		}
		source := strings.ToUpper(typ.TriggerSource)
		assert.NotEmpty(t, source, "%s has no trigger.source: only the catch-all, last, may lack one", typ.Name)
		assert.False(t, sources[source], "trigger.source %s is claimed twice", source)
		sources[source] = true
		assert.NotEmpty(t, typ.Shape, "%s has no shape for payloads without a trigger", typ.Name)
		assert.NotEmpty(t, typ.TimeFields, "%s has no time field", typ.Name)
		assert.NotNil(t, typ.Attributes, "%s sets no attributes of its own", typ.Name)
	}
	assert.False(t, slices.ContainsFunc(All, func(lt *LogType) bool { return names[lt.Name] }), "a pushed type shares a polled type's name")
}

// A pushed log type is declared beside a polled one, in the registry; the
// mapping only reads what the registry declares.
func TestPushedTypeIsTheRegistrys(t *testing.T) {
	assert.Equal(t, reflect.TypeFor[LogType]().PkgPath(), reflect.TypeOf(Pushed).Elem().Elem().PkgPath())
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping_test

import (
	"bytes"
	"encoding/json"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// referenceBody is the plain encoding/json reading of a node as a body,
// which decodeNode must reproduce: same keys, same nesting,
// integers as ints, other numbers as doubles (or text when out of range),
// nulls as empty values. ok is false when encoding/json refuses the node.
func referenceBody(node []byte) (body pcommon.Map, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(node))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return pcommon.Map{}, false
	}
	body = pcommon.NewMap()
	putReference(body, m)
	return body, true
}

// referenceValue is encoding/json's reading of text, any JSON value.
func referenceValue(text string) (v pcommon.Value, ok bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return pcommon.Value{}, false
	}
	v = pcommon.NewValueEmpty()
	setReference(v, x)
	return v, true
}

func putReference(dst pcommon.Map, m map[string]any) {
	for k, v := range m {
		setReference(dst.PutEmpty(k), v)
	}
}

func setReference(dst pcommon.Value, v any) {
	switch x := v.(type) {
	case string:
		dst.SetStr(x)
	case bool:
		dst.SetBool(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			dst.SetInt(i)
		} else if f, err := x.Float64(); err == nil {
			dst.SetDouble(f)
		} else {
			dst.SetStr(x.String())
		}
	case map[string]any:
		putReference(dst.SetEmptyMap(), x)
	case []any:
		s := dst.SetEmptySlice()
		for _, e := range x {
			setReference(s.AppendEmpty(), e)
		}
	}
}

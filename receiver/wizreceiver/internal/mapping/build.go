// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A token is one JSON value of a node, flattened: an object or array
// token is followed by its members' tokens (an object's as key, value).
// It holds no pointers, so the token list costs the garbage collector
// nothing to scan and the pool nothing to clear.
type token struct {
	// num is an int value, a double's bits, or, for an object or array,
	// the index of the token after its last member.
	num int64
	// off and len place a string's value, or a big number's literal, in
	// the node; in the unquoted strings where unquoted is set. For an
	// object or array they place its JSON text in the node.
	off, len int
	n        int32 // members of an object, elements of an array
	kind     tokenKind
	unquoted bool
}

type tokenKind uint8

const (
	tokObject tokenKind = iota + 1
	tokArray
	tokString
	tokInt
	tokDouble
	// tokNegZero is the literal -0: an int in the body, as
	// json.Number.Int64 reads it, but -0.0 where an attribute reads it as a
	// float, as json.Number.Float64 did.
	tokNegZero
	// tokBigNumber is a number beyond float64: its literal text in the
	// body, and no number at all to an attribute.
	tokBigNumber
	tokTrue
	tokFalse
	tokNull
)

// maxBodyDepth is how many levels of objects and arrays a body keeps, the
// body itself the first; an object or array below them is kept as its JSON
// text, so that every record can be exported over OTLP/protobuf. A
// protobuf decoder refuses a whole request whose messages nest past 100
// levels (the C++, Java and Python runtimes by default, and pdata's once
// open-telemetry/opentelemetry-collector#15301 lands), the request itself
// the first. The request, its resource logs, scope logs, the record and
// the body's value take five; each level of objects three more
// (KeyValueList, KeyValue, AnyValue), each level of arrays two. So 31
// levels of objects reach 5 + 3·31 = 98, and 32 would reach 101.
const maxBodyDepth = 31

// builder turns a node's token list into pcommon values, each map and
// slice allocated once at its final size.
type builder struct {
	d    *nodeDecoder
	next int
	// forAttributes builds the attribute view: -0 as a double, big
	// numbers as no number (an empty byte slice).
	forAttributes bool
	// flattened is set once an object or array below maxBodyDepth was
	// kept as its JSON text.
	flattened bool
}

// object builds the object at level (the body is level 1) into m.
func (b *builder) object(m pcommon.Map, level int) {
	t := &b.d.toks[b.next]
	b.next++
	m.EnsureCapacity(int(t.n))
	for range t.n {
		key := b.d.text(&b.d.toks[b.next])
		b.next++
		// PutEmpty keeps the last of duplicate keys, as a Go map did.
		b.value(m.PutEmpty(key), level+1)
	}
}

// value builds the value at level into v.
func (b *builder) value(v pcommon.Value, level int) {
	t := &b.d.toks[b.next]
	switch t.kind {
	case tokObject, tokArray:
		if level > maxBodyDepth {
			v.SetStr(b.d.jsonText(t))
			b.flattened = true
			b.next = int(t.num)
			return
		}
		if t.kind == tokObject {
			b.object(v.SetEmptyMap(), level)
			return
		}
		b.next++
		s := v.SetEmptySlice()
		s.EnsureCapacity(int(t.n))
		for range t.n {
			b.value(s.AppendEmpty(), level+1)
		}
		return
	case tokString:
		v.SetStr(b.d.text(t))
	case tokInt:
		v.SetInt(t.num)
	case tokDouble:
		v.SetDouble(math.Float64frombits(uint64(t.num)))
	case tokNegZero:
		if b.forAttributes {
			v.SetDouble(math.Copysign(0, -1))
		} else {
			v.SetInt(0)
		}
	case tokBigNumber:
		if b.forAttributes {
			v.SetEmptyBytes()
		} else {
			v.SetStr(b.d.text(t))
		}
	case tokTrue:
		v.SetBool(true)
	case tokFalse:
		v.SetBool(false)
	case tokNull:
		// An empty pcommon.Value stands for JSON null.
	}
	b.next++
}

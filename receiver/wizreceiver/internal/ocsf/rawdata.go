// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

import (
	"bytes"
	"encoding/base64"
	"math"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// putRawData writes raw_data, the native body as compact JSON text: Wiz's
// object as the receiver received it, with Wiz's names, key order, nulls
// and numbers (a number past float64, and an object past the body's
// depth, are the strings internal/mapping kept them as).
func putRawData(ev, native pcommon.Map) {
	ev.PutStr("raw_data", jsonText(native))
}

// jsonText is m as compact JSON text, in its key order.
func jsonText(m pcommon.Map) string {
	w := rawWriters.Get().(*rawWriter)
	w.buf.Reset()
	w.enc.Reset(&w.buf, rawOptions...)
	w.object(m)
	// The encoder ends each top-level value with a newline.
	text := string(bytes.TrimSuffix(w.buf.Bytes(), []byte("\n")))
	if w.buf.Cap() <= maxPooledRaw {
		rawWriters.Put(w)
	}
	return text
}

// rawOptions keep every string as it is: the mapping replaced invalid
// UTF-8 already, and a map holds each key once.
var rawOptions = []jsontext.Options{jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true)}

// rawWriter writes a body's JSON text; rawWriters keep them for reuse,
// but one grown past maxPooledRaw (a rare, large body) is left to the
// collector. The encoder refuses only what a body the mapping built cannot
// hold (a NaN, unbalanced tokens), so its errors are dropped: what it
// wrote is valid JSON either way.
type rawWriter struct {
	buf bytes.Buffer
	enc jsontext.Encoder
}

var rawWriters = sync.Pool{New: func() any { return new(rawWriter) }}

const maxPooledRaw = 64 << 10

func (w *rawWriter) object(m pcommon.Map) {
	_ = w.enc.WriteToken(jsontext.BeginObject)
	for k, v := range m.All() {
		_ = w.enc.WriteToken(jsontext.String(k))
		w.value(v)
	}
	_ = w.enc.WriteToken(jsontext.EndObject)
}

func (w *rawWriter) value(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		w.object(v.Map())
	case pcommon.ValueTypeSlice:
		_ = w.enc.WriteToken(jsontext.BeginArray)
		for _, e := range v.Slice().All() {
			w.value(e)
		}
		_ = w.enc.WriteToken(jsontext.EndArray)
	case pcommon.ValueTypeStr:
		_ = w.enc.WriteToken(jsontext.String(v.Str()))
	case pcommon.ValueTypeInt:
		_ = w.enc.WriteToken(jsontext.Int(v.Int()))
	case pcommon.ValueTypeDouble:
		if math.IsNaN(v.Double()) || math.IsInf(v.Double(), 0) {
			_ = w.enc.WriteToken(jsontext.Null)
			return
		}
		_ = w.enc.WriteToken(jsontext.Float(v.Double()))
	case pcommon.ValueTypeBool:
		_ = w.enc.WriteToken(jsontext.Bool(v.Bool()))
	case pcommon.ValueTypeBytes:
		_ = w.enc.WriteToken(jsontext.String(base64.StdEncoding.EncodeToString(v.Bytes().AsRaw())))
	default:
		// An empty value is JSON's null.
		_ = w.enc.WriteToken(jsontext.Null)
	}
}

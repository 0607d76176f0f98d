// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The node decoder reads a node once with jsontext, which validates it,
// into a flat token list (objects and arrays carry their member counts),
// then builds the list into a pcommon.Map with exact capacities. It keeps
// Wiz's key order, which a Go map would lose.
//
// It accepts and produces exactly what encoding/json's Decoder into
// map[string]any with UseNumber did: a top-level object (anything after
// it is ignored), strings unquoted with invalid UTF-8 and lone surrogates
// replaced by U+FFFD, integers that fit an int64 as ints, other numbers
// as doubles, numbers beyond float64 as their literal text, null as an
// empty value, the last of duplicate keys, and at most 10,000 levels of
// nesting (jsontext's limit is encoding/json's). The body it builds keeps
// maxBodyDepth of those levels, and each value below them as its JSON text.

type nodeDecoder struct {
	in  bytes.Buffer // over the node: the decoder then reads it in place
	dec jsontext.Decoder
	// src is the node copied once: every string of the body that needs
	// no unquoting is a substring of it.
	src string
	// unquoted holds the values of the strings that need unquoting, one
	// after the other; unquotedStr is its one string copy, made once the
	// node is read, that those values are substrings of.
	unquoted    []byte
	unquotedStr string
	toks        []token
	open        []int // indexes in toks of the objects and arrays being read
	// ambiguous is set when the node holds a number whose body value a
	// Go-map reading would have told apart from what the attributes see
	// (-0, numbers beyond float64).
	ambiguous bool
	// verbatim is set when the node has no escapes and no invalid UTF-8,
	// as nearly all do: then every string's text is its value, found
	// with two fast passes over the whole node instead of two calls per
	// string.
	verbatim bool
}

var nodeDecoders = sync.Pool{New: func() any { return &nodeDecoder{toks: make([]token, 0, 256)} }}

// encoding/json accepts duplicate names and invalid UTF-8.
var nodeOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// decodeNode tokenizes node. The caller reads the key with topStr, builds
// the body with build, and releases the decoder.
func decodeNode(node []byte) (*nodeDecoder, error) {
	d := nodeDecoders.Get().(*nodeDecoder)
	if err := d.read(node); err != nil {
		d.release()
		return nil, err
	}
	return d, nil
}

// topStr returns the string value of the node's member name, the last one
// where the name repeats (the one the body keeps), or "" when it is
// missing or not a string: what str reads from the body, before the body
// is built.
func (d *nodeDecoder) topStr(name string) string {
	v := ""
	for i := 1; i < len(d.toks); {
		val := &d.toks[i+1]
		if d.text(&d.toks[i]) == name {
			v = ""
			if val.kind == tokString {
				v = d.text(val)
			}
		}
		i += 2
		if val.kind == tokObject || val.kind == tokArray {
			i = int(val.num)
		}
	}
	return v
}

// build builds the node into body and returns the map attributes are read
// from: body itself, or, for the rare node whose numbers body cannot
// represent faithfully to an attribute, a copy that can. flattened reports
// whether body nested past maxBodyDepth and keeps values as their JSON text.
func (d *nodeDecoder) build(body pcommon.Map) (attrs pcommon.Map, flattened bool) {
	b := builder{d: d}
	b.object(body, 1)
	if !d.ambiguous {
		return body, b.flattened
	}
	view := builder{d: d, forAttributes: true}
	attrs = pcommon.NewMap()
	view.object(attrs, 1)
	return attrs, b.flattened
}

// text is a string token's value, or a big number's literal.
func (d *nodeDecoder) text(t *token) string {
	if t.unquoted {
		return d.unquotedStr[t.off : t.off+t.len]
	}
	return d.src[t.off : t.off+t.len]
}

// jsonText is an object's or array's JSON text, without white space, with
// invalid UTF-8 and lone surrogates replaced as in string values.
func (d *nodeDecoder) jsonText(t *token) string {
	// The text was validated as the node was read: formatting cannot fail.
	text, _ := jsontext.AppendFormat(nil, d.src[t.off:t.off+t.len], nodeOptions...)
	return string(text)
}

// release returns d to the pool. Tokens hold no pointers, so the stale
// ones need no clearing: dropping src and unquotedStr lets the node go.
func (d *nodeDecoder) release() {
	d.toks = d.toks[:0]
	d.src, d.unquotedStr = "", ""
	d.in = bytes.Buffer{}
	d.dec.Reset(&d.in) // drops the reference to the node
	nodeDecoders.Put(d)
}

// read tokenizes the top-level object of node.
func (d *nodeDecoder) read(node []byte) error {
	d.src, d.ambiguous = string(node), false
	d.unquoted = d.unquoted[:0]
	d.verbatim = bytes.IndexByte(node, '\\') < 0 && utf8.Valid(node)
	d.in = *bytes.NewBuffer(node)
	d.dec.Reset(&d.in, nodeOptions...)
	tok, err := d.dec.ReadToken()
	switch {
	case err != nil:
		return fmt.Errorf("decoding node: %w", err)
	case tok.Kind() == 'n':
		return errors.New("node is null")
	case tok.Kind() != '{':
		return fmt.Errorf("decoding node: the node is a %v, not an object", tok.Kind())
	}
	if err := d.tokens(); err != nil {
		return fmt.Errorf("decoding node: %w", err)
	}
	if len(d.unquoted) > 0 {
		d.unquotedStr = string(d.unquoted)
	}
	return nil
}

// tokens reads the rest of the object just opened into d.toks. It reads
// every token with ReadToken alone, the cheapest way through jsontext, and
// finds a string's or number's text in the node between the end of the
// token before it and its own end.
func (d *nodeDecoder) tokens() error {
	prevEnd := int(d.dec.InputOffset())
	d.open = append(d.open[:0], len(d.toks))
	d.toks = append(d.toks, token{kind: tokObject, off: prevEnd - 1})
	for len(d.open) > 0 {
		tok, err := d.dec.ReadToken()
		if err != nil {
			return err
		}
		end := int(d.dec.InputOffset())
		kind := tok.Kind()
		top := &d.toks[d.open[len(d.open)-1]]
		if kind == '}' || kind == ']' {
			if kind == '}' {
				top.n /= 2 // it counted names and values
			}
			top.num = int64(len(d.toks))
			top.len = end - top.off
			d.open = d.open[:len(d.open)-1]
			prevEnd = end
			continue
		}
		top.n++
		switch kind {
		case '{':
			d.open = append(d.open, len(d.toks))
			d.toks = append(d.toks, token{kind: tokObject, off: end - 1})
		case '[':
			d.open = append(d.open, len(d.toks))
			d.toks = append(d.toks, token{kind: tokArray, off: end - 1})
		case '"':
			d.string(textStart(d.src, prevEnd), end)
		case '0':
			d.number(textStart(d.src, prevEnd), end)
		case 't':
			d.toks = append(d.toks, token{kind: tokTrue})
		case 'f':
			d.toks = append(d.toks, token{kind: tokFalse})
		case 'n':
			d.toks = append(d.toks, token{kind: tokNull})
		}
		prevEnd = end
	}
	return nil
}

// textStart returns where the token after from begins: past the white
// space and the one ',' or ':' that the decoder has already validated.
func textStart(src string, from int) int {
	for {
		switch src[from] {
		case ' ', '\t', '\n', '\r', ',', ':':
			from++
		default:
			return from
		}
	}
}

// string adds the string literal at src[start:end], which the decoder has
// validated.
func (d *nodeDecoder) string(start, end int) {
	inner := d.src[start+1 : end-1]
	// Without escapes and invalid UTF-8, the text is the value.
	if d.verbatim || strings.IndexByte(inner, '\\') < 0 && utf8.ValidString(inner) {
		d.toks = append(d.toks, token{kind: tokString, off: start + 1, len: len(inner)})
		return
	}
	// The only error left is the invalid UTF-8 that AppendUnquote
	// replaces, as encoding/json does.
	off := len(d.unquoted)
	d.unquoted, _ = jsontext.AppendUnquote(d.unquoted, d.src[start:end])
	d.toks = append(d.toks, token{kind: tokString, off: off, len: len(d.unquoted) - off, unquoted: true})
}

// number adds the number literal at src[start:end], converted as
// json.Number's Int64, then Float64, did.
func (d *nodeDecoder) number(start, end int) {
	lit := d.src[start:end]
	// Only ints can parse as ints; checking first spares strconv's error
	// allocations on every double.
	if !strings.ContainsAny(lit, ".eE") {
		if v, err := strconv.ParseInt(lit, 10, 64); err == nil {
			if v == 0 && lit[0] == '-' {
				d.ambiguous = true
				d.toks = append(d.toks, token{kind: tokNegZero})
				return
			}
			d.toks = append(d.toks, token{kind: tokInt, num: v})
			return
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		d.ambiguous = true
		d.toks = append(d.toks, token{kind: tokBigNumber, off: start, len: end - start})
		return
	}
	d.toks = append(d.toks, token{kind: tokDouble, num: int64(math.Float64bits(f))})
}

package mapping

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The node decoder reads a node in two passes over the bytes: a scanner
// validates the JSON and turns it into a flat token list (object and array
// tokens carry their member counts), then the list is built into a
// pcommon.Map with exact capacities. It replaces encoding/json's
// Decoder into map[string]any followed by a copy, which parsed twice and
// allocated a Go map per object, and it keeps Wiz's key order.
//
// It accepts and produces exactly what that code did: a top-level object
// (anything after it is ignored, as json.Decoder.Decode did), strings
// unquoted with invalid UTF-8 and lone surrogates replaced by U+FFFD,
// integers that fit an int64 as ints, other numbers as doubles, numbers
// beyond float64 as their literal text, null as an empty value, the last
// of duplicate keys, and at most maxDepth levels of nesting.

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

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

type token struct {
	str  string // string value, or a big number's literal
	num  int64  // int value, or a double's bits
	n    int32  // members of an object, elements of an array
	kind tokenKind
}

type decoder struct {
	src  string
	pos  int
	toks []token
	// ambiguous is set when the node holds a number whose body value a
	// Go-map reading would have told apart from what the attributes see
	// (-0, numbers beyond float64).
	ambiguous bool
	depth     int
}

var decoders = sync.Pool{New: func() any { return &decoder{toks: make([]token, 0, 256)} }}

var errSyntax = errors.New("invalid JSON")

// decodeNode parses node into a new map. view is the map attributes are
// read from: body itself, or, for the rare node whose numbers body cannot
// represent faithfully to an attribute, a copy that can.
func decodeNode(node []byte) (body, view pcommon.Map, err error) {
	d := decoders.Get().(*decoder)
	defer func() {
		clear(d.toks)
		d.toks = d.toks[:0]
		d.src = ""
		decoders.Put(d)
	}()
	// One copy of the node: every unescaped string and key of the body is
	// a substring of it.
	d.src, d.pos, d.depth, d.ambiguous = string(node), 0, 0, false
	d.skipSpace()
	if d.pos >= len(d.src) {
		return pcommon.Map{}, pcommon.Map{}, errors.New("decoding node: unexpected end of JSON input")
	}
	switch c := d.src[d.pos]; c {
	case '{':
	case 'n':
		if err := d.value(); err != nil {
			return pcommon.Map{}, pcommon.Map{}, fmt.Errorf("decoding node: %w", err)
		}
		return pcommon.Map{}, pcommon.Map{}, errors.New("node is null")
	default:
		return pcommon.Map{}, pcommon.Map{}, fmt.Errorf("decoding node: %w: the node is not an object (starts with %q)", errSyntax, c)
	}
	if err := d.value(); err != nil {
		return pcommon.Map{}, pcommon.Map{}, fmt.Errorf("decoding node: %w", err)
	}
	body = pcommon.NewMap()
	b := builder{toks: d.toks}
	b.object(body)
	view = body
	if d.ambiguous {
		view = pcommon.NewMap()
		b = builder{toks: d.toks, forAttributes: true}
		b.object(view)
	}
	return body, view, nil
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.src) {
		switch d.src[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value scans one value at d.pos, after any white space, into tokens.
func (d *decoder) value() error {
	d.skipSpace()
	if d.pos >= len(d.src) {
		return d.errorf("unexpected end of input")
	}
	switch c := d.src[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.string()
		if err != nil {
			return err
		}
		d.toks = append(d.toks, token{kind: tokString, str: s})
		return nil
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	case c == 't':
		return d.literal("true", tokTrue)
	case c == 'f':
		return d.literal("false", tokFalse)
	case c == 'n':
		return d.literal("null", tokNull)
	default:
		return d.errorf("invalid character %q looking for beginning of value", c)
	}
}

func (d *decoder) literal(lit string, kind tokenKind) error {
	if len(d.src)-d.pos < len(lit) || d.src[d.pos:d.pos+len(lit)] != lit {
		return d.errorf("invalid literal, expected %s", lit)
	}
	d.pos += len(lit)
	d.toks = append(d.toks, token{kind: kind})
	return nil
}

func (d *decoder) object() error {
	d.depth++
	if d.depth > maxDepth {
		return d.errorf("exceeded max depth")
	}
	d.pos++ // {
	at := len(d.toks)
	d.toks = append(d.toks, token{kind: tokObject})
	var n int32
	d.skipSpace()
	if d.pos < len(d.src) && d.src[d.pos] == '}' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.src) {
			return d.errorf("unexpected end of input in object")
		}
		if d.src[d.pos] != '"' {
			return d.errorf("invalid character %q looking for beginning of object key string", d.src[d.pos])
		}
		key, err := d.string()
		if err != nil {
			return err
		}
		d.toks = append(d.toks, token{kind: tokString, str: key})
		d.skipSpace()
		if d.pos >= len(d.src) || d.src[d.pos] != ':' {
			return d.errorf("expected ':' after object key")
		}
		d.pos++
		if err := d.value(); err != nil {
			return err
		}
		n++
		d.skipSpace()
		if d.pos >= len(d.src) {
			return d.errorf("unexpected end of input in object")
		}
		switch d.src[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.toks[at].n = n
			d.depth--
			return nil
		default:
			return d.errorf("invalid character %q after object key:value pair", d.src[d.pos])
		}
	}
}

func (d *decoder) array() error {
	d.depth++
	if d.depth > maxDepth {
		return d.errorf("exceeded max depth")
	}
	d.pos++ // [
	at := len(d.toks)
	d.toks = append(d.toks, token{kind: tokArray})
	var n int32
	d.skipSpace()
	if d.pos < len(d.src) && d.src[d.pos] == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if err := d.value(); err != nil {
			return err
		}
		n++
		d.skipSpace()
		if d.pos >= len(d.src) {
			return d.errorf("unexpected end of input in array")
		}
		switch d.src[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.toks[at].n = n
			d.depth--
			return nil
		default:
			return d.errorf("invalid character %q after array element", d.src[d.pos])
		}
	}
}

// string scans the string at d.pos (its opening quote) and returns its
// value: a substring of the node when it needs no unquoting.
func (d *decoder) string() (string, error) {
	start := d.pos + 1
	i := start
	for i < len(d.src) {
		c := d.src[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.src[start:i], nil
		case c == '\\' || c >= utf8.RuneSelf:
			return d.slowString(start, i)
		case c < ' ':
			d.pos = i
			return "", d.errorf("invalid character %q in string literal", c)
		}
		i++
	}
	d.pos = i
	return "", d.errorf("unexpected end of input in string literal")
}

// slowString unquotes a string with escapes or non-ASCII bytes from i on,
// as encoding/json does: escapes decoded, invalid UTF-8 and unpaired
// surrogates replaced by U+FFFD.
func (d *decoder) slowString(start, i int) (string, error) {
	// Find the end first, validating escapes as the JSON grammar does.
	j := i
	valid := true // no escapes and valid UTF-8: the substring is the value
	for {
		if j >= len(d.src) {
			d.pos = j
			return "", d.errorf("unexpected end of input in string literal")
		}
		c := d.src[j]
		switch {
		case c == '"':
			goto end
		case c == '\\':
			valid = false
			if j+1 >= len(d.src) {
				d.pos = j + 1
				return "", d.errorf("unexpected end of input in string escape")
			}
			switch d.src[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				for k := j + 2; k < j+6; k++ {
					if k >= len(d.src) {
						d.pos = k
						return "", d.errorf("unexpected end of input in \\u escape")
					}
					if !isHex(d.src[k]) {
						d.pos = k
						return "", d.errorf("invalid character %q in \\u hexadecimal character escape", d.src[k])
					}
				}
				j += 6
			default:
				d.pos = j + 1
				return "", d.errorf("invalid character %q in string escape code", d.src[j+1])
			}
		case c < ' ':
			d.pos = j
			return "", d.errorf("invalid character %q in string literal", c)
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRuneInString(d.src[j:])
			if r == utf8.RuneError && size == 1 {
				valid = false
			}
			j += size
		}
	}
end:
	d.pos = j + 1
	if valid {
		return d.src[start:j], nil
	}
	return unquote(d.src[start:j]), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unquote decodes the inside of a string literal the grammar has already
// validated, with encoding/json's replacements.
func unquote(s string) string {
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := getu4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != unicode.ReplacementChar {
						r += 6
						b = utf8.AppendRune(b, dec)
						continue
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // " \ /
				b = append(b, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRuneInString(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return string(b)
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// number scans a number and converts it as json.Number's Int64, then
// Float64, did.
func (d *decoder) number() error {
	start := d.pos
	i := start
	neg := d.src[i] == '-'
	if neg {
		i++
	}
	digits := i
	switch {
	case i < len(d.src) && d.src[i] == '0':
		i++
	case i < len(d.src) && '1' <= d.src[i] && d.src[i] <= '9':
		for i < len(d.src) && '0' <= d.src[i] && d.src[i] <= '9' {
			i++
		}
	default:
		d.pos = i
		return d.errorf("invalid number: expected a digit")
	}
	intDigits := i - digits
	isInt := true
	if i < len(d.src) && d.src[i] == '.' {
		isInt = false
		i++
		if i >= len(d.src) || d.src[i] < '0' || d.src[i] > '9' {
			d.pos = i
			return d.errorf("invalid number: expected a digit after the decimal point")
		}
		for i < len(d.src) && '0' <= d.src[i] && d.src[i] <= '9' {
			i++
		}
	}
	if i < len(d.src) && (d.src[i] == 'e' || d.src[i] == 'E') {
		isInt = false
		i++
		if i < len(d.src) && (d.src[i] == '+' || d.src[i] == '-') {
			i++
		}
		if i >= len(d.src) || d.src[i] < '0' || d.src[i] > '9' {
			d.pos = i
			return d.errorf("invalid number: expected a digit in the exponent")
		}
		for i < len(d.src) && '0' <= d.src[i] && d.src[i] <= '9' {
			i++
		}
	}
	d.pos = i
	lit := d.src[start:i]
	if isInt && intDigits <= 18 {
		// Fits an int64 for certain: no need for strconv.
		var v int64
		for _, c := range []byte(d.src[digits:i]) {
			v = v*10 + int64(c-'0')
		}
		if neg {
			if v == 0 {
				d.ambiguous = true
				d.toks = append(d.toks, token{kind: tokNegZero})
				return nil
			}
			v = -v
		}
		d.toks = append(d.toks, token{kind: tokInt, num: v})
		return nil
	}
	if isInt {
		if v, err := strconv.ParseInt(lit, 10, 64); err == nil {
			d.toks = append(d.toks, token{kind: tokInt, num: v})
			return nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		d.ambiguous = true
		d.toks = append(d.toks, token{kind: tokBigNumber, str: lit})
		return nil
	}
	d.toks = append(d.toks, token{kind: tokDouble, num: int64(math.Float64bits(f))})
	return nil
}

// builder turns a validated token list into pcommon values.
type builder struct {
	toks []token
	next int
	// forAttributes builds the attribute view: -0 as a double, big
	// numbers as no number (an empty byte slice).
	forAttributes bool
}

func (b *builder) object(m pcommon.Map) {
	t := b.toks[b.next]
	b.next++
	m.EnsureCapacity(int(t.n))
	for range t.n {
		key := b.toks[b.next].str
		b.next++
		// PutEmpty keeps the last of duplicate keys, as a Go map did.
		b.value(m.PutEmpty(key))
	}
}

func (b *builder) value(v pcommon.Value) {
	t := &b.toks[b.next]
	switch t.kind {
	case tokObject:
		b.object(v.SetEmptyMap())
		return
	case tokArray:
		b.next++
		s := v.SetEmptySlice()
		s.EnsureCapacity(int(t.n))
		for range t.n {
			b.value(s.AppendEmpty())
		}
		return
	case tokString:
		v.SetStr(t.str)
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
			v.SetStr(t.str)
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

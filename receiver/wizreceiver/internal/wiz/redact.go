// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// redactedText stands in for a credential.
const redactedText = "[REDACTED]"

// minDerivedNeedle is the shortest base64 form of a credential that is
// looked for.
const minDerivedNeedle = 6

// redactor removes credentials from text an upstream sent: the client
// secret a token endpoint may echo from the request body, the access token
// an API may echo from the Authorization header.
//
// It looks for each credential, and for its base64 encodings, in the text
// read four ways: as it is, as URL-encoded (a + read as a space, or as
// itself) and as the contents of a JSON string. Reading the text, rather
// than matching the output of some encoders, finds an encoding whatever
// characters the encoder chose to escape and whatever the case of its hex
// digits.
type redactor struct {
	// needles are each credential and its base64 forms: padded and not, in
	// either alphabet, and the characters that encode its bytes alone when
	// it sits at any offset of a longer base64 text (an HTTP Basic
	// "id:secret", say).
	needles [][]byte
}

func newRedactor(credentials ...string) redactor {
	var needles [][]byte
	for _, c := range credentials {
		if c == "" {
			continue
		}
		needles = append(needles, []byte(c))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			derived := []string{enc.EncodeToString([]byte(c)), enc.WithPadding(base64.NoPadding).EncodeToString([]byte(c))}
			for offset := range 3 {
				derived = append(derived, base64Core(enc, c, offset))
			}
			for _, d := range derived {
				// A short credential's base64 core is a character or
				// two that any text holds: redacting it would blot out
				// the message, and hides nothing the literal does not.
				if len(d) >= minDerivedNeedle {
					needles = append(needles, []byte(d))
				}
			}
		}
	}
	return redactor{needles: needles}
}

// base64Core is what encodes s's bits alone in the unpadded base64 of a
// text in which s starts offset bytes into a 3-byte group: the characters
// that mix its bits with its neighbours' are left out.
func base64Core(enc *base64.Encoding, s string, offset int) string {
	encoded := enc.WithPadding(base64.NoPadding).EncodeToString(append(make([]byte, offset), s...))
	first := (8*offset + 5) / 6 // the first character with none of the leading bytes' bits
	last := 8 * (offset + len(s)) / 6
	if first >= last {
		return ""
	}
	return encoded[first:last]
}

// text is s with every credential it holds, in any of the forms the
// redactor knows, replaced by [REDACTED].
func (r redactor) text(s string) string {
	if len(r.needles) == 0 || s == "" {
		return s
	}
	var spans []span
	for _, read := range readings {
		if !read.applies(s) {
			continue
		}
		decoded := read.decode(s)
		var bounds []int // of each match in decoded: its start, then its end
		for _, needle := range r.needles {
			for from := 0; ; {
				i := bytes.Index(decoded[from:], needle)
				if i < 0 {
					break
				}
				i += from
				bounds = append(bounds, i, i+len(needle))
				from = i + 1
			}
		}
		at := read.offsets(s, bounds)
		for k := 0; k < len(at); k += 2 {
			spans = append(spans, span{at[k], at[k+1]})
		}
	}
	return cut(s, spans)
}

// err is err with the credentials removed from every text an upstream
// supplied it with. The client's errors keep their type; an error of
// another type is kept as it is, or becomes its text redacted when that
// held a credential.
func (r redactor) err(err error) error {
	// The error itself, not what it wraps: each of the client's types is
	// rebuilt with its texts redacted, and anything else, a wrapper
	// included, is redacted as one text.
	switch e := err.(type) { //nolint:errorlint // see above
	case nil:
		return nil
	case *AuthError:
		redacted := *e
		redacted.Code, redacted.Description = r.text(e.Code), r.text(e.Description)
		return &redacted
	case *AccessDeniedError:
		return &AccessDeniedError{Message: r.text(e.Message)}
	case *IPRefusedError:
		return &IPRefusedError{Message: r.text(e.Message)}
	case *QueryError:
		redacted := *e
		redacted.Code, redacted.Message = r.text(e.Code), r.text(e.Message)
		redacted.Input, redacted.InputType = r.text(e.Input), r.text(e.InputType)
		if e.Field != nil {
			field := *e.Field
			field.Name, field.Type = r.text(field.Name), r.text(field.Type)
			redacted.Field = &field
		}
		return &redacted
	case *RedirectError:
		// A header of up to the HTTP client's 10 MB: capped like any
		// upstream text, once redacted.
		redacted := *e
		redacted.Location = truncateUpstream(r.text(e.Location))
		return &redacted
	case *CertificateError:
		// The server presents its certificate before any credential is
		// sent: it cannot echo one.
		return e
	case *retryableError:
		redacted := *e
		redacted.err, redacted.retryAfterCapped = r.err(e.err), r.text(e.retryAfterCapped)
		return &redacted
	}
	msg := err.Error()
	if clean := r.text(msg); clean != msg {
		return errors.New(clean)
	}
	return err
}

// span is a range of bytes of a text, [start, end).
type span struct{ start, end int }

// cut replaces each span of s, overlapping spans joined, with
// [REDACTED].
func cut(s string, spans []span) string {
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var out []byte
	next := 0 // the first byte of s not yet copied or redacted
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		if start < next {
			start = next
		}
		out = append(out, s[next:start]...)
		out = append(out, redactedText...)
		next = end
	}
	return string(append(out, s[next:]...))
}

// A reading reads text as an encoder would have written it.
type reading struct {
	// applies reports whether the text holds anything the reading decodes.
	applies func(text string) bool
	// unit decodes the encoding text[i:] starts with: into up to
	// utf8.UTFMax bytes (size of them), from length bytes of text.
	unit func(text string, i int) (decoded [utf8.UTFMax]byte, size, length int)
}

var readings = []reading{
	{applies: func(string) bool { return true }, unit: func(text string, i int) ([utf8.UTFMax]byte, int, int) {
		return [utf8.UTFMax]byte{text[i]}, 1, 1
	}},
	{applies: func(text string) bool { return strings.ContainsAny(text, "%+") }, unit: func(text string, i int) ([utf8.UTFMax]byte, int, int) {
		return urlUnit(text, i, true)
	}},
	{applies: func(text string) bool { return strings.Contains(text, "%") }, unit: func(text string, i int) ([utf8.UTFMax]byte, int, int) {
		return urlUnit(text, i, false)
	}},
	{applies: func(text string) bool { return strings.Contains(text, `\`) }, unit: jsonUnit},
}

// decode is the text as the reading reads it.
func (r reading) decode(text string) []byte {
	decoded := make([]byte, 0, len(text))
	for i := 0; i < len(text); {
		b, size, n := r.unit(text, i)
		decoded = append(decoded, b[:size]...)
		i += n
	}
	return decoded
}

// offsets maps each index in decoded, of the text as the reading decodes
// it, to where in text its encoding starts, or ends when the byte is not
// the first its encoding stands for. It reads the text once, however many
// indices: a text may echo a credential many times.
func (r reading) offsets(text string, decoded []int) []int {
	order := make([]int, len(decoded))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return decoded[a] - decoded[b] })
	at := make([]int, len(decoded))
	i, count := 0, 0 // a unit's offset in text, and how many bytes the units before it decode to
	for _, k := range order {
		for i < len(text) {
			_, size, n := r.unit(text, i)
			if count+size > decoded[k] {
				break
			}
			i, count = i+n, count+size
		}
		at[k] = i
		if count < decoded[k] && i < len(text) {
			_, _, n := r.unit(text, i)
			at[k] = i + n
		}
	}
	return at
}

// urlUnit reads text[i:] as URL-encoded: %XX is a byte, and + a space when
// plusIsSpace. Anything else stands for itself.
func urlUnit(text string, i int, plusIsSpace bool) ([utf8.UTFMax]byte, int, int) {
	switch {
	case text[i] == '%' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
		return [utf8.UTFMax]byte{unhex(text[i+1])<<4 | unhex(text[i+2])}, 1, 3
	case text[i] == '+' && plusIsSpace:
		return [utf8.UTFMax]byte{' '}, 1, 1
	}
	return [utf8.UTFMax]byte{text[i]}, 1, 1
}

// jsonEscapes are the characters a JSON string escapes with a backslash
// and one letter.
var jsonEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// jsonUnit reads text[i:] as the contents of a JSON string: \" \\ \/ \b
// \f \n \r \t and \uXXXX (a UTF-16 surrogate pair in two) stand for what
// they escape. Anything else stands for itself.
func jsonUnit(text string, i int) (decoded [utf8.UTFMax]byte, size, length int) {
	if text[i] == '\\' && i+1 < len(text) {
		if c, ok := jsonEscapes[text[i+1]]; ok {
			return [utf8.UTFMax]byte{c}, 1, 2
		}
		if r, n := unicodeEscape(text[i:]); n > 0 {
			size = utf8.EncodeRune(decoded[:], r)
			return decoded, size, n
		}
	}
	return [utf8.UTFMax]byte{text[i]}, 1, 1
}

// unicodeEscape reads the \uXXXX escape, or surrogate pair of them, that
// s starts with, returning the rune and the length of its escape; n is 0
// when s starts with none.
func unicodeEscape(s string) (r rune, n int) {
	first, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(first) {
		if second, ok := hex4(s[6:]); ok {
			if pair := utf16.DecodeRune(first, second); pair != utf8.RuneError {
				return pair, 12
			}
		}
	}
	return first, 6
}

// hex4 reads the \uXXXX escape s starts with.
func hex4(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

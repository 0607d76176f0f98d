// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// LeakySecret and LeakyToken hold every character that an encoding of a
// credential changes: URL escaping (+ / = & % space), JSON escaping (" \ <
// > &), and, not being a multiple of 3 bytes long, base64 padding.
const (
	LeakySecret = `Wz+8/k=Q&s"e\c r<e>t%41-0123456789abcdef`
	LeakyToken  = `eyJ0+/=&"\ <>%2B.tok-abcdefghij`
)

// Encodings is every form in which an upstream may echo s, by name: as it
// is; URL-encoded as Go's url.QueryEscape (a space as + or %20) and
// url.PathEscape, and as JavaScript's encodeURIComponent write it, with
// upper- or lower-case hex digits; base64 in either alphabet, padded or
// not; and JSON-escaped, with or without HTML escaping, or with / escaped
// too.
func Encodings(s string) map[string]string {
	query, path := url.QueryEscape(s), url.PathEscape(s)
	uriComponent := strings.NewReplacer("+", "%20", "%21", "!", "%27", "'", "%28", "(", "%29", ")", "%2A", "*").Replace(query)
	htmlJSON, _ := json.Marshal(s)
	var plainJSON bytes.Buffer
	enc := json.NewEncoder(&plainJSON)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	plain := strings.TrimSpace(plainJSON.String())
	forms := map[string]string{
		"literal":            s,
		"query-escaped":      query,
		"query-escaped %20":  strings.ReplaceAll(query, "+", "%20"),
		"path-escaped":       path,
		"encodeURIComponent": uriComponent,
		"base64":             base64.StdEncoding.EncodeToString([]byte(s)),
		"base64 raw":         base64.RawStdEncoding.EncodeToString([]byte(s)),
		"base64url":          base64.URLEncoding.EncodeToString([]byte(s)),
		"base64url raw":      base64.RawURLEncoding.EncodeToString([]byte(s)),
		"JSON":               string(htmlJSON[1 : len(htmlJSON)-1]),
		"JSON without HTML":  plain[1 : len(plain)-1],
		`JSON with \/`:       strings.ReplaceAll(plain[1:len(plain)-1], "/", `\/`),
	}
	for _, name := range []string{"query-escaped", "query-escaped %20", "path-escaped", "encodeURIComponent"} {
		forms[name+" lower-case hex"] = lowerHex(forms[name])
	}
	return forms
}

var percentEscape = regexp.MustCompile(`%[0-9A-F]{2}`)

func lowerHex(s string) string {
	return percentEscape.ReplaceAllStringFunc(s, strings.ToLower)
}

// Leaks names the forms (see Encodings) of each credential that text
// holds, and "base64 inside a longer text" when text holds the credential
// base64-encoded inside a longer text, as HTTP Basic carries "id:secret"
// (see Echo).
func Leaks(text string, credentials ...string) []string {
	var found []string
	for _, c := range credentials {
		for name, form := range Encodings(c) {
			if strings.Contains(text, form) {
				found = append(found, name)
			}
		}
		if slices.ContainsFunc(base64Cores(c), func(core string) bool { return strings.Contains(text, core) }) {
			found = append(found, "base64 inside a longer text")
		}
	}
	slices.Sort(found)
	return slices.Compact(found)
}

// base64Cores is what encodes s's bits alone in a longer base64 text, in
// either alphabet, s starting at each offset of a 3-byte group: the
// characters that mix its bits with a neighbour's left out. A core of a
// few characters, which any text may hold, is left out too.
func base64Cores(s string) []string {
	var cores []string
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for offset := range 3 {
			encoded := enc.EncodeToString(append(make([]byte, offset), s...))
			first, last := (8*offset+5)/6, 8*(offset+len(s))/6
			if core := encoded[first:last]; len(core) >= 8 {
				cores = append(cores, core)
			}
		}
	}
	return cores
}

// Echo is raw, then credential in every form of Encodings, and as the
// credential of HTTP Basic authentication.
func Echo(raw, credential string) string {
	var b strings.Builder
	b.WriteString("you sent " + raw)
	for _, name := range slices.Sorted(maps.Keys(Encodings(credential))) {
		fmt.Fprintf(&b, "; as %s: %s", name, Encodings(credential)[name])
	}
	fmt.Fprintf(&b, "; as Basic: %s", base64.StdEncoding.EncodeToString([]byte("id:"+credential)))
	return b.String()
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

import (
	"net/netip"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// The readers of a native body: each returns the zero value for a key
// that is missing or holds another type, so that any body Wiz sends, or a
// user's edited template, converts without a panic.

// get returns the value at key. The zero Map, which the readers return
// for an object that is missing, holds nothing.
func get(m pcommon.Map, key string) (pcommon.Value, bool) {
	if m == (pcommon.Map{}) {
		return pcommon.Value{}, false
	}
	return m.Get(key)
}

// obj returns the object at key, or the zero Map.
func obj(m pcommon.Map, key string) (pcommon.Map, bool) {
	v, ok := get(m, key)
	if !ok || v.Type() != pcommon.ValueTypeMap {
		return pcommon.Map{}, false
	}
	return v.Map(), true
}

// list returns the array at key; the caller ranges over it only when ok.
func list(m pcommon.Map, key string) (pcommon.Slice, bool) {
	v, ok := get(m, key)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return pcommon.Slice{}, false
	}
	return v.Slice(), true
}

// str returns the string at key, or "".
func str(m pcommon.Map, key string) string {
	v, ok := get(m, key)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return ""
	}
	return v.Str()
}

// text returns the string or integer at key as text, or "": Wiz sends
// some ids as numbers (an AWS account's externalId in a pushed detection).
func text(m pcommon.Map, key string) string {
	v, ok := get(m, key)
	if !ok {
		return ""
	}
	return mapping.ValueText(v)
}

// firstStr returns the first non-empty string at keys, or "".
func firstStr(m pcommon.Map, keys ...string) string {
	for _, key := range keys {
		if s := str(m, key); s != "" {
			return s
		}
	}
	return ""
}

// boolean returns the boolean at key.
func boolean(m pcommon.Map, key string) (value, ok bool) {
	v, ok := get(m, key)
	if !ok || v.Type() != pcommon.ValueTypeBool {
		return false, false
	}
	return v.Bool(), true
}

// number returns the number at key as a float.
func number(m pcommon.Map, key string) (float64, bool) {
	v, ok := get(m, key)
	if !ok {
		return 0, false
	}
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		return v.Double(), true
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	default:
		return 0, false
	}
}

// millis returns a time Wiz wrote as milliseconds since the epoch, OCSF's
// timestamp_t.
func millis(wizTime string) (int64, bool) {
	t, ok := mapping.ParseTime(wizTime)
	if !ok {
		return 0, false
	}
	return t.UnixMilli(), true
}

// isIP reports whether s is an IP address, which OCSF's ip_t requires.
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// wizIs reports whether s is Wiz's word w (upper case, underscores) in any
// letter case and with spaces for underscores: pushed payloads write
// "In Progress" for IN_PROGRESS and "High" for HIGH.
func wizIs(s, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c == ' ':
			c = '_'
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// hasPrefixWord reports whether s begins with the word w followed by the
// next word's capital or by nothing: "Add" begins AddSecurityScan, not
// Address.
func hasPrefixWord(s, w string) bool {
	if !strings.HasPrefix(s, w) {
		return false
	}
	return len(s) == len(w) || (s[len(w)] >= 'A' && s[len(w)] <= 'Z')
}

// isEmail reports whether s is an address OCSF's email_t accepts: its
// regex, ^[a-zA-Z0-9!#$%&'*+-/=?^_`{|}~.]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$,
// spelled out.
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	label, rest, dotted := strings.Cut(domain, ".")
	if !ok || !dotted || local == "" || label == "" || rest == "" {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for i := range len(local) {
		if !alnum(local[i]) && strings.IndexByte("!#$%&'*+,-./=?^_`{|}~", local[i]) < 0 {
			return false
		}
	}
	for i := range len(label) {
		if !alnum(label[i]) && label[i] != '-' {
			return false
		}
	}
	for i := range len(rest) {
		if !alnum(rest[i]) && rest[i] != '-' && rest[i] != '.' {
			return false
		}
	}
	return true
}

// first returns the first element of the array at key when it is an
// object.
func first(m pcommon.Map, key string) (pcommon.Map, bool) {
	l, ok := list(m, key)
	if !ok || l.Len() == 0 || l.At(0).Type() != pcommon.ValueTypeMap {
		return pcommon.Map{}, false
	}
	return l.At(0).Map(), true
}

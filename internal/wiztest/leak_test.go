// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Leaks finds each form Echo writes, the HTTP Basic one included: the
// credential inside a longer base64 text, at any offset of a 3-byte group,
// in either alphabet.
func TestLeaksFindsEveryFormEchoWrites(t *testing.T) {
	for _, credential := range []string{LeakySecret, LeakyToken} {
		for _, prefix := range []string{"", "i:", "id:", "cid:"} {
			for name, enc := range map[string]*base64.Encoding{"std": base64.StdEncoding, "url": base64.URLEncoding, "raw std": base64.RawStdEncoding} {
				basic := "Basic " + enc.EncodeToString([]byte(prefix+credential+":more"))
				assert.NotEmpty(t, Leaks(basic, credential), "%s, %q before it: %s", name, prefix, basic)
			}
		}
		// Nothing else Echo writes hides a form Leaks does not name.
		echo := Echo("raw", credential)
		for name, form := range Encodings(credential) {
			assert.Contains(t, Leaks(echo, credential), name)
			assert.Contains(t, echo, form)
		}
		assert.Contains(t, Leaks(echo, credential), "base64 inside a longer text")
	}
	assert.Empty(t, Leaks("[REDACTED] and Basic aWQ6[REDACTED]", LeakySecret, LeakyToken))
}

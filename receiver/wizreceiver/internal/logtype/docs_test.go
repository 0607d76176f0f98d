// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// docs/log-records.md and docs/webhook.md describe every pushed log type,
// so the documentation cannot fall behind the registry.
func TestDocsDescribeEveryPushedType(t *testing.T) {
	records := read(t, "docs/log-records.md")
	webhook := read(t, "docs/webhook.md")
	for _, typ := range Pushed {
		assert.Regexp(t, regexp.MustCompile(`(?m)^#+ `+regexp.QuoteMeta(typ.Name)+`$`), records,
			"docs/log-records.md has no section for %s", typ.Name)
		assert.Contains(t, records, "`"+typ.EventName+"`", "docs/log-records.md does not name %s's event name", typ.Name)
		assert.Regexp(t, regexp.MustCompile(`(?m)^\| `+"`"+regexp.QuoteMeta(typ.Name)+"`"+` \|`), webhook,
			"docs/webhook.md's table of log types has no row for %s", typ.Name)
		if typ.TriggerSource != "" {
			assert.Contains(t, webhook, "`trigger.source` `"+typ.TriggerSource+"`", "docs/webhook.md does not say how %s is recognised", typ.Name)
		}
	}
}

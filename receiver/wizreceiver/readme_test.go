package wizreceiver

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// The README's configuration table documents every key the default config
// has, so the two cannot drift apart.
func TestReadmeDocumentsEveryConfigKey(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	readme := string(raw)
	start := strings.Index(readme, "## Configuration")
	require.GreaterOrEqual(t, start, 0, "README has no Configuration section")
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}

	documented := map[string]bool{}
	firstColumn := regexp.MustCompile(`(?m)^\| ([^|]+) \|`)
	name := regexp.MustCompile("`([a-z0-9_.]+)`")
	for _, row := range firstColumn.FindAllStringSubmatch(section, -1) {
		for _, key := range name.FindAllStringSubmatch(row[1], -1) {
			documented[key[1]] = true
		}
	}

	conf := confmap.New()
	require.NoError(t, conf.Marshal(createDefaultConfig()))
	keys := append(conf.AllKeys(), "endpoint")
	for _, key := range keys {
		dotted := strings.ReplaceAll(key, confmap.KeyDelimiter, ".")
		assert.True(t, documented[dotted], "config key %q is missing from the README's configuration table", dotted)
	}
}

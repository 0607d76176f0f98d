package wizreceiver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A server's error text reaches logs and health capped: a 5 MB GraphQL
// error message makes neither a 5 MB log line nor a 5 MB health body,
// whether it stops the stream or is retried.
func TestHugeUpstreamErrorStaysSmall(t *testing.T) {
	huge := "Access denied; your permissions: [" + strings.Repeat("read:everything,", 5<<20/16) + "]"
	for _, code := range []string{"UNAUTHORIZED", "INTERNAL"} {
		t.Run(code, func(t *testing.T) {
			url := stdlibWiz(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = fmt.Fprintf(w, `{"data":null,"errors":[{"message":%q,"extensions":{"code":%q}}]}`, huge, code)
			})
			cfg := testConfig(url)
			cfg.BackOff.Enabled = false
			enableOnly(cfg, "audit")
			core, logs := observer.New(zapcore.DebugLevel)
			set := receivertestSettings()
			set.Logger = zap.New(core)
			host := &statusHost{Host: componenttest.NewNopHost()}
			rcv, err := newWizReceiver(set, cfg, consumertest.NewNop())
			require.NoError(t, err)
			s, _ := firstStream(t, rcv, host)

			err = s.poll(context.Background())
			require.Error(t, err)
			s.stopped(err, "Poll failed; retrying next interval")
			require.NotNil(t, host.last().Err())
			health := host.last().Err().Error()
			require.Less(t, len(health), 2048, "the health body")
			assert.Contains(t, health, "Access denied; your permissions: [read:everything,")
			require.NotZero(t, logs.Len())
			for _, e := range logs.All() {
				line := e.Message + fmt.Sprint(e.ContextMap())
				require.Less(t, len(line), 2048, "the log line %q", e.Message)
			}
		})
	}
}

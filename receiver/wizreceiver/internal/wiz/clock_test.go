package wiz

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
)

// settableClock is a host clock the test moves.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// skewObserver records the skews the client reports.
type skewObserver struct {
	nopObserver
	mu    sync.Mutex
	skews []time.Duration
}

func (o *skewObserver) ClockSkew(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.skews = append(o.skews, d)
}

// dateServer is a Wiz written with the standard library whose every
// answer carries the Date header the test sets: none when nil, or a raw
// value.
type dateServer struct {
	mu     sync.Mutex
	date   []string // nil: no Date header at all
	status int
}

func (d *dateServer) set(status int, date ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.status, d.date = status, date
}

func (d *dateServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// net/http stamps its own Date unless the handler set the key, even to
	// nil.
	w.Header()["Date"] = d.date
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/oauth/token" {
		_, _ = fmt.Fprint(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
		return
	}
	if d.status != http.StatusOK {
		w.WriteHeader(d.status)
		_, _ = fmt.Fprint(w, `{"errors":[{"message":"unavailable"}]}`)
		return
	}
	_, _ = fmt.Fprint(w, `{"data":{"auditLogEntries":{"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}}}`)
}

// Wiz's clock comes from the Date header of its answers: the latest it
// reads, Date plus its one-second resolution plus the time since the
// request left, by the host's clock. It never runs back for the second of
// error two answers may differ by, but follows Wiz's clock when it surely
// went back. A Date more than a day from the host's clock, a malformed or
// missing one, and one on an error answer leave it as it was.
func TestWizClockFromDateHeader(t *testing.T) {
	host := &settableClock{now: time.Date(2026, 12, 1, 12, 0, 0, 300_000_000, time.UTC)}
	wizAt := func(d time.Duration) string { return host.Now().Add(d).UTC().Format(http.TimeFormat) }
	d := &dateServer{status: http.StatusOK}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	observer := &skewObserver{}
	backOff := configretry.NewDefaultBackOffConfig()
	backOff.Enabled = false
	c := NewClient(Config{Endpoint: srv.URL + "/graphql", TokenURL: srv.URL + "/oauth/token", ClientID: "id", ClientSecret: secret,
		BackOff: backOff, Observer: observer, HostClock: host.Now}, &http.Client{}, NewLimiter(1000))
	fetch := func() error {
		_, err := c.FetchPage(context.Background(), auditReq)
		return err
	}
	requireReads := func(hms string, msg string) {
		t.Helper()
		want, err := time.Parse(time.DateTime, "2026-12-01 "+hms)
		require.NoError(t, err)
		got, known := c.Now()
		require.True(t, known, msg)
		assert.Equal(t, want, got.UTC(), msg)
	}

	_, known := c.Now()
	assert.False(t, known, "unknown before Wiz answered")

	// Wiz's clock 90.3 s behind the host's: Date truncates it to 11:58:30,
	// so it reads at most a second more (the request took no time by the
	// host's clock).
	d.set(http.StatusOK, wizAt(-90*time.Second))
	require.NoError(t, fetch())
	requireReads("11:58:31", "the first answer")
	host.Advance(10 * time.Second)
	requireReads("11:58:41", "advanced by the host's clock")
	assert.Equal(t, []time.Duration{-89*time.Second - 800*time.Millisecond}, observer.skews, "Date's mid-second minus the host's")

	// A later answer a second lower, within Date's error: no step back.
	d.set(http.StatusOK, wizAt(-91*time.Second))
	require.NoError(t, fetch())
	requireReads("11:58:41", "an answer a second lower")

	// Answers that do not tell Wiz's time leave the clock as it was.
	for name, answer := range map[string]func(){
		"a Date two days back":    func() { d.set(http.StatusOK, wizAt(-48*time.Hour)) },
		"a Date two days ahead":   func() { d.set(http.StatusOK, wizAt(48*time.Hour)) },
		"a malformed Date":        func() { d.set(http.StatusOK, "yesterday") },
		"no Date":                 func() { d.set(http.StatusOK) },
		"an error answer's Date":  func() { d.set(http.StatusBadRequest, wizAt(-time.Hour)) },
		"a Date of the Unix zero": func() { d.set(http.StatusOK, time.Unix(0, 0).UTC().Format(http.TimeFormat)) },
	} {
		answer()
		_ = fetch()
		requireReads("11:58:41", name)
	}
	assert.Len(t, observer.skews, 5, "reported: the two believed, the two a day off, the Unix zero")

	// Wiz's clock went back five minutes: followed.
	d.set(http.StatusOK, wizAt(-90*time.Second-5*time.Minute))
	require.NoError(t, fetch())
	requireReads("11:53:41", "Wiz's clock went back")
}

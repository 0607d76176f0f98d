package wizreceiver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// Wiz serves at most 500 nodes per page.
const maxPageSize = 500

// Time fields the issues stream can poll on.
const (
	IssueTimeStatusChangedAt = "status_changed_at"
	IssueTimeUpdatedAt       = "updated_at"
	IssueTimeCreatedAt       = "created_at"
)

// Time fields the vulnerability-findings stream can poll on.
const (
	FindingTimeUpdatedAt   = "updated_at"
	FindingTimeFirstSeenAt = "first_seen_at"
)

// findingStatuses are the statuses Wiz knows for a vulnerability finding.
var findingStatuses = []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}

// Config is the wiz receiver's configuration.
type Config struct {
	// ClientConfig brings endpoint, timeout, proxy_url, tls, headers, ...
	// They apply to the token request too.
	confighttp.ClientConfig `mapstructure:",squash"`

	TokenURL     string              `mapstructure:"token_url"`
	Audience     string              `mapstructure:"audience"`
	ClientID     string              `mapstructure:"client_id"`
	ClientSecret configopaque.String `mapstructure:"client_secret"`
	ProjectIDs   []string            `mapstructure:"project_ids"`

	PollInterval    time.Duration `mapstructure:"poll_interval"`
	InitialLookback time.Duration `mapstructure:"initial_lookback"`
	// Overlap re-reads this much before the checkpoint on every poll, to
	// catch entries Wiz indexes after a poll has passed their time.
	Overlap time.Duration `mapstructure:"overlap"`
	// MaxWindow bounds the time range of one query, so a long backlog is
	// read oldest first in slices that are each checkpointed.
	MaxWindow         time.Duration `mapstructure:"max_window"`
	PageSize          int           `mapstructure:"page_size"`
	RequestsPerSecond float64       `mapstructure:"requests_per_second"`
	// NoEventsTimeout raises an alert (a WARN log, a recoverable status and
	// a metric) when a stream has delivered nothing for this long while its
	// polls succeed. 0 disables it.
	NoEventsTimeout time.Duration `mapstructure:"no_events_timeout"`

	BackOff configretry.BackOffConfig `mapstructure:"retry_on_failure"`
	// AuthRetryInterval is how long refused credentials are taken to stay
	// wrong: a configuration problem needs a human, so the token endpoint is
	// asked again after minutes, not on every poll.
	AuthRetryInterval time.Duration `mapstructure:"auth_retry_interval"`
	StorageID         *component.ID `mapstructure:"storage"`

	Audit                 AuditConfig                 `mapstructure:"audit"`
	Issues                IssuesConfig                `mapstructure:"issues"`
	VulnerabilityFindings VulnerabilityFindingsConfig `mapstructure:"vulnerability_findings"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// StreamConfig holds the settings every stream has.
type StreamConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// NoEventsTimeout overrides the receiver-wide no_events_timeout for this
	// stream.
	NoEventsTimeout *time.Duration `mapstructure:"no_events_timeout"`
}

// AuditConfig configures the Wiz.Audit stream.
type AuditConfig struct {
	StreamConfig `mapstructure:",squash"`
}

// IssuesConfig configures the Wiz.Issues stream.
type IssuesConfig struct {
	StreamConfig `mapstructure:",squash"`
	// TimeField is the field polled on: status_changed_at catches new,
	// resolved, reopened and rejected issues; updated_at also catches note
	// and ticket changes.
	TimeField string `mapstructure:"time_field"`
}

// VulnerabilityFindingsConfig configures the Wiz.VulnerabilityFinding stream.
type VulnerabilityFindingsConfig struct {
	StreamConfig `mapstructure:",squash"`
	// TimeField is the field polled on: updated_at catches new findings,
	// re-detections and status changes; first_seen_at only new findings.
	TimeField string `mapstructure:"time_field"`
	// Statuses restricts findings to these statuses.
	Statuses []string `mapstructure:"statuses"`
}

var _ confmap.Validator = (*Config)(nil)

// Validate checks the configuration at startup. Each error names the field
// and how to fix it.
func (c *Config) Validate() error {
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, errors.New("endpoint is required: set it to your tenant's API endpoint URL (Wiz portal → User Settings → Tenant), e.g. https://api.us1.app.wiz.io/graphql"))
	} else if err := validateURL("endpoint", c.Endpoint); err != nil {
		errs = append(errs, err)
	}
	if c.TokenURL == "" {
		errs = append(errs, fmt.Errorf("token_url must not be empty: remove it to use %s, or set your tenant's token URL", wiz.DefaultTokenURL))
	} else if err := validateURL("token_url", c.TokenURL); err != nil {
		errs = append(errs, err)
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("client_id is required: set it to the Wiz service account's client ID, e.g. client_id: ${env:WIZ_CLIENT_ID}"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("client_secret is required: set it to the Wiz service account's client secret, e.g. client_secret: ${env:WIZ_CLIENT_SECRET}"))
	}
	for i, id := range c.ProjectIDs {
		if strings.TrimSpace(id) == "" {
			errs = append(errs, fmt.Errorf("project_ids[%d] is empty: list Wiz project ids, or remove project_ids to read all projects", i))
		}
	}
	if c.PageSize < 1 || c.PageSize > maxPageSize {
		errs = append(errs, fmt.Errorf("page_size must be between 1 and %d, got %d", maxPageSize, c.PageSize))
	}
	errs = append(errs,
		positive("poll_interval", c.PollInterval),
		positive("initial_lookback", c.InitialLookback),
		positive("max_window", c.MaxWindow),
		positive("auth_retry_interval", c.AuthRetryInterval),
	)
	if c.Overlap < 0 {
		errs = append(errs, fmt.Errorf("overlap must not be negative, got %s: use 0 to disable it", c.Overlap))
	}
	for field, d := range map[string]*time.Duration{
		"no_events_timeout":                        &c.NoEventsTimeout,
		"audit.no_events_timeout":                  c.Audit.NoEventsTimeout,
		"issues.no_events_timeout":                 c.Issues.NoEventsTimeout,
		"vulnerability_findings.no_events_timeout": c.VulnerabilityFindings.NoEventsTimeout,
	} {
		if d != nil && *d < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s: use 0 to disable the alert", field, *d))
		}
	}
	if c.RequestsPerSecond <= 0 {
		errs = append(errs, fmt.Errorf("requests_per_second must be positive, got %v: Wiz allows about 3 requests per second per service account", c.RequestsPerSecond))
	}
	if !c.Audit.Enabled && !c.Issues.Enabled && !c.VulnerabilityFindings.Enabled {
		errs = append(errs, errors.New("no stream is enabled: set enabled: true under at least one of audit, issues or vulnerability_findings"))
	}
	switch c.Issues.TimeField {
	case IssueTimeStatusChangedAt, IssueTimeUpdatedAt, IssueTimeCreatedAt:
	default:
		errs = append(errs, fmt.Errorf("issues.time_field %q is not supported: use %s, %s or %s",
			c.Issues.TimeField, IssueTimeStatusChangedAt, IssueTimeUpdatedAt, IssueTimeCreatedAt))
	}
	switch c.VulnerabilityFindings.TimeField {
	case FindingTimeUpdatedAt, FindingTimeFirstSeenAt:
	default:
		errs = append(errs, fmt.Errorf("vulnerability_findings.time_field %q is not supported: use %s or %s",
			c.VulnerabilityFindings.TimeField, FindingTimeUpdatedAt, FindingTimeFirstSeenAt))
	}
	if len(c.VulnerabilityFindings.Statuses) == 0 {
		errs = append(errs, fmt.Errorf("vulnerability_findings.statuses must not be empty: list some of %s", strings.Join(findingStatuses, ", ")))
	}
	for _, s := range c.VulnerabilityFindings.Statuses {
		if !slices.Contains(findingStatuses, s) {
			errs = append(errs, fmt.Errorf("vulnerability_findings.statuses: %q is not a status: use %s", s, strings.Join(findingStatuses, ", ")))
		}
	}
	return errors.Join(errs...)
}

func positive(field string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s must be positive, got %s", field, d)
	}
	return nil
}

// validateURL requires an absolute URL, and https unless the host is a
// loopback address (a local mock or proxy): credentials and tokens must not
// cross a network in clear text.
func validateURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute URL: use the form https://host/path", field, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s %q uses plain http: use https (plain http is only allowed for a loopback host such as 127.0.0.1 or localhost)", field, raw)
	default:
		return fmt.Errorf("%s %q has scheme %q: use https", field, raw, u.Scheme)
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// graphQLURL is the endpoint with /graphql appended when the user gave only
// the host, as Wiz's portal shows it both ways.
func (c *Config) graphQLURL() string {
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Path != "" && u.Path != "/") {
		return c.Endpoint
	}
	u.Path = "/graphql"
	return u.String()
}

// audience is the configured audience, or the one the token URL's identity
// provider expects.
func (c *Config) audience() string {
	if c.Audience != "" {
		return c.Audience
	}
	return wiz.DefaultAudience(c.TokenURL)
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/ocsf"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Wiz serves at most 500 nodes per page.
const maxPageSize = 500

// The values of format.
const (
	formatNative = "native"
	formatOCSF   = "ocsf"
)

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
	// MaxResponseSize bounds the bytes of one answer from Wiz: past it the
	// request fails, and the rest is never read.
	MaxResponseSize int64 `mapstructure:"max_response_size"`
	// MaxBatchBytes bounds a batch of records handed to the next consumer,
	// in bytes of Wiz's JSON: a larger page is handed over in several, so
	// the records in memory at once do not grow with page_size or with the
	// size of Wiz's records.
	MaxBatchBytes int `mapstructure:"max_batch_bytes"`
	// NoEventsTimeout raises an alert (a WARN log, a recoverable status and
	// a metric) when a stream has delivered nothing for this long while its
	// polls succeed. 0 disables it.
	NoEventsTimeout time.Duration `mapstructure:"no_events_timeout"`

	BackOff configretry.BackOffConfig `mapstructure:"retry_on_failure"`
	// SplitRefusedPages sends a page or webhook array the next consumer
	// refused for good again in halves, down to the records it refuses, so
	// one bad record does not drop its neighbours. With several pipelines,
	// the halves go to every pipeline again: false refuses the page whole.
	SplitRefusedPages bool `mapstructure:"split_refused_pages"`
	// AuthRetryInterval is how long refused credentials are taken to stay
	// wrong: a configuration problem needs a human, so the token endpoint is
	// asked again after minutes, not on every poll.
	AuthRetryInterval time.Duration `mapstructure:"auth_retry_interval"`
	StorageID         *component.ID `mapstructure:"storage"`

	// Format is the records' body: native (Wiz's object) or ocsf (an
	// OCSF 1.5.0 event). The attributes are the same either way.
	Format string `mapstructure:"format"`

	// Webhook receives what Wiz pushes: issues, threats and detections.
	Webhook WebhookConfig `mapstructure:"webhook"`

	// logTypes holds each log type's section (audit, issues, …) by its
	// key. Unmarshal and Marshal read and write them through the registry
	// in internal/logtype, so the receiver's config names no log type.
	logTypes map[string]logtype.Config

	// prevent unkeyed literal initialization
	_ struct{}
}

var (
	_ confmap.Validator   = (*Config)(nil)
	_ confmap.Unmarshaler = (*Config)(nil)
	_ confmap.Marshaler   = Config{}
)

// Validate checks the configuration at startup. Each error names the field
// and how to fix it.
func (c *Config) Validate() error {
	var errs []error
	// The API's settings matter only to the polled log types: a receiver
	// that only takes Wiz's pushes needs no credentials.
	if c.polls() {
		if err := c.validateAPI(); err != nil {
			errs = append(errs, err)
			if c.Webhook.Enabled {
				errs = append(errs, fmt.Errorf("the API settings are needed only to poll: for a receiver that only takes Wiz's pushes, set enabled: false under %s",
					strings.Join(c.polledKeys(), ", ")))
			}
		}
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
	if c.NoEventsTimeout < 0 {
		errs = append(errs, fmt.Errorf("no_events_timeout must not be negative, got %s: use 0 to disable the alert", c.NoEventsTimeout))
	}
	if c.MaxResponseSize <= 0 {
		errs = append(errs, fmt.Errorf("max_response_size must be positive, got %d: it bounds the bytes of one answer from Wiz, %d by default", c.MaxResponseSize, defaultMaxResponseSize))
	}
	if c.MaxBatchBytes <= 0 {
		errs = append(errs, fmt.Errorf("max_batch_bytes must be positive, got %d: it bounds the records handed to the next consumer at once, in bytes of Wiz's JSON, %d by default", c.MaxBatchBytes, defaultMaxBatchBytes))
	}
	if c.Format != formatNative && c.Format != formatOCSF {
		errs = append(errs, fmt.Errorf("format must be %q (Wiz's own objects) or %q (OCSF 1.5.0 events), got %q", formatNative, formatOCSF, c.Format))
	}
	if c.RequestsPerSecond <= 0 {
		errs = append(errs, fmt.Errorf("requests_per_second must be positive, got %v: Wiz allows about 3 requests per second per service account", c.RequestsPerSecond))
	}
	for _, lt := range logtype.All {
		errs = append(errs, lt.Validate(c.logType(lt), c.ProjectIDs))
	}
	if !c.polls() && !c.Webhook.Enabled {
		errs = append(errs, fmt.Errorf("no stream is enabled: set enabled: true under at least one of %s, or under webhook to receive Wiz's pushes", logtype.Keys()))
	}
	errs = append(errs, c.Webhook.validate())
	return errors.Join(errs...)
}

// format is what turns a native record into the configured format: nil
// for native, the OCSF conversion for ocsf.
func (c *Config) format() func(logType string, lr plog.LogRecord) error {
	if c.Format == formatOCSF {
		return ocsf.Convert
	}
	return nil
}

// validateAPI checks the Wiz API's endpoints and credentials.
func (c *Config) validateAPI() error {
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
	return errors.Join(errs...)
}

// polls reports whether any polled log type is enabled.
func (c *Config) polls() bool {
	return len(c.polledKeys()) > 0
}

// polledKeys are the keys of the enabled polled log types.
func (c *Config) polledKeys() []string {
	var keys []string
	for _, lt := range logtype.All {
		if c.logType(lt).Settings().Enabled {
			keys = append(keys, lt.Key)
		}
	}
	return keys
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

// Unmarshal reads each log type's section into its own config struct, then
// the rest into Config.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	if c.logTypes == nil {
		c.logTypes = defaultLogTypes()
	}
	for _, lt := range logtype.All {
		sub, err := conf.Sub(lt.Key)
		if err != nil {
			return fmt.Errorf("%s: %w", lt.Key, err)
		}
		if err := sub.Unmarshal(c.logTypes[lt.Key]); err != nil {
			return fmt.Errorf("%s: %w", lt.Key, err)
		}
		conf.Delete(lt.Key)
	}
	return conf.Unmarshal(c)
}

// configFields is Config without its methods, so that unmarshalling and
// marshalling it does not call them again.
type configFields Config

// Marshal writes Config and each log type's section.
func (c Config) Marshal(conf *confmap.Conf) error {
	if err := conf.Marshal(configFields(c)); err != nil {
		return err
	}
	sections := map[string]any{}
	for _, lt := range logtype.All {
		section := confmap.New()
		if err := section.Marshal(c.logTypes[lt.Key]); err != nil {
			return fmt.Errorf("%s: %w", lt.Key, err)
		}
		sections[lt.Key] = section.ToStringMap()
	}
	return conf.Merge(confmap.NewFromStringMap(sections))
}

// logType returns lt's section.
func (c *Config) logType(lt *logtype.LogType) logtype.Config {
	return c.logTypes[lt.Key]
}

// defaultLogTypes is every log type's section with its defaults.
func defaultLogTypes() map[string]logtype.Config {
	sections := make(map[string]logtype.Config, len(logtype.All))
	for _, lt := range logtype.All {
		sections[lt.Key] = lt.NewConfig()
	}
	return sections
}

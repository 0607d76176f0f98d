// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"errors"
	"sync"
	"time"
)

// cooldown remembers a failure that needs a human (refused credentials, a
// redirect, a certificate that does not verify) for a while, so that it costs one request per cool-down, not
// one per poll of every stream.
type cooldown struct {
	period time.Duration

	mu    sync.Mutex
	err   error
	until time.Time
}

// active returns the remembered failure while its cool-down lasts.
func (c *cooldown) active(now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil && now.Before(c.until) {
		return c.err
	}
	return nil
}

// hold remembers err for the cool-down when it needs a human.
func (c *cooldown) hold(err error, now time.Time) {
	var auth *AuthError
	var redirect *RedirectError
	var cert *CertificateError
	if !errors.As(err, &auth) && !errors.As(err, &redirect) && !errors.As(err, &cert) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err, c.until = err, now.Add(c.period)
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
)

// WebhookToken is the token the stand-in authenticator accepts.
const WebhookToken = "webhook-token-3e8a1f5c"

// AuthID is the stand-in authenticator's id in an AuthHost.
var AuthID = component.MustNewIDWithName("bearertokenauth", "test")

// tokenAuth stands in for bearertokenauth: it accepts "Bearer
// WebhookToken", and its refusal echoes what the client presented, as a
// careless authenticator might.
type tokenAuth struct {
	component.StartFunc
	component.ShutdownFunc
}

func (tokenAuth) Authenticate(ctx context.Context, headers map[string][]string) (context.Context, error) {
	if got := headers["Authorization"]; len(got) == 1 && got[0] == "Bearer "+WebhookToken {
		return ctx, nil
	}
	return ctx, fmt.Errorf("refused %q", headers["Authorization"])
}

// AuthHost is a host with the stand-in authenticator as AuthID.
type AuthHost struct{ component.Host }

// GetExtensions holds the stand-in authenticator only.
func (AuthHost) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{AuthID: tokenAuth{}}
}

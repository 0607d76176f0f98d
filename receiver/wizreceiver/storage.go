// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// markersClient is the name of the storage client that holds the
// checkpoints' markers.
const markersClient = "markers"

// getStorageClient returns the client named name (the component's own
// client when empty) of the configured storage extension, or a no-op
// client when none is configured.
func getStorageClient(ctx context.Context, host component.Host, storageID *component.ID, self component.ID, name string) (storage.Client, error) {
	if storageID == nil {
		return storage.NewNopClient(), nil
	}
	ext, ok := host.GetExtensions()[*storageID]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q not found: declare it under extensions and list it in service.extensions", storageID)
	}
	storageExt, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension: use a file_storage extension", storageID)
	}
	return storageExt.GetClient(ctx, component.KindReceiver, self, name)
}

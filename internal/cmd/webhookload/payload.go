// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

// detections makes realistic Wiz Defend detections, about 5 KB each: the
// mock Wiz's, each with an id of its own so that no two bodies are alike
// (the webhook would suppress a repeat). Rendering the mock's template per
// request would cost the generator more CPU than the collector it loads.
type detections struct {
	base []byte
	// idAt is where the top-level id's value starts in base.
	idAt int
}

func newDetections(at time.Time) (detections, error) {
	base := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 0, at)
	var d struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(base, &d); err != nil {
		return detections{}, err
	}
	field := []byte(`"id":"` + d.ID + `"`)
	i := bytes.Index(base, field)
	if i < 0 || len(d.ID) != 36 {
		return detections{}, errors.New("the mock's detection has no UUID id at its top level")
	}
	return detections{base: base, idAt: i + len(`"id":"`)}, nil
}

// payload is the n-th detection.
func (d detections) payload(n int) []byte {
	p := bytes.Clone(d.base)
	copy(p[d.idAt:], fmt.Appendf(nil, "00000000-0000-5000-a000-%012x", n))
	return p
}

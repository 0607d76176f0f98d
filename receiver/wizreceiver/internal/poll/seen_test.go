// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// Stored checkpoints hold these hashes: hashKey must keep them.
func TestHashKeyIsStable(t *testing.T) {
	for want, k := range map[uint64]mapping.Key{
		0x4202163e9808b793: {ID: "0b9d6a5e-3f0e-4c6e-9a59-6d7c1f0f6c21", Time: time.Date(2026, 11, 27, 1, 2, 3, 456789000, time.UTC)},
		0x08e31007b58142b1: {ID: "", Time: time.Unix(0, 0)},
		0x5d999320ef365fff: {ID: "x", Time: time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC)},
	} {
		assert.Equal(t, want, hashKey(k), "%+v", k)
	}
}

// Hashing a record key allocates nothing: deliver hashes every record.
func TestHashKeyAllocatesNothing(t *testing.T) {
	k := mapping.Key{ID: "0b9d6a5e-3f0e-4c6e-9a59-6d7c1f0f6c21", Time: time.Now()}
	assert.Zero(t, testing.AllocsPerRun(100, func() { hashKey(k) }))
}

// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package poll is the receiver's polling engine: one Stream per enabled
// log type reads Wiz's GraphQL connection in time windows, hands each page
// to the next consumer, and writes its checkpoint through the storage
// extension after every page the consumer accepted. The rules it keeps are
// in docs/design/checkpointing.md.
//
// Its API is small: New builds a Stream from Settings, which the receiver
// makes from its config; the stream reports its health through the
// Settings' status callback and counts what it does through the Telemetry
// interface, which the receiver's telemetry implements. It imports nothing
// of the receiver.
//
// Each type has a file of its own, and every dependency points down this
// list, never up (TestDependenciesPointDown keeps it so):
//
//   - stream.go: Stream, a stream's life cycle (restore, run, the
//     connection check) and its health (status, the no-events alert);
//   - snapshot.go: snapshots, the stream's posture snapshots beside its
//     polls: every finding in the snapshot's statuses, read whole in
//     partitions of when Wiz first saw it, each record stamped with the
//     snapshot, and an end marker (docs/design/snapshots.md);
//   - walk.go: walker, the windows of a poll, the walk of a window page by
//     page (drift included: a rejected field leaves the query and the
//     request goes again), and the checkpoint's restore and saves;
//   - deliver.go: delivery, a page mapped to records and handed to the
//     next consumer, split when it refuses some for good;
//   - query.go: wizQuery, the query sent and its drift (a field Wiz's
//     schema no longer has leaves it), its filter and fingerprint, and the
//     explanation of a rejected filter;
//   - clock.go: clock, the bound windows end at (the earlier of this
//     host's clock and Wiz's), and the clamp of a watermark past Wiz's;
//   - dedup.go: dedup, which keys of delivered records a later query reads
//     again;
//   - resultcap.go, windowcap.go: resultCap, what the walker asks of Wiz's
//     result cap: windowCap narrows the windows of log types Wiz caps,
//     noCap is the others';
//   - snapshot_state.go: the snapshots' stored state (snapshotState) and
//     its store, under a key of its own beside the checkpoint;
//   - store.go, checkpoint.go: checkpointStore reads, validates and writes
//     the stored form, checkpoint;
//   - window.go, capwalk.go: a window of polled time, and a capped
//     window's record of its walks, capWalk;
//   - seen.go, times.go: the seen set and its keys; the time helpers.
//
// invariants.go is the checkpoint's invariants in executable form, for
// tests (Invariants).
package poll

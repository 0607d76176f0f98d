// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// kafkaTopic is the topic examples/kafka.yaml writes to in the test.
const kafkaTopic = "wiz-logs"

// topicMaxMessageBytes is Kafka's default max.message.bytes for a topic,
// kfake's too: the largest message, compressed, the broker takes. The
// kafka exporter's own default limit, checked before compression, is lower
// still (1,000,000).
const topicMaxMessageBytes = 1048588

// topicReader reads a topic from its start with franz-go's client and
// counts the Wiz records in its messages, which examples/kafka.yaml encodes
// as OTLP protobuf.
type topicReader struct {
	client *kgo.Client
	got    wiztest.Counts
	// next is, per partition, the offset after the last message read.
	next     map[int32]int64
	messages int
	// largest is the largest message's size, uncompressed.
	largest int
}

func newTopicReader(t *testing.T, brokers []string) *topicReader {
	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(kafkaTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return &topicReader{client: client, got: wiztest.Counts{}, next: map[int32]int64{}}
}

// poll reads what the broker has for the reader, waiting until ctx is done
// if it has nothing; it returns ctx's error then.
func (r *topicReader) poll(ctx context.Context, t *testing.T) error {
	t.Helper()
	fetches := r.client.PollFetches(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range fetches.Errors() {
		require.NoError(t, err.Err, "fetching %s/%d", err.Topic, err.Partition)
	}
	var unmarshaler plog.ProtoUnmarshaler
	fetches.EachRecord(func(rec *kgo.Record) {
		logs, err := unmarshaler.UnmarshalLogs(rec.Value)
		require.NoError(t, err, "message %s/%d@%d is not OTLP protobuf", rec.Topic, rec.Partition, rec.Offset)
		r.got.Add(logs)
		r.next[rec.Partition] = rec.Offset + 1
		r.messages++
		r.largest = max(r.largest, len(rec.Value))
	})
	return nil
}

// readToEnd reads on until the reader has every message the topic holds
// now: run it once nothing produces any more.
func (r *topicReader) readToEnd(ctx context.Context, t *testing.T) {
	t.Helper()
	ends, err := kadm.NewClient(r.client).ListEndOffsets(ctx, kafkaTopic)
	require.NoError(t, err)
	require.NoError(t, ends.Error())
	behind := func() bool {
		lagging := false
		ends.Each(func(end kadm.ListedOffset) { lagging = lagging || r.next[end.Partition] < end.Offset })
		return lagging
	}
	for behind() {
		require.NoError(t, r.poll(ctx, t), "reading %s to its end offsets %v; read up to %v", kafkaTopic, ends, r.next)
	}
}

// produceRefusal answers every produce request with one error while down.
type produceRefusal struct {
	down    atomic.Bool
	refused atomic.Int64
}

// refuseProduce makes cluster answer every produce request with err, for
// every partition, until the refusal's down is set false; it counts the
// requests refused.
func refuseProduce(cluster *kfake.Cluster, err *kerr.Error) *produceRefusal {
	r := &produceRefusal{}
	r.down.Store(true)
	cluster.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		if !r.down.Load() {
			cluster.DropControl()
			return nil, nil, false
		}
		cluster.KeepControl()
		r.refused.Add(1)
		req := kreq.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, err.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	return r
}

// TestE2EExampleKafka: examples/kafka.yaml writes every record to a Kafka
// topic exactly once, and loses none across a broker outage and a restart.
//
// The broker is franz-go's in-process Kafka cluster on loopback: three
// brokers, the topic with three partitions. First the brokers refuse every
// page with NOT_ENOUGH_REPLICAS (what a topic below min.insync.replicas
// answers to acks=all), and the collector is stopped while they do: the
// receiver's checkpoint must not have moved past any refused page. Then the
// collector runs again on the same checkpoints with the brokers accepting.
// The test reads the whole topic back with franz-go's client and counts
// every record of the mock Wiz once: a page handed to a queue and lost at
// the stop would be missing, a page acknowledged and read again would be
// repeated. The largest page is beyond Kafka's default message limit, so
// the example's limit and compression are what carry it: with either at
// Kafka's or the exporter's default, that page is refused for good and
// dropped.
func TestE2EExampleKafka(t *testing.T) {
	bin := binary(t)
	// Several pages of up to 500 records (the example's page_size) per
	// stream, a full page of findings being larger than Kafka's default
	// message limit.
	srv, env := newWiz(t, 31, 1200, 600, 1100)
	want := wiztest.Expected(t, srv)

	cluster, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(3, kafkaTopic))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	brokers := cluster.ListenAddrs()
	env = append(env,
		"WIZ_STATE_DIR="+filepath.Join(t.TempDir(), "state"),
		"KAFKA_BROKERS="+strings.Join(brokers, ","),
		"KAFKA_TOPIC="+kafkaTopic,
	)
	config := filepath.Join(repoRoot(t), "examples", "kafka.yaml")
	// The example as shipped, but polling every 200ms so that polls after
	// the last record come soon, with its health port moved off the fixed
	// one, and each page handed over whole (max_batch_bytes at 16 MiB): one
	// message per page, some past Kafka's default message limit, which the
	// example's limits must carry (a single heavy record, or a user's larger
	// max_batch_bytes, makes such a message too).
	args := []string{
		noMetrics,
		"--set=receivers.wiz.poll_interval=200ms",
		"--set=receivers.wiz.max_batch_bytes=16777216",
		"--set=extensions.healthcheckv2.http.endpoint=127.0.0.1:" + freePort(t),
	}
	unused := filepath.Join(t.TempDir(), "unused.jsonl")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The outage: every produce refused, retryably.
	outage := refuseProduce(cluster, kerr.NotEnoughReplicas)
	c := startCollector(t, bin, config, env, unused, args...)
	if !assert.Eventually(t, func() bool { return outage.refused.Load() > 0 }, time.Minute, 50*time.Millisecond) {
		t.Fatalf("the collector sent no page to the broker; collector log:\n%s", c.log.String())
	}
	c.stop(t)
	outage.down.Store(false)
	refused := outage.refused.Load()

	// The brokers accept again: the collector resumes from its checkpoints.
	c = startCollector(t, bin, config, env, unused, args...)
	topic := newTopicReader(t, brokers)
	waitCtx, waitCancel := context.WithTimeout(ctx, time.Minute)
	for !wiztest.AllArrived(want, topic.got) {
		if topic.poll(waitCtx, t) != nil {
			break
		}
	}
	waitCancel()
	// More polls must add nothing: wait for three more requests per stream.
	after := srv.Stats().GraphQLRequests
	if !assert.Eventually(t, func() bool { return srv.Stats().GraphQLRequests >= after+3*len(want) }, time.Minute, 100*time.Millisecond) {
		t.Fatalf("the collector stopped polling; collector log:\n%s", c.log.String())
	}
	c.stop(t)
	topic.readToEnd(ctx, t)

	total := 0
	for _, typ := range slices.Sorted(maps.Keys(want)) {
		n, once := wiztest.ExactlyOnce(t, typ+" in "+kafkaTopic, want[typ], topic.got[typ])
		total += n
		if once {
			t.Logf("kafka: %s: %d records, each exactly once", typ, n)
		}
	}
	for typ, uids := range topic.got {
		if _, ok := want[typ]; !ok {
			t.Errorf("%s holds %d %s records, e.g. %v", kafkaTopic, len(uids), typ, wiztest.Sample(uidsOf(uids)))
		}
	}
	// A batch, here a page, is one message: the example's limits must carry
	// one past Kafka's default limit.
	assert.Greater(t, topic.largest, topicMaxMessageBytes,
		"no page exceeded Kafka's default message limit, so the test does not show that the example's limits carry a full page")
	partitions := make([]string, 0, len(topic.next))
	for p, next := range topic.next {
		partitions = append(partitions, fmt.Sprintf("%d: %d", p, next))
	}
	slices.Sort(partitions)
	t.Logf("kafka: %d records of the mock Wiz; the topic holds %d messages (end offsets by partition %v; largest %d bytes uncompressed); "+
		"%d produce requests refused during the outage",
		total, topic.messages, partitions, topic.largest, refused)
	if t.Failed() {
		t.Logf("collector log of the last run:\n%s", c.log.String())
	}
}

#!/usr/bin/env bash
# bench.sh: run the performance benchmarks and the backfills through the
# built collector, print the results, and write them to docs/performance.md
# under a header that says where they come from (commit, machine, date,
# command). docs/performance.md is only ever written by this script.
#
#   A  encoding/json Unmarshal of a 500-node page into map[string]any
#   B  the receiver's page decoding and mapping of the same page into plog.Logs
#   C  end to end through the real receiver against a server replaying
#      pre-rendered pages, rate limiting off, discarding consumer, one core
#
# then the backfills through the built collector (internal/scripts/backfill.sh)
# and the webhook under load through it (internal/cmd/webhookload).
#
# Every benchmark figure is the median of COUNT runs (default 3). The raw
# `go test` output is kept in OUT (default _build/bench.txt) for benchstat.
#
# Usage: bench.sh OTELCOL MOCKWIZ OTLPSINK   (`make bench` builds them, then
# runs this)
set -euo pipefail
cd "$(dirname "$0")/../.."

otelcol=$1 mockwiz=$2 otlpsink=$3
GO=${GO:-go}
COUNT=${COUNT:-3}
OUT=${OUT:-_build/bench.txt}
DOC=${DOC:-docs/performance.md}
BENCH_CMD=${BENCH_CMD:-}
mkdir -p "$(dirname "$OUT")"

# Where the figures come from, taken before anything is written.
commit=$(git rev-parse --short HEAD)
if [ -n "$(git status --porcelain)" ]; then commit+=-dirty; fi
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
script="internal/scripts/bench.sh $otelcol $mockwiz $otlpsink"
command="\`$script\` with COUNT=$COUNT"
if [ -n "$BENCH_CMD" ]; then command="\`$BENCH_CMD\`, which runs $command"; fi

doc=$(mktemp)
trap 'rm -f "$doc"' EXIT
# emit prints to stdout and appends to the document.
emit() { tee -a "$doc"; }

emit <<EOF
# Performance

<!-- Written by \`make bench\` (internal/scripts/bench.sh). Do not edit by hand: run \`make bench\` again. -->

The figures below come from one run of the command in the table, on the
machine it names. That machine may be shared with other jobs (see the load
averages), so absolute figures are indicative and move between runs; ratios
within one run (B/A, the collector's CPU per record across backlog sizes) hold
steadier. Compare runs with \`benchstat\` on the raw output (\`$OUT\`).

| | |
|---|---|
| commit | \`$commit\` |
| machine | $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r) |
| go | $($GO version | cut -d' ' -f3-) |
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| command | $command |
| load average at the start | $(cut -d' ' -f1-3 /proc/loadavg) |

## Benchmarks

\`go test -bench\` on one core (\`-cpu 1\`), median of $COUNT runs, 500-node pages.
\`JSON B/rec\` is the size of the page Wiz sends (the mock's rendering of the
receiver's query) per record: a log type's costs follow it, so runs on other
data compare by it.

- **A** is the least work that looks at every field: \`encoding/json\` into
  \`map[string]any\` for a page.
- **B** is what the receiver does with the same bytes: split the page into
  nodes in one structural pass, then decode each node once, straight into the
  log record's body (keeping Wiz's key order), and read the attributes from
  it. B/A is the ratio within this run.
- **C** is end to end through the real receiver (HTTP client, paging, decode,
  mapping, a discarding consumer) against a server replaying pre-rendered
  pages, with the rate limiter out of the way. \`C req/1k\` counts every
  \`/graphql\` request per 1,000 records delivered, the connection check
  included: with 500-node pages the floor is 1000/500 = 2, plus one request
  per walk that ends on a short page.

EOF

{
	$GO test ./receiver/wizreceiver/internal/wiz/ -run '^$' -bench '^BenchmarkPage$' -benchmem -cpu 1 -count "$COUNT" -benchtime 1s
	$GO test ./receiver/wizreceiver/ -run '^$' -bench '^BenchmarkEndToEnd$' -benchmem -cpu 1 -count "$COUNT" -benchtime 1s
} | tee "$OUT" >/dev/null

{
	echo '```text'
	awk '
function median(key,    n, i, j, t, v) {
	n = cnt[key]
	if (n == 0) return -1
	for (i = 1; i <= n; i++) v[i] = vals[key, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
	return (n % 2) ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2
}
/^Benchmark/ {
	name = $1
	sub(/-[0-9]+$/, "", name)
	# The log types are the end-to-end benchmark'"'"'s sub-benchmarks, in the
	# registry'"'"'s order.
	if (name ~ /^BenchmarkEndToEnd\//) {
		t = substr(name, length("BenchmarkEndToEnd/") + 1)
		if (!(t in known)) { known[t] = 1; types[++ntypes] = t }
	}
	for (i = 3; i < NF; i += 2) {
		key = name SUBSEP $(i+1)
		vals[key, ++cnt[key]] = $i
	}
}
END {
	fmt = "%-23s %10s %10s %10s %8s %10s %10s %8s %6s %10s %8s %10s\n"
	printf fmt, "", "JSON B/rec", "A ns/rec", "A B/rec", "A allocs", "B ns/rec", "B B/rec", "B allocs", "B/A", "C rec/s", "C req/1k", "C ns/rec"
	for (k = 1; k <= ntypes; k++) {
		t = types[k]
		a = "BenchmarkPage/" t "/A_json_map"; bb = "BenchmarkPage/" t "/B_receiver"; c = "BenchmarkEndToEnd/" t
		an = median(a SUBSEP "ns/record"); bn = median(bb SUBSEP "ns/record")
		printf "%-23s %10.0f %10.0f %10.0f %8.1f %10.0f %10.0f %8.1f %6.2f %10.0f %8.3f %10.0f\n", t,
			median(bb SUBSEP "page-B/record"),
			an, median(a SUBSEP "B/record"), median(a SUBSEP "allocs/record"),
			bn, median(bb SUBSEP "B/record"), median(bb SUBSEP "allocs/record"),
			(an > 0 ? bn / an : 0),
			median(c SUBSEP "records/s"), median(c SUBSEP "requests/1000records"), median(c SUBSEP "ns/record")
	}
	printf "\nof B, the client page decoding alone (decodePage) in ns/record:"
	for (k = 1; k <= ntypes; k++) printf " %s %.0f", types[k], median("BenchmarkPage/" types[k] "/decodePage_only" SUBSEP "ns/record")
	printf "\n"
}' "$OUT"
	echo '```'
} | emit

emit <<'EOF'

Where C's time goes is not measured by this run; profile it with

```sh
go test ./receiver/wizreceiver/ -run '^$' -bench 'BenchmarkEndToEnd/vulnerability_findings' -cpu 1 -cpuprofile _build/c.prof
```

In past profiles the largest share was `encoding/json` inside
go-graphql-client's `ExecRaw` (it decodes the whole response envelope and
copies `data` before handing it over), then the mapping (partly allocating
pdata values), then HTTP, the garbage collector and the replay server, which
shares the core. These benchmarks use Go's default `encoding/json`; the
collector below is built with `GOEXPERIMENT=jsonv2` (see the Makefile),
which makes that decode much cheaper, so there the mapping and the garbage
collector lead, and in the OTLP shapes the exporter's compression.

## Backfills through the built collector

`internal/scripts/backfill.sh` runs the built collector over a backlog of
vulnerability findings held by the mock Wiz (500-node pages, findings only)
and reads the collector's own CPU time and peak RSS (VmHWM) once every record
has reached the end of the pipeline. The mock, and the OTLP sink where there
is one, run beside the collector on the same machine and do their own work,
so at a high `requests_per_second` the records/s are the machine's pace; the
collector's CPU per 1,000 records is its own cost. Beside it, `from Wiz` is
the bytes per record of the mock's `/graphql` answers: the collector's costs
grow with it, so runs on heavier data compare by it. In parentheses after
the peak RSS is the part of it that is the executable's own pages, resident
at the end: the code and tables the collector touches, mapped from its file,
fixed by the components the distribution carries rather than by the data
(see [design/memory.md](design/memory.md)). For the OTLP shapes, `sent` is the
bytes per record the sink received, as sent and as OTLP protobuf. The
receiver holds one page per stream in flight and, outside the overlaps, no
per-record state, so peak RSS should not grow with the backlog.

### The whole pipeline

The two crash-safe shapes of [delivery.md](delivery.md#crash-safe-pipeline-shapes),
exporting with `otlp_http` to an OTLP sink on loopback
(`internal/cmd/otlpsink`, which counts the records and bytes it receives):
`otlp` is [`examples/otlp.yaml`](../examples/otlp.yaml) itself (gzip, no
sending queue), `otlp-zstd` the same with `compression: zstd`, `otlp-whole`
the same with `max_batch_bytes` at 16 MiB (the default `max_response_size`),
so that each page goes out whole
in one export request as before batches
([delivery.md](delivery.md#pages-are-handed-over-in-batches)), and
`otlp-queue` the persistent `sending_queue` of
`testdata/bench/otlp-queue.yaml`. `rest` is the `otlp` shape with nothing to
read: the collector started, checked the connection and polled once. Its
peak RSS is the floor under every other line's: the executable's pages, the
collector's baseline heap and the runtime's own memory, before any record
([design/memory.md](design/memory.md)). The targets for the default
shape are at most 80 ms of collector CPU per 1,000 findings and a peak RSS of
at most 60 MB, flat from 50,000 to 200,000 findings.

```text
EOF
for run in "rest 0" "otlp 50000" "otlp 200000" "otlp-whole 200000" "otlp-queue 50000" "otlp-queue 200000" "otlp-zstd 200000"; do
	# shellcheck disable=SC2086 # two arguments on purpose
	./internal/scripts/backfill.sh "$otelcol" "$mockwiz" "$otlpsink" $run 1000 | emit
done
emit <<'EOF'
```

### The receiver's own part

The `debug` shape (`testdata/bench/backfill.yaml`) hands every page to the
debug exporter, which prints almost nothing: what is left is the receiver's
own cost (HTTP client, decoding, mapping, de-duplication, checkpoints). The
target is at most 40 µs of collector CPU per record, that is 40 ms per 1,000.
At `requests_per_second: 3` the limiter's ceiling is 500 records per
request × 3 / 1.05, about 1,430 records/s (requests are spaced
(1 s + 50 ms) / `requests_per_second` apart): compare the last line's
records/s with it.

```text
EOF
for run in "50000 1000" "200000 1000" "20000 3"; do
	# shellcheck disable=SC2086 # two arguments on purpose
	./internal/scripts/backfill.sh "$otelcol" "$mockwiz" "$otlpsink" debug $run | emit
done
emit <<'EOF'
```

## The webhook under load

`internal/cmd/webhookload` runs the built collector with only the webhook
(`testdata/bench/webhook.yaml`: bearer token, no queue, no batch processor)
and pushes realistic Wiz Defend detections of about 5 KB, each with an id of
its own, over loopback: 15 s of warm-up (the collector's heap grows to its
size under the load), then 1,000 requests per second for 60 s, then a flood
at ten times that rate for 10 s. It is an open loop: each
request leaves at its time whatever the earlier ones got, so a slow answer
does not slow the load down. The collector exports each request's records to
an OTLP/HTTP backend inside the generator, which checks that every payload
answered 200 arrived exactly once and none answered otherwise arrived at all.
Latency is from sending a request to its answer; the collector's CPU time and
resident set come from `/proc`. The generator and its backend share the
machine's cores with the collector, so under the flood the achieved rate is
what they could send, and the collector's latency includes waiting for them.
The targets: 0 lost at 1,000/s, p99 at most 50 ms, RSS flat (the last 10 s
within 10 MB of the first 10 s, room for the garbage collector's swings),
and under the flood only 503s (past `max_concurrent_requests`, 64) and no
crash. A 503 at the steady rate is not a loss: Wiz is told to retry.

```text
EOF
$GO build -o _build/webhookload ./internal/cmd/webhookload
_build/webhookload -otelcol "$otelcol" | emit
emit <<EOF
\`\`\`

Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).
EOF

mkdir -p "$(dirname "$DOC")"
chmod 644 "$doc"
mv "$doc" "$DOC"
trap - EXIT
echo
echo "wrote $DOC"

#!/usr/bin/env bash
# backfill.sh: runs the built collector in one pipeline shape over a backlog
# of N vulnerability findings held by the mock Wiz, and prints one line:
# the shape, records, seconds, records/s, the collector's own CPU time per
# 1,000 records beside the bytes per record Wiz sent (the /graphql answers'
# bodies, which the mock counts: runs on heavier data compare by it), its
# peak RSS (VmHWM) with the part of it that is the executable's own pages
# (resident at the end), and for the OTLP shapes the bytes per record the
# backend received (as sent, and as OTLP protobuf).
#
#   debug       testdata/bench/backfill.yaml: the receiver and the debug
#               exporter, which prints almost nothing: the receiver's own part
#   otlp        examples/otlp.yaml itself: otlp_http with gzip, no sending
#               queue (the default crash-safe shape)
#   otlp-zstd   the same with compression: zstd
#   otlp-whole  the same with max_batch_bytes at 16 MiB (the default
#               max_response_size): each page handed over whole, in one
#               export request
#   otlp-queue  testdata/bench/otlp-queue.yaml: the persistent sending_queue
#   rest        the otlp shape with nothing to read (N is 0): the collector
#               started, checked the connection and polled once; its peak
#               RSS is the floor under every other shape's
#
# The OTLP shapes export to internal/cmd/otlpsink on loopback, and the run
# ends when the sink has every record; the debug shape ends when the
# receiver's otelcol_wiz_records_emitted says so. The mock and the sink run
# beside the collector, so at high RPS records/s is the machine's pace; the
# collector's CPU per record is its own cost.
#
# Usage: backfill.sh OTELCOL MOCKWIZ OTLPSINK SHAPE N RPS
set -euo pipefail
otelcol=$1 mockwiz=$2 otlpsink=$3 shape=$4 n=$5 rps=$6
port=${WIZ_MOCK_PORT:-8911} metrics_port=${METRICS_PORT:-8912} sink_port=${SINK_PORT:-8913} health_port=${HEALTH_PORT:-8914}
dir=$(mktemp -d -t otelcol-wiz-backfill.XXXXXX)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

# waitFor waits up to 60 s for a helper process to log that it listens.
waitFor() {
  local pid=$1 log=$2
  for _ in $(seq 300); do
    grep -qs listening "$log" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "$(basename "$log" .log) exited:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.2
  done
  echo "$(basename "$log" .log) did not start in 60 s" >&2
  exit 1
}

"$mockwiz" -addr 127.0.0.1:$port -audit 0 -issues 0 -findings "$n" -configuration-findings 0 -detections 0 -lookback 24h \
  -client-id bench -client-secret bench-secret >"$dir/mock.log" 2>&1 &
pids+=($!)
waitFor $! "$dir/mock.log"

export WIZ_ENDPOINT=http://127.0.0.1:$port/graphql WIZ_TOKEN_URL=http://127.0.0.1:$port/oauth/token
export WIZ_CLIENT_ID=bench WIZ_CLIENT_SECRET=bench-secret WIZ_RPS=$rps METRICS_PORT=$metrics_port
export WIZ_STATE_DIR=$dir/state OTLP_ENDPOINT=http://127.0.0.1:$sink_port

# The receiver's pace and data for every OTLP shape: one pass over the
# findings, none of the other log types.
receiver_flags=(
  --set=receivers.wiz.requests_per_second="$rps" --set=receivers.wiz.initial_lookback=25h
  --set=receivers.wiz.poll_interval=1h --set=receivers.wiz.audit.enabled=false
  --set=receivers.wiz.issues.enabled=false
)
case $shape in
  debug) args=(--config testdata/bench/backfill.yaml) ;;
  otlp) args=(--config examples/otlp.yaml "${receiver_flags[@]}"
    --set=extensions.healthcheckv2.http.endpoint=127.0.0.1:$health_port) ;;
  # One window (initial_lookback is under max_window), so the first poll is
  # one request after the connection check.
  rest) args=(--config examples/otlp.yaml "${receiver_flags[@]}" --set=receivers.wiz.max_window=48h
    --set=extensions.healthcheckv2.http.endpoint=127.0.0.1:$health_port) ;;
  otlp-zstd) args=(--config examples/otlp.yaml "${receiver_flags[@]}"
    --set=extensions.healthcheckv2.http.endpoint=127.0.0.1:$health_port --set=exporters.otlp_http.compression=zstd) ;;
  otlp-whole) args=(--config examples/otlp.yaml "${receiver_flags[@]}"
    --set=extensions.healthcheckv2.http.endpoint=127.0.0.1:$health_port --set=receivers.wiz.max_batch_bytes=16777216) ;;
  otlp-queue) args=(--config testdata/bench/otlp-queue.yaml "${receiver_flags[@]}") ;;
  *) echo "unknown shape $shape" >&2; exit 2 ;;
esac

if [ "$shape" != debug ]; then
  "$otlpsink" -addr 127.0.0.1:$sink_port >"$dir/sink.log" 2>&1 &
  pids+=($!)
  waitFor $! "$dir/sink.log"
fi

start=$(date +%s.%N)
"$otelcol" "${args[@]}" >"$dir/otelcol.log" 2>&1 &
pid=$!
pids+=($pid)

# count prints its input if it is a number, else 0: a count that cannot be
# read yet.
count() {
  local n
  n=$(cat)
  [[ $n =~ ^[0-9]+$ ]] && echo "$n" || echo 0
}
# delivered prints how many records have reached the end of the pipeline.
delivered() {
  if [ "$shape" = debug ]; then
    curl -s "http://127.0.0.1:$metrics_port/metrics" |
      awk '/^otelcol_wiz_records_emitted/ {sum += $NF} END {printf "%d", sum}' | count
  else
    curl -s "http://127.0.0.1:$sink_port/stats" | sed -E 's/.*"records":([0-9]+).*/\1/' | count
  fi
}
# graphqlRequests prints how many /graphql requests the mock answered.
graphqlRequests() {
  curl -s "http://127.0.0.1:$port/stats" | sed -E 's/.*"graphql_requests":([0-9]+).*/\1/' | count
}
deadline=$((SECONDS + 600))
if [ "$shape" = rest ]; then
  # The connection check and the first poll's one page, then a moment for
  # the receiver to take that empty page and save its checkpoint (which
  # allocates next to nothing).
  while [ "$(graphqlRequests)" -lt 2 ]; do
    kill -0 "$pid" 2>/dev/null || { echo "collector exited; log:" >&2; cat "$dir/otelcol.log" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "no poll in 600 s; log:" >&2; tail -20 "$dir/otelcol.log" >&2; exit 1; }
    sleep 0.2
  done
  sleep 1
fi
while [ "$(delivered)" -lt "$n" ]; do
  kill -0 "$pid" 2>/dev/null || { echo "collector exited; log:" >&2; cat "$dir/otelcol.log" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "only $(delivered) of $n records in 600 s; log:" >&2; tail -20 "$dir/otelcol.log" >&2; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
# The executable's own pages, mapped from the page cache as the collector
# touches its code and tables: part of every RSS figure, shared and
# evictable, and fixed by what the distribution carries, not by the data.
# They are the resident part of the mappings of the binary's file (RssFile
# would also count other mapped files, such as file_storage's databases).
exe=$(awk -v bin="$(readlink -f "$otelcol")" '
  /^[0-9a-f]+-[0-9a-f]+ / { mapped = ($6 == bin) }
  /^Rss:/ && mapped { kb += $2 }
  END { print kb + 0 }' /proc/$pid/smaps)
# utime + stime, in clock ticks (fields 14 and 15; the command name before
# them has no spaces here).
ticks=$(awk '{print $14 + $15}' /proc/$pid/stat)
# What Wiz sent: the /graphql answers' bodies, as the mock counts them.
answered=$(curl -s "http://127.0.0.1:$port/stats" | sed -E 's/.*"graphql_response_bytes":([0-9]+).*/\1/')
wire=0 bytes=0
if [ "$shape" != debug ]; then
  stats=$(curl -s "http://127.0.0.1:$sink_port/stats")
  wire=$(sed -E 's/.*"wire_bytes":([0-9]+).*/\1/' <<<"$stats")
  bytes=$(sed -E 's/.*"bytes":([0-9]+).*/\1/' <<<"$stats")
fi
if [ "$shape" = rest ]; then
  awk -v shape="$shape" -v hwm="$hwm" -v exe="$exe" 'BEGIN {
    printf "%-10s %6d findings  %67s  peak RSS %5.1f MB (executable %4.1f)  -\n", shape, 0, "", hwm / 1024, exe / 1024
  }'
  exit 0
fi
awk -v shape="$shape" -v n="$n" -v s="$start" -v e="$end" -v rps="$rps" -v hwm="$hwm" -v exe="$exe" -v ticks="$ticks" \
  -v hz="$(getconf CLK_TCK)" -v answered="$answered" -v wire="$wire" -v bytes="$bytes" 'BEGIN {
  secs = e - s
  sent = (wire > 0) ? sprintf("sent %4.0f B/rec, %4.0f as OTLP", wire / n, bytes / n) : "-"
  printf "%-10s %6d findings  rps %-4s %5.1f s  %5.0f rec/s  CPU %5.1f ms/1k  from Wiz %4.0f B/rec  peak RSS %5.1f MB (executable %4.1f)  %s\n",
    shape, n, rps, secs, n / secs, ticks / hz / n * 1e6, answered / n, hwm / 1024, exe / 1024, sent
}'

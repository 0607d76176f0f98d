#!/usr/bin/env bash
# backfill.sh: runs the built collector over a backlog of N vulnerability
# findings held by the mock Wiz and prints records, seconds, records/s, the
# collector's own CPU time per record (the mock runs beside it, so records/s
# at high rates is the mock's pace; CPU per record is the collector's cost)
# and its peak RSS (VmHWM), then the rate limiter's ceiling for RPS with the
# 500-node pages of testdata/bench/backfill.yaml (requests are spaced
# 1.05 s / RPS apart). internal/scripts/bench.sh (`make bench`) runs it and
# writes its lines to docs/performance.md. Usage: backfill.sh OTELCOL MOCKWIZ N RPS
set -euo pipefail
otelcol=$1 mockwiz=$2 n=$3 rps=$4
port=${WIZ_MOCK_PORT:-8911} metrics_port=${METRICS_PORT:-8912}
dir=$(mktemp -d -t otelcol-wiz-backfill.XXXXXX)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

"$mockwiz" -addr 127.0.0.1:$port -audit 0 -issues 0 -findings "$n" -configuration-findings 0 -detections 0 -lookback 24h \
  -client-id bench -client-secret bench-secret >"$dir/mock.log" 2>&1 &
pids+=($!)
until grep -q listening "$dir/mock.log"; do sleep 0.5; done

export WIZ_ENDPOINT=http://127.0.0.1:$port/graphql WIZ_TOKEN_URL=http://127.0.0.1:$port/oauth/token
export WIZ_CLIENT_ID=bench WIZ_CLIENT_SECRET=bench-secret WIZ_RPS=$rps METRICS_PORT=$metrics_port
start=$(date +%s.%N)
"$otelcol" --config testdata/bench/backfill.yaml >"$dir/otelcol.log" 2>&1 &
pid=$!
pids+=($pid)

emitted() {
  curl -s "http://127.0.0.1:$metrics_port/metrics" |
    awk '/^otelcol_wiz_records_emitted/ {sum += $NF} END {printf "%d", sum}'
}
while [ "$(emitted)" -lt "$n" ]; do
  kill -0 "$pid" 2>/dev/null || { echo "collector exited; log:" >&2; cat "$dir/otelcol.log" >&2; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
# utime + stime, in clock ticks (fields 14 and 15; the command name before
# them has no spaces here).
ticks=$(awk '{print $14 + $15}' /proc/$pid/stat)
awk -v n="$n" -v s="$start" -v e="$end" -v rps="$rps" -v hwm="$hwm" -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {
  secs = e - s
  printf "%8d findings  rps %-4s %7.1f s  %8.0f records/s  collector CPU %6.1f µs/record  peak RSS %6.1f MB  limiter ceiling %8.0f records/s\n",
    n, rps, secs, n / secs, ticks / hz / n * 1e6, hwm / 1024, 500 * rps / 1.05
}'

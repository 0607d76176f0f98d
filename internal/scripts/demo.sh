#!/usr/bin/env bash
# Runs the built collector against the mock Wiz for a while and shows the
# Wiz records arriving, per log type. Usage: demo.sh OTELCOL MOCKWIZ SECONDS
set -euo pipefail
otelcol=$1 mockwiz=$2 seconds=${3:-25}
dir=$(mktemp -d -t otelcol-wiz-demo.XXXXXX)
addr=127.0.0.1:${WIZ_MOCK_PORT:-8899}

export WIZ_ENDPOINT=http://$addr/graphql
export WIZ_TOKEN_URL=http://$addr/oauth/token
export WIZ_CLIENT_ID=demo-client-id
export WIZ_CLIENT_SECRET=demo-client-secret
export WIZ_STATE_DIR=$dir/state
export WIZ_OUT_FILE=$dir/wiz-logs.jsonl

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

"$mockwiz" -addr "$addr" -client-id "$WIZ_CLIENT_ID" -client-secret "$WIZ_CLIENT_SECRET" \
  -live 2s >"$dir/mockwiz.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q endpoint "$dir/mockwiz.log" 2>/dev/null && break; sleep 0.1; done
echo "== mock Wiz:  $(grep -m1 endpoint "$dir/mockwiz.log")"
echo "== collector: $otelcol --config examples/demo.yaml  (logs in $dir/otelcol.log)"
"$otelcol" --config examples/demo.yaml >"$dir/otelcol.log" 2>&1 &
pids+=($!)

# counts prints the records written so far per log type, as the records
# name it (wiz.log_type), so every log type the receiver polls shows up.
counts() {
  grep -o '"wiz.log_type","value":{"stringValue":"[^"]*"' "$WIZ_OUT_FILE" 2>/dev/null |
    sed 's/.*"stringValue":"//; s/"$//' | sort | uniq -c | awk '{printf "%s=%s  ", $2, $1}'
}
total() { grep -o '"wiz.log_type"' "$WIZ_OUT_FILE" 2>/dev/null | wc -l; }
for ((t = 5; t <= seconds; t += 5)); do
  sleep 5
  printf '== after %2ss: %s\n' "$t" "$(counts)"
done

echo "== the receiver's start-up lines (from $dir/otelcol.log):"
grep 'Wiz stream enabled' "$dir/otelcol.log" | sed -E 's/.*("stream": "[^"]*").*("time_field": "[^"]*", "from": "[^"]*").*/   \1, \2/'
echo "== the debug exporter, batch by batch (last 5):"
grep -o '"log records": [0-9]*' "$dir/otelcol.log" | tail -n 5 | sed 's/^/   /'
echo "== one record as the file exporter wrote it (OTLP JSON, first 600 characters):"
head -c 600 "$WIZ_OUT_FILE"; echo
total=$(total)
if [ "$total" -eq 0 ]; then
  echo "!! no records arrived; see $dir/otelcol.log" >&2
  exit 1
fi
cat <<MSG
== $total records arrived; output kept in $dir
To read your own tenant instead of the mock, run:
  WIZ_ENDPOINT=https://api.<data-center>.app.wiz.io/graphql \\
  WIZ_TOKEN_URL=https://auth.app.wiz.io/oauth/token \\
  WIZ_CLIENT_ID=... WIZ_CLIENT_SECRET=... WIZ_STATE_DIR=./state WIZ_OUT_FILE=./wiz-logs.jsonl \\
  $otelcol --config examples/demo.yaml
MSG

#!/usr/bin/env bash
# Runs the built collector against the mock Wiz for a while and shows the
# Wiz records arriving, per log type: the five data sets it polls, and the
# issues, threats and detections the mock pushes to its webhook, as Wiz's
# webhook integration would. Everything listens on 127.0.0.1.
# Usage: demo.sh OTELCOL MOCKWIZ SECONDS
set -euo pipefail
otelcol=$1 mockwiz=$2 seconds=${3:-25}
dir=$(mktemp -d -t otelcol-wiz-demo.XXXXXX)
addr=127.0.0.1:${WIZ_MOCK_PORT:-8899}
pushes=3 # payloads of each kind the mock pushes

export WIZ_ENDPOINT=http://$addr/graphql
export WIZ_TOKEN_URL=http://$addr/oauth/token
export WIZ_CLIENT_ID=demo-client-id
export WIZ_CLIENT_SECRET=demo-client-secret
export WIZ_STATE_DIR=$dir/state
export WIZ_OUT_FILE=$dir/wiz-logs.jsonl
export WIZ_WEBHOOK_PORT=${WIZ_WEBHOOK_PORT:-8898}
export WIZ_WEBHOOK_TOKEN=demo-webhook-token
webhook=http://127.0.0.1:$WIZ_WEBHOOK_PORT/

# Every log type the demo shows: the five polled, then the three pushed.
polled=(Wiz.Audit Wiz.Issues Wiz.VulnerabilityFinding Wiz.CloudConfigurationFinding Wiz.DefendDetection)
pushed=(Wiz.IssuesWebhook Wiz.Threats Wiz.Detections)

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

# The mock serves the API and, once the collector's webhook answers, pushes
# $pushes payloads of each kind to it, one of each every 2 seconds.
"$mockwiz" -addr "$addr" -client-id "$WIZ_CLIENT_ID" -client-secret "$WIZ_CLIENT_SECRET" \
  -live 2s -webhook-url "$webhook" -webhook-token "$WIZ_WEBHOOK_TOKEN" -webhook-pushes "$pushes" \
  >"$dir/mockwiz.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q endpoint "$dir/mockwiz.log" 2>/dev/null && break; sleep 0.1; done
echo "== mock Wiz:  $(grep -m1 endpoint "$dir/mockwiz.log")"
echo "== its pushes: $pushes issues, threats and detections to the webhook $webhook"
echo "== collector: $otelcol --config examples/demo.yaml  (logs in $dir/otelcol.log)"
"$otelcol" --config examples/demo.yaml >"$dir/otelcol.log" 2>&1 &
pids+=($!)

# count prints how many records of a log type (wiz.log_type) were written.
count() {
  grep -o "\"wiz.log_type\",\"value\":{\"stringValue\":\"$1\"" "$WIZ_OUT_FILE" 2>/dev/null | wc -l | tr -d ' '
}
counts() {
  local typ
  for typ in "${polled[@]}" "${pushed[@]}"; do printf '%s=%s  ' "${typ#Wiz.}" "$(count "$typ")"; done
}
for ((t = 5; t <= seconds; t += 5)); do
  sleep 5
  printf '== after %2ss: %s\n' "$t" "$(counts)"
done

echo "== the receiver's start-up lines (from $dir/otelcol.log):"
grep 'Wiz stream enabled' "$dir/otelcol.log" | sed -E 's/.*("stream": "[^"]*").*("time_field": "[^"]*", "from": "[^"]*").*/   \1, \2/'
echo "== the mock's pushes (from $dir/mockwiz.log):"
grep -E 'pushed to|stopped' "$dir/mockwiz.log" | sed -E 's/^[0-9\/: ]+/   /' || echo "   (not done yet)"
echo "== the debug exporter, batch by batch (last 5):"
grep -o '"log records": [0-9]*' "$dir/otelcol.log" | tail -n 5 | sed 's/^/   /'
echo "== one record as the file exporter wrote it (OTLP JSON, first 600 characters):"
head -c 600 "$WIZ_OUT_FILE"; echo
echo "== records per log type:"
missing=()
for typ in "${polled[@]}" "${pushed[@]}"; do
  how=polled
  [[ " ${pushed[*]} " == *" $typ "* ]] && how=pushed
  n=$(count "$typ")
  printf '   %-30s %-7s %5s\n' "$typ" "$how" "$n"
  [ "$n" -gt 0 ] || missing+=("$typ")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "!! no records of ${missing[*]} arrived; see $dir/otelcol.log and $dir/mockwiz.log" >&2
  exit 1
fi
cat <<MSG
== every log type arrived; output kept in $dir
To read your own tenant instead of the mock, run:
  WIZ_ENDPOINT=https://api.<data-center>.app.wiz.io/graphql \\
  WIZ_TOKEN_URL=https://auth.app.wiz.io/oauth/token \\
  WIZ_CLIENT_ID=... WIZ_CLIENT_SECRET=... WIZ_STATE_DIR=./state WIZ_OUT_FILE=./wiz-logs.jsonl \\
  WIZ_WEBHOOK_PORT=8443 WIZ_WEBHOOK_TOKEN=... \\
  $otelcol --config examples/demo.yaml
and point a Wiz webhook integration at the webhook (docs/webhook.md).
MSG

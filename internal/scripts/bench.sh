#!/usr/bin/env bash
# bench.sh: run the performance benchmarks and print one table.
#
#   A  encoding/json Unmarshal of a 500-node page into map[string]any
#   B  the receiver's page decoding and mapping of the same page into plog.Logs
#   C  end to end through the real receiver against a server replaying
#      pre-rendered pages, rate limiting off, discarding consumer, one core
#
# Every figure is the median of COUNT runs (default 3). The raw `go test`
# output is kept in OUT (default _build/bench.txt) for benchstat.
set -euo pipefail
cd "$(dirname "$0")/../.."

GO=${GO:-go}
COUNT=${COUNT:-3}
OUT=${OUT:-_build/bench.txt}
mkdir -p "$(dirname "$OUT")"

{
	$GO test ./internal/wiz/ -run '^$' -bench '^BenchmarkPage$' -benchmem -cpu 1 -count "$COUNT" -benchtime 1s
	$GO test ./receiver/wizreceiver/ -run '^$' -bench '^BenchmarkEndToEnd$' -benchmem -cpu 1 -count "$COUNT" -benchtime 1s
} | tee "$OUT" >/dev/null

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $($GO version | cut -d' ' -f3-)"
echo "benchmarks: -cpu 1, median of $COUNT runs, 500-node pages (raw output: $OUT)"
echo

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
	for (i = 3; i < NF; i += 2) {
		key = name SUBSEP $(i+1)
		vals[key, ++cnt[key]] = $i
	}
}
END {
	split("audit issues vulnerability_findings", types, " ")
	fmt = "%-23s %10s %10s %8s %10s %10s %8s %6s %10s %8s %10s\n"
	printf fmt, "", "A ns/rec", "A B/rec", "A allocs", "B ns/rec", "B B/rec", "B allocs", "B/A", "C rec/s", "C req/1k", "C ns/rec"
	for (k = 1; k <= 3; k++) {
		t = types[k]
		a = "BenchmarkPage/" t "/A_json_map"; bb = "BenchmarkPage/" t "/B_receiver"; c = "BenchmarkEndToEnd/" t
		an = median(a SUBSEP "ns/record"); bn = median(bb SUBSEP "ns/record")
		printf "%-23s %10.0f %10.0f %8.1f %10.0f %10.0f %8.1f %6.2f %10.0f %8.3f %10.0f\n", t,
			an, median(a SUBSEP "B/record"), median(a SUBSEP "allocs/record"),
			bn, median(bb SUBSEP "B/record"), median(bb SUBSEP "allocs/record"),
			(an > 0 ? bn / an : 0),
			median(c SUBSEP "records/s"), median(c SUBSEP "requests/1000records"), median(c SUBSEP "ns/record")
	}
	printf "\nof B, the client page decoding alone (decodePage, fixed here) in ns/record:"
	for (k = 1; k <= 3; k++) printf " %s %.0f", types[k], median("BenchmarkPage/" types[k] "/decodePage_only" SUBSEP "ns/record")
	printf "\nC req/1k counts every /graphql request per 1,000 records delivered, the connection check included;\n"
	printf "with 500-node pages the floor is 1000/500 = 2, plus one request per walk that ends on a short page.\n"
}' "$OUT"

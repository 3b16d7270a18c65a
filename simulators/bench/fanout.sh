#!/usr/bin/env bash
# The WebSocket fan-out benchmark of docs/benchmarks.md: yunguan against a plain Node.js `ws`
# broadcast server, same machine, same load generator, each server started fresh per run.
#
#   simulators/bench/fanout.sh                 # 10,000 clients, rates 5 10 20 50 /s, 3 runs each
#   CLIENTS=2000 RATES="10" RUNS=1 simulators/bench/fanout.sh
#
# Prints one JSON line per run and a table of medians; raw lines go to target/bench/. Memory:
# per idle connection, the burst's peak and the RSS 15 s after it, each against the RSS with
# every client connected.
set -euo pipefail
cd "$(dirname "$0")/../.."

CLIENTS="${CLIENTS:-10000}"
RATES="${RATES:-5 10 20 50}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10}"
PAYLOAD="${PAYLOAD:-100}"
YG_PORT=18080
WS_PORT=18090
export YUNGUAN_DEMO_PASSWORD="bench-password-1"

cargo build --release -q -p yunguan -p yunguan-simulators
(cd simulators/peers/ws-broadcast && npm ci --silent --no-audit --no-fund)
ulimit -n 20000

mkdir -p target/bench
out="target/bench/fanout-$(date +%Y%m%d-%H%M%S).jsonl"
work="$(mktemp -d)"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap 'stop_server; rm -rf "$work"' EXIT

wait_for() {
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server at $1 did not start" >&2
    return 1
}

for rate in $RATES; do
    for run in $(seq 1 "$RUNS"); do
        for target in yunguan ws-peer; do
            if [[ "$target" == yunguan ]]; then
                rm -rf "$work/data"
                RUST_LOG=warn target/release/yunguan demo --listen "127.0.0.1:$YG_PORT" \
                    --data-dir "$work/data" >"$work/server.log" 2>&1 &
                server_pid=$!
                wait_for "http://127.0.0.1:$YG_PORT/readyz"
                url="http://127.0.0.1:$YG_PORT"
            else
                node simulators/peers/ws-broadcast/server.js --port "$WS_PORT" >"$work/server.log" 2>&1 &
                server_pid=$!
                wait_for "http://127.0.0.1:$WS_PORT/stats"
                url="http://127.0.0.1:$WS_PORT"
            fi
            target/release/yunguan-loadgen --target "$target" --url "$url" --clients "$CLIENTS" \
                --rate "$rate" --seconds "$DURATION" --payload-bytes "$PAYLOAD" \
                --server-pid "$server_pid" | tail -n 1 | tee -a "$out"
            # A failed publish is explained by the answer (in the report) and by the server.
            if tail -n 1 "$out" | grep -q '"publish_failures":{"'; then
                echo "-- publishes failed; the server's last warnings and errors:" >&2
                grep -E 'WARN|ERROR|warn|error' "$work/server.log" | tail -n 20 >&2 || true
            fi
            stop_server
        done
    done
done

python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
groups = {}
for r in rows:
    groups.setdefault((r["rate"], r["target"]), []).append(r)
def med(rs, f):
    values = [f(r) for r in rs if f(r) is not None]
    return statistics.median(values) if values else float("nan")
def failures(rs):
    by_reason = {}
    for r in rs:
        for why, count in r["publish_failures"].items():
            by_reason[why] = by_reason.get(why, 0) + count
    total = sum(by_reason.values())
    return "0" if total == 0 else f"{total}: " + ", ".join(f"{why} ×{n}" for why, n in sorted(by_reason.items()))
print(f"\nmedians of {sys.argv[1]}")
print("| events/s | server | deliveries/s | delivered | p50 ms | p99 ms | max ms | RSS/conn KiB | burst peak × connected RSS | settled × connected RSS | server CPU cores | CPU µs/delivery | resyncs | failed publishes (all runs) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for (rate, target), rs in sorted(groups.items()):
    delivered = med(rs, lambda r: r["deliveries"] / r["expected_deliveries"] if r["expected_deliveries"] else 0)
    print(f"| {rate} | {target} | {med(rs, lambda r: r['deliveries_per_second']):,.0f} | {delivered:.1%} "
          f"| {med(rs, lambda r: r['latency_p50_ms']):.1f} | {med(rs, lambda r: r['latency_p99_ms']):.1f} "
          f"| {med(rs, lambda r: r['latency_max_ms']):.1f} | {med(rs, lambda r: r['server']['rss_per_connection_kib']):.1f} "
          f"| {med(rs, lambda r: r['server']['rss_peak_ratio']):.2f} | {med(rs, lambda r: r['server']['rss_settled_ratio']):.2f} "
          f"| {med(rs, lambda r: r['server']['cpu_cores_busy']):.2f} "
          f"| {med(rs, lambda r: r['server']['cpu_cores_busy'] / r['deliveries_per_second'] * 1e6 if r['deliveries_per_second'] else None):.2f} "
          f"| {med(rs, lambda r: r['resyncs']):.0f} | {failures(rs)} |")
PY

#!/usr/bin/env bash
# The ticket workflow benchmarks: approval push latency with 1,000 tickets in flight (target:
# p99 at most 25 ms), and tickets per second from submission through two approval levels to
# fulfilled, with the simulated cloud provider at zero delay (target: at least 500 per
# second). yunguan runs `demo` on PostgreSQL, on a fresh database and a fresh process for
# each benchmark of each run.
#
#   simulators/bench/tickets.sh                               # 3 runs on PostgreSQL
#   CONFIGS="postgres postgres+redis" simulators/bench/tickets.sh   # also with the Redis bus
#   RUNS=1 TICKETS=200 DURATION=5 BUILD=0 simulators/bench/tickets.sh
#
# Prints each report's summary and a table of medians; the raw JSON lines go to target/bench/.
# Needs PostgreSQL on $PG_HOST:$PG_PORT accepting $PG_USER without a password (and Redis at
# $REDIS_URL for postgres+redis).
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS="${RUNS:-3}"
CONFIGS="${CONFIGS:-postgres}"
TICKETS="${TICKETS:-1000}"
RATE="${RATE:-100}"
WORKERS="${WORKERS:-32}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-3}"
BUILD="${BUILD:-1}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
YG_PORT=18080
url="http://127.0.0.1:$YG_PORT"
export YUNGUAN_DEMO_PASSWORD="bench-password-1"
# The simulated cloud answers at once and never fails: what is measured is yunguan's own work.
export YUNGUAN_FULFILMENT__SIM_MIN_LATENCY_MS=0
export YUNGUAN_FULFILMENT__SIM_MAX_LATENCY_MS=0
export YUNGUAN_FULFILMENT__SIM_FAILURE_RATE=0
export RUST_LOG=warn

if [[ "$BUILD" == 1 ]]; then
    cargo build --release -q -p yunguan -p yunguan-simulators
fi

psql_admin() {
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

mkdir -p target/bench
out="target/bench/tickets-$(date +%Y%m%d-%H%M%S).jsonl"
work="$(mktemp -d)"
server_pid=""
database=""
redis_prefix=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
    if [[ -n "$database" ]]; then
        psql_admin -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
        database=""
    fi
    if [[ -n "$redis_prefix" ]]; then
        redis-cli -u "$REDIS_URL" --scan --pattern "$redis_prefix:*" |
            xargs -r redis-cli -u "$REDIS_URL" del >/dev/null || true
        redis_prefix=""
    fi
}
trap 'stop_server; rm -rf "$work"' EXIT

wait_for() {
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "yunguan exited while starting:" >&2
            tail -n 20 "$work/server.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "server at $1 did not start" >&2
    return 1
}

# Starts `yunguan demo` in configuration $1 on a database of its own.
start_server() {
    local config="$1"
    local flags=()
    database="yg_bench_tickets_$$_$(date +%s%N)"
    psql_admin -c "CREATE DATABASE $database"
    case "$config" in
        postgres) ;;
        postgres+redis)
            # Keys of their own, so that no run resumes another's counters or replay lists.
            redis_prefix="$database"
            flags=(--redis-url "$REDIS_URL")
            ;;
        *)
            echo "unknown configuration $config (postgres or postgres+redis)" >&2
            exit 1
            ;;
    esac
    YUNGUAN_REDIS__KEY_PREFIX="${redis_prefix:-yunguan}" target/release/yunguan demo \
        --database-url "postgres://$PG_USER@$PG_HOST:$PG_PORT/$database" \
        --listen "127.0.0.1:$YG_PORT" "${flags[@]}" >"$work/server.log" 2>&1 &
    server_pid=$!
    wait_for "$url/readyz"
}

# Runs one benchmark: shows its summary, appends its JSON line (the last line) to $out.
run_bench() {
    target/release/yunguan-ticketbench "$@" >"$work/report.txt"
    sed '$d' "$work/report.txt"
    tail -n 1 "$work/report.txt" | tee -a "$out"
}

for run in $(seq 1 "$RUNS"); do
    for config in $CONFIGS; do
        echo "== run $run/$RUNS, $config" >&2
        start_server "$config"
        run_bench latency --url "$url" --label "$config" --tickets "$TICKETS" --rate "$RATE"
        stop_server

        start_server "$config"
        run_bench throughput --url "$url" --label "$config" --workers "$WORKERS" \
            --seconds "$DURATION" --warmup-seconds "$WARMUP" --server-pid "$server_pid"
        stop_server
    done
done

python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def med(rs, f):
    values = [f(r) for r in rs if f(r) is not None]
    return statistics.median(values) if values else float("nan")
def groups(bench):
    found = {}
    for r in rows:
        if r["bench"] == bench:
            found.setdefault(r["label"], []).append(r)
    return sorted(found.items())

print(f"\nmedians of {sys.argv[1]}")
print("\nApproval push latency (ms after the approval's answer; before = pushes that beat the answer)")
print("| server | runs | requester p50 | requester p99 | requester max | next approver p50 | next approver p99 | next approver max | before | missing | approve round trip p50 | p99 ≤ 25 ms |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for label, rs in groups("latency"):
    req = lambda key: med(rs, lambda r: r["requester_push"]["after_answer"][key])
    app = lambda key: med(rs, lambda r: r["approver_push"]["after_answer"][key])
    worst_p99 = max(req("p99_ms"), app("p99_ms"))
    before = med(rs, lambda r: r["requester_push"]["before_answer"] + r["approver_push"]["before_answer"])
    missing = med(rs, lambda r: r["requester_push"]["missing"] + r["approver_push"]["missing"])
    print(f"| {label} | {len(rs)} | {req('p50_ms'):.2f} | {req('p99_ms'):.2f} | {req('max_ms'):.2f} "
          f"| {app('p50_ms'):.2f} | {app('p99_ms'):.2f} | {app('max_ms'):.2f} | {before:.0f} | {missing:.0f} "
          f"| {med(rs, lambda r: r['approve_round_trip']['p50_ms']):.2f} | {'yes' if worst_p99 <= 25 else 'no'} |")

print("\nThroughput (submission to fulfilled)")
print("| server | runs | tickets/s | p50 ms | p99 ms | server CPU cores | server CPU ms/ticket | errors | resyncs | ≥ 500/s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for label, rs in groups("throughput"):
    per_second = med(rs, lambda r: r["tickets_per_second"])
    cpu_ms = med(rs, lambda r: r["server_cpu_seconds_per_ticket"] * 1000 if r["server_cpu_seconds_per_ticket"] is not None else None)
    print(f"| {label} | {len(rs)} | {per_second:,.1f} | {med(rs, lambda r: r['submit_to_final']['p50_ms']):.1f} "
          f"| {med(rs, lambda r: r['submit_to_final']['p99_ms']):.1f} | {med(rs, lambda r: r['server_cpu_cores']):.2f} "
          f"| {cpu_ms:.2f} | {med(rs, lambda r: sum(r['errors'].values())):.0f} | {med(rs, lambda r: r['resyncs']):.0f} "
          f"| {'yes' if per_second >= 500 else 'no'} |")
PY

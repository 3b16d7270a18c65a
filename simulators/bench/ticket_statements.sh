#!/usr/bin/env bash
# SQL statements per ticket (target: at most 25), counted by PostgreSQL itself: a fresh
# database with `log_statement = 'all'`, `yunguan demo` on it with monitoring off and the
# simulated cloud at zero latency, the ticket benchmark's throughput run for a few seconds,
# then every statement and execute line of that database in the server's log, per fulfilled
# ticket, less the senders' idle polls (counted for as long again with no load), with a table
# of what they were (verb and table).
#
#   simulators/bench/ticket_statements.sh
#   SECONDS_UNDER_LOAD=20 WORKERS=8 BUILD=0 simulators/bench/ticket_statements.sh
#   PROFILE=debug simulators/bench/ticket_statements.sh     # counts do not depend on the build
#
# Needs PostgreSQL on $PG_HOST:$PG_PORT accepting $PG_USER without a password, logging to
# $PG_LOG (stderr to a file, as Debian's cluster does) and that file readable here.
set -euo pipefail
cd "$(dirname "$0")/../.."

WORKERS="${WORKERS:-4}"
SECONDS_UNDER_LOAD="${SECONDS_UNDER_LOAD:-10}"
BUILD="${BUILD:-1}"
PROFILE="${PROFILE:-release}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"
PG_LOG="${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}"
YG_PORT=18081
url="http://127.0.0.1:$YG_PORT"
export YUNGUAN_DEMO_PASSWORD="bench-password-1"
export YUNGUAN_FULFILMENT__SIM_MIN_LATENCY_MS=0
export YUNGUAN_FULFILMENT__SIM_MAX_LATENCY_MS=0
export YUNGUAN_FULFILMENT__SIM_FAILURE_RATE=0
# Monitoring's writes (samples, alarms, rollups) are not a ticket's.
export YUNGUAN_MONITORING__ENABLED=false
export RUST_LOG=warn

if [[ ! -r "$PG_LOG" ]]; then
    echo "cannot read PostgreSQL's log at $PG_LOG (set PG_LOG)" >&2
    exit 1
fi
if [[ "$BUILD" == 1 ]]; then
    cargo build --profile "$([[ "$PROFILE" == debug ]] && echo dev || echo "$PROFILE")" -q \
        -p yunguan -p yunguan-simulators
fi

psql_admin() {
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

work="$(mktemp -d)"
database="yg_bench_statements_$$"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    psql_admin -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
    rm -rf "$work"
}
trap cleanup EXIT

psql_admin -c "CREATE DATABASE $database"
psql_admin -c "ALTER DATABASE $database SET log_statement = 'all'"
target/$PROFILE/yunguan demo \
    --database-url "postgres://$PG_USER@$PG_HOST:$PG_PORT/$database" \
    --listen "127.0.0.1:$YG_PORT" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$url/readyz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
# Let the demo's start-up (seeding, the first cloud sync) finish before counting.
sleep 5

log_size() { stat -c %s "$PG_LOG"; }
idle_from=$(log_size)
sleep "$SECONDS_UNDER_LOAD"
idle_to=$(log_size)
target/$PROFILE/yunguan-ticketbench throughput --url "$url" --label statements \
    --workers "$WORKERS" --seconds "$SECONDS_UNDER_LOAD" --warmup-seconds 0 >"$work/report.txt"
# The last tickets' mails go out after the run; give the senders a moment.
sleep 2
load_to=$(log_size)
fulfilled=$(tail -n 1 "$work/report.txt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["completed_total"])')

python3 - "$database" "$fulfilled" "$PG_LOG" "$idle_from" "$idle_to" "$load_to" <<'PY'
import collections, re, sys
database, fulfilled, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
idle_from, idle_to, load_to = (int(offset) for offset in sys.argv[4:7])
line = re.compile(r"@" + re.escape(database) + r" LOG:  (?:statement|execute [^:]*): (.*)")
table = re.compile(r'\b(?:FROM|INTO|UPDATE|LOCK TABLE)\s+"?([a-z_]+)"?', re.I)
def statements(start, end):
    found = []
    with open(log_path, "rb") as log:
        log.seek(start)
        for text in log.read(end - start).decode(errors="replace").splitlines():
            match = line.search(text)
            if match:
                sql = match.group(1).strip()
                verb = sql.split()[0].upper() if sql else "?"
                named = table.search(sql)
                kind = verb if verb in ("BEGIN", "COMMIT", "ROLLBACK") else f"{verb} {named.group(1) if named else '-'}"
                found.append(kind)
    return found
idle, load = statements(idle_from, idle_to), statements(idle_to, load_to)
net = len(load) - len(idle)
print(f"fulfilled tickets: {fulfilled}")
print(f"statements under load: {len(load)}; idle for as long: {len(idle)}")
print(f"statements per ticket: {net / fulfilled:.1f}" if fulfilled else "no ticket fulfilled")
counts = collections.Counter(load)
counts.subtract(collections.Counter(idle))
print("\n| statement | per ticket |\n|---|---|")
for kind, count in sorted(counts.items(), key=lambda item: -item[1]):
    if fulfilled and count / fulfilled >= 0.05:
        print(f"| {kind} | {count / fulfilled:.2f} |")
PY

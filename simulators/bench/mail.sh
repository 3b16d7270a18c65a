#!/usr/bin/env bash
# The mail benchmark: 10,000 mails queued in the outbox drain to a real SMTP server with none
# lost and none sent twice. The server is aiosmtpd (simulators/bench/smtp_sink.py), which
# records every message it accepts; yunguan runs `serve` on a fresh PostgreSQL database whose
# outbox is filled with one INSERT before it starts.
#
#   simulators/bench/mail.sh                  # the relay is up from the start
#   SINK_LATE=10 simulators/bench/mail.sh     # the relay comes up 10 s after yunguan
#   MAILS=1000 BUILD=0 simulators/bench/mail.sh
#
# Prints sent/s, lost and duplicated, then one JSON line (also appended to
# target/bench/mail-*.jsonl); exits non-zero if a mail was lost or duplicated. The sender's
# settings can be varied through the environment (YUNGUAN_MAIL__BATCH_SIZE, ...).
# Needs PostgreSQL on $PG_HOST:$PG_PORT accepting $PG_USER without a password, and
# `apt-get install python3-aiosmtpd` for /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

MAILS="${MAILS:-10000}"
SINK_LATE="${SINK_LATE:-0}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-900}"
SINK_PORT="${SINK_PORT:-18025}"
BUILD="${BUILD:-1}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"
YG_PORT=18081
# Debian's interpreter, where the python3-aiosmtpd package is (pyenv's python3 would not see it).
SINK_PYTHON=/usr/bin/python3

[[ "$MAILS" =~ ^[1-9][0-9]*$ ]] || { echo "MAILS must be a positive integer" >&2; exit 1; }
[[ "$SINK_LATE" =~ ^[0-9]+$ ]] || { echo "SINK_LATE must be whole seconds" >&2; exit 1; }
if ! "$SINK_PYTHON" -c "import aiosmtpd" 2>/dev/null; then
    echo "the mail benchmark needs aiosmtpd for $SINK_PYTHON: apt-get install python3-aiosmtpd" >&2
    exit 1
fi
if [[ "$BUILD" == 1 ]]; then
    cargo build --release -q -p yunguan
fi

psql_on() {
    local db="$1"
    shift
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$db" -v ON_ERROR_STOP=1 -qtA "$@"
}

mkdir -p target/bench
out="target/bench/mail-$(date +%Y%m%d-%H%M%S).jsonl"
work="$(mktemp -d)"
spool="$work/received.jsonl"
database="yg_bench_mail_$$_$(date +%s%N)"
database_url="postgres://$PG_USER@$PG_HOST:$PG_PORT/$database"
server_pid=""
sink_pid=""
database_created=""
cleanup() {
    for pid in "$server_pid" "$sink_pid"; do
        if [[ -n "$pid" ]]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ -n "$database_created" ]]; then
        psql_on postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

start_sink() {
    "$SINK_PYTHON" simulators/bench/smtp_sink.py "$SINK_PORT" "$spool" 2>"$work/sink.log" &
    sink_pid=$!
    for _ in $(seq 1 150); do
        (echo >"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null && return 0
        if ! kill -0 "$sink_pid" 2>/dev/null; then
            echo "the SMTP sink exited:" >&2
            cat "$work/sink.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "the SMTP sink did not listen on port $SINK_PORT" >&2
    exit 1
}

if (echo >"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null; then
    echo "port $SINK_PORT is taken; set SINK_PORT" >&2
    exit 1
fi

psql_on postgres -c "CREATE DATABASE $database"
database_created=1
target/release/yunguan migrate --database-url "$database_url" >/dev/null
psql_on "$database" -c "
    INSERT INTO mail_outbox (recipient, subject, body, template, ticket_id, attempts,
                             next_attempt_at, sent_at, last_error, created_at)
    SELECT 'bench-' || n || '@example.test', 'Benchmark mail ' || n,
           'Mail ' || n || ' of the outbox benchmark.', 'new_approval', NULL, 0,
           now(), NULL, NULL, now()
    FROM generate_series(1, $MAILS) AS n"

if [[ "$SINK_LATE" == 0 ]]; then
    start_sink
fi
started_at="$(date +%s.%N)"
sink_due=$((SECONDS + SINK_LATE))
YUNGUAN_MAIL__TRANSPORT=smtp YUNGUAN_MAIL__SMTP_HOST=127.0.0.1 YUNGUAN_MAIL__SMTP_PORT="$SINK_PORT" \
    RUST_LOG=warn target/release/yunguan serve --database-url "$database_url" \
    --listen "127.0.0.1:$YG_PORT" >"$work/server.log" 2>&1 &
server_pid=$!

deadline=$((SECONDS + DRAIN_TIMEOUT))
while :; do
    if [[ -z "$sink_pid" ]] && ((SECONDS >= sink_due)); then
        start_sink
    fi
    unsent="$(psql_on "$database" -c "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL")"
    [[ "$unsent" == 0 ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "yunguan exited with $unsent mails unsent:" >&2
        tail -n 20 "$work/server.log" >&2
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        echo "$unsent mails still unsent after ${DRAIN_TIMEOUT} s" >&2
        break
    fi
    sleep 0.2
done
drained_at="$(date +%s.%N)"

# yunguan first, so that nothing is still being sent when the spool is read.
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
failed_attempts="$(psql_on "$database" -c "SELECT coalesce(sum(attempts), 0) FROM mail_outbox")"

python3 - "$spool" "$out" "$MAILS" "$SINK_LATE" "$started_at" "$drained_at" "$unsent" "$failed_attempts" <<'PY'
import json, sys
spool, out = sys.argv[1], sys.argv[2]
mails, sink_late = int(sys.argv[3]), int(sys.argv[4])
started_at, drained_at = float(sys.argv[5]), float(sys.argv[6])
unsent, failed_attempts = int(sys.argv[7]), int(sys.argv[8])
try:
    records = [json.loads(line) for line in open(spool) if line.strip()]
except FileNotFoundError:
    records = []
distinct = len({r["message_id"] for r in records})
seconds = drained_at - started_at
report = {
    "bench": "mail",
    "mails": mails,
    "sink_late_seconds": sink_late,
    "drain_seconds": round(seconds, 3),
    "sent_per_second": round(mails / seconds, 1) if unsent == 0 else None,
    "unsent": unsent,
    "received": len(records),
    "distinct": distinct,
    "lost": mails - distinct,
    "duplicated": len(records) - distinct,
    "failed_attempts": failed_attempts,
}
print(f"mail: {mails} queued, relay up after {sink_late} s: outbox drained in {seconds:.1f} s "
      f"({report['sent_per_second']} sent/s, {unsent} unsent, {failed_attempts} failed attempts); "
      f"received {len(records)}, distinct Message-IDs {distinct}: lost {report['lost']}, "
      f"duplicated {report['duplicated']}")
line = json.dumps(report)
print(line)
with open(out, "a") as jsonl:
    jsonl.write(line + "\n")
sys.exit(0 if report["lost"] == 0 and report["duplicated"] == 0 else 1)
PY

#!/usr/bin/env bash
# The monitoring benchmarks of docs/benchmarks.md, each against processes of its own on
# PostgreSQL:
#   ceiling     the fleet alone under `monbench blast`: the varbinds it answers per CPU-second
#   polling     yunguan polling $DEVICES fleet devices every $INTERVAL s, vendor MIBs and LLDP
#               in the poll (the fleet cabled): varbinds/s sustained, missed cycles, yunguan's
#               CPU, and RSS per device actor (against the same server with monitoring off)
#   latency     a link down in the fleet to `device.state` on a socket: with traps, then by
#               polls alone (interval $LATENCY_INTERVAL s)
#   snmpd       yunguan polling net-snmp's snmpd ($SNMPD_DEVICES devices, all that one agent)
#   live_add    $LIVE_DEVICES devices imported into a node polling $DEVICES: how long until it
#               monitors them and until each has been polled, and the others' missed cycles
#   discovery   $DISCOVERY_DEVICES cabled fleet devices imported into a running node (no links
#               in the CMDB): how long until LLDP has proposed every cable as a link
#   restart     $RESTART_ALARMS devices unreachable (one open alarm each), $RESTART_ACKED of
#               them acknowledged; the node restarts: the alarms and acknowledgements it has,
#               how long until it is ready and until every device's first poll confirmed its alarm
#   vm_poll     a simulated OpenStack region of $VM_SERVERS servers (20-150 ms a request) synced
#               and its VMs polled every $INTERVAL s: each poll's duration, yunguan's CPU, the
#               minutes stored
#
#   simulators/bench/monitoring.sh                     # everything, 20,000 devices
#   BENCHES="latency" BUILD=0 simulators/bench/monitoring.sh
#
# JSON lines go to target/bench/monitoring-*.jsonl; the summary is printed.
set -euo pipefail
cd "$(dirname "$0")/../.."

BENCHES="${BENCHES:-ceiling polling latency snmpd live_add discovery restart vm_poll}"
DEVICES="${DEVICES:-20000}"
INTERVAL="${INTERVAL:-60}"
MEASURE_SECS="${MEASURE_SECS:-180}"
LATENCY_DEVICES="${LATENCY_DEVICES:-2000}"
LATENCY_INTERVAL="${LATENCY_INTERVAL:-10}"
SNMPD_DEVICES="${SNMPD_DEVICES:-200}"
LIVE_DEVICES="${LIVE_DEVICES:-1000}"
DISCOVERY_DEVICES="${DISCOVERY_DEVICES:-2000}"
RESTART_ALARMS="${RESTART_ALARMS:-5000}"
RESTART_ACKED="${RESTART_ACKED:-1000}"
VM_SERVERS="${VM_SERVERS:-1000}"
VM_POLLS="${VM_POLLS:-3}"
BUILD="${BUILD:-1}"
PG="${PG:-postgres://postgres@127.0.0.1:5432}"
YG_PORT=18081
FLEET=127.0.0.1:16100
TRAPS=127.0.0.1:16162
url="http://127.0.0.1:$YG_PORT"
password="bench-password-1"
export RUST_LOG=warn

if [[ "$BUILD" == 1 ]]; then
    cargo build --release -q -p yunguan -p yunguan-simulators
fi
bin=target/release
mkdir -p target/bench
out="target/bench/monitoring-$(date +%Y%m%d-%H%M%S).jsonl"
work="$(mktemp -d)"
pids=()
database=""
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    pids=()
    if [[ -n "$database" ]]; then
        psql "$PG/postgres" -qtAc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null || true
        database=""
    fi
}
trap 'cleanup; rm -rf "$work"' EXIT

record() { echo "$1" | tee -a "$out"; }

# A fresh database with an admin, and yunguan's settings for it.
fresh_database() {
    database="yg_bench_mon_$$_$(date +%s%N)"
    psql "$PG/postgres" -qtAc "CREATE DATABASE $database" >/dev/null
    export YUNGUAN_DATABASE__URL="$PG/$database"
    export YUNGUAN_SERVER__DATA_DIR="$work/data"
    export YUNGUAN_MONITORING__TRAP_LISTEN="$TRAPS"
    export YUNGUAN_DATABASE__MAX_CONNECTIONS=8
    "$bin/yunguan" migrate >/dev/null
    echo "$password" | "$bin/yunguan" user add admin --role bureau_admin >/dev/null
}

start_yunguan() {
    "$bin/yunguan" serve --listen "127.0.0.1:$YG_PORT" >"$work/yunguan.log" 2>&1 &
    yunguan_pid=$!
    pids+=("$yunguan_pid")
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null "$url/readyz" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "yunguan did not start" >&2; tail -n 20 "$work/yunguan.log" >&2; exit 1
}

stop_yunguan() {
    kill "$yunguan_pid"; wait "$yunguan_pid" 2>/dev/null || true
}

token() {
    curl -fsS "$url/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"username\":\"admin\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# Imports $1 fleet devices (in parts of 9,000: an import holds at most 10,000 rows) polled every $2 s, at fleet address $3, from device $4 on (0).
import_devices() {
    local n="$1" interval="$2" fleet="$3" offset="${4:-0}" bearer
    bearer="$(token)"
    while (( offset < n )); do
        "$bin/yunguan-monbench" inventory --fleet "$fleet" --devices "$n" --offset "$offset" \
            --count 9000 --poll-interval-secs "$interval" >"$work/import.json"
        curl -fsS "$url/api/v1/inventory/import" -H "authorization: Bearer $bearer" \
            -H 'content-type: application/json' --data-binary "@$work/import.json" >/dev/null
        offset=$((offset + 9000))
    done
}

metric() { curl -fsS "$url/metrics" | awk -v name="yunguan_$1" '$1 == name { print $2 }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

bench_ceiling() {
    "$bin/yunguan-monbench" fleet --devices "$DEVICES" --bind "$FLEET" --report-secs 10 >"$work/fleet.log" &
    pids+=($!)
    sleep 2
    "$bin/yunguan-monbench" blast --target "$FLEET" --devices "$DEVICES" --clients 64 --seconds 30 >"$work/blast.log"
    sleep 1
    record "{\"bench\":\"ceiling\",\"blast\":$(cat "$work/blast.log"),\"fleet\":$(sed -n 2p "$work/fleet.log")}"
    cleanup
}

bench_polling() {
    fresh_database
    "$bin/yunguan-monbench" fleet --devices "$DEVICES" --bind "$FLEET" --report-secs 60 --lldp >"$work/fleet.log" &
    pids+=($!)
    YUNGUAN_MONITORING__ENABLED=false start_yunguan
    import_devices "$DEVICES" "$INTERVAL" "$FLEET"
    sleep 20
    local rss_off; rss_off="$(rss_kib "$yunguan_pid")"
    stop_yunguan
    start_yunguan
    # Two intervals to spread the first polls and settle, then the measured window.
    sleep $((2 * INTERVAL))
    local v0 m0 p0 f0 c0 t0 v1 m1 p1 f1 c1 t1 rss_on
    v0="$(metric snmp_varbinds_total)"; m0="$(metric snmp_missed_cycles_total)"
    p0="$(metric snmp_polls_total)"; f0="$(metric snmp_poll_failures_total)"
    c0="$(cpu_ticks "$yunguan_pid")"; t0="$(date +%s.%N)"
    sleep "$MEASURE_SECS"
    v1="$(metric snmp_varbinds_total)"; m1="$(metric snmp_missed_cycles_total)"
    p1="$(metric snmp_polls_total)"; f1="$(metric snmp_poll_failures_total)"
    c1="$(cpu_ticks "$yunguan_pid")"; t1="$(date +%s.%N)"
    rss_on="$(rss_kib "$yunguan_pid")"
    record "$(python3 - "$DEVICES" "$INTERVAL" "$v0" "$v1" "$m0" "$m1" "$p0" "$p1" "$f0" "$f1" "$c0" "$c1" "$t0" "$t1" "$rss_off" "$rss_on" <<'PY'
import json, sys
n, interval, v0, v1, m0, m1, p0, p1, f0, f1, c0, c1, t0, t1, rss_off, rss_on = map(float, sys.argv[1:])
seconds = t1 - t0
print(json.dumps({
    "bench": "polling", "devices": int(n), "interval_secs": int(interval), "seconds": round(seconds, 1),
    "varbinds_per_sec": round((v1 - v0) / seconds),
    "polls_per_sec": round((p1 - p0) / seconds, 1),
    "poll_failures": int(f1 - f0), "missed_cycles": int(m1 - m0),
    "cpu_cores": round((c1 - c0) / 100 / seconds, 3),
    "rss_monitoring_off_mib": round(rss_off / 1024, 1), "rss_polling_mib": round(rss_on / 1024, 1),
    "rss_per_device_kib": round((rss_on - rss_off) / n, 2),
}))
PY
)"
    sed -n '1,$p' "$work/fleet.log" | tail -n 2 >&2
    cleanup
}

bench_latency() {
    fresh_database
    YUNGUAN_MONITORING__ENABLED=false start_yunguan
    import_devices "$LATENCY_DEVICES" "$LATENCY_INTERVAL" "$FLEET"
    stop_yunguan
    for mode in traps polls; do
        start_yunguan
        local flags=()
        [[ "$mode" == polls ]] && flags=(--no-traps)
        YUNGUAN_BENCH_PASSWORD="$password" "$bin/yunguan-monbench" latency --url "$url" \
            --bind "$FLEET" --devices "$LATENCY_DEVICES" --trap-to "$TRAPS" "${flags[@]}" \
            --flapping-devices 50 --rounds 10 >"$work/latency.log"
        record "{\"bench\":\"latency\",\"interval_secs\":$LATENCY_INTERVAL,\"result\":$(cat "$work/latency.log")}"
        stop_yunguan
    done
    cleanup
}

bench_snmpd() {
    local port=16200 conf="$work/snmpd.conf"
    printf 'rocommunity public 127.0.0.1\n' >"$conf"
    SNMP_PERSISTENT_DIR="$work" /usr/sbin/snmpd -f -Lf "$work/snmpd.log" -C -c "$conf" -p "$work/snmpd.pid" "udp:127.0.0.1:$port" &
    local snmpd_pid=$!
    pids+=("$snmpd_pid")
    fresh_database
    YUNGUAN_MONITORING__ENABLED=false start_yunguan
    local bearer; bearer="$(token)"
    python3 - "$SNMPD_DEVICES" "$port" >"$work/import.json" <<'PY'
import json, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
print(json.dumps({
    "data_centers": [{"code": "dc-snmpd", "name": "net-snmp", "region": "", "address": ""}],
    "devices": [{"data_center_code": "dc-snmpd", "name": f"snmpd-{i}", "kind": "server", "tier": "host",
                 "vendor": "net-snmp", "model": "snmpd", "management_address": f"127.0.0.1:{port}",
                 "credentials": {"version": "v2c", "community": "public"}, "poll_interval_secs": 10}
                for i in range(n)],
}))
PY
    curl -fsS "$url/api/v1/inventory/import" -H "authorization: Bearer $bearer" \
        -H 'content-type: application/json' --data-binary "@$work/import.json" >/dev/null
    stop_yunguan
    start_yunguan
    sleep 20
    local v0 p0 f0 s0 t0 v1 p1 f1 s1 t1
    v0="$(metric snmp_varbinds_total)"; p0="$(metric snmp_polls_total)"; f0="$(metric snmp_poll_failures_total)"
    s0="$(cpu_ticks "$snmpd_pid")"; t0="$(date +%s.%N)"
    sleep 60
    v1="$(metric snmp_varbinds_total)"; p1="$(metric snmp_polls_total)"; f1="$(metric snmp_poll_failures_total)"
    s1="$(cpu_ticks "$snmpd_pid")"; t1="$(date +%s.%N)"
    record "$(python3 - "$SNMPD_DEVICES" "$v0" "$v1" "$p0" "$p1" "$f0" "$f1" "$s0" "$s1" "$t0" "$t1" <<'PY'
import json, sys
n, v0, v1, p0, p1, f0, f1, s0, s1, t0, t1 = map(float, sys.argv[1:])
seconds = t1 - t0
print(json.dumps({
    "bench": "snmpd", "devices": int(n), "interval_secs": 10, "seconds": round(seconds, 1),
    "varbinds_per_sec": round((v1 - v0) / seconds), "polls_per_sec": round((p1 - p0) / seconds, 1),
    "poll_failures": int(f1 - f0), "snmpd_cpu_cores": round((s1 - s0) / 100 / seconds, 3),
}))
PY
)"
    cleanup
}

# The overview's totals: devices monitored, and of them those polled at least once.
overview_counts() {
    curl -fsS "$url/api/v1/overview" -H "authorization: Bearer $1" |
        python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["devices"], o["devices_up"] + o["devices_down"])'
}

bench_live_add() {
    local total=$((DEVICES + LIVE_DEVICES))
    local RUST_LOG="warn,yunguan::monitoring::follow=info"
    export RUST_LOG
    fresh_database
    "$bin/yunguan-monbench" fleet --devices "$total" --bind "$FLEET" --report-secs 60 >"$work/fleet.log" &
    pids+=($!)
    YUNGUAN_MONITORING__ENABLED=false start_yunguan
    import_devices "$DEVICES" "$INTERVAL" "$FLEET"
    stop_yunguan
    start_yunguan
    sleep $((2 * INTERVAL))
    local bearer m0 f0 c0 t0 followed_at="" polled_at="" counts
    bearer="$(token)"
    m0="$(metric snmp_missed_cycles_total)"; f0="$(metric snmp_poll_failures_total)"
    c0="$(cpu_ticks "$yunguan_pid")"; t0="$(date +%s.%N)"
    import_devices "$total" "$INTERVAL" "$FLEET" "$DEVICES"
    local imported_at; imported_at="$(date +%s.%N)"
    # (`RUST_LOG` lets the follower's line through: how long the reread and the follow took.)
    # The overview is published at most once a second: read it twice as often.
    while [[ -z "$polled_at" ]]; do
        counts="$(overview_counts "$bearer")"
        read -r monitored polled <<<"$counts"
        local now; now="$(date +%s.%N)"
        [[ -z "$followed_at" && "$monitored" == "$total" ]] && followed_at="$now"
        [[ -n "$followed_at" && "$polled" == "$total" ]] && polled_at="$now"
        if python3 -c "import sys; sys.exit(0 if $now - $t0 > 4 * $INTERVAL else 1)"; then
            echo "after $((4 * INTERVAL)) s: $counts" >&2; break
        fi
        sleep 0.5
    done
    # The others' cycles over one more interval, with the new devices in it.
    sleep "$INTERVAL"
    local m1 f1 c1 t1
    m1="$(metric snmp_missed_cycles_total)"; f1="$(metric snmp_poll_failures_total)"
    c1="$(cpu_ticks "$yunguan_pid")"; t1="$(date +%s.%N)"
    record "$(python3 - "$DEVICES" "$LIVE_DEVICES" "$INTERVAL" "$t0" "$imported_at" "${followed_at:-0}" "${polled_at:-0}" "$m0" "$m1" "$f0" "$f1" "$c0" "$c1" "$t1" <<'PY'
import json, sys
n, added, interval, t0, imported, followed, polled, m0, m1, f0, f1, c0, c1, t1 = map(float, sys.argv[1:])
print(json.dumps({
    "bench": "live_add", "devices": int(n), "added": int(added), "interval_secs": int(interval),
    "import_secs": round(imported - t0, 2),
    "monitored_after_import_secs": round(followed - imported, 2) if followed else None,
    "all_polled_after_import_secs": round(polled - imported, 2) if polled else None,
    "missed_cycles": int(m1 - m0), "poll_failures": int(f1 - f0),
    "cpu_cores": round((c1 - c0) / 100 / (t1 - t0), 3),
}))
PY
)"
    grep "follows the inventory" "$work/yunguan.log" >&2 || true
    cleanup
}

# Alarms in the bench's database: all of them, open, acknowledged.
alarm_counts() {
    psql "$YUNGUAN_DATABASE__URL" -qtAc \
        "SELECT count(*), count(*) FILTER (WHERE state <> 'cleared'), count(*) FILTER (WHERE state = 'acknowledged') FROM alarms" |
        tr '|' ' '
}

bench_restart() {
    fresh_database
    YUNGUAN_MONITORING__ENABLED=false start_yunguan
    # Devices at an address where nothing answers: each raises "device unreachable".
    import_devices "$RESTART_ALARMS" 10 127.0.0.1:16199
    stop_yunguan
    start_yunguan
    local all open acked
    for _ in $(seq 1 300); do
        read -r all open acked <<<"$(alarm_counts)"
        (( open >= RESTART_ALARMS )) && break
        sleep 1
    done
    local bearer; bearer="$(token)"
    for id in $(psql "$YUNGUAN_DATABASE__URL" -qtAc "SELECT id FROM alarms ORDER BY id LIMIT $RESTART_ACKED"); do
        curl -fsS -o /dev/null -X POST "$url/api/v1/alarms/$id/acknowledge" -H "authorization: Bearer $bearer"
    done
    read -r all open acked <<<"$(alarm_counts)"
    local before="$all $open $acked"
    stop_yunguan
    local t0 ready confirmed="" down
    t0="$(date +%s.%N)"
    start_yunguan
    ready="$(date +%s.%N)"
    bearer="$(token)"
    # Confirmed: every device polled (and found down) since the start.
    for _ in $(seq 1 1200); do
        down="$(curl -fsS "$url/api/v1/overview" -H "authorization: Bearer $bearer" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["devices_down"])')"
        if (( down >= RESTART_ALARMS )); then confirmed="$(date +%s.%N)"; break; fi
        sleep 0.5
    done
    read -r all open acked <<<"$(alarm_counts)"
    record "$(python3 - "$before" "$all $open $acked" "$t0" "$ready" "${confirmed:-0}" <<'PY'
import json, sys
before = [int(x) for x in sys.argv[1].split()]
after = [int(x) for x in sys.argv[2].split()]
t0, ready, confirmed = map(float, sys.argv[3:6])
print(json.dumps({
    "bench": "restart",
    "before": {"alarms": before[0], "open": before[1], "acknowledged": before[2]},
    "after": {"alarms": after[0], "open": after[1], "acknowledged": after[2]},
    "ready_secs": round(ready - t0, 2),
    "all_confirmed_secs": round(confirmed - t0, 2) if confirmed else None,
}))
PY
)"
    cleanup
}

bench_discovery() {
    fresh_database
    "$bin/yunguan-monbench" fleet --devices "$DISCOVERY_DEVICES" --bind "$FLEET" --report-secs 60 \
        --lldp >"$work/fleet.log" 2>"$work/fleet.err" &
    pids+=($!)
    start_yunguan
    sleep 1
    local cables; cables="$(sed -n 's/^cabled for LLDP: \([0-9]*\) cables$/\1/p' "$work/fleet.err")"
    local t0; t0="$(date +%s.%N)"
    import_devices "$DISCOVERY_DEVICES" "$INTERVAL" "$FLEET"
    local imported_at proposed=0 done_at=""
    imported_at="$(date +%s.%N)"
    for _ in $(seq 1 600); do
        proposed="$(psql "$YUNGUAN_DATABASE__URL" -qtAc "SELECT count(*) FROM link_proposals WHERE kind = 'new'")"
        if (( proposed >= cables )); then done_at="$(date +%s.%N)"; break; fi
        sleep 0.5
    done
    record "$(python3 - "$DISCOVERY_DEVICES" "$cables" "$proposed" "$t0" "$imported_at" "${done_at:-0}" <<'PY'
import json, sys
n, cables, proposed = map(int, sys.argv[1:4])
t0, imported, done = map(float, sys.argv[4:7])
print(json.dumps({
    "bench": "discovery", "devices": n, "cables": cables, "proposals": proposed,
    "import_secs": round(imported - t0, 2),
    "all_proposed_secs": round(done - t0, 2) if done else None,
}))
PY
)"
    cleanup
}

bench_vm_poll() {
    fresh_database
    local sim_port=15000 sim_password="bench-sim-password"
    "$bin/yunguan-openstack-sim" --port "$sim_port" --vms "$VM_SERVERS" \
        --hypervisors $(( VM_SERVERS / 12 + 4 )) --password "$sim_password" >"$work/sim.log" 2>&1 &
    pids+=($!)
    RUST_LOG="warn,yunguan::monitoring::platform=debug" YUNGUAN_MONITORING__VM_POLL_SECS="$INTERVAL" \
        start_yunguan
    local bearer; bearer="$(token)"
    local dc
    dc="$(curl -fsS "$url/api/v1/data-centers" -H "authorization: Bearer $bearer" \
        -H 'content-type: application/json' \
        -d '{"code":"dc-cloud","name":"cloud","region":"","address":""}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
    curl -fsS "$url/api/v1/cloud-platforms" -H "authorization: Bearer $bearer" \
        -H 'content-type: application/json' -d "{\"data_center_id\": $dc, \"name\": \"sim\",
        \"kind\": \"openstack\", \"endpoint\": \"http://127.0.0.1:$sim_port/identity/v3\",
        \"credentials\": {\"username\": \"yunguan\", \"password\": \"$sim_password\",
        \"project\": \"yunguan\", \"domain\": \"Default\"}, \"sync_interval_secs\": 300}" >/dev/null
    local synced=0
    for _ in $(seq 1 600); do
        synced="$(psql "$YUNGUAN_DATABASE__URL" -qtAc "SELECT count(*) FROM vms")"
        (( synced >= VM_SERVERS )) && break
        sleep 0.5
    done
    # Polls after the sync: the first with every VM, then $VM_POLLS more, timed by yunguan's
    # log and its CPU ticks between the first and the last.
    local lines polled=0 ticks0="" t0=""
    for _ in $(seq 1 $(( (VM_POLLS + 2) * INTERVAL * 2 ))); do
        lines="$(grep -c "VMs polled.*vms=$VM_SERVERS" "$work/yunguan.log" || true)"
        if (( lines >= 1 )) && [[ -z "$ticks0" ]]; then ticks0="$(cpu_ticks "$yunguan_pid")"; t0="$(date +%s.%N)"; fi
        if (( lines >= VM_POLLS + 1 )); then polled="$lines"; break; fi
        sleep 0.5
    done
    local ticks1 t1 minutes
    ticks1="$(cpu_ticks "$yunguan_pid")"; t1="$(date +%s.%N)"
    minutes="$(psql "$YUNGUAN_DATABASE__URL" -qtAc "SELECT count(*) FROM vm_metric_rollups")"
    grep "VMs polled.*vms=$VM_SERVERS" "$work/yunguan.log" | sed -n 's/.*measured=\([0-9]*\).*elapsed_ms=\([0-9]*\).*/\1 \2/p' >"$work/polls.txt"
    record "$(python3 - "$VM_SERVERS" "$synced" "$polled" "$ticks0" "$ticks1" "$t0" "$t1" "$minutes" "$INTERVAL" "$work/polls.txt" <<'PY'
import json, statistics, sys
servers, synced, polled = map(int, sys.argv[1:4])
ticks0, ticks1 = int(sys.argv[4] or 0), int(sys.argv[5])
t0, t1 = float(sys.argv[6] or 0), float(sys.argv[7])
minutes, interval = int(sys.argv[8]), int(sys.argv[9])
polls = [tuple(map(int, line.split())) for line in open(sys.argv[10]) if line.strip()]
elapsed = [ms for _, ms in polls[1:]] or [ms for _, ms in polls]
print(json.dumps({
    "bench": "vm_poll", "servers": servers, "synced": synced, "polls": len(polls),
    "measured_per_poll": [m for m, _ in polls],
    "poll_ms": elapsed, "poll_ms_median": statistics.median(elapsed) if elapsed else None,
    "interval_secs": interval,
    "yunguan_cores": round((ticks1 - ticks0) / 100 / (t1 - t0), 4) if t0 else None,
    "vm_minutes_stored": minutes,
}))
PY
)"
    cleanup
}

for bench in $BENCHES; do
    echo "== $bench" >&2
    "bench_$bench"
done
echo "raw figures: $out" >&2

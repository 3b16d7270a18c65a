#!/usr/bin/env bash
# The physical ceiling of ticket throughput on this machine: pgbench runs
# simulators/bench/ticket_ceiling.sql, one whole ticket life per pgbench transaction (submit,
# two approval levels, fulfilment started, fulfilled: the rows yunguan writes, in 5
# transactions and 46 statements, with none of yunguan's reads), on a scratch database holding
# only the tables a ticket's life writes, as our migrations create them (columns, keys,
# indexes). pgbench's tps is therefore tickets/s, to set beside yunguan's own figure from
# simulators/bench/tickets.sh (docs/benchmarks.md).
#
#   simulators/bench/ticket_ceiling.sh                       # 32 clients, 20 s
#   CLIENTS=8 DURATION=10 simulators/bench/ticket_ceiling.sh
#   MAIL_DRAIN=1 simulators/bench/ticket_ceiling.sh          # also the mail sender's writes
#   KEEP=1 simulators/bench/ticket_ceiling.sh                # keep the database to look at
#
# Prints `ceiling: N tickets/s (...)`; pgbench's report and a check of what was written (rows
# per ticket, the audit chain unbroken) go to standard error. Needs psql and pgbench, and
# PostgreSQL on $PGHOST:$PGPORT accepting $PGUSER without a password; the scratch database
# ($PGDATABASE, default ticket_ceiling) must not exist yet, and is dropped at the end unless
# KEEP=1.
set -euo pipefail

DURATION="${DURATION:-20}"

cd "$(dirname "$0")/../.."

CLIENTS="${CLIENTS:-32}"
MAIL_DRAIN="${MAIL_DRAIN:-0}"
KEEP="${KEEP:-0}"
export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
database="${PGDATABASE:-ticket_ceiling}"
unset PGDATABASE
script="simulators/bench/ticket_ceiling.sql"

for setting in CLIENTS DURATION; do
    if ! [[ "${!setting}" =~ ^[1-9][0-9]*$ ]]; then
        echo "$setting must be a positive whole number, not ${!setting:-nothing}" >&2
        exit 1
    fi
done
if ! [[ "$MAIL_DRAIN" =~ ^[01]$ ]]; then
    echo "MAIL_DRAIN must be 0 or 1" >&2
    exit 1
fi
# The database is created here and dropped at the end: a plain lower-case name, never one
# that already exists.
if ! [[ "$database" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
    echo "PGDATABASE must be a plain lower-case name, not $database" >&2
    exit 1
fi
threads=$((CLIENTS < 2 ? CLIENTS : 2))

psql_admin() {
    psql -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}
psql_db() {
    psql -d "$database" -v ON_ERROR_STOP=1 -qtA "$@"
}

if [[ -n "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]]; then
    echo "database $database already exists; drop it, or set PGDATABASE to another name" >&2
    exit 1
fi

work="$(mktemp -d)"
created=0
cleanup() {
    if [[ "$created" == 1 ]]; then
        if [[ "$KEEP" == 1 ]]; then
            echo "kept database $database (drop it with: psql -h $PGHOST -p $PGPORT -U $PGUSER -d postgres -c 'DROP DATABASE $database')" >&2
        else
            psql_admin -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
        fi
    fi
    rm -rf "$work"
}
trap cleanup EXIT

psql_admin -c "CREATE DATABASE $database"
created=1

# The tables a ticket's life writes and those their foreign keys name, as the migrations
# create them on PostgreSQL (m20261126_000001_identity, m20261126_000003_service_desk,
# m20261206_000007_decided_approvals, and the users columns of 000010 and 000012).
psql_db <<'SQL'
CREATE TABLE tenants (
    id bigserial NOT NULL PRIMARY KEY,
    code varchar(64) NOT NULL UNIQUE,
    name varchar(200) NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE users (
    id bigserial NOT NULL PRIMARY KEY,
    username varchar(64) NOT NULL UNIQUE,
    display_name varchar(200) NOT NULL,
    email varchar(320) NULL,
    password_hash varchar NOT NULL,
    role varchar(32) NOT NULL,
    tenant_id bigint NULL REFERENCES tenants (id) ON DELETE RESTRICT,
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    deleted_at timestamptz NULL,
    auth_source varchar(8) NOT NULL DEFAULT 'local',
    external_subject varchar(500) NULL
);
CREATE INDEX idx_users_tenant ON users (tenant_id);
CREATE UNIQUE INDEX idx_users_external_subject ON users (auth_source, external_subject);

CREATE TABLE catalog_items (
    id bigserial NOT NULL PRIMARY KEY,
    code varchar(64) NOT NULL UNIQUE,
    kind varchar(32) NOT NULL,
    current_version integer NOT NULL,
    retired_at timestamptz NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE tickets (
    id bigserial NOT NULL PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
    requester_id bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    item_id bigint NOT NULL REFERENCES catalog_items (id) ON DELETE RESTRICT,
    item_version integer NOT NULL,
    title varchar(200) NOT NULL,
    business_system varchar(200) NOT NULL,
    form text NOT NULL,
    facts text NOT NULL,
    state varchar(32) NOT NULL,
    round integer NOT NULL,
    levels text NOT NULL,
    level_index integer NULL,
    level_opened_at timestamptz NULL,
    reminded_at timestamptz NULL,
    escalated_at timestamptz NULL,
    version bigint NOT NULL,
    reason text NULL,
    rating smallint NULL,
    rating_comment text NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    closed_at timestamptz NULL
);
CREATE INDEX idx_tickets_tenant ON tickets (tenant_id, id);
CREATE INDEX idx_tickets_state ON tickets (state);

CREATE TABLE ticket_approvals (
    id bigserial NOT NULL PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    round integer NOT NULL,
    level_index integer NOT NULL,
    approver_id bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    decision varchar(16) NOT NULL,
    decided_by bigint NULL,
    comment text NULL,
    opened_at timestamptz NOT NULL,
    decided_at timestamptz NULL
);
CREATE INDEX idx_ticket_approvals_approver ON ticket_approvals (approver_id, decision);
CREATE INDEX idx_ticket_approvals_ticket ON ticket_approvals (ticket_id, round);
CREATE INDEX idx_ticket_approvals_decided_by ON ticket_approvals (decided_by, decided_at);

CREATE TABLE ticket_events (
    id bigserial NOT NULL PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    actor_id bigint NULL,
    kind varchar(48) NOT NULL,
    from_state varchar(32) NULL,
    to_state varchar(32) NULL,
    detail text NOT NULL
);
CREATE INDEX idx_ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE tenant_quotas (
    tenant_id bigint NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    vcpu_limit bigint NOT NULL,
    memory_gb_limit bigint NOT NULL,
    storage_gb_limit bigint NOT NULL,
    hosts_limit bigint NOT NULL,
    public_ips_limit bigint NOT NULL,
    vcpu_held bigint NOT NULL,
    memory_gb_held bigint NOT NULL,
    storage_gb_held bigint NOT NULL,
    hosts_held bigint NOT NULL,
    public_ips_held bigint NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE quota_reservations (
    ticket_id bigint NOT NULL PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    vcpu bigint NOT NULL,
    memory_gb bigint NOT NULL,
    storage_gb bigint NOT NULL,
    hosts bigint NOT NULL,
    public_ips bigint NOT NULL,
    state varchar(16) NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE inventory_records (
    id bigserial NOT NULL PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
    ticket_id bigint NULL,
    business_system varchar(200) NOT NULL,
    kind varchar(32) NOT NULL,
    name varchar(200) NOT NULL,
    attributes text NOT NULL,
    state varchar(16) NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX idx_inventory_records_tenant ON inventory_records (tenant_id, id);

CREATE TABLE mail_outbox (
    id bigserial NOT NULL PRIMARY KEY,
    recipient varchar(320) NOT NULL,
    subject varchar(400) NOT NULL,
    body text NOT NULL,
    template varchar(48) NOT NULL,
    ticket_id bigint NULL,
    attempts integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    sent_at timestamptz NULL,
    last_error text NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX idx_mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);

CREATE TABLE audit_log (
    id bigserial NOT NULL PRIMARY KEY,
    at timestamptz NOT NULL,
    actor_id bigint NULL,
    actor_address varchar(64) NULL,
    action varchar(64) NOT NULL,
    object_type varchar(32) NOT NULL,
    object_id bigint NOT NULL,
    tenant_id bigint NULL,
    before text NULL,
    after text NULL,
    prev_hash varchar(64) NOT NULL,
    hash varchar(64) NOT NULL
);
CREATE INDEX idx_audit_log_object ON audit_log (object_type, object_id);

-- What yunguan computes in Rust, here in SQL so that the script needs no client code: the
-- ticket as clients see it (TicketView, the audit record's before and after), and an audit
-- record's SHA-256 over its content and the previous hash (audit::hash_of's fields).
CREATE FUNCTION ticket_view(t tickets) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', t.id, 'tenant_id', t.tenant_id, 'requester_id', t.requester_id,
        'item_id', t.item_id, 'item_version', t.item_version, 'title', t.title,
        'business_system', t.business_system, 'state', t.state, 'round', t.round,
        'level_index', t.level_index,
        'level_name', CASE t.level_index WHEN 0 THEN '部门审批' WHEN 1 THEN '运维审核' END,
        'level_count', 2, 'version', t.version, 'reason', t.reason, 'rating', t.rating,
        'created_at', t.created_at, 'updated_at', t.updated_at, 'closed_at', t.closed_at)::text
$$;
CREATE FUNCTION audit_hash(prev_hash text, at timestamptz, actor_id bigint, actor_address text,
    action text, object_type text, object_id bigint, tenant_id bigint, before text, after text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(json_build_array(prev_hash, at, actor_id, actor_address,
        action, object_type, object_id, tenant_id, before, after)::text, 'UTF8')), 'hex')
$$;

-- The demo's tenant, its requester and admin, a bureau operator, the cloud-host item, and a
-- quota no run reaches (as yunguan-ticketbench sets it).
INSERT INTO tenants (code, name, created_at) VALUES ('edu', '教育局', now());
INSERT INTO users (username, display_name, email, password_hash, role, tenant_id, created_at)
SELECT u.username, u.display_name, u.username || '@demo.yunguan.local', '$argon2id$bench',
       u.role, CASE WHEN u.in_tenant THEN t.id END, now()
FROM tenants t,
     (VALUES ('edu-dev', '教育局开发运维', 'tenant_member', true),
             ('edu-admin', '教育局管理员', 'tenant_admin', true),
             ('ops', '局运维人员', 'bureau_operator', false))
         AS u (username, display_name, role, in_tenant)
WHERE t.code = 'edu';
INSERT INTO catalog_items (code, kind, current_version, retired_at, created_at, updated_at)
VALUES ('vm.request', 'vm_request', 1, NULL, now(), now());
INSERT INTO tenant_quotas
SELECT id, 1000000000, 1000000000, 1000000000, 1000000000, 1000000000, 0, 0, 0, 0, 0, now()
FROM tenants WHERE code = 'edu';
VACUUM ANALYZE;
SQL

read -r tenant_id requester_id admin_id ops_id item_id < <(psql_db -F ' ' -c "
    SELECT (SELECT id FROM tenants WHERE code = 'edu'),
           (SELECT id FROM users WHERE username = 'edu-dev'),
           (SELECT id FROM users WHERE username = 'edu-admin'),
           (SELECT id FROM users WHERE username = 'ops'),
           (SELECT id FROM catalog_items WHERE code = 'vm.request')")
if [[ -z "$item_id" ]]; then
    echo "seeding $database failed" >&2
    exit 1
fi

echo "== pgbench: $CLIENTS clients, $threads threads, $DURATION s, mail drain $MAIL_DRAIN" >&2
status=0
pgbench -n -f "$script" -c "$CLIENTS" -j "$threads" -T "$DURATION" \
    -D tenant_id="$tenant_id" -D requester_id="$requester_id" -D admin_id="$admin_id" \
    -D ops_id="$ops_id" -D item_id="$item_id" -D mail_drain="$MAIL_DRAIN" \
    "$database" >"$work/pgbench.out" 2>"$work/pgbench.err" || status=$?
sed -n '/^number of transactions actually processed/,$p' "$work/pgbench.out" >&2
if [[ "$status" != 0 ]]; then
    echo "pgbench failed (exit $status):" >&2
    tail -n 20 "$work/pgbench.err" >&2
    exit 1
fi
tps="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/pgbench.out")"
if [[ -z "$tps" ]]; then
    echo "no tps in pgbench's report" >&2
    cat "$work/pgbench.out" "$work/pgbench.err" >&2
    exit 1
fi

# What the run wrote: every ticket's life complete, and the audit chain unbroken (each
# record holds the hash of the one before it, in id order).
IFS='|' read -r tickets fulfilled events approvals mails audits broken < <(psql_db -c "
    SELECT (SELECT count(*) FROM tickets),
           (SELECT count(*) FROM tickets WHERE state = 'fulfilled'),
           (SELECT count(*) FROM ticket_events),
           (SELECT count(*) FROM ticket_approvals),
           (SELECT count(*) FROM mail_outbox),
           (SELECT count(*) FROM audit_log),
           (SELECT count(*) FROM (
                SELECT prev_hash, lag(hash, 1, repeat('0', 64)) OVER (ORDER BY id) AS expected
                FROM audit_log) chain
            WHERE prev_hash <> expected)")
per_ticket() { awk -v n="$1" -v t="$tickets" 'BEGIN { printf "%.2f", t ? n / t : 0 }'; }
echo "check: $tickets tickets, $fulfilled fulfilled; per ticket $(per_ticket "$events") timeline rows," \
    "$(per_ticket "$approvals") approval slots, $(per_ticket "$mails") mails, $(per_ticket "$audits") audit records;" \
    "audit chain: $([[ "$broken" == 0 ]] && echo unbroken || echo "$broken broken links")" >&2
if [[ "$broken" != 0 ]]; then
    exit 1
fi

printf 'ceiling: %.1f tickets/s (pgbench tps; %s clients, %s s)\n' "$tps" "$CLIENTS" "$DURATION"

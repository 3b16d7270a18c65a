-- The physical ceiling of ticket throughput: one pgbench "transaction" of this script is one
-- ticket's whole life as `simulators/bench/tickets.sh` drives it through yunguan (a one-host
-- `vm.request`: submit, approve at level 0 (the tenant admin), approve at level 1 (the bureau
-- operators), fulfilment started, fulfilled), writing the rows yunguan writes, in the
-- transactions yunguan's invariants require and with nothing else: no reads a process could
-- keep in memory (the ticket and its slots, approvers, delegations, catalog versions, mail
-- addresses, notification channels, quota reads before the conditional update). So pgbench's
-- tps is tickets/s. Run it through `simulators/bench/ticket_ceiling.sh`, which creates the
-- tables (as our migrations do), the ticket_view() and audit_hash() functions (standing in
-- for what yunguan computes in Rust: the ticket's view and the audit record's SHA-256), seeds
-- and passes these variables with -D: tenant_id, requester_id, admin_id, ops_id, item_id,
-- mail_drain (0 or 1).
--
-- Needs pgbench's simple query mode (the default): string variables (:prev, :afterN) are
-- substituted inside quotes.
--
-- The invariants kept in every state change: one transaction each; the ticket row written
-- under its version guard (UPDATE ... WHERE id AND version, RETURNING the new version: no
-- row, and \gset aborts the client); slots decided only while pending; the timeline, the
-- outbox and the audit record written in the same transaction; the audit chain appended last,
-- under yunguan's advisory lock (held to the commit), reading the last record's hash and then
-- inserting the record that holds it; the quota taken by one conditional update of the
-- tenant's row.
--
-- Statements per ticket (with BEGIN and COMMIT; yunguan, measured: about 92 in 7 transactions,
-- docs/benchmarks.md):
--   1. submit              (Engine::submit, audit ticket.submitted)              9
--        INSERT tickets RETURNING, INSERT ticket_approvals RETURNING (1 slot: the tenant
--        admin), INSERT ticket_events (2 rows: submitted, level_opened), INSERT mail_outbox
--        (new_approval), advisory lock, SELECT last hash, INSERT audit_log
--   2. approve, level 0    (Engine::act Approve, audit ticket.approve)           10
--        UPDATE tickets (guarded), UPDATE ticket_approvals (the slot), INSERT
--        ticket_approvals RETURNING (1 slot: the operator), INSERT ticket_events (2 rows:
--        level_passed, level_opened), INSERT mail_outbox (new_approval), lock, hash, audit
--   3. approve, level 1    (Engine::act Approve, audit ticket.approve)           10
--        UPDATE tickets (guarded), UPDATE ticket_approvals, INSERT ticket_events (approved),
--        UPDATE tenant_quotas (conditional reservation), INSERT quota_reservations, lock,
--        hash, audit
--   4. fulfilment started  (Engine::advance StartFulfilment, audit
--                           ticket.fulfilment_started)                            7
--        UPDATE tickets (guarded), INSERT ticket_events (fulfilment_started), lock, hash,
--        audit
--   5. fulfilled           (Engine::advance Succeeded, audit ticket.fulfilled)   10
--        UPDATE tickets (guarded), INSERT inventory_records RETURNING (the host), INSERT
--        ticket_events (2 rows: the fulfilment's progress, which yunguan writes on its own
--        beforehand, and fulfilled), UPDATE quota_reservations (consumed), INSERT mail_outbox
--        (done), lock, hash, audit
--   total: 46 statements in 5 transactions (36 without BEGIN and COMMIT); with mail_drain=1,
--   2 more (the mail sender's lease and sent marks of the ticket's 3 mails, by id), 48.
-- Rows: tickets 1 inserted + 4 updates, ticket_approvals 2 + 2 updates, ticket_events 8,
-- mail_outbox 3, audit_log 5, tenant_quotas 1 update, quota_reservations 1 + 1 update,
-- inventory_records 1; notification_deliveries none (the demo has no channels).

-- 1. Submit: the ticket enters approval at level 0, whose slots open.
BEGIN;
INSERT INTO tickets (tenant_id, requester_id, item_id, item_version, title, business_system,
    form, facts, state, round, levels, level_index, level_opened_at, reminded_at, escalated_at,
    version, reason, rating, rating_comment, created_at, updated_at, closed_at)
VALUES (:tenant_id, :requester_id, :item_id, 1, 'ceiling bench', 'bench',
    '{"business_system":"bench","count":1,"disk_gb":40,"flavour":"s1.small","image":"kylin-v10","lease_end":"2027-03-01","network":"gov-intranet"}',
    '{"count":1.0,"duration_days":90.0,"total_disk_gb":40.0,"total_memory_gb":2.0,"total_vcpu":1.0}',
    'approving', 1,
    '[{"name":"部门审批","approvers":{"by":"requester_tenant_admin"},"mode":"any","sla_secs":28800,"escalate_to":{"by":"role","role":"bureau_manager","requester_tenant":false}},{"name":"运维审核","approvers":{"by":"role","role":"bureau_operator","requester_tenant":false},"mode":"any","sla_secs":28800,"escalate_to":{"by":"role","role":"bureau_manager","requester_tenant":false}}]',
    0, now(), NULL, NULL, 1, NULL, NULL, NULL, now(), now(), NULL)
RETURNING id AS ticket_id, version AS ticket_version, ticket_view(tickets) AS after1 \gset
INSERT INTO ticket_approvals (ticket_id, round, level_index, approver_id, decision, decided_by,
    comment, opened_at, decided_at)
VALUES (:ticket_id, 1, 0, :admin_id, 'pending', NULL, NULL, now(), NULL)
RETURNING id AS slot0 \gset
INSERT INTO ticket_events (ticket_id, at, actor_id, kind, from_state, to_state, detail) VALUES
    (:ticket_id, now(), :requester_id, 'submitted', NULL, 'approving', '{"item_version":1}'),
    (:ticket_id, now(), NULL, 'level_opened', NULL, NULL,
     '{"level":0,"name":"部门审批","approvers":[:admin_id],"unstaffed":false}');
INSERT INTO mail_outbox (recipient, subject, body, template, ticket_id, attempts,
    next_attempt_at, sent_at, last_error, created_at)
VALUES ('edu-admin@demo.yunguan.local', '【待审批】工单 #' || :ticket_id || '：ceiling bench',
    '教育局开发运维提交的工单 #' || :ticket_id || '「ceiling bench」等待您审批（部门审批）。' || E'\n\n'
    || '查看工单：http://127.0.0.1:18080/tickets/' || :ticket_id || E'\n\n——\n云管平台（系统自动发送，请勿直接回复）\n',
    'new_approval', :ticket_id, 0, now(), NULL, NULL, now())
RETURNING id AS mail1 \gset
SELECT pg_advisory_xact_lock(7102562142);
SELECT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64)) AS prev \gset
INSERT INTO audit_log (at, actor_id, actor_address, action, object_type, object_id, tenant_id,
    before, after, prev_hash, hash)
SELECT r.*, audit_hash(r.prev_hash, r.at, r.actor_id, r.actor_address, r.action, r.object_type,
    r.object_id, r.tenant_id, r.before, r.after)
FROM (VALUES (now(), :requester_id::bigint, '127.0.0.1', 'ticket.submitted', 'ticket',
    :ticket_id::bigint, :tenant_id::bigint, NULL::text, ':after1', ':prev'))
    AS r (at, actor_id, actor_address, action, object_type, object_id, tenant_id, before, after,
          prev_hash);
COMMIT;

-- 2. The tenant admin approves level 0 (any one signs): level 1 opens.
BEGIN;
UPDATE tickets SET level_index = 1, level_opened_at = now(), reminded_at = NULL,
    escalated_at = NULL, updated_at = now(), version = version + 1
WHERE id = :ticket_id AND version = :ticket_version
RETURNING version AS ticket_version, ticket_view(tickets) AS after2 \gset
UPDATE ticket_approvals SET decision = 'approved', decided_by = :admin_id, comment = NULL,
    decided_at = now()
WHERE id = :slot0 AND decision = 'pending'
RETURNING id AS decided_slot \gset
INSERT INTO ticket_approvals (ticket_id, round, level_index, approver_id, decision, decided_by,
    comment, opened_at, decided_at)
VALUES (:ticket_id, 1, 1, :ops_id, 'pending', NULL, NULL, now(), NULL)
RETURNING id AS slot1 \gset
INSERT INTO ticket_events (ticket_id, at, actor_id, kind, from_state, to_state, detail) VALUES
    (:ticket_id, now(), :admin_id, 'level_passed', 'approving', 'approving', '{"comment":null}'),
    (:ticket_id, now(), NULL, 'level_opened', NULL, NULL,
     '{"level":1,"name":"运维审核","approvers":[:ops_id],"unstaffed":false}');
INSERT INTO mail_outbox (recipient, subject, body, template, ticket_id, attempts,
    next_attempt_at, sent_at, last_error, created_at)
VALUES ('ops@demo.yunguan.local', '【待审批】工单 #' || :ticket_id || '：ceiling bench',
    '教育局开发运维提交的工单 #' || :ticket_id || '「ceiling bench」等待您审批（运维审核）。' || E'\n\n'
    || '查看工单：http://127.0.0.1:18080/tickets/' || :ticket_id || E'\n\n——\n云管平台（系统自动发送，请勿直接回复）\n',
    'new_approval', :ticket_id, 0, now(), NULL, NULL, now())
RETURNING id AS mail2 \gset
SELECT pg_advisory_xact_lock(7102562142);
SELECT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64)) AS prev \gset
INSERT INTO audit_log (at, actor_id, actor_address, action, object_type, object_id, tenant_id,
    before, after, prev_hash, hash)
SELECT r.*, audit_hash(r.prev_hash, r.at, r.actor_id, r.actor_address, r.action, r.object_type,
    r.object_id, r.tenant_id, r.before, r.after)
FROM (VALUES (now(), :admin_id::bigint, '127.0.0.1', 'ticket.approve', 'ticket',
    :ticket_id::bigint, :tenant_id::bigint, ':after1', ':after2', ':prev'))
    AS r (at, actor_id, actor_address, action, object_type, object_id, tenant_id, before, after,
          prev_hash);
COMMIT;

-- 3. An operator approves level 1, the last: approved, and the quota is reserved (one small
-- host: 1 vCPU, 2 GB, 40 GB, 1 host, no public IP).
BEGIN;
UPDATE tickets SET state = 'approved', level_index = NULL, level_opened_at = NULL,
    updated_at = now(), version = version + 1
WHERE id = :ticket_id AND version = :ticket_version
RETURNING version AS ticket_version, ticket_view(tickets) AS after3 \gset
UPDATE ticket_approvals SET decision = 'approved', decided_by = :ops_id, comment = NULL,
    decided_at = now()
WHERE id = :slot1 AND decision = 'pending'
RETURNING id AS decided_slot \gset
INSERT INTO ticket_events (ticket_id, at, actor_id, kind, from_state, to_state, detail) VALUES
    (:ticket_id, now(), :ops_id, 'approved', 'approving', 'approved', '{"comment":null}');
UPDATE tenant_quotas SET vcpu_held = vcpu_held + 1, memory_gb_held = memory_gb_held + 2,
    storage_gb_held = storage_gb_held + 40, hosts_held = hosts_held + 1,
    public_ips_held = public_ips_held + 0, updated_at = now()
WHERE tenant_id = :tenant_id
    AND vcpu_held + 1 <= vcpu_limit AND memory_gb_held + 2 <= memory_gb_limit
    AND storage_gb_held + 40 <= storage_gb_limit AND hosts_held + 1 <= hosts_limit
    AND public_ips_held + 0 <= public_ips_limit
RETURNING tenant_id AS reserved_for \gset
INSERT INTO quota_reservations (ticket_id, tenant_id, vcpu, memory_gb, storage_gb, hosts,
    public_ips, state, created_at, updated_at)
VALUES (:ticket_id, :tenant_id, 1, 2, 40, 1, 0, 'reserved', now(), now());
SELECT pg_advisory_xact_lock(7102562142);
SELECT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64)) AS prev \gset
INSERT INTO audit_log (at, actor_id, actor_address, action, object_type, object_id, tenant_id,
    before, after, prev_hash, hash)
SELECT r.*, audit_hash(r.prev_hash, r.at, r.actor_id, r.actor_address, r.action, r.object_type,
    r.object_id, r.tenant_id, r.before, r.after)
FROM (VALUES (now(), :ops_id::bigint, '127.0.0.1', 'ticket.approve', 'ticket',
    :ticket_id::bigint, :tenant_id::bigint, ':after2', ':after3', ':prev'))
    AS r (at, actor_id, actor_address, action, object_type, object_id, tenant_id, before, after,
          prev_hash);
COMMIT;

-- 4. The ticket's actor starts fulfilment (the system acts: no actor, no address).
BEGIN;
UPDATE tickets SET state = 'fulfilling', updated_at = now(), version = version + 1
WHERE id = :ticket_id AND version = :ticket_version
RETURNING version AS ticket_version, ticket_view(tickets) AS after4 \gset
INSERT INTO ticket_events (ticket_id, at, actor_id, kind, from_state, to_state, detail) VALUES
    (:ticket_id, now(), NULL, 'fulfilment_started', 'approved', 'fulfilling', '{}');
SELECT pg_advisory_xact_lock(7102562142);
SELECT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64)) AS prev \gset
INSERT INTO audit_log (at, actor_id, actor_address, action, object_type, object_id, tenant_id,
    before, after, prev_hash, hash)
SELECT r.*, audit_hash(r.prev_hash, r.at, r.actor_id, r.actor_address, r.action, r.object_type,
    r.object_id, r.tenant_id, r.before, r.after)
FROM (VALUES (now(), NULL::bigint, NULL::text, 'ticket.fulfilment_started', 'ticket',
    :ticket_id::bigint, :tenant_id::bigint, ':after3', ':after4', ':prev'))
    AS r (at, actor_id, actor_address, action, object_type, object_id, tenant_id, before, after,
          prev_hash);
COMMIT;

-- 5. The cloud made the host: fulfilled. The host goes on record, the reservation is in use,
-- the requester is told.
BEGIN;
UPDATE tickets SET state = 'fulfilled', updated_at = now(), version = version + 1
WHERE id = :ticket_id AND version = :ticket_version
RETURNING version AS ticket_version, ticket_view(tickets) AS after5 \gset
INSERT INTO inventory_records (tenant_id, ticket_id, business_system, kind, name, attributes,
    state, created_at, updated_at)
VALUES (:tenant_id, :ticket_id, 'bench', 'cloud_host', 't' || :ticket_id || '-1',
    '{"cloud_id":"sim-ticket-:ticket_id-host-0","address":"10.20.0.17","size":{"vcpu":1,"memory_gb":2,"storage_gb":40,"hosts":1,"public_ips":0},"image":"kylin-v10","network":"gov-intranet","lease_end":"2027-03-01"}',
    'active', now(), now())
RETURNING id AS host_record \gset
INSERT INTO ticket_events (ticket_id, at, actor_id, kind, from_state, to_state, detail) VALUES
    (:ticket_id, now(), NULL, 'progress', NULL, NULL,
     '{"step":1,"of":1,"message":"created t:ticket_id-1 (10.20.0.17)"}'),
    (:ticket_id, now(), NULL, 'fulfilled', 'fulfilling', 'fulfilled',
     '{"inventory_records":[:host_record]}');
UPDATE quota_reservations SET state = 'consumed', updated_at = now()
WHERE ticket_id = :ticket_id AND state = 'reserved'
RETURNING ticket_id AS consumed_for \gset
INSERT INTO mail_outbox (recipient, subject, body, template, ticket_id, attempts,
    next_attempt_at, sent_at, last_error, created_at)
VALUES ('edu-dev@demo.yunguan.local', '【已完成】工单 #' || :ticket_id || '：ceiling bench',
    '您的工单 #' || :ticket_id || '「ceiling bench」已处理完成，请查看结果并评价。' || E'\n\n'
    || '查看工单：http://127.0.0.1:18080/tickets/' || :ticket_id || E'\n\n——\n云管平台（系统自动发送，请勿直接回复）\n',
    'done', :ticket_id, 0, now(), NULL, NULL, now())
RETURNING id AS mail3 \gset
SELECT pg_advisory_xact_lock(7102562142);
SELECT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64)) AS prev \gset
INSERT INTO audit_log (at, actor_id, actor_address, action, object_type, object_id, tenant_id,
    before, after, prev_hash, hash)
SELECT r.*, audit_hash(r.prev_hash, r.at, r.actor_id, r.actor_address, r.action, r.object_type,
    r.object_id, r.tenant_id, r.before, r.after)
FROM (VALUES (now(), NULL::bigint, NULL::text, 'ticket.fulfilled', 'ticket',
    :ticket_id::bigint, :tenant_id::bigint, ':after4', ':after5', ':prev'))
    AS r (at, actor_id, actor_address, action, object_type, object_id, tenant_id, before, after,
          prev_hash);
COMMIT;

-- Optionally (-D mail_drain=1), the mail sender's writes for the ticket's 3 mails, each
-- statement on its own: the claim's lease (yunguan: per batch, SELECT ... FOR UPDATE SKIP
-- LOCKED then UPDATE, in a transaction) and the sent marks (yunguan: one UPDATE per mail).
\if :mail_drain
UPDATE mail_outbox SET next_attempt_at = now() + interval '60 seconds'
WHERE id IN (:mail1, :mail2, :mail3) AND sent_at IS NULL;
UPDATE mail_outbox SET sent_at = now() WHERE id IN (:mail1, :mail2, :mail3);
\endif

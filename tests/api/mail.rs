//! The mail outbox against a real SMTP server (aiosmtpd, see `smtp.rs`): a mail commits with
//! its transaction and is delivered once, waits out a relay that is down, and dies with a
//! rolled-back transaction. Most tests drive the sender pass by pass with `send_due_once` on
//! a fresh database, with no application running, so no other sender competes for the rows.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder, TransactionTrait};
use yunguan::db::entities::mail_outbox;
use yunguan::mail::outbox::{self, OutgoingMail};
use yunguan::mail::sender::MailSender;
use yunguan::mail::settings::{MailSettings, MailTransportKind, SmtpTls};
use yunguan::mail::templates::{Locale, Template, Texts, TicketMailParams};
use yunguan::outbox::{Nudge, Pass};
use yunguan_actors::supervision::{ActorRegistry, Backoff, Supervisor};

use crate::helpers::{settings_for, Backend, Storage};
use crate::on_every_backend;
use crate::smtp::{free_port, SmtpServer};

on_every_backend!(
    a_committed_mail_is_delivered_once_with_a_stable_message_id,
    mail_waits_out_a_relay_that_is_down_and_is_then_delivered_once,
    a_mail_enqueued_in_a_rolled_back_transaction_is_never_sent,
    without_a_relay_mail_goes_to_the_log_and_counts_as_sent,
    a_nudge_wakes_the_sender_without_waiting_for_the_poll,
    senders_side_by_side_share_the_due_mail_and_send_each_once,
);

/// A fresh database, and mail settings for an SMTP server on 127.0.0.1.
struct Fixture {
    db: DatabaseConnection,
    mail_settings: MailSettings,
    /// Dropped last: it deletes the database the pool above points at.
    _storage: Storage,
}

impl Fixture {
    async fn new(backend: &Backend, smtp_port: u16) -> Fixture {
        let storage = Storage::new(backend).await;
        let settings = settings_for(&storage);
        let db = yunguan::db::connect_and_migrate(&settings.database_url(), 2)
            .await
            .expect("database");
        let mut mail_settings = settings.mail;
        mail_settings.transport = MailTransportKind::Smtp;
        mail_settings.smtp_host = "127.0.0.1".to_owned();
        mail_settings.smtp_port = smtp_port;
        mail_settings.smtp_tls = SmtpTls::None;
        mail_settings.timeout_ms = 5_000;
        Fixture {
            db,
            mail_settings,
            _storage: storage,
        }
    }

    fn sender(&self) -> MailSender {
        MailSender::new(self.db.clone(), &self.mail_settings).expect("mail sender")
    }

    fn approval_mail(&self, recipient: &str, ticket_id: i64) -> OutgoingMail {
        OutgoingMail {
            recipient: recipient.to_owned(),
            template: Template::NewApproval,
            locale: Locale::ZhCn,
            ticket_id_opt: Some(ticket_id),
            params: TicketMailParams {
                ticket_id,
                title: "扩容 OA 系统".to_owned(),
                requester: "张三".to_owned(),
                level_name_opt: Some("局领导".to_owned()),
                reason_opt: None,
                link: self.mail_settings.ticket_link(ticket_id),
            },
        }
    }

    /// Enqueues `mail` in a transaction of its own and commits it.
    async fn enqueue_committed(&self, mail: OutgoingMail) -> i64 {
        let transaction = self.db.begin().await.unwrap();
        let mail_id = outbox::enqueue(&transaction, &Texts::default(), mail)
            .await
            .unwrap();
        transaction.commit().await.unwrap();
        mail_id
    }

    async fn rows(&self) -> Vec<mail_outbox::Model> {
        mail_outbox::Entity::find()
            .order_by_asc(mail_outbox::Column::Id)
            .all(&self.db)
            .await
            .unwrap()
    }

    /// Skips every backoff and lease: the test's stand-in for waiting.
    async fn make_every_mail_due(&self) {
        mail_outbox::Entity::update_many()
            .col_expr(
                mail_outbox::Column::NextAttemptAt,
                Expr::value(Utc::now() - TimeDelta::seconds(1)),
            )
            .exec(&self.db)
            .await
            .unwrap();
    }
}

fn sent_and_failed(outcome: &Pass) -> (usize, usize) {
    (outcome.sent, outcome.failed)
}

async fn a_committed_mail_is_delivered_once_with_a_stable_message_id(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let fixture = Fixture::new(&backend, smtp.port()).await;
    let sender = fixture.sender();

    let transaction = fixture.db.begin().await.unwrap();
    let mail_id = outbox::enqueue(
        &transaction,
        &Texts::default(),
        fixture.approval_mail("approver@example.com", 42),
    )
    .await
    .unwrap();
    transaction.commit().await.unwrap();

    assert_eq!(
        sent_and_failed(&sender.send_due_once().await.unwrap()),
        (1, 0)
    );
    // A sent mail is not sent again, even when its next attempt time comes round.
    fixture.make_every_mail_due().await;
    assert_eq!(
        sent_and_failed(&sender.send_due_once().await.unwrap()),
        (0, 0)
    );

    let received = smtp.received();
    assert_eq!(received.len(), 1, "{received:#?}");
    let mail = &received[0];
    let row = mail_outbox::Entity::find_by_id(mail_id)
        .one(&fixture.db)
        .await
        .unwrap()
        .expect("the outbox row");
    assert_eq!(mail.rcpt_tos, ["approver@example.com"]);
    assert_eq!(
        mail.message_id.trim(),
        format!(
            "<outbox-{mail_id}.{}@yunguan.local>",
            row.created_at.timestamp_micros()
        )
    );
    assert_eq!(mail.subject, "【待审批】工单 #42：扩容 OA 系统");
    assert!(
        mail.body.contains("http://127.0.0.1:8080/#/tickets/42"),
        "{}",
        mail.body
    );
    assert!(mail.raw.contains("noreply@yunguan.local"), "{}", mail.raw);
    assert!(row.sent_at.is_some());
    assert_eq!(row.attempts, 0);
    assert_eq!(row.last_error, None);
    assert_eq!(row.template, "new_approval");
    assert_eq!(row.ticket_id, Some(42));
}

async fn mail_waits_out_a_relay_that_is_down_and_is_then_delivered_once(backend: Backend) {
    // Nothing listens on the port yet: every connection is refused.
    let port = free_port();
    let fixture = Fixture::new(&backend, port).await;
    let sender = fixture.sender();
    let recipients = ["a@example.com", "b@example.com", "c@example.com"];
    let mut mail_ids = Vec::new();
    let transaction = fixture.db.begin().await.unwrap();
    for (ticket_id, recipient) in (100..).zip(recipients) {
        let mail = fixture.approval_mail(recipient, ticket_id);
        mail_ids.push(
            outbox::enqueue(&transaction, &Texts::default(), mail)
                .await
                .unwrap(),
        );
    }
    transaction.commit().await.unwrap();

    let outcome = sender.send_due_once().await.unwrap();
    assert_eq!(sent_and_failed(&outcome), (0, 3));
    assert!(outcome.last_error_opt.is_some());
    let rows = fixture.rows().await;
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row.attempts, 1, "{row:?}");
        assert_eq!(row.sent_at, None, "{row:?}");
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|error| !error.is_empty()),
            "{row:?}"
        );
        // Put off by the backoff, not dropped.
        assert!(row.next_attempt_at > row.created_at, "{row:?}");
    }

    let smtp = SmtpServer::start_on(port).await;
    fixture.make_every_mail_due().await;
    assert_eq!(
        sent_and_failed(&sender.send_due_once().await.unwrap()),
        (3, 0)
    );
    fixture.make_every_mail_due().await;
    assert_eq!(
        sent_and_failed(&sender.send_due_once().await.unwrap()),
        (0, 0)
    );

    let received = smtp.received();
    assert_eq!(received.len(), 3, "{received:#?}");
    for (recipient, mail_id) in recipients.iter().zip(&mail_ids) {
        let copies: Vec<_> = received
            .iter()
            .filter(|mail| mail.rcpt_tos == [*recipient])
            .collect();
        assert_eq!(copies.len(), 1, "{recipient}: {received:#?}");
        assert!(
            copies[0]
                .message_id
                .trim()
                .starts_with(&format!("<outbox-{mail_id}.")),
            "{copies:#?}"
        );
    }
    for row in fixture.rows().await {
        // The failure stays counted; the last error stays as a record of it.
        assert_eq!(row.attempts, 1, "{row:?}");
        assert!(row.sent_at.is_some(), "{row:?}");
    }
}

async fn a_mail_enqueued_in_a_rolled_back_transaction_is_never_sent(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let fixture = Fixture::new(&backend, smtp.port()).await;
    let sender = fixture.sender();

    let rolled_back = fixture.db.begin().await.unwrap();
    outbox::enqueue(
        &rolled_back,
        &Texts::default(),
        fixture.approval_mail("rolled-back@example.com", 7),
    )
    .await
    .unwrap();
    rolled_back.rollback().await.unwrap();
    let committed_id = fixture
        .enqueue_committed(fixture.approval_mail("committed@example.com", 8))
        .await;

    assert_eq!(
        sent_and_failed(&sender.send_due_once().await.unwrap()),
        (1, 0)
    );
    let received = smtp.received();
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0].rcpt_tos, ["committed@example.com"]);
    let row_ids: Vec<i64> = fixture.rows().await.iter().map(|row| row.id).collect();
    assert_eq!(row_ids, [committed_id]);
}

async fn without_a_relay_mail_goes_to_the_log_and_counts_as_sent(backend: Backend) {
    let mut fixture = Fixture::new(&backend, free_port()).await;
    fixture.mail_settings.transport = MailTransportKind::Log;
    let sender = fixture.sender();
    let mail_id = fixture
        .enqueue_committed(fixture.approval_mail("approver@example.com", 5))
        .await;

    assert_eq!(
        sent_and_failed(&sender.send_due_once().await.unwrap()),
        (1, 0)
    );
    let row = mail_outbox::Entity::find_by_id(mail_id)
        .one(&fixture.db)
        .await
        .unwrap()
        .expect("the outbox row");
    assert!(row.sent_at.is_some());
}

async fn senders_side_by_side_share_the_due_mail_and_send_each_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let mut fixture = Fixture::new(&backend, smtp.port()).await;
    // Small claims, so that the senders take turns over the backlog many times.
    fixture.mail_settings.batch_size = 5;
    let mut mail_ids = Vec::new();
    for ticket_id in 0..40 {
        let mail = fixture.approval_mail("approver@example.com", ticket_id);
        mail_ids.push(fixture.enqueue_committed(mail).await);
    }
    let senders = [fixture.sender(), fixture.sender(), fixture.sender()];
    // Passes run together until a round finds nothing due.
    let mut sent = 0;
    loop {
        let passes =
            futures_util::future::join_all(senders.iter().map(|sender| sender.send_due_once()))
                .await;
        let round: usize = passes.into_iter().map(|pass| pass.unwrap().sent).sum();
        if round == 0 {
            break;
        }
        sent += round;
    }
    assert_eq!(sent, 40);
    let mut message_ids: Vec<String> = smtp
        .received()
        .into_iter()
        .map(|mail| mail.message_id.trim().to_owned())
        .collect();
    assert_eq!(message_ids.len(), 40, "every mail delivered, none twice");
    message_ids.sort();
    message_ids.dedup();
    assert_eq!(message_ids.len(), 40, "{message_ids:?}");
    let rows = fixture.rows().await;
    assert_eq!(rows.iter().map(|row| row.id).collect::<Vec<_>>(), mail_ids);
    assert!(rows
        .iter()
        .all(|row| row.sent_at.is_some() && row.attempts == 0));
}

async fn a_nudge_wakes_the_sender_without_waiting_for_the_poll(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let mut fixture = Fixture::new(&backend, smtp.port()).await;
    // No poll comes round within the test: only the pass at start and nudges send mail.
    fixture.mail_settings.poll_interval_ms = 3_600_000;
    let supervisor = Supervisor::new(ActorRegistry::default(), Backoff::default());
    let nudge = Nudge::default();
    let mail_sender = yunguan::mail::sender::start(
        &supervisor,
        fixture.db.clone(),
        &fixture.mail_settings,
        &nudge,
    )
    .expect("mail sender starts");

    // The first mail may go out with the pass at start; once it is counted, that pass is
    // over, and the second mail can only go out because of a nudge.
    for (sent_total, recipient) in [(1, "first@example.com"), (2, "second@example.com")] {
        fixture
            .enqueue_committed(fixture.approval_mail(recipient, 9))
            .await;
        nudge.nudge();
        // The one wait of these tests: for the actor to deliver, bounded.
        for _ in 0..200 {
            if mail_sender.snapshot().sent_total >= sent_total {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let snapshot = mail_sender.snapshot();
        assert_eq!(snapshot.sent_total, sent_total, "{snapshot:?}");
    }

    let received = smtp.received();
    let recipients: Vec<&str> = received
        .iter()
        .flat_map(|mail| mail.rcpt_tos.iter().map(String::as_str))
        .collect();
    assert_eq!(recipients, ["first@example.com", "second@example.com"]);
    let snapshot = mail_sender.snapshot();
    assert_eq!(snapshot.failed_attempts_total, 0, "{snapshot:?}");
    assert_eq!(snapshot.last_error_opt, None, "{snapshot:?}");
    assert!(mail_sender.health().is_running());
    mail_sender.stop_supervising();
}

//! Notification channels end to end, against a local receiver that checks signatures itself
//! (`receiver`): who keeps which channel and what they may set, approval notices reaching the
//! channels of the ticket's tenant and of the approvers' role (DingTalk signed, WeCom), and a
//! signed webhook retried until its receiver takes it. Alarms reaching a channel are tested
//! with real polling in `monitoring_api`.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_every_backend;
use crate::receiver::{Receiver, DINGTALK_TOKEN, WECOM_KEY};
use crate::tickets::{approve_ok, populate, submit_vm};

on_every_backend!(
    channels_are_kept_by_their_tenant_and_never_answer_their_secrets,
    approval_notices_reach_the_channels_of_the_tenant_and_the_role,
    a_signed_webhook_is_retried_until_taken_and_waits_while_disabled,
);

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    app.created("/api/v1/notification-channels", token, &body)
        .await
}

async fn status_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn channels_are_kept_by_their_tenant_and_never_answer_their_secrets(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let world = populate(&app).await;
    let (admin, edu_admin, health_admin, edu_dev) = (
        app.login("admin").await,
        app.login("edu-admin").await,
        app.login("health-admin").await,
        app.login("edu-dev").await,
    );
    let bureau = create(
        &app,
        &admin,
        json!({
            "name": "值班群", "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=very-secret-token",
            "secret": "SEC-signing-secret", "alarms": true, "min_severity": "critical",
        }),
    )
    .await;
    assert_eq!(bureau["endpoint"], "https://oapi.dingtalk.com/robot/send");
    assert_eq!(bureau["signed"], true);
    assert_eq!(bureau["tenant_id"], Value::Null);
    let answered = bureau.to_string();
    assert!(!answered.contains("very-secret-token") && !answered.contains("SEC-signing"));
    // A tenant admin's channel is their tenant's, whether they say so or not.
    let edu = create(
        &app,
        &edu_admin,
        json!({"name": "教育局审批群", "kind": "wecom",
               "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "approvals": true}),
    )
    .await;
    assert_eq!(edu["tenant_id"], world.edu);
    assert_eq!(edu["locale"], "zh-CN");
    let health = create(
        &app,
        &health_admin,
        json!({"name": "h", "kind": "webhook", "url": "http://127.0.0.1:9/hook", "approvals": true}),
    )
    .await;

    // Not another tenant's, not alarms, not for anyone but admins.
    let other_tenant = app
        .post_json(
            "/api/v1/notification-channels",
            Some(&edu_admin),
            &json!({"name": "x", "kind": "webhook", "url": "http://127.0.0.1:9/", "approvals": true, "tenant_id": world.health}),
        )
        .await;
    assert_eq!(other_tenant.status(), 403);
    let (status, body) = status_of(
        app.post_json(
            "/api/v1/notification-channels",
            Some(&edu_admin),
            &json!({"name": "x", "kind": "webhook", "url": "http://127.0.0.1:9/", "alarms": true}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, &body["fields"][0]["field"]),
        (422, &json!("alarms")),
        "{body}"
    );
    for path in [
        "/api/v1/notification-channels".to_owned(),
        format!("/api/v1/notification-channels/{}", edu["id"]),
    ] {
        assert_eq!(app.get(&path, Some(&edu_dev)).await.status(), 403, "{path}");
    }
    let listed = app
        .get_ok("/api/v1/notification-channels", &edu_admin)
        .await;
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&edu["id"]]);
    for channel in [&bureau, &health] {
        let path = format!("/api/v1/notification-channels/{}", channel["id"]);
        assert_eq!(app.get(&path, Some(&edu_admin)).await.status(), 404);
        let patched = app
            .patch_json(&path, &edu_admin, &json!({"enabled": false}))
            .await;
        assert_eq!(patched.status(), 404);
        assert_eq!(app.delete(&path, &edu_admin).await.status(), 404);
        let test = app
            .post_json(&format!("{path}/test"), Some(&edu_admin), &json!({}))
            .await;
        assert_eq!(test.status(), 404);
    }
    let all = app.get_ok("/api/v1/notification-channels", &admin).await;
    assert_eq!(all.as_array().unwrap().len(), 3);

    // Every wrong field at once.
    let (status, body) = status_of(
        app.post_json(
            "/api/v1/notification-channels",
            Some(&admin),
            &json!({"name": " ", "kind": "wecom", "url": "ftp://example.com/", "secret": "s",
                    "alarms": true, "rule_ids": [999999], "locale": "fr"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let mut fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["locale", "name", "rule_ids", "secret", "url"],
        "{body}"
    );
    let (status, body) = status_of(
        app.post_json(
            "/api/v1/notification-channels",
            Some(&admin),
            &json!({"name": "n", "kind": "sms", "url": "http://127.0.0.1:9/"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("`dingtalk`"),
        "{body}"
    );

    // A change keeps the secret unless it is named; the kind stays.
    let path = format!("/api/v1/notification-channels/{}", bureau["id"]);
    let changed: Value = app
        .patch_json(&path, &admin, &json!({"name": "夜班群", "rule_ids": [1]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&changed["name"], &changed["signed"]),
        (&json!("夜班群"), &json!(true))
    );
    assert_eq!(changed["rule_ids"], json!([1]));
    let unsigned: Value = app
        .patch_json(&path, &admin, &json!({"secret": null, "rule_ids": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&unsigned["signed"], &unsigned["rule_ids"]),
        (&json!(false), &Value::Null)
    );
    let (status, _) = status_of(
        app.patch_json(&path, &admin, &json!({"kind": "webhook"}))
            .await,
    )
    .await;
    assert_eq!(status, 422);

    // Audited, for the tenant's admin too.
    let trail = app
        .get_ok("/api/v1/audit?object_type=notification_channel", &edu_admin)
        .await;
    let actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["notification_channel.create"], "{trail}");
    assert!(!app
        .get_ok("/api/v1/audit?object_type=notification_channel", &admin)
        .await
        .to_string()
        .contains("very-secret-token"));
    assert_eq!(app.delete(&path, &admin).await.status(), 204);
    assert_eq!(app.get(&path, Some(&admin)).await.status(), 404);
}

async fn approval_notices_reach_the_channels_of_the_tenant_and_the_role(backend: Backend) {
    let receiver = Receiver::start(None, Some("SEC-dingtalk"), &[]).await;
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let (admin, edu_admin, health_admin, edu_dev) = (
        app.login("admin").await,
        app.login("edu-admin").await,
        app.login("health-admin").await,
        app.login("edu-dev").await,
    );
    // The education bureau's admins, by DingTalk, signed; the operators' group, by WeCom;
    // the health bureau's, by webhook.
    create(
        &app,
        &edu_admin,
        json!({"name": "教育局", "kind": "dingtalk", "secret": "SEC-dingtalk", "approvals": true,
               "approver_role": "tenant_admin",
               "url": receiver.url(&format!("/dingtalk/robot/send?access_token={DINGTALK_TOKEN}"))}),
    )
    .await;
    create(
        &app,
        &admin,
        json!({"name": "运维群", "kind": "wecom", "approvals": true, "approver_role": "bureau_operator",
               "locale": "en", "url": receiver.url(&format!("/wecom/cgi-bin/webhook/send?key={WECOM_KEY}"))}),
    )
    .await;
    create(
        &app,
        &health_admin,
        json!({"name": "卫健委", "kind": "webhook", "approvals": true, "url": receiver.url("/webhook/health")}),
    )
    .await;

    let ticket = submit_vm(&app, &edu_dev, 1).await;
    let id = ticket["id"].as_i64().unwrap();
    let dingtalk = receiver.wait_for("/dingtalk/robot/send", 1).await;
    assert_eq!(dingtalk.len(), 1, "{dingtalk:?}");
    assert_eq!(dingtalk[0].verified, Some(true));
    let text = dingtalk[0].body["markdown"]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("工单 #{id}")) && text.contains("/#/tickets/"),
        "{text}"
    );
    assert!(!text.contains("请勿直接回复"), "{text}");

    // The next level is the operators': their group hears of it, in English.
    approve_ok(&app, &edu_admin, id).await;
    let wecom = receiver.wait_for("/wecom/cgi-bin/webhook/send", 1).await;
    assert_eq!(wecom.len(), 1, "{wecom:?}");
    let content = wecom[0].body["markdown"]["content"].as_str().unwrap();
    assert!(content.contains(&format!("Ticket #{id}")), "{content}");

    // The health bureau's channel heard nothing of another tenant's ticket, and each channel
    // only of its role's level.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let posts = receiver.posts();
    assert!(
        posts.iter().all(|p| p.path != "/webhook/health"),
        "{posts:?}"
    );
    assert_eq!(posts.len(), 2, "{posts:?}");
}

async fn a_signed_webhook_is_retried_until_taken_and_waits_while_disabled(backend: Backend) {
    let receiver = Receiver::start(Some("whsec-1"), None, &[("/webhook/flaky", 2)]).await;
    let (app, _storage) = spawn_app(backend).await;
    populate(&app).await;
    let admin = app.login("admin").await;
    let flaky = create(
        &app,
        &admin,
        json!({"name": "ITSM", "kind": "webhook", "secret": "whsec-1", "approvals": true,
               "url": receiver.url("/webhook/flaky")}),
    )
    .await;
    let path = format!("/api/v1/notification-channels/{}", flaky["id"]);
    let (status, queued) = status_of(
        app.post_json(&format!("{path}/test"), Some(&admin), &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, &queued["event"]),
        (202, &json!("test")),
        "{queued}"
    );

    // Two refusals, then taken: three posts, one delivery id, the signature good every time.
    let posts = receiver.wait_for("/webhook/flaky", 1).await;
    let statuses: Vec<u16> = posts.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert!(posts.iter().all(|p| p.verified == Some(true)), "{posts:?}");
    assert!(posts
        .iter()
        .all(|p| p.delivery == posts[0].delivery && p.event.as_deref() == Some("test")));
    assert_eq!(posts[2].body["event"], "test");
    let deliveries = app.get_ok(&format!("{path}/deliveries"), &admin).await;
    assert_eq!(deliveries[0]["attempts"], 2, "{deliveries}");
    assert!(deliveries[0]["delivered_at"].is_string(), "{deliveries}");

    // A secret the receiver does not know: refused, recorded, retried, not lost.
    let wrong = create(
        &app,
        &admin,
        json!({"name": "wrong", "kind": "webhook", "secret": "not-whsec", "approvals": true,
               "url": receiver.url("/webhook/wrong")}),
    )
    .await;
    let wrong_path = format!("/api/v1/notification-channels/{}", wrong["id"]);
    app.post_json(&format!("{wrong_path}/test"), Some(&admin), &json!({}))
        .await;
    let mut last_error = Value::Null;
    for _ in 0..100 {
        let deliveries = app
            .get_ok(&format!("{wrong_path}/deliveries"), &admin)
            .await;
        last_error = deliveries[0]["last_error"].clone();
        if last_error.is_string() {
            assert!(deliveries[0]["delivered_at"].is_null());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        last_error
            .as_str()
            .is_some_and(|e| e.starts_with("HTTP 401")),
        "{last_error}"
    );

    // Disabled, a channel's posts wait; enabled again, they go at once.
    let off: Value = app
        .patch_json(&path, &admin, &json!({"enabled": false}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(off["enabled"], false);
    app.post_json(&format!("{path}/test"), Some(&admin), &json!({}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(receiver.wait_for("/webhook/flaky", 1).await.len(), 3);
    let held = app.get_ok(&format!("{path}/deliveries"), &admin).await;
    assert_eq!(held[0]["last_error"], "the channel is disabled", "{held}");
    app.patch_json(&path, &admin, &json!({"enabled": true}))
        .await;
    let posts = receiver.wait_for("/webhook/flaky", 2).await;
    assert_eq!(posts.len(), 4);
    assert_ne!(posts[3].delivery, posts[0].delivery);
}

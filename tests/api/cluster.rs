//! Several nodes sharing PostgreSQL and Redis: events cross nodes exactly once and in order,
//! resume works on another node, and the Redis bridge actor is restarted when its connection
//! dies. These need Redis, so they run on the PostgreSQL + Redis backend only.

use std::time::Duration;

use serde_json::Value;
use yunguan::identity::Role;

use crate::helpers::{settings_for, spawn_node, Backend, Storage, TestApp};

struct Cluster {
    node1: TestApp,
    node2: TestApp,
    _storage: Storage,
}

async fn cluster() -> Option<Cluster> {
    let backend = Backend::postgres_redis()?;
    let storage = Storage::new(&backend).await;
    let node1 = spawn_node(settings_for(&storage)).await;
    let node2 = spawn_node(settings_for(&storage)).await;
    node1
        .create_user("manager", Role::BureauManager, None)
        .await;
    node1.create_user("admin", Role::BureauAdmin, None).await;
    Some(Cluster {
        node1,
        node2,
        _storage: storage,
    })
}

#[actix_web::test]
async fn an_event_published_on_one_node_arrives_once_and_in_order_on_another() {
    let Some(Cluster {
        node1,
        node2,
        _storage,
    }) = cluster().await
    else {
        return;
    };
    // One database: a token from node 1 works on node 2.
    let token = node1.login("manager").await;
    let mut on_node2 = node2.ws(&token).await;
    let mut on_node1 = node1.ws(&token).await;
    on_node2.subscribe("announcements", None).await;
    let base = on_node1.subscribe("announcements", None).await["seq"]
        .as_u64()
        .unwrap();

    for i in 1..=30 {
        assert_eq!(
            node1
                .post_announcement(&token, &format!("n{i}"), None)
                .await
                .status(),
            201
        );
    }
    for socket in [&mut on_node2, &mut on_node1] {
        let mut seqs = Vec::new();
        for _ in 1..=30 {
            let event = socket.next_json().await;
            assert_eq!(event["op"], "event");
            let seq = event["seq"].as_u64().unwrap();
            assert_eq!(event["data"]["title"], format!("n{}", seq - base));
            seqs.push(seq);
        }
        assert_eq!(seqs, (base + 1..=base + 30).collect::<Vec<_>>());
        socket.expect_silence(Duration::from_millis(300)).await;
    }
}

#[actix_web::test]
async fn sequence_numbers_are_shared_so_a_client_resumes_on_another_node() {
    let Some(Cluster {
        node1,
        node2,
        _storage,
    }) = cluster().await
    else {
        return;
    };
    let token = node1.login("manager").await;
    let mut socket = node1.ws(&token).await;
    socket.subscribe("announcements", None).await;
    node2.post_announcement(&token, "from node 2", None).await;
    node1.post_announcement(&token, "from node 1", None).await;
    let first = socket.next_json().await["seq"].as_u64().unwrap();
    let second = socket.next_json().await["seq"].as_u64().unwrap();
    assert_eq!(second, first + 1, "one counter for both nodes");
    drop(socket);

    node1.post_announcement(&token, "missed a", None).await;
    node2.post_announcement(&token, "missed b", None).await;
    let mut resumed = node2.ws(&token).await;
    assert_eq!(
        resumed.subscribe("announcements", Some(second)).await["seq"],
        second + 2
    );
    let missed: Vec<Value> = vec![
        resumed.next_json().await["data"]["title"].clone(),
        resumed.next_json().await["data"]["title"].clone(),
    ];
    assert_eq!(missed, ["missed a", "missed b"]);
    resumed.expect_silence(Duration::from_millis(200)).await;
}

#[actix_web::test]
async fn the_redis_bridge_is_restarted_when_its_connection_dies_and_keeps_serving() {
    let Some(backend) = Backend::postgres_redis() else {
        return;
    };
    let Backend::PostgresRedis { redis_url, .. } = backend.clone() else {
        unreachable!()
    };
    // This node talks to Redis as its own ACL user, so that killing its connections leaves
    // the other tests' alone.
    let user = format!("yunguan-test-{}", uuid::Uuid::new_v4().simple());
    let admin = redis::Client::open(redis_url.as_str()).unwrap();
    let mut admin = admin.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("ACL")
        .arg(&["SETUSER", &user, "on", "nopass", "~*", "&*", "+@all"][..])
        .query_async(&mut admin)
        .await
        .unwrap();
    let mut node_url = url::Url::parse(&redis_url).unwrap();
    node_url.set_username(&user).unwrap();
    node_url.set_password(Some("unused")).unwrap();
    let storage = Storage::new(&backend).await;
    let mut settings = settings_for(&storage);
    settings.redis.url = Some(secrecy::SecretString::from(node_url.to_string()));
    let node = spawn_node(settings).await;
    node.create_user("admin", Role::BureauAdmin, None).await;
    let token = node.login("admin").await;
    let mut socket = node.ws(&token).await;
    socket.subscribe("announcements", None).await;

    let killed: i64 = redis::cmd("CLIENT")
        .arg(&["KILL", "USER", &user, "SKIPME", "yes"][..])
        .query_async(&mut admin)
        .await
        .unwrap();
    assert!(killed >= 1);

    // Events may have been lost while the bridge was down: the subscriber is told to resync.
    assert_eq!(socket.next_json().await["op"], "resync");
    let actors: Value = node
        .get("/api/v1/admin/actors", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let bridge = actors["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|actor| actor["name"] == "redis-bridge")
        .expect("the bridge is listed")
        .clone();
    assert_eq!(bridge["restarts"], 1, "{bridge}");
    assert_eq!(bridge["running"], true);
    assert_eq!(bridge["last_failure"], "stopped");
    assert_eq!(actors["redis_bridge"]["subscribed"], true);

    assert_eq!(
        node.post_announcement(&token, "after restart", None)
            .await
            .status(),
        201
    );
    assert_eq!(socket.next_json().await["data"]["title"], "after restart");
    let metrics = node.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("yunguan_actor_restarts_total{actor=\"redis-bridge\"} 1"),
        "{metrics}"
    );
    let actors: Value = node
        .get("/api/v1/admin/actors", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(actors["redis_bridge"]["events_received"].as_u64().unwrap() >= 1);

    let _: i64 = redis::cmd("ACL")
        .arg(&["DELUSER", &user][..])
        .query_async(&mut admin)
        .await
        .unwrap();
}

#[actix_web::test]
async fn nodes_starting_together_migrate_once() {
    let Some(backend) = Backend::postgres_redis() else {
        return;
    };
    let storage = Storage::new(&backend).await;
    let url = secrecy::SecretString::from(storage.database_url.clone());
    let (first, second, third) = tokio::join!(
        yunguan::db::connect_and_migrate(&url, 2),
        yunguan::db::connect_and_migrate(&url, 2),
        yunguan::db::connect_and_migrate(&url, 2),
    );
    for node in [first, second, third] {
        node.expect("every node starts");
    }
}

//! Backup and restore as deploy/README.md describes them, tried once: `pg_dump` of the
//! database and a copy of the credential key; `pg_restore` into a fresh database; a node on
//! the restored database with the key reads every sealed credential, and without the key
//! nothing opens. PostgreSQL only (the embedded SQLite is a first-run default).

use std::path::Path;
use std::process::Command;

use sea_orm::{ConnectionTrait, Database, EntityTrait};
use secrecy::ExposeSecret;
use serde_json::json;
use yunguan::db::entities::device;
use yunguan::inventory::credentials::Credentials;
use yunguan::inventory::devices::SNMP_CREDENTIALS_PURPOSE;
use yunguan::secrets::Sealer;

use crate::helpers::{settings_for, spawn_app, spawn_node, Backend, Storage};
use crate::inventory_crud::site;

fn run(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL client program");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn copy_key(from: &Path, to: &Path) {
    std::fs::copy(from.join("credential.key"), to.join("credential.key"))
        .expect("the credential key file is where deploy/README.md says");
}

#[actix_web::test]
async fn a_dump_restored_with_its_credential_key_keeps_every_sealed_credential() {
    let Some(backend) = Backend::postgres_redis() else {
        return;
    };
    let (app, storage) = spawn_app(backend.clone()).await;
    let site = site(&app).await;
    let created = app
        .created(
            "/api/v1/devices",
            &site.admin,
            &json!({"data_center_id": site.data_center_id, "name": "core-1", "kind": "router", "tier": "core",
                "management_address": "192.0.2.1",
                "credentials": {"version": "v2c", "community": "s3cret-community"}}),
        )
        .await;
    let device_id = created["id"].as_i64().unwrap();

    // The backup: the database, and the key beside it.
    let backup = tempfile::tempdir().unwrap();
    let dump = backup.path().join("yunguan.dump");
    run(Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&dump)
        .arg(&storage.database_url));
    copy_key(storage.data_dir(), backup.path());

    // The restore: a fresh database, a fresh node directory with the key put back.
    let restored = Storage::new(&backend).await;
    run(Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&restored.database_url)
        .arg(&dump));
    copy_key(backup.path(), restored.data_dir());
    let node = spawn_node(settings_for(&restored)).await;
    let admin = node.login("admin").await;
    let device = node
        .get_ok(&format!("/api/v1/devices/{device_id}"), &admin)
        .await;
    assert_eq!(device["name"], "core-1");
    assert_eq!(device["snmp_version"], "v2c");

    let db = Database::connect(restored.database_url.as_str())
        .await
        .unwrap();
    let row = device::Entity::find_by_id(device_id)
        .one(&db)
        .await
        .unwrap()
        .expect("the device is restored");
    let sealed = row.snmp_credentials_sealed.expect("sealed credentials");
    let settings = settings_for(&restored);
    let sealer = Sealer::from_settings(&settings.secrets, restored.data_dir()).unwrap();
    match sealer
        .open_json::<Credentials>(SNMP_CREDENTIALS_PURPOSE, &sealed)
        .unwrap()
    {
        Credentials::V2c { community } => {
            assert_eq!(community.expose_secret(), "s3cret-community");
        }
        other => panic!("restored as {other:?}"),
    }
    // Without the key, a restore keeps the rows and loses every credential.
    let other_key = Sealer::from_key(&[7; 32]);
    assert!(other_key
        .open_json::<Credentials>(SNMP_CREDENTIALS_PURPOSE, &sealed)
        .is_err());
    db.execute_unprepared("SELECT 1").await.unwrap();
}

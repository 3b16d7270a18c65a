//! The database: connecting (SQLite or PostgreSQL, from one URL), running the migrations,
//! and the sea-orm entities in [`entities`].
//!
//! Queries live with the module that owns the data (identity, announcements); this module
//! only owns the connection and the table mappings.

pub mod entities;

use std::time::Duration;

use anyhow::Context;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use yunguan_migrations::{Migrator, MigratorTrait};

/// Which kind of database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL: expected sqlite:// or postgres://")
        }
    }
}

/// Connects, creating the SQLite file's folder when needed, and runs pending migrations.
pub async fn connect_and_migrate(
    url: &SecretString,
    max_connections: u32,
) -> anyhow::Result<DatabaseConnection> {
    let db = connect(url, max_connections).await?;
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // Nodes starting together must not migrate at once: the first takes a lock that
            // the others wait for, then find nothing left to do.
            let transaction = db
                .begin()
                .await
                .context("starting the migration transaction")?;
            transaction
                .execute_unprepared("SELECT pg_advisory_xact_lock(7102562141)")
                .await
                .context("taking the migration lock")?;
            Migrator::up(&transaction, None)
                .await
                .context("running database migrations")?;
            transaction
                .commit()
                .await
                .context("committing migrations")?;
        }
        _ => Migrator::up(&db, None)
            .await
            .context("running database migrations")?,
    }
    Ok(db)
}

pub async fn connect(
    url: &SecretString,
    max_connections: u32,
) -> anyhow::Result<DatabaseConnection> {
    let url = url.expose_secret();
    let backend = Backend::of_url(url)?;
    if backend == Backend::Sqlite {
        if let Some(dir) = sqlite_file(url).and_then(|file| file.parent().map(|p| p.to_owned())) {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating data directory {}", dir.display()))?;
            }
        }
    }
    // Under WAL, SQLite's readers run side by side with its one writer; writers wait for
    // each other on SQLite's lock (the busy timeout), and transactions take it up front
    // ([`begin`]). An in-memory database exists per connection, so it gets one.
    let max_connections = match backend {
        Backend::Sqlite if sqlite_file(url).is_none() => 1,
        Backend::Sqlite | Backend::Postgres => max_connections.max(1),
    };
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .context("connecting to the database")?;
    if backend == Backend::Sqlite {
        // WAL lets readers proceed during a write; it is a property of the file, so one
        // statement covers every pooled connection.
        db.execute_unprepared("PRAGMA journal_mode=WAL")
            .await
            .context("enabling SQLite WAL")?;
    }
    Ok(db)
}

/// Starts a transaction that may write; every transaction starts here.
///
/// On SQLite it holds the write lock from its first statement (`BEGIN IMMEDIATE`): a
/// deferred transaction that reads and then writes fails with `SQLITE_BUSY` when another
/// connection committed in between, which no busy timeout waits out, whereas an immediate
/// one waits its turn for the lock. sea-orm always begins with a plain `BEGIN`, which takes
/// nothing until the first statement, so that empty transaction is swapped for an immediate
/// one on the same connection; commit and rollback then end the immediate one.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let transaction = db.begin().await?;
    if transaction.get_database_backend() == DbBackend::Sqlite {
        transaction.execute_unprepared("ROLLBACK").await?;
        transaction.execute_unprepared("BEGIN IMMEDIATE").await?;
    }
    Ok(transaction)
}

/// The file path of a `sqlite://path?params` URL.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Whether the database answers, for `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_and_sqlite_file_come_from_the_url() {
        assert_eq!(
            Backend::of_url("sqlite://./data/y.db?mode=rwc").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::of_url("postgres://root@localhost/test").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::of_url("mysql://x").is_err());
        assert_eq!(
            sqlite_file("sqlite://./data/y.db?mode=rwc").unwrap(),
            std::path::PathBuf::from("./data/y.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}

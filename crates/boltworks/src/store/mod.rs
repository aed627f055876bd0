//! Storage: one sqlx pool over SQLite (the default, a file in the data directory) or PostgreSQL,
//! with migrations per dialect run at start.
//!
//! Queries are written once, in the SQL both dialects share, with `$1`-style placeholders (SQLite
//! accepts them too); only the schema differs per dialect, in `migrations/{sqlite,postgres}`.
//! Amounts are BIGINT (i64) read and bound as `Msat`/`Sat`, states are TEXT read and bound as
//! their enums (`columns`); times are unix seconds from the hub's `Clock`.

pub(crate) mod columns;
mod constraint;
pub mod group_commit;

use std::path::PathBuf;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

pub use self::columns::UnknownValue;
pub use self::constraint::{is_unique_violation, OnUniqueViolation};
pub use self::group_commit::{GroupCommit, JobFuture};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database the hub uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseConfig {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl DatabaseConfig {
    /// The database of `--database-url`: `postgres://` or `postgresql://` URLs, or
    /// `sqlite://PATH`; `None` for anything else.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(DatabaseConfig::Postgres(url.to_string()))
        } else {
            url.strip_prefix("sqlite://")
                .map(|path| DatabaseConfig::Sqlite(PathBuf::from(path)))
        }
    }
}

/// Which database a `Store` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The hub's database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// On SQLite, the one connection the busiest writers share (see `writer`); on PostgreSQL,
    /// the pool.
    writer: AnyPool,
    /// Small write transactions of many requests, committed together on `writer`.
    group: GroupCommit,
    backend: Backend,
}

/// A pool of `size` SQLite connections.
async fn sqlite_pool(size: u32, options: AnyConnectOptions) -> anyhow::Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL lets readers run beside the one writer; FULL sync makes every commit
                // durable before it returns, which money movements rely on.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?)
}

impl Store {
    /// Connects and runs the dialect's migrations.
    pub async fn connect(database: &DatabaseConfig) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match database {
            DatabaseConfig::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                )
            }
            DatabaseConfig::Postgres(url) => (url.clone(), Backend::Postgres),
        };
        let options: AnyConnectOptions = url.parse()?;
        let (pool, writer) = match backend {
            Backend::Sqlite => (
                sqlite_pool(8, options.clone()).await?,
                sqlite_pool(1, options).await?,
            ),
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        tracing::info!(?backend, "database ready");
        let group = GroupCommit::start(writer.clone());
        Ok(Self {
            pool,
            writer,
            group,
            backend,
        })
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for the hot write transactions (creating invoices, internal payments). SQLite
    /// has one writer at a time: writers on many connections wait for it in SQLite's busy
    /// handler, which sleeps 1, 2, 5, 10... ms between tries, so under load most of a write's
    /// time is sleep. On one connection they queue in the pool instead, first come first served,
    /// and each starts the moment the last one commits. On PostgreSQL it is the pool.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// The group committer: `store.group_commit().run(job)` runs a small write transaction
    /// among others in one commit (see `group_commit`).
    pub fn group_commit(&self) -> &GroupCommit {
        &self.group
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers a trivial query.
    pub async fn is_reachable(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// The rows of `sql`, a query of (text, count) pairs such as `SELECT status, COUNT(*) ...
    /// GROUP BY status` (for metrics).
    pub async fn grouped_counts(
        &self,
        sql: &'static str,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        sqlx::query_as(sql).fetch_all(&self.pool).await
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

//! A PostgreSQL database of its own for each benchmark hub: created on the server
//! `--database-url` names, dropped when the hub stops. A run then starts empty as on SQLite
//! (no merchants of an earlier run, whose fixed e-mails would clash, and no treasury made with
//! another seed).

use sqlx::Connection;

/// A database created for one benchmark hub.
pub(super) struct FreshDatabase {
    /// The server's URL with the database left out.
    server: String,
    name: String,
}

impl FreshDatabase {
    /// Creates a database on the server of `url` (a `postgres://` URL, with or without a
    /// database name).
    pub(super) async fn create(url: &str) -> anyhow::Result<Self> {
        let (without_query, query) = url.split_once('?').unwrap_or((url, ""));
        anyhow::ensure!(
            query.is_empty(),
            "--database-url: query parameters are not supported here"
        );
        let after_scheme = without_query
            .find("://")
            .map(|at| at + 3)
            .ok_or_else(|| anyhow::anyhow!("--database-url: not a URL"))?;
        let server = match without_query[after_scheme..].find('/') {
            Some(slash) => &without_query[..after_scheme + slash],
            None => without_query,
        };
        let database = Self {
            server: server.to_string(),
            name: format!(
                "boltworks_bench_{}_{}",
                std::process::id(),
                hex::encode(rand::random::<[u8; 4]>())
            ),
        };
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::query(&format!("CREATE DATABASE {}", database.name))
            .execute(&mut conn)
            .await?;
        Ok(database)
    }

    /// The new database's URL.
    pub(super) fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// Drops it (the hub using it has stopped); a failure is reported, not fatal.
    pub(super) async fn drop_database(self) {
        let dropped = async {
            let mut conn =
                sqlx::PgConnection::connect(&format!("{}/postgres", self.server)).await?;
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = dropped {
            eprintln!("could not drop the benchmark database {}: {e:#}", self.name);
        }
    }
}

//! The store's group commit on both databases: many requests' jobs at once each get their own
//! answer; a job that fails (a refusal after a write, or a write the database refuses) keeps
//! nothing, and the jobs it shared a transaction with keep everything; a job's answer comes after
//! its writes are committed; a job that panics loses its writes, and the committer goes on.

use std::sync::Arc;

use boltworks::config::DatabaseConfig;
use boltworks::store::{JobFuture, Store};
use sqlx::AnyConnection;

use crate::harness::postgres::fresh_database_url;

/// What a probe job may fail with.
#[derive(Debug)]
enum ProbeError {
    Refused,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for ProbeError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

/// How a probe job ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ending {
    /// Both its rows are written.
    Writes,
    /// It writes one row, then refuses.
    RefusesAfterWriting,
    /// It writes one row, then one the database refuses (a taken key).
    CollidesAfterWriting,
}

fn ending_of(n: i64) -> Ending {
    match n % 10 {
        3 => Ending::RefusesAfterWriting,
        7 => Ending::CollidesAfterWriting,
        _ => Ending::Writes,
    }
}

async fn probe(conn: &mut AnyConnection, n: i64) -> Result<i64, ProbeError> {
    let insert = "INSERT INTO probe (id, n) VALUES ($1, $2)";
    sqlx::query(insert)
        .bind(format!("a{n}"))
        .bind(n)
        .execute(&mut *conn)
        .await?;
    match ending_of(n) {
        Ending::Writes => {
            sqlx::query(insert)
                .bind(format!("b{n}"))
                .bind(n)
                .execute(&mut *conn)
                .await?;
            Ok(n)
        }
        Ending::RefusesAfterWriting => Err(ProbeError::Refused),
        Ending::CollidesAfterWriting => {
            sqlx::query(insert)
                .bind("taken")
                .bind(n)
                .execute(&mut *conn)
                .await?;
            Ok(n)
        }
    }
}

async fn rows_of(store: &Store, n: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM probe WHERE n = $1")
        .bind(n)
        .fetch_one(store.pool())
        .await
        .expect("count")
}

async fn exercise(database: DatabaseConfig) {
    let store = Arc::new(Store::connect(&database).await.expect("connect"));
    sqlx::query("CREATE TABLE probe (id TEXT PRIMARY KEY, n BIGINT NOT NULL)")
        .execute(store.pool())
        .await
        .expect("table");
    sqlx::query("INSERT INTO probe (id, n) VALUES ('taken', -1)")
        .execute(store.pool())
        .await
        .expect("the taken key");

    let jobs: Vec<_> = (0..300_i64)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let answer = store
                    .group_commit()
                    .run(move |conn| -> JobFuture<'_, i64, ProbeError> { Box::pin(probe(conn, n)) })
                    .await;
                // An answer comes after the commit: another connection sees it already.
                let seen = rows_of(&store, n).await;
                (n, answer, seen)
            })
        })
        .collect();
    for job in jobs {
        let (n, answer, seen) = job.await.expect("job task");
        match (ending_of(n), answer) {
            (Ending::Writes, Ok(value)) => {
                assert_eq!(value, n);
                assert_eq!(seen, 2, "job {n}: both rows, committed");
            }
            (Ending::RefusesAfterWriting, Err(ProbeError::Refused)) => {
                assert_eq!(seen, 0, "job {n}: its first row rolled back");
            }
            (Ending::CollidesAfterWriting, Err(ProbeError::Database(e))) => {
                assert!(
                    boltworks::store::is_unique_violation(&e),
                    "job {n}: the taken key, not {e}"
                );
                assert_eq!(seen, 0, "job {n}: its first row rolled back");
            }
            (ending, answer) => panic!("job {n} ({ending:?}) answered {answer:?}"),
        }
    }
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM probe")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(
        total,
        1 + 2 * 240,
        "the taken key and two rows per good job"
    );

    // A job that panics after writing loses its writes and its group, not the committer.
    let panicked = store
        .group_commit()
        .run(|conn| -> JobFuture<'_, (), ProbeError> {
            Box::pin(async move {
                sqlx::query("INSERT INTO probe (id, n) VALUES ('panicked', 1000)")
                    .execute(&mut *conn)
                    .await?;
                panic!("a job's bug");
            })
        })
        .await;
    assert!(
        matches!(panicked, Err(ProbeError::Database(_))),
        "{panicked:?}"
    );
    assert_eq!(rows_of(&store, 1000).await, 0);
    let after = store
        .group_commit()
        .run(|conn| -> JobFuture<'_, i64, ProbeError> { Box::pin(probe(conn, 1001)) })
        .await
        .expect("the committer goes on");
    assert_eq!((after, rows_of(&store, 1001).await), (1001, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    exercise(DatabaseConfig::Sqlite(dir.path().join("hub.sqlite"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_on_postgres() {
    exercise(DatabaseConfig::Postgres(fresh_database_url().await)).await;
}

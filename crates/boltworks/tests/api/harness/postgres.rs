//! Fresh PostgreSQL databases on the local server, one per test (scripts/test.sh drops what
//! earlier runs left behind).

/// A new PostgreSQL database on the local server, for one test; its URL. A missing server
/// fails the test.
pub async fn fresh_database_url() -> String {
    use sqlx::Connection;
    let admin = std::env::var("BOLTWORKS_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
    let name = format!("boltworks_test_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut conn = sqlx::PgConnection::connect(&format!("{admin}/postgres"))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL must run at {admin} for these tests (scripts/test.sh starts it): {e}"
            )
        });
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    format!("{admin}/{name}")
}

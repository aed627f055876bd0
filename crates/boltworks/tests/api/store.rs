//! Storage on both databases: migrations apply (and re-apply as no-ops), and payment records
//! and idempotency keys behave the same on SQLite and PostgreSQL. PostgreSQL must be running (scripts/test.sh starts
//! it); each test gets a fresh database.

use boltworks::clock::Clock;
use boltworks::config::DatabaseConfig;
use boltworks::money::Msat;
use boltworks::node::{payment_listing, payments};
use boltworks::node::{PaymentDirection, PaymentHash, PaymentStatus};
use boltworks::store::{Backend, Store};

use crate::harness::postgres::fresh_database_url;
use crate::harness::{ServeOptions, TestStack};

async fn exercise(database: DatabaseConfig, backend: Backend) {
    let store = Store::connect(&database)
        .await
        .expect("connect and migrate");
    assert_eq!(store.backend(), backend);
    assert!(store.is_reachable().await);
    // Migrations are recorded: connecting again changes nothing.
    store.close().await;
    let store = Store::connect(&database).await.expect("reconnect");
    let clock = Clock::adjustable();
    let hash: PaymentHash = "11".repeat(32).parse().expect("hash");

    assert!(payments::find(&store, "bob", hash)
        .await
        .expect("find")
        .is_none());
    payments::record_invoice(
        &mut store.pool().acquire().await.expect("conn"),
        &clock,
        "bob",
        hash,
        Msat(5_000),
        1_000,
    )
    .await
    .expect("record");
    payments::record_invoice(
        &mut store.pool().acquire().await.expect("conn"),
        &clock,
        "bob",
        hash,
        Msat(9_999),
        1_000,
    )
    .await
    .expect("record twice");
    let record = payments::find(&store, "bob", hash)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(
        (record.direction, record.status, record.amount_msat),
        (
            PaymentDirection::Inbound,
            PaymentStatus::Pending,
            Some(Msat(5_000))
        )
    );

    // The operator's listing filters by direction and status, on both databases.
    let listed = payment_listing::list(&store, "bob", None, None, 10)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].payment_hash, hash.to_string());
    let inbound = Some(PaymentDirection::Inbound);
    let pending = Some(PaymentStatus::Pending);
    let listed = payment_listing::list(&store, "bob", inbound, pending, 10)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    let outbound = Some(PaymentDirection::Outbound);
    let listed = payment_listing::list(&store, "bob", outbound, None, 10)
        .await
        .expect("list");
    assert!(listed.is_empty());

    // Records are per node.
    assert!(payments::find(&store, "alice", hash)
        .await
        .expect("find")
        .is_none());

    payments::mark(
        &store,
        &clock,
        "bob",
        hash,
        PaymentDirection::Inbound,
        PaymentStatus::Failed,
        Some("failed back"),
    )
    .await
    .expect("mark");
    let failed = payments::find(&store, "bob", hash)
        .await
        .expect("find")
        .expect("row");
    assert_eq!(failed.status, PaymentStatus::Failed);
    assert_eq!(failed.failure_reason.as_deref(), Some("failed back"));

    // A succeeded payment is final: nothing moves it back.
    sqlx::query("UPDATE node_payments SET status = 'succeeded' WHERE payment_hash = $1")
        .bind(hash.to_string())
        .execute(store.pool())
        .await
        .expect("update");
    payments::mark(
        &store,
        &clock,
        "bob",
        hash,
        PaymentDirection::Inbound,
        PaymentStatus::Failed,
        None,
    )
    .await
    .expect("mark");
    assert_eq!(
        payments::find(&store, "bob", hash)
            .await
            .expect("find")
            .expect("row")
            .status,
        PaymentStatus::Succeeded
    );

    // Amounts at the BIGINT limit round-trip exactly.
    let big: PaymentHash = "22".repeat(32).parse().expect("hash");
    payments::record_invoice(
        &mut store.pool().acquire().await.expect("conn"),
        &clock,
        "alice",
        big,
        Msat(i64::MAX as u64),
        1_000,
    )
    .await
    .expect("record");
    assert_eq!(
        payments::find(&store, "alice", big)
            .await
            .expect("find")
            .expect("row")
            .amount_msat,
        Some(Msat(i64::MAX as u64))
    );

    // Money columns refuse what is not a payment state.
    let bad = sqlx::query(
        "INSERT INTO node_payments (node, payment_hash, direction, status, created_at, updated_at) VALUES ('x', 'y', 'sideways', 'pending', 0, 0)",
    )
    .execute(store.pool())
    .await;
    assert!(bad.is_err(), "the direction check constraint holds");
    idempotency_keys(&store).await;
    store.close().await;
}

/// Claims of idempotency keys: the first runs, a repeat waits (this process) or is busy
/// (another's, until stale), an answer is given again, another request is refused, an expired or
/// stale claim is taken over.
async fn idempotency_keys(store: &Store) {
    use boltworks::http::idempotency::store::{self as keys, Claimed, KeyClaim, StoredAnswer};
    let claim =
        |key: &'static str, fingerprint: &'static str, owner: &'static str, now: i64| KeyClaim {
            scope: "merchant:m1",
            key,
            fingerprint,
            owner,
            now,
            expired_before: now - 86_400,
            stale_before: now - 120,
        };
    let pool = store.pool();
    let first = claim("k", "f1", "boot-a", 1_000);
    assert_eq!(
        keys::claim(pool, &first).await.expect("claim"),
        Claimed::Fresh
    );
    assert_eq!(
        keys::claim(pool, &first).await.expect("claim"),
        Claimed::Running
    );
    let other_process = claim("k", "f1", "boot-b", 1_010);
    assert_eq!(
        keys::claim(pool, &other_process).await.expect("claim"),
        Claimed::Busy
    );
    let other_request = claim("k", "f2", "boot-a", 1_010);
    assert_eq!(
        keys::claim(pool, &other_request).await.expect("claim"),
        Claimed::OtherRequest
    );
    // A stopped process's claim is taken over once stale.
    let later = claim("k", "f1", "boot-b", 1_200);
    assert_eq!(
        keys::claim(pool, &later).await.expect("claim"),
        Claimed::Fresh
    );
    // So is a claim of this process whose request was dropped where its key was not freed.
    let stuck = claim("k-stuck", "f1", "boot-a", 1_000);
    assert_eq!(
        keys::claim(pool, &stuck).await.expect("claim"),
        Claimed::Fresh
    );
    let same_process_later = claim("k-stuck", "f1", "boot-a", 1_200);
    assert_eq!(
        keys::claim(pool, &same_process_later).await.expect("claim"),
        Claimed::Fresh
    );
    // Only the claim that holds a key frees it: not the one taken over.
    keys::release(pool, "merchant:m1", "k-stuck", ("boot-a", 1_000))
        .await
        .expect("release");
    assert_eq!(
        keys::claim(pool, &claim("k-stuck", "f1", "boot-c", 1_210))
            .await
            .expect("claim"),
        Claimed::Busy,
        "the new claim still holds it"
    );
    keys::release(pool, "merchant:m1", "k-stuck", ("boot-a", 1_200))
        .await
        .expect("release");
    let answer = StoredAnswer {
        status: 200,
        content_type: Some("application/json".into()),
        body: r#"{"payment_id":"p1"}"#.into(),
    };
    let mut conn = pool.acquire().await.expect("conn");
    // Only the claim that holds the key answers for it: not the one taken over (boot-a's).
    assert!(
        !keys::record_answer(&mut conn, "merchant:m1", "k", ("boot-a", 1_000), &answer)
            .await
            .expect("record")
    );
    assert!(
        keys::record_answer(&mut conn, "merchant:m1", "k", ("boot-b", 1_200), &answer)
            .await
            .expect("record")
    );
    drop(conn);
    let repeat = claim("k", "f1", "boot-c", 1_300);
    assert_eq!(
        keys::claim(pool, &repeat).await.expect("claim"),
        Claimed::Answered(answer)
    );
    // The same key of another caller is its own.
    let theirs = KeyClaim {
        scope: "merchant:m2",
        ..claim("k", "f2", "boot-c", 1_300)
    };
    assert_eq!(
        keys::claim(pool, &theirs).await.expect("claim"),
        Claimed::Fresh
    );
    // A day later the key is new again, whatever it named.
    let next_day = claim("k", "f2", "boot-c", 1_200 + 86_401);
    assert_eq!(
        keys::claim(pool, &next_day).await.expect("claim"),
        Claimed::Fresh
    );
    // Released while running: the key is free.
    keys::release(pool, "merchant:m2", "k", ("boot-c", 1_300))
        .await
        .expect("release");
    assert_eq!(
        keys::claim(pool, &theirs).await.expect("claim"),
        Claimed::Fresh
    );
    // Expired keys are deleted.
    assert_eq!(
        keys::forget_expired(pool, 2_000).await.expect("forget"),
        1,
        "merchant:m2's (made at 1300)"
    );
}

#[tokio::test]
async fn store_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    exercise(
        DatabaseConfig::Sqlite(dir.path().join("nested").join("hub.sqlite")),
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test]
async fn store_on_postgres() {
    let url = fresh_database_url().await;
    exercise(DatabaseConfig::Postgres(url), Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_hub_runs_on_postgres() {
    let stack = TestStack::builder().demo_nodes().postgres().build().await;
    let invoice = stack.hub.dev.invoice("bob", 21_000).await;
    let hash = stack
        .hub
        .dev
        .pay("alice", &invoice.bolt11)
        .await
        .expect("pay");
    stack.hub.dev.wait_payment("bob", &hash, "succeeded").await;
    stack.stop().await;
}

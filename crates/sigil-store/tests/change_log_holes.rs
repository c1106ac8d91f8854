//! PostgreSQL hands a change-log sequence number out when a transaction inserts its entry, not
//! when it commits: a transaction that took number N can commit after the one that took N + 1.
//! A node reading the log applies N + 1 at once and keeps asking for N until it appears (or
//! until it has waited a minute by the database's clock: `sigil_core::changes` explains why
//! that is enough). SQLite serialises writers, so no such hole forms there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, Utc};
use sigil_core::audit::{kind, Actor};
use sigil_core::changes::Change;
use sigil_core::clock::ManualClock;
use sigil_core::crypto::MasterKey;
use sigil_core::revocation::{Revocation, RevocationKind};
use sigil_core::service::CoreConfig;
use sigil_core::store::TokenStore;
use sigil_core::Core;
use sqlx::Connection;
use std::sync::Arc;

fn revocation(jti: &str) -> Revocation {
    let now = Utc::now();
    Revocation {
        kind: RevocationKind::Token,
        key: jti.into(),
        revoked_at: now,
        expires_at: now + Duration::hours(1),
    }
}

#[tokio::test]
async fn a_change_committed_after_a_later_one_is_still_applied() {
    let Some(base) = sigil_store::testing::postgres_test_url() else {
        return;
    };
    let url = sigil_store::testing::fresh_postgres_database(&base)
        .await
        .expect("database");
    let store = sigil_store::SqlStore::connect(&url).await.expect("connect");
    let (master, _) = MasterKey::generate();
    let start = DateTime::from_timestamp(1_723_155_585, 0).unwrap();
    let node = Core::new(
        Arc::new(store.clone()),
        Arc::new(ManualClock::at(start)),
        master,
        CoreConfig::default(),
        Arc::new(sigil_core::federation::key_sets::NoFetcher),
    );
    assert_eq!(node.sync_changes().await.expect("an empty log"), 0);

    // A slow transaction takes the next number and stays open.
    let mut slow = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::query("BEGIN")
        .execute(&mut slow)
        .await
        .expect("begin");
    let straggler = serde_json::to_string(&Change::Revoked(revocation("slow"))).unwrap();
    sqlx::query("INSERT INTO change_log (doc) VALUES ($1)")
        .bind(&straggler)
        .execute(&mut slow)
        .await
        .expect("insert");
    // Another commits after it, with the number after.
    let revoked =
        |jti: &str| Actor::default().event(kind::TOKEN_REVOKED, Utc::now(), None, Some(jti.into()));
    store
        .insert_revocation(&revocation("fast"), &revoked("fast"))
        .await
        .expect("revoke");

    assert_eq!(
        node.sync_changes().await.expect("read"),
        1,
        "the later entry, applied at once"
    );
    assert_eq!(
        node.sync_changes().await.expect("read"),
        0,
        "the earlier one is not there yet"
    );
    sqlx::query("COMMIT")
        .execute(&mut slow)
        .await
        .expect("commit");
    assert_eq!(
        node.sync_changes().await.expect("read"),
        1,
        "the earlier entry, committed late, applied when it appears"
    );
    assert_eq!(node.sync_changes().await.expect("read"), 0, "once");

    // A transaction that rolls back leaves a number that never appears; the entries after it
    // are applied all the same.
    sqlx::query("BEGIN")
        .execute(&mut slow)
        .await
        .expect("begin");
    sqlx::query("INSERT INTO change_log (doc) VALUES ($1)")
        .bind(&straggler)
        .execute(&mut slow)
        .await
        .expect("insert");
    sqlx::query("ROLLBACK")
        .execute(&mut slow)
        .await
        .expect("rollback");
    store
        .insert_revocation(&revocation("after"), &revoked("after"))
        .await
        .expect("revoke");
    assert_eq!(node.sync_changes().await.expect("read"), 1);
    assert!(node.changes_current());
    slow.close().await.expect("close");
    store.close().await;
}

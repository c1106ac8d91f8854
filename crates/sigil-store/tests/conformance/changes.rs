//! The change log: what is logged, by which clock, pruning, and notifications.

use crate::support::*;
use chrono::{Duration, Utc};
use sigil_core::audit::{kind, Actor};
use sigil_core::changes::Change;
use sigil_core::revocation::{Revocation, RevocationKind};
use sigil_core::store::{AuditStore, ChangeStore, Store};
use sigil_store::SqlStore;

async fn audited_changes_and_revocations_are_logged(store: &dyn Store) {
    assert!(changes(store, 0).await.is_empty(), "a fresh store");
    let (org, _) = create_org(store, "acme").await;
    let updated = Actor::default().event(
        kind::SERVICE_ACCOUNT_UPDATED,
        now(),
        Some(org.id),
        Some("mdb_sa_id_1".into()),
    );
    store.record_event(&updated).await.expect("record");
    // Failed authentications and token exchanges change nothing another node holds.
    for not_a_change in [kind::AUTHENTICATION_FAILED, kind::FEDERATED_TOKEN_EXCHANGED] {
        store
            .record_event(&event(not_a_change, None))
            .await
            .expect("record");
    }
    let revocation = Revocation {
        kind: RevocationKind::Token,
        key: "jti-1".into(),
        revoked_at: now(),
        expires_at: now() + Duration::hours(1),
    };
    let revoked = Actor::default().event(
        kind::TOKEN_REVOKED,
        now(),
        Some(org.id),
        Some("jti-1".into()),
    );
    store
        .insert_revocation(&revocation, &revoked)
        .await
        .expect("revoke");
    assert_eq!(
        changes(store, 0).await,
        // Creations and the revocation's own event change nothing another node must forget;
        // the revocation itself is logged.
        vec![
            audited(kind::SERVICE_ACCOUNT_UPDATED, Some("mdb_sa_id_1")),
            Change::Revoked(revocation.clone()),
        ]
    );
    let records = store.changes_after(0, 1000).await.expect("read");
    assert_eq!(
        changes(store, records[0].seq).await,
        vec![Change::Revoked(revocation)],
        "read after a sequence number"
    );
    assert!(
        changes(store, records[1].seq).await.is_empty(),
        "nothing recorded after"
    );
    assert_eq!(
        store
            .changes_after(0, 1)
            .await
            .expect("read")
            .iter()
            .map(|r| r.seq)
            .collect::<Vec<_>>(),
        vec![records[0].seq],
        "at most `limit`"
    );
    let asked = [records[1].seq, records[1].seq + 7, records[0].seq];
    let found: Vec<i64> = store
        .changes_in(&asked)
        .await
        .expect("read")
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(
        found,
        vec![records[0].seq, records[1].seq],
        "only what exists"
    );
    assert!(store.changes_in(&[]).await.expect("read").is_empty());
}

/// Entries are stamped by the database's clock, whatever the writing node's clock says (an
/// event dated 2023 here): nodes whose clocks disagree read, prune and wait by one clock.
async fn changes_are_stamped_by_the_database_clock(store: &dyn Store) {
    let before = store.database_now().await.expect("the database's clock");
    store
        .record_event(&event(kind::API_KEY_DELETED, None))
        .await
        .expect("record");
    let after = store.database_now().await.expect("the database's clock");
    assert!(after >= before);
    let records = store.changes_after(0, 10).await.expect("read");
    assert_eq!(records.len(), 1);
    assert!(
        records[0].at >= before && records[0].at <= after,
        "{:?} not within {before} ..= {after}",
        records[0].at
    );
    assert_ne!(records[0].at, now(), "not the writer's clock");
    assert!(
        (before - Utc::now()).num_seconds().abs() < 3600,
        "the database's clock is the machine's here: {before}"
    );
}

async fn old_changes_are_pruned_but_the_newest_stays(store: &dyn Store) {
    let deleted = |target: &str| {
        Actor::default().event(kind::API_KEY_DELETED, now(), None, Some(target.into()))
    };
    assert_eq!(store.change_floor(now()).await.expect("floor"), None);
    for target in ["first", "second", "third"] {
        store.record_event(&deleted(target)).await.expect("record");
    }
    let db_now = store.database_now().await.expect("the database's clock");
    let an_hour_ago = db_now - Duration::hours(1);
    assert_eq!(
        store.prune_changes(an_hour_ago).await.expect("prune"),
        0,
        "nothing is an hour old"
    );
    assert_eq!(store.change_floor(an_hour_ago).await.expect("floor"), None);
    let newest = newest_seq(store).await;
    let later = db_now + Duration::seconds(10);
    assert_eq!(
        store.change_floor(later).await.expect("floor"),
        Some(newest)
    );
    assert_eq!(
        store.prune_changes(later).await.expect("prune"),
        2,
        "all but the newest"
    );
    assert_eq!(
        changes(store, 0).await,
        vec![audited(kind::API_KEY_DELETED, Some("third"))],
        "the newest stays: the floor of a reader starting afresh"
    );
    assert_eq!(
        store.change_floor(later).await.expect("floor"),
        Some(newest)
    );
    assert_eq!(store.prune_changes(later).await.expect("prune"), 0);
    // Numbers are never handed out again, pruned or not.
    store
        .record_event(&deleted("fourth"))
        .await
        .expect("record");
    assert!(newest_seq(store).await > newest);
}

conformance!(
    audited_changes_and_revocations_are_logged,
    changes_are_stamped_by_the_database_clock,
    old_changes_are_pruned_but_the_newest_stays,
);

#[tokio::test]
async fn sqlite_has_no_change_notifications() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqlStore::open_data_dir(dir.path()).await.expect("open");
    assert!(store
        .subscribe_changes()
        .await
        .expect("subscribe")
        .is_none());
}

/// A change written by one process wakes the others at once (the NOTIFY of migration 0003).
#[tokio::test]
async fn postgres_wakes_another_store_on_a_change() {
    let Some(base) = sigil_store::testing::postgres_test_url() else {
        return;
    };
    let url = sigil_store::testing::fresh_postgres_database(&base)
        .await
        .expect("create database");
    let listening = SqlStore::connect(&url).await.expect("connect");
    let writing = SqlStore::connect(&url).await.expect("connect");
    let wake = listening
        .subscribe_changes()
        .await
        .expect("subscribe")
        .expect("PostgreSQL notifies");
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(200), wake.notified()).await;
    assert!(quiet.is_err(), "woken before anything was written");
    let started = std::time::Instant::now();
    writing
        .record_event(&event(kind::SERVICE_ACCOUNT_DELETED, None))
        .await
        .expect("record");
    tokio::time::timeout(std::time::Duration::from_secs(2), wake.notified())
        .await
        .unwrap_or_else(|_| panic!("not woken within 2 s of a write by another store"));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(
        changes(&listening, 0).await,
        vec![audited(kind::SERVICE_ACCOUNT_DELETED, None)]
    );
    writing.close().await;
    listening.close().await;
}

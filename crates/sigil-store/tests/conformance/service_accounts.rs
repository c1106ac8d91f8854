//! Service accounts and their secrets.

use crate::support::*;
use chrono::Duration;
use sigil_core::audit::{kind, Actor};
use sigil_core::ids::HexId;
use sigil_core::oauth::service_accounts::{ServiceAccount, ServiceAccountSecret};
use sigil_core::page::PageRequest;
use sigil_core::privilege::OrgRole;
use sigil_core::revocation::{Revocation, RevocationKind};
use sigil_core::store::Store;

/// An account of `org` created `at` seconds after [`now`].
fn account(org: HexId, name: &str, at: i64) -> ServiceAccount {
    ServiceAccount {
        client_id: format!("mdb_sa_id_{}", HexId::random()),
        org_id: org,
        name: name.into(),
        description: format!("{name}'s account"),
        roles: vec![OrgRole::OrgMember],
        created_at: now() + Duration::seconds(at),
    }
}

/// A secret of `account` expiring `hours` after [`now`].
fn secret(account: &ServiceAccount, hours: i64) -> ServiceAccountSecret {
    ServiceAccountSecret {
        id: HexId::random(),
        client_id: account.client_id.clone(),
        hash: HexId::random().to_string(),
        masked: "mdb_sa_sk_...abcd".into(),
        created_at: now(),
        expires_at: now() + Duration::hours(hours),
        last_used_at: None,
        expiry_recorded: false,
    }
}

fn revocation(kind: RevocationKind, key: &str) -> Revocation {
    Revocation {
        kind,
        key: key.into(),
        revoked_at: now(),
        expires_at: now() + Duration::hours(1),
    }
}

async fn create(store: &dyn Store, account: &ServiceAccount) -> ServiceAccountSecret {
    let first = secret(account, 1);
    store
        .insert_service_account(account, &first, &event("SA", Some(account.org_id)))
        .await
        .expect("insert account");
    first
}

/// Accounts are created with their first secret, read by client id, listed per organization
/// by creation, updated, and deleted with their secrets and the revocation of their tokens.
async fn service_accounts_are_kept_per_organization(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    let (other, _) = create_org(store, "other").await;
    let (late, early, middle) = (
        account(org.id, "late", 2),
        account(org.id, "early", 0),
        account(org.id, "middle", 1),
    );
    let mut firsts = vec![];
    for a in [&late, &early, &middle] {
        firsts.push(create(store, a).await);
    }
    let elsewhere = account(other.id, "elsewhere", 0);
    create(store, &elsewhere).await;
    let again = store
        .insert_service_account(&early, &secret(&early, 1), &event("SA", None))
        .await
        .err();
    assert!(again.is_some(), "a client id is taken once");
    assert_eq!(
        store
            .get_service_account(&early.client_id)
            .await
            .expect("get"),
        Some(early.clone())
    );
    assert_eq!(
        store.list_secrets(&late.client_id).await.expect("secrets"),
        vec![firsts[0].clone()],
        "created with its first secret"
    );
    let unknown = format!("mdb_sa_id_{}", HexId::random());
    assert_eq!(
        store.get_service_account(&unknown).await.expect("get"),
        None
    );
    let page = |n| PageRequest {
        page_num: n,
        items_per_page: 2,
        include_count: true,
    };
    let first = store
        .list_service_accounts(org.id, &page(1))
        .await
        .expect("list");
    assert_eq!(first.total, 3);
    assert_eq!(
        first.items,
        vec![early.clone(), middle.clone()],
        "by creation"
    );
    let second = store
        .list_service_accounts(org.id, &page(2))
        .await
        .expect("list");
    assert_eq!(second.items, vec![late.clone()]);
    let theirs = store
        .list_service_accounts(other.id, &PageRequest::default())
        .await
        .expect("list");
    assert_eq!(theirs.items, vec![elsewhere]);

    let renamed = ServiceAccount {
        name: "renamed".into(),
        roles: vec![OrgRole::OrgOwner],
        ..middle.clone()
    };
    let updated = Actor::default().event(kind::SERVICE_ACCOUNT_UPDATED, now(), Some(org.id), None);
    store
        .update_service_account(&renamed, &updated)
        .await
        .expect("update");
    assert_eq!(
        store
            .get_service_account(&middle.client_id)
            .await
            .expect("get"),
        Some(renamed)
    );
    assert_eq!(
        event_types(store, org.id).await[0],
        kind::SERVICE_ACCOUNT_UPDATED
    );

    let seq = newest_seq(store).await;
    let revoked = revocation(RevocationKind::ServiceAccount, &late.client_id);
    assert!(store
        .delete_service_account(
            &late.client_id,
            &revoked,
            &event("SA_DELETED", Some(org.id))
        )
        .await
        .expect("delete"));
    assert_eq!(
        store
            .get_service_account(&late.client_id)
            .await
            .expect("get"),
        None
    );
    assert!(store
        .list_secrets(&late.client_id)
        .await
        .expect("secrets")
        .is_empty());
    assert_eq!(logged_revocations(store, seq).await, vec![revoked.clone()]);
    assert!(store
        .list_revocations(now())
        .await
        .expect("revocations")
        .contains(&revoked));
    let seq = newest_seq(store).await;
    assert!(!store
        .delete_service_account(&late.client_id, &revoked, &event("SA_DELETED", None))
        .await
        .expect("delete again"));
    assert_eq!(
        newest_seq(store).await,
        seq,
        "nothing written for nothing deleted"
    );
    assert_eq!(
        store
            .list_service_accounts(org.id, &PageRequest::default())
            .await
            .expect("list")
            .total,
        2
    );
}

/// At most `max_live` secrets are live at once (expired ones do not count); they are listed by
/// expiry, touched when used, and deleted with the revocation of their tokens.
async fn secrets_are_limited_to_the_live_ones(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    let owner = account(org.id, "owner", 0);
    let s1 = create(store, &owner).await;
    let (s3, s2) = (secret(&owner, 3), secret(&owner, 2));
    let added = |s: &ServiceAccountSecret, at| {
        let s = s.clone();
        async move {
            store
                .insert_secret(&s, 2, at, &event("SECRET", Some(org.id)))
                .await
                .expect("insert secret")
        }
    };
    assert!(added(&s3, now()).await);
    assert!(!added(&s2, now()).await, "two are live already");
    assert!(
        added(&s2, now() + Duration::minutes(90)).await,
        "the first has expired: it does not count"
    );
    assert_eq!(
        store.list_secrets(&owner.client_id).await.expect("list"),
        vec![s1.clone(), s2.clone(), s3.clone()],
        "by expiry"
    );
    let stranger = account(org.id, "stranger", 1);
    create(store, &stranger).await;
    let revoked = revocation(RevocationKind::Secret, &s2.id.to_string());
    assert!(
        !store
            .delete_secret(&stranger.client_id, s2.id, &revoked, &event("S", None))
            .await
            .expect("delete"),
        "a secret is deleted through its own account only"
    );
    let seq = newest_seq(store).await;
    assert!(store
        .delete_secret(&owner.client_id, s2.id, &revoked, &event("S", None))
        .await
        .expect("delete"));
    assert_eq!(logged_revocations(store, seq).await, vec![revoked]);
    let used_at = now() + Duration::minutes(5);
    store.touch_secret(s1.id, used_at).await.expect("touch");
    store
        .touch_secret(HexId::random(), used_at)
        .await
        .expect("touch nothing");
    let left = store.list_secrets(&owner.client_id).await.expect("list");
    assert_eq!(
        left,
        vec![
            ServiceAccountSecret {
                last_used_at: Some(used_at),
                ..s1
            },
            s3
        ]
    );
}

/// Each expired secret is flagged, with one audit event, once.
async fn expired_secrets_are_recorded_once(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    let owner = account(org.id, "owner", 0);
    let s1 = create(store, &owner).await;
    let s3 = secret(&owner, 3);
    assert!(store
        .insert_secret(&s3, 2, now(), &event("SECRET", None))
        .await
        .expect("insert"));
    assert_eq!(
        store.record_expired_secrets(now()).await.expect("record"),
        0
    );
    let at_expiry = now() + Duration::hours(1);
    assert_eq!(
        store
            .record_expired_secrets(at_expiry)
            .await
            .expect("record"),
        1
    );
    assert_eq!(
        store
            .record_expired_secrets(at_expiry)
            .await
            .expect("record"),
        0,
        "once"
    );
    let flags: Vec<bool> = store
        .list_secrets(&owner.client_id)
        .await
        .expect("list")
        .iter()
        .map(|s| s.expiry_recorded)
        .collect();
    assert_eq!(flags, [true, false]);
    let events = store
        .list_events(org.id, false, &PageRequest::default())
        .await
        .expect("events");
    let expired: Vec<_> = events
        .items
        .iter()
        .filter(|e| e.event_type == kind::SERVICE_ACCOUNT_SECRET_EXPIRED)
        .map(|e| e.target_id.clone())
        .collect();
    assert_eq!(
        expired,
        vec![Some(s1.id.to_string())],
        "audited under its organization"
    );
    assert_eq!(
        store
            .record_expired_secrets(now() + Duration::hours(5))
            .await
            .expect("record"),
        1
    );
}

conformance!(
    service_accounts_are_kept_per_organization,
    secrets_are_limited_to_the_live_ones,
    expired_secrets_are_recorded_once,
);

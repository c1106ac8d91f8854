//! Revocations and Sigil's token-signing keys.

use crate::support::*;
use chrono::Duration;
use sigil_core::oauth::StoredSigningKey;
use sigil_core::revocation::{Revocation, RevocationKind};
use sigil_core::store::Store;

fn revocation(kind: RevocationKind, key: &str, hours: i64) -> Revocation {
    Revocation {
        kind,
        key: key.into(),
        revoked_at: now(),
        expires_at: now() + Duration::hours(hours),
    }
}

async fn listed(store: &dyn Store, at: chrono::DateTime<chrono::Utc>) -> Vec<Revocation> {
    let mut all = store.list_revocations(at).await.expect("list");
    all.sort_by(|a, b| a.key.cmp(&b.key));
    all
}

/// Revocations are listed until they expire and pruned after; one of the same key moves
/// its cutoff and expiry forward, never back; each is logged for the other nodes.
async fn revocations_are_listed_until_they_expire(store: &dyn Store) {
    let token = revocation(RevocationKind::Token, "a-jti", 1);
    let secret = revocation(RevocationKind::Secret, "b-secret", 2);
    // Same key, another kind: another revocation.
    let account = revocation(RevocationKind::ServiceAccount, "a-jti", 2);
    let seq = newest_seq(store).await;
    for r in [&token, &secret, &account] {
        store
            .insert_revocation(r, &event("TOKEN_REVOKED", None))
            .await
            .expect("insert");
    }
    assert_eq!(
        logged_revocations(store, seq).await,
        vec![token.clone(), secret.clone(), account.clone()]
    );
    assert_eq!(
        listed(store, now()).await,
        vec![token.clone(), account.clone(), secret.clone()]
    );
    let an_hour_on = now() + Duration::hours(1);
    assert_eq!(
        listed(store, an_hour_on).await,
        vec![account.clone(), secret.clone()],
        "expired at its expiry"
    );
    // A later revocation of the secret moves it forward; an earlier one moves nothing back.
    let later = Revocation {
        revoked_at: now() + Duration::minutes(30),
        expires_at: now() + Duration::hours(3),
        ..secret.clone()
    };
    let earlier = Revocation {
        revoked_at: now() - Duration::minutes(30),
        expires_at: now() + Duration::minutes(30),
        ..secret.clone()
    };
    for r in [&later, &earlier] {
        store
            .insert_revocation(r, &event("TOKEN_REVOKED", None))
            .await
            .expect("again");
    }
    assert_eq!(
        listed(store, an_hour_on).await,
        vec![account.clone(), later.clone()]
    );
    assert_eq!(store.prune_revocations(now()).await.expect("prune"), 0);
    assert_eq!(store.prune_revocations(an_hour_on).await.expect("prune"), 1);
    assert_eq!(
        listed(store, now()).await,
        vec![account, later],
        "only the expired one pruned"
    );
}

fn signing_key(kid: &str, hours: i64) -> StoredSigningKey {
    StoredSigningKey {
        kid: kid.into(),
        created_at: now() + Duration::hours(hours),
        private_sealed: format!("v1.sealed-{kid}"),
        x: format!("x-{kid}"),
        y: format!("y-{kid}"),
    }
}

/// Signing keys are listed newest first, a kid is taken once, and deleted keys are gone.
async fn signing_keys_are_listed_newest_first(store: &dyn Store) {
    assert!(store.list_signing_keys().await.expect("list").is_empty());
    let (old, new, newer) = (
        signing_key("k-old", 0),
        signing_key("k-new", 24),
        signing_key("k-newer", 48),
    );
    for k in [&new, &old, &newer] {
        store.insert_signing_key(k).await.expect("insert");
    }
    assert!(
        store
            .insert_signing_key(&signing_key("k-old", 72))
            .await
            .is_err(),
        "a kid is taken once"
    );
    assert_eq!(
        store.list_signing_keys().await.expect("list"),
        vec![newer.clone(), new.clone(), old.clone()]
    );
    store.delete_signing_key("k-new").await.expect("delete");
    store
        .delete_signing_key("k-unknown")
        .await
        .expect("delete nothing");
    assert_eq!(
        store.list_signing_keys().await.expect("list"),
        vec![newer, old]
    );
}

conformance!(
    revocations_are_listed_until_they_expire,
    signing_keys_are_listed_newest_first,
);

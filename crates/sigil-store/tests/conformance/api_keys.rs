//! Elasticsearch API keys.

use crate::support::*;
use chrono::Duration;
use sigil_core::elasticsearch::api_keys::{ApiKey, ApiKeyFilter};
use sigil_core::store::Store;
use sigil_core::user::User;

/// Deleting a user invalidates its API keys in the same transaction (a later user of the same
/// name inherits none); other users' keys are untouched.
async fn deleting_a_user_invalidates_its_api_keys(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    let (gone, kept) = (user("gone", org.id), user("kept", org.id));
    for u in [&gone, &kept] {
        store.put_user(u, &event("USER", None)).await.expect("user");
    }
    let key = |id: &str, owner: &User| {
        let mut key = api_key(id, &owner.username, 0);
        key.realm = owner.realm.clone();
        key.limited_by.user_id = Some(owner.id.to_string());
        key
    };
    let (k1, k2) = ("aaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaa2");
    store
        .insert_api_key(&key(k1, &gone), &event("K", None))
        .await
        .expect("key");
    store
        .insert_api_key(&key(k2, &kept), &event("K", None))
        .await
        .expect("key");
    assert!(store
        .delete_user(gone.id, &event("USER_DELETED", None))
        .await
        .expect("delete"));
    let read = |id: &'static str| async move { store.get_api_key(id).await.expect("get") };
    let invalidated = read(k1).await.expect("kept for the retention period");
    assert!(invalidated.invalidated);
    assert_eq!(invalidated.invalidation, Some(now()));
    assert!(!read(k2).await.expect("other key").invalidated);
}

/// An id list far longer than either engine binds in one statement (SQLite: 32 766
/// variables, PostgreSQL: 65 535) finds what it names, once each, in creation order.
async fn api_keys_are_found_among_any_number_of_ids(store: &dyn Store) {
    let key = |n: i64| {
        let mut key = api_key(&format!("key{n:017}"), "bob", n);
        key.name = format!("k{n}");
        key
    };
    for n in [3, 1, 2] {
        store
            .insert_api_key(&key(n), &event("K", None))
            .await
            .expect("insert");
    }
    let mut ids: Vec<String> = (0..70_000).map(|n| format!("missing{n:013}")).collect();
    ids.insert(10, key(2).id);
    ids.insert(40_000, key(3).id);
    ids.push(key(1).id);
    ids.push(key(1).id);
    let filter = ApiKeyFilter {
        ids: Some(ids),
        ..Default::default()
    };
    let found: Vec<String> = store
        .find_api_keys(&filter)
        .await
        .expect("find")
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(found, ["k1", "k2", "k3"]);
}

/// An active key is updated (its expiration too); an invalidated one is not; a key is
/// invalidated once, at the given instant.
async fn api_keys_are_updated_until_invalidated(store: &dyn Store) {
    let key = api_key("bbbbbbbbbbbbbbbbbbb1", "bob", 0);
    store
        .insert_api_key(&key, &event("K", None))
        .await
        .expect("insert");
    let taken = store.insert_api_key(&key, &event("K", None)).await;
    assert!(taken.is_err(), "an id is taken once");
    let mut updated = key.clone();
    updated.metadata.insert("team".into(), "search".into());
    updated.expiration = Some(now() + Duration::hours(2));
    assert!(store
        .update_api_key(&updated, &event("SECURITY_API_KEY_UPDATED", None))
        .await
        .expect("update"));
    assert_eq!(
        store.get_api_key(&key.id).await.expect("get"),
        Some(updated.clone())
    );
    let at = now() + Duration::milliseconds(1500);
    assert!(store
        .invalidate_api_key(&key.id, at, &event("SECURITY_API_KEY_INVALIDATED", None))
        .await
        .expect("invalidate"));
    assert!(
        !store
            .invalidate_api_key(&key.id, at + Duration::hours(1), &event("I", None))
            .await
            .expect("invalidate again"),
        "once"
    );
    assert!(!store
        .invalidate_api_key("unknown", at, &event("I", None))
        .await
        .expect("invalidate unknown"));
    let read = store.get_api_key(&key.id).await.expect("get").expect("key");
    assert!(read.invalidated);
    assert_eq!(read.invalidation, Some(at), "to the millisecond");
    let mut late = updated.clone();
    late.name = "late".into();
    assert!(
        !store
            .update_api_key(&late, &event("SECURITY_API_KEY_UPDATED", None))
            .await
            .expect("update"),
        "an invalidated key is not updated"
    );
    assert_eq!(
        store
            .get_api_key(&key.id)
            .await
            .expect("get")
            .map(|k| k.name),
        Some(key.name)
    );
}

/// The store narrows a search by owner, realm and exact name; a name prefix is the caller's.
async fn api_keys_are_found_by_owner_realm_and_name(store: &dyn Store) {
    let mine = api_key("ccccccccccccccccccc1", "bob", 0);
    let also_mine = api_key("ccccccccccccccccccc2", "bob", 1);
    let theirs = api_key("ccccccccccccccccccc3", "eve", 2);
    let other_realm = ApiKey {
        realm: "file".into(),
        ..api_key("ccccccccccccccccccc4", "bob", 3)
    };
    for k in [&theirs, &also_mine, &mine, &other_realm] {
        store
            .insert_api_key(k, &event("K", None))
            .await
            .expect("insert");
    }
    let find = |filter: ApiKeyFilter| async move {
        store
            .find_api_keys(&filter)
            .await
            .expect("find")
            .into_iter()
            .map(|k| k.id)
            .collect::<Vec<_>>()
    };
    let bob_native = ApiKeyFilter {
        username: Some("bob".into()),
        realm: Some("default_native".into()),
        ..Default::default()
    };
    assert_eq!(
        find(bob_native).await,
        [mine.id.clone(), also_mine.id.clone()],
        "by creation"
    );
    let bob = ApiKeyFilter {
        username: Some("bob".into()),
        ..Default::default()
    };
    assert_eq!(
        find(bob).await,
        [
            mine.id.clone(),
            also_mine.id.clone(),
            other_realm.id.clone()
        ]
    );
    let named = ApiKeyFilter {
        name: Some(theirs.name.clone()),
        ..Default::default()
    };
    assert_eq!(find(named).await, [theirs.id]);
    assert_eq!(find(ApiKeyFilter::default()).await.len(), 4);
    let no_ids = ApiKeyFilter {
        ids: Some(vec![]),
        ..Default::default()
    };
    assert!(find(no_ids).await.is_empty());
}

/// Keys invalidated or expired before the cutoff are deleted; active ones and those retired
/// since stay.
async fn retired_api_keys_are_deleted_after_the_cutoff(store: &dyn Store) {
    let active = api_key("ddddddddddddddddddd1", "bob", 0);
    let invalidated = api_key("ddddddddddddddddddd2", "bob", 0);
    let expired = ApiKey {
        expiration: Some(now() + Duration::seconds(1)),
        ..api_key("ddddddddddddddddddd3", "bob", 0)
    };
    let expiring_later = ApiKey {
        expiration: Some(now() + Duration::hours(1)),
        ..api_key("ddddddddddddddddddd4", "bob", 0)
    };
    for k in [&active, &invalidated, &expired, &expiring_later] {
        store
            .insert_api_key(k, &event("K", None))
            .await
            .expect("insert");
    }
    assert!(store
        .invalidate_api_key(&invalidated.id, now(), &event("I", None))
        .await
        .expect("invalidate"));
    assert_eq!(
        store.delete_retired_api_keys(now()).await.expect("sweep"),
        0,
        "nothing retired before now"
    );
    assert_eq!(
        store
            .delete_retired_api_keys(now() + Duration::seconds(2))
            .await
            .expect("sweep"),
        2
    );
    let left: Vec<String> = store
        .find_api_keys(&ApiKeyFilter::default())
        .await
        .expect("find")
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(left, [active.id, expiring_later.id]);
}

conformance!(
    api_keys_are_found_among_any_number_of_ids,
    deleting_a_user_invalidates_its_api_keys,
    api_keys_are_updated_until_invalidated,
    api_keys_are_found_by_owner_realm_and_name,
    retired_api_keys_are_deleted_after_the_cutoff,
);

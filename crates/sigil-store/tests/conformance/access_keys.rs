//! IAM access keys.

use crate::support::*;
use sigil_core::iam::{AccessKey, AccessKeyStatus};
use sigil_core::store::Store;

/// Access keys: two per user, counted in the inserting transaction, and gone with their user.
async fn access_keys_are_limited_per_user_and_go_with_it(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    let owner = user("kim", org.id);
    store
        .put_user(&owner, &event("USER", None))
        .await
        .expect("user");
    let key = |n: u8| AccessKey {
        access: format!("SGAKTEST{n:012}"),
        user_id: owner.id,
        org_id: org.id,
        status: AccessKeyStatus::Active,
        description: String::new(),
        created_at: now(),
        sealed_secret: "v1.sealed".into(),
    };
    for n in 0..2 {
        assert!(store
            .insert_access_key(&key(n), 2, &event("AK", None))
            .await
            .expect("insert"));
    }
    assert!(!store
        .insert_access_key(&key(2), 2, &event("AK", None))
        .await
        .expect("a third"));
    assert_eq!(
        store
            .list_access_keys(org.id, Some(owner.id))
            .await
            .expect("list")
            .len(),
        2
    );
    let mut inactive = key(0);
    inactive.status = AccessKeyStatus::Inactive;
    assert!(store
        .update_access_key(&inactive, &event("AK", None))
        .await
        .expect("update"));
    assert_eq!(
        store.get_access_key(&inactive.access).await.expect("get"),
        Some(inactive.clone())
    );
    let unknown = AccessKey {
        access: "SGAKTESTUNKNOWN00000".into(),
        ..key(9)
    };
    assert!(
        !store
            .update_access_key(&unknown, &event("AK", None))
            .await
            .expect("update"),
        "no such key"
    );
    assert!(store
        .delete_access_key(&key(1).access, &event("AK", None))
        .await
        .expect("delete"));
    assert!(!store
        .delete_access_key(&key(1).access, &event("AK", None))
        .await
        .expect("delete again"));
    assert_eq!(
        store.get_access_key(&key(1).access).await.expect("get"),
        None
    );
    assert_eq!(
        store.list_access_keys(org.id, None).await.expect("list"),
        vec![inactive.clone()],
        "the other key stays"
    );
    assert!(
        store
            .insert_access_key(&key(3), 2, &event("AK", None))
            .await
            .expect("insert"),
        "a deleted key makes room"
    );
    assert!(store
        .delete_user(owner.id, &event("USER", None))
        .await
        .expect("delete"));
    assert!(store
        .get_access_key(&inactive.access)
        .await
        .expect("get")
        .is_none());
    assert!(store
        .list_access_keys(org.id, None)
        .await
        .expect("list")
        .is_empty());
}

conformance!(access_keys_are_limited_per_user_and_go_with_it);

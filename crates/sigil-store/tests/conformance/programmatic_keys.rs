//! Programmatic API keys (the Digest credentials of an organization).

use crate::support::*;
use chrono::Duration;
use sigil_core::error::CoreError;
use sigil_core::ids::HexId;
use sigil_core::page::PageRequest;
use sigil_core::privilege::OrgRole;
use sigil_core::programmatic::ProgrammaticApiKey;
use sigil_core::store::Store;
use sigil_core::user::SealedHa1;

fn key(org: HexId, public_key: &str, at: i64) -> ProgrammaticApiKey {
    ProgrammaticApiKey {
        id: HexId::random(),
        org_id: org,
        desc: format!("key {public_key}"),
        roles: vec![OrgRole::OrgMember],
        public_key: public_key.into(),
        private_key_masked: "********-****-****-****-abcdefabcdef".into(),
        digest_ha1: SealedHa1 {
            md5: format!("v1.md5-{public_key}"),
            sha256: format!("v1.sha-{public_key}"),
        },
        created_at: now() + Duration::seconds(at),
    }
}

/// Keys are found by id and by public key (which is taken once), listed per organization by
/// creation, updated, and deleted.
async fn programmatic_keys_are_found_by_id_and_public_key(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    let (other, _) = create_org(store, "other").await;
    let (second, first, theirs) = (
        key(org.id, "bbbbbbbb", 1),
        key(org.id, "aaaaaaaa", 0),
        key(other.id, "cccccccc", 0),
    );
    for k in [&second, &first, &theirs] {
        store
            .insert_programmatic_key(k, &event("KEY", Some(k.org_id)))
            .await
            .expect("insert");
    }
    let taken = store
        .insert_programmatic_key(&key(org.id, "aaaaaaaa", 2), &event("KEY", None))
        .await
        .err();
    assert!(
        matches!(taken, Some(CoreError::Conflict { .. })),
        "{taken:?}"
    );
    assert_eq!(
        store.get_programmatic_key(first.id).await.expect("get"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .get_programmatic_key_by_public("cccccccc")
            .await
            .expect("get"),
        Some(theirs.clone())
    );
    assert_eq!(
        store
            .get_programmatic_key(HexId::random())
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        store
            .get_programmatic_key_by_public("zzzzzzzz")
            .await
            .expect("get"),
        None
    );
    let listed = store
        .list_programmatic_keys(
            org.id,
            &PageRequest {
                page_num: 1,
                items_per_page: 1,
                include_count: true,
            },
        )
        .await
        .expect("list");
    assert_eq!(
        (listed.total, listed.items),
        (2, vec![first.clone()]),
        "by creation"
    );

    let updated = ProgrammaticApiKey {
        desc: "renamed".into(),
        roles: vec![OrgRole::OrgOwner, OrgRole::OrgMember],
        ..second.clone()
    };
    store
        .update_programmatic_key(&updated, &event("KEY_UPDATED", Some(org.id)))
        .await
        .expect("update");
    assert_eq!(
        store
            .get_programmatic_key_by_public("bbbbbbbb")
            .await
            .expect("get"),
        Some(updated)
    );
    assert_eq!(event_types(store, org.id).await[0], "KEY_UPDATED");

    assert!(store
        .delete_programmatic_key(first.id, &event("KEY_DELETED", Some(org.id)))
        .await
        .expect("delete"));
    assert!(!store
        .delete_programmatic_key(first.id, &event("KEY_DELETED", None))
        .await
        .expect("delete again"));
    assert_eq!(
        store.get_programmatic_key(first.id).await.expect("get"),
        None
    );
    assert_eq!(
        store
            .get_programmatic_key_by_public("aaaaaaaa")
            .await
            .expect("get"),
        None
    );
    let left = store
        .list_programmatic_keys(org.id, &PageRequest::default())
        .await
        .expect("list");
    assert_eq!(left.items.len(), 1);
    // The public key of a deleted key is free again.
    store
        .insert_programmatic_key(&key(org.id, "aaaaaaaa", 3), &event("KEY", None))
        .await
        .expect("reuse");
}

conformance!(programmatic_keys_are_found_by_id_and_public_key);

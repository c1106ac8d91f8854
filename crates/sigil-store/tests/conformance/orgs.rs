//! Organizations, their federation settings, the first start, users by name, and the audit
//! trail.

use crate::support::*;
use sigil_core::directory::org::Organization;
use sigil_core::error::CoreError;
use sigil_core::ids::HexId;
use sigil_core::page::PageRequest;
use sigil_core::store::{Bootstrap, OrgStore, Store};
use sigil_store::SqlStore;

async fn bootstrap_runs_once(store: &dyn Store) {
    assert!(!store.is_bootstrapped().await.expect("read"));
    let (org, federation_settings, connected_org_config) =
        Organization::new("default".into(), now());
    let admin = user("admin", org.id);
    let b = Bootstrap {
        org,
        federation_settings,
        connected_org_config,
        admin: admin.clone(),
        events: vec![event("X", None)],
    };
    assert!(store.bootstrap(&b).await.expect("first"));
    assert!(store.is_bootstrapped().await.expect("read"));
    let (org2, fs2, c2) = Organization::new("other".into(), now());
    let again = Bootstrap {
        org: org2,
        federation_settings: fs2,
        connected_org_config: c2,
        admin: user("admin2", HexId::random()),
        events: vec![],
    };
    assert!(
        !store.bootstrap(&again).await.expect("second"),
        "a second bootstrap writes nothing"
    );
    let found = store
        .get_user_by_name("default_native", "admin")
        .await
        .expect("read")
        .expect("admin");
    assert_eq!(found.id, admin.id);
    assert!(store
        .get_user_by_name("default_native", "admin2")
        .await
        .expect("read")
        .is_none());
    assert!(store.get_user(admin.id).await.expect("read").is_some());
}

async fn organization_names_are_unique_and_listed_by_page(store: &dyn Store) {
    let (a, fs) = create_org(store, "alpha").await;
    create_org(store, "beta").await;
    create_org(store, "gamma").await;
    let (dup, dfs, dc) = Organization::new("alpha".into(), now());
    let err = store
        .create_organization(&dup, &dfs, &dc, &event("ORG_CREATED", None))
        .await
        .err();
    assert!(matches!(err, Some(CoreError::Conflict { .. })), "{err:?}");
    assert!(
        store
            .get_federation_settings(dfs.id)
            .await
            .expect("read")
            .is_none(),
        "nothing half-written"
    );
    let page = PageRequest {
        page_num: 2,
        items_per_page: 2,
        include_count: true,
    };
    let listed = store.list_organizations(None, &page).await.expect("list");
    assert_eq!(listed.total, 3);
    assert_eq!(
        listed
            .items
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        vec!["gamma"]
    );
    let only = store
        .list_organizations(Some(&[a.id]), &PageRequest::default())
        .await
        .expect("list");
    assert_eq!(only.items, vec![a.clone()]);
    assert_eq!(store.get_organization(a.id).await.expect("read"), Some(a));
    assert!(store
        .get_federation_settings(fs)
        .await
        .expect("read")
        .is_some());
}

/// Federation settings are found by the organization they belong to, and an event of a
/// change affecting several organizations is listed under each.
async fn settings_belong_to_an_organization_and_events_reach_every_one_affected(store: &dyn Store) {
    let (a, fs_a) = create_org(store, "a").await;
    let (b, _) = create_org(store, "b").await;
    let owning = store
        .get_organization_by_federation_settings(fs_a)
        .await
        .expect("read");
    assert_eq!(owning.map(|o| o.id), Some(a.id));
    assert!(store
        .get_organization_by_federation_settings(HexId::random())
        .await
        .expect("read")
        .is_none());
    let shared = event("IDENTITY_PROVIDER_UPDATED", Some(a.id)).affecting(&[a.id, b.id]);
    store.record_event(&shared).await.expect("record");
    for org in [a.id, b.id] {
        let page = store
            .list_events(org, false, &PageRequest::default())
            .await
            .expect("list");
        assert_eq!(page.items[0].id, shared.id, "listed under {org}");
        assert_eq!(page.total, 2, "its own creation and the shared event");
    }
}

async fn events_are_listed_newest_first(store: &dyn Store) {
    let (org, _) = create_org(store, "acme").await;
    for i in 0..3 {
        store
            .record_event(&event(&format!("E{i}"), Some(org.id)))
            .await
            .expect("record");
    }
    store
        .record_event(&event("AUTHENTICATION_FAILED", None))
        .await
        .expect("record");
    store
        .record_event(&event("SIGNING_KEY_ROTATED", None))
        .await
        .expect("record");
    let page = store
        .list_events(org.id, false, &PageRequest::default())
        .await
        .expect("list");
    let kinds: Vec<&str> = page.items.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(kinds, vec!["E2", "E1", "E0", "ORG_CREATED"]);
    let with_unscoped = store
        .list_events(
            org.id,
            true,
            &PageRequest {
                page_num: 1,
                items_per_page: 2,
                include_count: true,
            },
        )
        .await
        .expect("list");
    assert_eq!(with_unscoped.total, 5, "system events are not listed");
    assert_eq!(with_unscoped.items[0].event_type, "AUTHENTICATION_FAILED");
}

conformance!(
    bootstrap_runs_once,
    organization_names_are_unique_and_listed_by_page,
    settings_belong_to_an_organization_and_events_reach_every_one_affected,
    events_are_listed_newest_first,
);

#[tokio::test]
async fn sqlite_reopens_with_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqlStore::open_data_dir(dir.path()).await.expect("open");
    create_org(&store, "kept").await;
    store.close().await;
    let again = SqlStore::open_data_dir(dir.path()).await.expect("reopen");
    let orgs = again
        .list_organizations(None, &PageRequest::default())
        .await
        .expect("list");
    assert_eq!(orgs.items.len(), 1);
}

//! One conformance suite for every store: each test runs on SQLite, and on PostgreSQL when
//! `SIGIL_TEST_DATABASE_URL` is set (always in CI).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, Utc};
use sigil_core::audit::{kind, Actor, AuditEvent};
use sigil_core::changes::Change;
use sigil_core::directory::org::Organization;
use sigil_core::error::CoreError;
use sigil_core::federation::{
    AuthorizationType, ConnectedOrgConfig, IdentityProvider, IdpType, KeySetSource, KeySetStatus,
    RoleAssignment, RoleMapping,
};
use sigil_core::iam::{AccessKey, AccessKeyStatus, IamSettings, SsoType};
use sigil_core::ids::HexId;
use sigil_core::page::PageRequest;
use sigil_core::principal::OrgRoleAssignment;
use sigil_core::privilege::OrgRole;
use sigil_core::revocation::{Revocation, RevocationKind};
use sigil_core::store::{AuditStore, Bootstrap, ChangeStore, OrgStore, Store};
use sigil_core::user::{SealedHa1, User};
use sigil_store::SqlStore;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

fn event(kind: &str, org: Option<HexId>) -> AuditEvent {
    Actor::default().event(kind, now(), org, None)
}

fn user(name: &str, org: HexId) -> User {
    User {
        id: HexId::random(),
        username: name.into(),
        realm: "default_native".into(),
        password_hash: "$argon2id$…".into(),
        digest_ha1: SealedHa1 {
            md5: "v1.x".into(),
            sha256: "v1.y".into(),
        },
        superuser: false,
        full_name: None,
        email: None,
        enabled: true,
        org_roles: vec![OrgRoleAssignment {
            org_id: org,
            role: OrgRole::OrgOwner,
        }],
        created_at: now(),
        roles: vec![],
        metadata: Default::default(),
    }
}

fn idp(fs: HexId) -> IdentityProvider {
    IdentityProvider {
        id: HexId::random(),
        federation_settings_id: fs,
        idp_type: IdpType::Workload,
        display_name: "ci".into(),
        description: None,
        issuer_uri: Some("https://issuer.example.com".into()),
        client_id: None,
        audience: Some(format!("sigil-{}", HexId::random())),
        authorization_type: AuthorizationType::Group,
        groups_claim: Some("groups".into()),
        user_claim: "sub".into(),
        requested_scopes: vec![],
        associated_domains: vec![],
        created_at: now(),
        updated_at: now(),
        key_set: KeySetStatus {
            source: KeySetSource::Discovery,
            key_ids: vec![],
            fetched_at: None,
            revoked_at: None,
            last_error: None,
        },
        pinned_jwks: None,
        enabled: true,
        iam: None,
    }
}

async fn create_org(store: &dyn Store, name: &str) -> (Organization, HexId) {
    let (org, fs, config) = Organization::new(name.into(), now());
    store
        .create_organization(&org, &fs, &config, &event("ORG_CREATED", Some(org.id)))
        .await
        .expect("create org");
    let fs_id = fs.id;
    (org, fs_id)
}

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

async fn role_mappings_are_unique_per_org_and_go_with_the_connection(store: &dyn Store) {
    let (org, fs) = create_org(store, "acme").await;
    let mapping = |name: &str| RoleMapping {
        id: HexId::random(),
        federation_settings_id: fs,
        org_id: org.id,
        external_group_name: name.into(),
        role_assignments: vec![RoleAssignment {
            org_id: org.id,
            role: OrgRole::OrgMember,
        }],
    };
    let m = mapping("devs");
    store
        .insert_role_mapping(&m, &event("RM", Some(org.id)))
        .await
        .expect("insert");
    let err = store
        .insert_role_mapping(&mapping("devs"), &event("RM", Some(org.id)))
        .await
        .err();
    assert!(matches!(err, Some(CoreError::Conflict { .. })), "{err:?}");
    let other = mapping("ops");
    store
        .insert_role_mapping(&other, &event("RM", Some(org.id)))
        .await
        .expect("insert");
    let renamed = RoleMapping {
        external_group_name: "devs".into(),
        ..other.clone()
    };
    assert!(matches!(
        store
            .update_role_mapping(&renamed, &event("RM", None))
            .await,
        Err(CoreError::Conflict { .. })
    ));
    assert_eq!(
        store
            .list_role_mappings(fs, org.id)
            .await
            .expect("list")
            .len(),
        2
    );
    assert!(store
        .delete_role_mapping(other.id, &event("RM", None))
        .await
        .expect("delete"));
    assert!(!store
        .delete_role_mapping(other.id, &event("RM", None))
        .await
        .expect("delete"));
    assert!(store
        .delete_connected_org_config(fs, org.id, &event("CO", None))
        .await
        .expect("delete"));
    assert!(store
        .get_connected_org_config(org.id)
        .await
        .expect("read")
        .is_none());
    assert!(store
        .list_role_mappings(fs, org.id)
        .await
        .expect("list")
        .is_empty());
    assert!(!store
        .delete_connected_org_config(fs, org.id, &event("CO", None))
        .await
        .expect("delete"));
}

async fn deleting_an_identity_provider_clears_references(store: &dyn Store) {
    let (org, fs) = create_org(store, "acme").await;
    let provider = idp(fs);
    store
        .insert_identity_provider(&provider, None, &event("IDP", None))
        .await
        .expect("insert");
    let mut config = ConnectedOrgConfig::new(fs, org.id);
    config.identity_provider_id = Some(provider.id);
    config.data_access_identity_provider_ids = vec![provider.id];
    store
        .put_connected_org_config(&config, &event("CO", None))
        .await
        .expect("put");
    let updated = IdentityProvider {
        display_name: "renamed".into(),
        ..provider.clone()
    };
    store
        .update_identity_provider(&updated, &event("IDP", None))
        .await
        .expect("update");
    assert_eq!(
        store
            .get_identity_provider(fs, provider.id)
            .await
            .expect("read"),
        Some(updated.clone())
    );
    assert!(
        store
            .get_identity_provider(HexId::random(), provider.id)
            .await
            .expect("read")
            .is_none(),
        "scoped by settings"
    );
    store
        .delete_identity_provider(&updated, &event("IDP", None))
        .await
        .expect("delete");
    assert!(store
        .list_identity_providers(fs)
        .await
        .expect("list")
        .is_empty());
    let config = store
        .get_connected_org_config(org.id)
        .await
        .expect("read")
        .expect("config");
    assert_eq!(config.identity_provider_id, None);
    assert!(config.data_access_identity_provider_ids.is_empty());
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

/// The changes recorded after sequence number `after`, without their numbers and times.
async fn changes(store: &dyn Store, after: i64) -> Vec<Change> {
    let records = store
        .changes_after(after, 1000)
        .await
        .expect("read the log");
    assert!(
        records.windows(2).all(|w| w[0].seq < w[1].seq),
        "lowest number first: {records:?}"
    );
    assert!(records.iter().all(|r| r.seq > after), "{records:?}");
    records.into_iter().map(|r| r.change).collect()
}

/// The sequence number of the newest entry (0: none).
async fn newest_seq(store: &dyn Store) -> i64 {
    store
        .changes_after(0, 100_000)
        .await
        .expect("read the log")
        .last()
        .map_or(0, |r| r.seq)
}

fn audited(event_type: &str, target_id: Option<&str>) -> Change {
    Change::Audited {
        event_type: event_type.into(),
        target_id: target_id.map(str::to_owned),
    }
}

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

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().expect("tempdir");
                    let store = sigil_store::SqlStore::open_data_dir(dir.path()).await.expect("open");
                    super::$name(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(store) = sigil_store::testing::fresh_postgres_store().await {
                        super::$name(&store).await;
                    }
                }
            )*
        }
    };
}

/// The IAM face's names: found by name or by id, unique within a federation, and a creation
/// that connects the provider writes the connection in the same transaction.
async fn identity_providers_are_found_by_iam_name(store: &dyn Store) {
    let (org, fs) = create_org(store, "acme").await;
    let (_, other_fs) = create_org(store, "other").await;
    let named = |fs: HexId, name: &str| IdentityProvider {
        issuer_uri: None,
        audience: None,
        iam: Some(IamSettings {
            name: name.into(),
            sso_type: SsoType::VirtualUserSso,
            oidc: None,
        }),
        ..idp(fs)
    };
    let first = named(fs, "corp");
    let mut config = ConnectedOrgConfig::new(fs, org.id);
    config.data_access_identity_provider_ids = vec![first.id];
    store
        .insert_identity_provider(&first, Some(&config), &event("IDP", None))
        .await
        .expect("insert");
    let connected = store.get_connected_org_config(org.id).await.expect("read");
    assert_eq!(
        connected.map(|c| c.data_access_identity_provider_ids),
        Some(vec![first.id])
    );
    let by_name = store
        .get_identity_provider_by_name(fs, "corp")
        .await
        .expect("read");
    assert_eq!(by_name.map(|i| i.id), Some(first.id));
    let by_id = store
        .get_identity_provider_by_name(fs, &first.id.to_string())
        .await
        .expect("read");
    assert_eq!(by_id.map(|i| i.id), Some(first.id));
    assert!(store
        .get_identity_provider_by_name(other_fs, "corp")
        .await
        .expect("read")
        .is_none());
    // Two unconfigured providers (no issuer, no audience) may coexist; two names may not.
    let duplicate = named(fs, "corp");
    let e = store
        .insert_identity_provider(&duplicate, None, &event("IDP", None))
        .await
        .expect_err("a second corp");
    assert!(
        matches!(e, CoreError::Conflict { ref what } if what.contains("name")),
        "{e:?}"
    );
    store
        .insert_identity_provider(&named(fs, "corp-2"), None, &event("IDP", None))
        .await
        .expect("another name");
    store
        .insert_identity_provider(&named(other_fs, "corp"), None, &event("IDP", None))
        .await
        .expect("the same name in another federation");
    assert_eq!(
        store
            .get_organization_by_name("acme")
            .await
            .expect("read")
            .map(|o| o.id),
        Some(org.id)
    );
    assert!(store
        .get_organization_by_name("nope")
        .await
        .expect("read")
        .is_none());
}

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

/// Deleting a user invalidates its API keys in the same transaction (a later user of the same
/// name inherits none); other users' keys are untouched.
async fn deleting_a_user_invalidates_its_api_keys(store: &dyn Store) {
    use sigil_core::elasticsearch::api_keys::{ApiKey, LimitedBy};
    let (org, _) = create_org(store, "acme").await;
    let (gone, kept) = (user("gone", org.id), user("kept", org.id));
    for u in [&gone, &kept] {
        store.put_user(u, &event("USER", None)).await.expect("user");
    }
    let key = |id: &str, owner: &User| ApiKey {
        id: id.into(),
        name: id.into(),
        key_hash: String::new(),
        creation: now(),
        expiration: None,
        invalidated: false,
        invalidation: None,
        username: owner.username.clone(),
        realm: owner.realm.clone(),
        realm_type: "native".into(),
        metadata: Default::default(),
        role_descriptors: Default::default(),
        limited_by: LimitedBy {
            superuser: false,
            cluster: vec![],
            roles: vec![],
            org_roles: vec![],
            user_id: Some(owner.id.to_string()),
        },
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
    use sigil_core::elasticsearch::api_keys::{ApiKey, ApiKeyFilter, LimitedBy};
    let key = |n: i64| ApiKey {
        id: format!("key{n:017}"),
        name: format!("k{n}"),
        key_hash: String::new(),
        creation: now() + Duration::seconds(n),
        expiration: None,
        invalidated: false,
        invalidation: None,
        username: "bob".into(),
        realm: "default_native".into(),
        realm_type: "native".into(),
        metadata: Default::default(),
        role_descriptors: Default::default(),
        limited_by: LimitedBy {
            superuser: false,
            cluster: vec![],
            roles: vec![],
            org_roles: vec![],
            user_id: None,
        },
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

conformance!(
    api_keys_are_found_among_any_number_of_ids,
    settings_belong_to_an_organization_and_events_reach_every_one_affected,
    deleting_a_user_invalidates_its_api_keys,
    access_keys_are_limited_per_user_and_go_with_it,
    identity_providers_are_found_by_iam_name,
    bootstrap_runs_once,
    organization_names_are_unique_and_listed_by_page,
    role_mappings_are_unique_per_org_and_go_with_the_connection,
    deleting_an_identity_provider_clears_references,
    events_are_listed_newest_first,
    audited_changes_and_revocations_are_logged,
    changes_are_stamped_by_the_database_clock,
    old_changes_are_pruned_but_the_newest_stays,
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

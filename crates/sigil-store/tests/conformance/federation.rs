//! Connected organizations, role mappings and identity providers.

use crate::support::*;
use sigil_core::error::CoreError;
use sigil_core::federation::{ConnectedOrgConfig, IdentityProvider, RoleAssignment, RoleMapping};
use sigil_core::iam::{IamSettings, SsoType};
use sigil_core::ids::HexId;
use sigil_core::privilege::OrgRole;
use sigil_core::store::Store;

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

/// The organizations connected to federation settings are listed by them, and connecting an
/// organization to other settings moves its one connection there.
async fn connections_are_listed_per_federation_settings(store: &dyn Store) {
    let (a, fs_a) = create_org(store, "a").await;
    let (b, fs_b) = create_org(store, "b").await;
    let orgs = |configs: Vec<ConnectedOrgConfig>| -> Vec<HexId> {
        configs.into_iter().map(|c| c.org_id).collect()
    };
    let listed = store.list_connected_org_configs(fs_a).await.expect("list");
    assert_eq!(
        orgs(listed),
        [a.id],
        "created connected to its own settings"
    );
    let mut moved = ConnectedOrgConfig::new(fs_a, b.id);
    moved.domain_allow_list = vec!["example.com".into()];
    moved.post_auth_role_grants = vec![OrgRole::OrgMember];
    store
        .put_connected_org_config(&moved, &event("CO", None))
        .await
        .expect("put");
    let mut expected = vec![a.id, b.id];
    expected.sort_by_key(|id| id.to_string());
    let listed = store.list_connected_org_configs(fs_a).await.expect("list");
    assert_eq!(orgs(listed.clone()), expected);
    assert!(listed.contains(&moved), "{listed:?}");
    assert!(store
        .list_connected_org_configs(fs_b)
        .await
        .expect("list")
        .is_empty());
    assert_eq!(
        store.get_connected_org_config(b.id).await.expect("get"),
        Some(moved)
    );
}

/// Providers are found by their exact issuer, across federation settings, oldest first.
async fn identity_providers_are_found_by_issuer(store: &dyn Store) {
    let (_, fs) = create_org(store, "a").await;
    let (_, other_fs) = create_org(store, "b").await;
    let at = |fs: HexId, issuer: &str, minutes: i64| IdentityProvider {
        issuer_uri: Some(issuer.into()),
        created_at: now() + chrono::Duration::minutes(minutes),
        ..idp(fs)
    };
    let later = at(fs, "https://one.example.com", 5);
    let earlier = at(other_fs, "https://one.example.com", 0);
    let another = at(fs, "https://two.example.com", 0);
    let prefixed = at(fs, "https://one.example.com/tenant", 0);
    for p in [&later, &earlier, &another, &prefixed] {
        store
            .insert_identity_provider(p, None, &event("IDP", None))
            .await
            .expect("insert");
    }
    let found: Vec<HexId> = store
        .find_identity_providers_by_issuer("https://one.example.com")
        .await
        .expect("find")
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(found, [earlier.id, later.id]);
    assert!(store
        .find_identity_providers_by_issuer("https://nobody.example.com")
        .await
        .expect("find")
        .is_empty());
    let listed = store.list_identity_providers(fs).await.expect("list");
    assert_eq!(listed.len(), 3, "scoped by settings");
}

/// A JWKS revocation writes the provider's cutoff, the revocation and its event together,
/// and logs both for the other nodes.
async fn a_jwks_revocation_is_written_whole(store: &dyn Store) {
    use sigil_core::audit::{kind, Actor};
    use sigil_core::changes::Change;
    use sigil_core::revocation::{Revocation, RevocationKind};
    let (org, fs) = create_org(store, "acme").await;
    let provider = idp(fs);
    store
        .insert_identity_provider(&provider, None, &event("IDP", None))
        .await
        .expect("insert");
    let mut revoked = provider.clone();
    revoked.key_set.revoked_at = Some(now());
    revoked.key_set.key_ids = vec![];
    let revocation = Revocation {
        kind: RevocationKind::IdentityProvider,
        key: provider.id.to_string(),
        revoked_at: now(),
        expires_at: now() + chrono::Duration::hours(1),
    };
    let target = Some(provider.id.to_string());
    let event = Actor::default().event(
        kind::IDENTITY_PROVIDER_JWKS_REVOKED,
        now(),
        Some(org.id),
        target.clone(),
    );
    let seq = newest_seq(store).await;
    store
        .record_jwks_revocation(&revoked, &revocation, &event)
        .await
        .expect("revoke");
    assert_eq!(
        store
            .get_identity_provider(fs, provider.id)
            .await
            .expect("get"),
        Some(revoked)
    );
    assert!(store
        .list_revocations(now())
        .await
        .expect("revocations")
        .contains(&revocation));
    let logged = changes(store, seq).await;
    assert!(logged.contains(&Change::Revoked(revocation)), "{logged:?}");
    assert!(
        logged.contains(&audited(
            kind::IDENTITY_PROVIDER_JWKS_REVOKED,
            target.as_deref()
        )),
        "{logged:?}"
    );
    assert_eq!(
        event_types(store, org.id).await[0],
        kind::IDENTITY_PROVIDER_JWKS_REVOKED
    );
}

conformance!(
    role_mappings_are_unique_per_org_and_go_with_the_connection,
    deleting_an_identity_provider_clears_references,
    identity_providers_are_found_by_iam_name,
    connections_are_listed_per_federation_settings,
    identity_providers_are_found_by_issuer,
    a_jwks_revocation_is_written_whole,
);

//! Fixtures every area uses: a fixed "now", events, users, providers, organizations, API
//! keys, and reading the change log.

use chrono::{DateTime, Duration, Utc};
use sigil_core::audit::{Actor, AuditEvent};
use sigil_core::changes::Change;
use sigil_core::directory::org::Organization;
use sigil_core::elasticsearch::api_keys::{ApiKey, LimitedBy};
use sigil_core::federation::{
    AuthorizationType, IdentityProvider, IdpType, KeySetSource, KeySetStatus,
};
use sigil_core::ids::HexId;
use sigil_core::principal::OrgRoleAssignment;
use sigil_core::privilege::OrgRole;
use sigil_core::store::Store;
use sigil_core::user::{SealedHa1, User};

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

pub fn event(kind: &str, org: Option<HexId>) -> AuditEvent {
    Actor::default().event(kind, now(), org, None)
}

pub fn user(name: &str, org: HexId) -> User {
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

pub fn idp(fs: HexId) -> IdentityProvider {
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

pub async fn create_org(store: &dyn Store, name: &str) -> (Organization, HexId) {
    let (org, fs, config) = Organization::new(name.into(), now());
    store
        .create_organization(&org, &fs, &config, &event("ORG_CREATED", Some(org.id)))
        .await
        .expect("create org");
    let fs_id = fs.id;
    (org, fs_id)
}

/// An API key of `owner` (a user name of the native realm) created `at` seconds after [`now`].
pub fn api_key(id: &str, owner: &str, at: i64) -> ApiKey {
    ApiKey {
        id: id.into(),
        name: id.into(),
        key_hash: String::new(),
        creation: now() + Duration::seconds(at),
        expiration: None,
        invalidated: false,
        invalidation: None,
        username: owner.into(),
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
            descriptors: None,
        },
    }
}

/// The changes recorded after sequence number `after`, without their numbers and times.
pub async fn changes(store: &dyn Store, after: i64) -> Vec<Change> {
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
pub async fn newest_seq(store: &dyn Store) -> i64 {
    store
        .changes_after(0, 100_000)
        .await
        .expect("read the log")
        .last()
        .map_or(0, |r| r.seq)
}

pub fn audited(event_type: &str, target_id: Option<&str>) -> Change {
    Change::Audited {
        event_type: event_type.into(),
        target_id: target_id.map(str::to_owned),
    }
}

/// The revocations the change log holds after sequence number `after`.
pub async fn logged_revocations(
    store: &dyn Store,
    after: i64,
) -> Vec<sigil_core::revocation::Revocation> {
    changes(store, after)
        .await
        .into_iter()
        .filter_map(|c| match c {
            Change::Revoked(r) => Some(r),
            Change::Audited { .. } => None,
        })
        .collect()
}

/// The event types of the organization's events, newest first.
pub async fn event_types(store: &dyn Store, org: HexId) -> Vec<String> {
    store
        .list_events(org, false, &sigil_core::page::PageRequest::default())
        .await
        .expect("list events")
        .items
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

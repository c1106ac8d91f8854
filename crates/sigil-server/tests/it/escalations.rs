//! The privilege model's boundary, replayed as an attacker with an ordinary owner's credentials
//! would try it: no credential is minted worth more than its maker, a scoped credential is
//! scoped, federation settings belong to their organization, and a key dies with its owner.

use crate::atlas_support::*;
use crate::credentials_support::{bearer, create_sa, token};
use crate::es_support::{self as es, Who};
use crate::iam_access_keys::{admin_ids, create_key, signed, Signing};
use crate::iam_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, StoreKind, TestServer};

const CREDENTIALS: &str = "/v3.0/OS-CREDENTIAL/credentials";

/// An ORG_OWNER service account's token of `org`.
async fn owner_token(server: &TestServer, org: &str) -> String {
    let sa = create_sa(server, org, &["ORG_OWNER"]).await;
    token(server, &sa.client_id, &sa.secret).await
}

/// The bootstrap admin's id, as any owner of `default` reads it from the audit trail.
async fn bootstrapped_admin(server: &TestServer, default_org: &str) -> String {
    events(server, default_org)
        .await
        .iter()
        .find(|e| e["eventTypeName"] == "USER_BOOTSTRAPPED")
        .and_then(|e| e["targetId"].as_str())
        .expect("USER_BOOTSTRAPPED names the admin")
        .to_owned()
}

/// An owner of any organization, `default` included, cannot mint an access key that speaks as
/// the superuser; the superuser's own access key, bound to a domain, is ORG_OWNER there and no
/// more: no organization created, no Elasticsearch user listed, no other organization read,
/// no API key minted.
async fn no_owner_mints_a_superusers_access_key(server: &TestServer) {
    let (default_org, _) = server.default_org().await;
    let (acme, _) = create_org(server, "acme").await;
    let admin_id = bootstrapped_admin(server, &default_org).await;
    for org in [&acme, &default_org] {
        let owner = owner_token(server, org).await;
        let a = with_token(
            server,
            Method::POST,
            CREDENTIALS,
            &owner,
            Some(json!({"credential": {"user_id": admin_id}})),
        )
        .await;
        assert_iam(&a, 403, "IAM.0003");
        let listed = with_token(
            server,
            Method::GET,
            &format!("{CREDENTIALS}?user_id={admin_id}"),
            &owner,
            None,
        )
        .await;
        // An owner reads the domain's keys, never a secret of them.
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert!(!listed.text.contains("SGSK"), "{}", listed.text);
    }

    let (user, _) = admin_ids(server).await;
    let key = create_key(server, &admin_token(server).await, &user).await;
    let as_key = |method: Method, path: String, body: Option<Value>| {
        let key = &key;
        async move {
            signed(
                server,
                method,
                &path,
                key,
                Signing {
                    body,
                    ..Default::default()
                },
            )
            .await
        }
    };
    let own = as_key(Method::GET, format!("{V2}/orgs/{default_org}"), None).await;
    assert_eq!(own.status, 200, "{}", own.text);
    let create = as_key(
        Method::POST,
        format!("{V2}/orgs"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_error(&create, 403, "INSUFFICIENT_ROLE");
    let other = as_key(Method::GET, format!("{V2}/orgs/{acme}"), None).await;
    assert_error(&other, 403, "INSUFFICIENT_ROLE");
    let users = as_key(Method::GET, "/_security/user".into(), None).await;
    assert_eq!(users.status, 403, "{}", users.text);
    let minted = as_key(
        Method::POST,
        "/_security/api_key".into(),
        Some(json!({"name": "forever"})),
    )
    .await;
    assert_eq!(minted.status, 403, "{}", minted.text);
}

/// The admin's IAM token is bound to its domain: ORG_OWNER there, never superuser, and it
/// mints no Elasticsearch API key (a key is neither scoped nor short-lived).
async fn a_scoped_token_is_scoped(server: &TestServer) {
    let token = admin_token(server).await;
    let create = with_token(
        server,
        Method::POST,
        &format!("{V2}/orgs"),
        &token,
        Some(json!({"name": "nope"})),
    )
    .await;
    assert_error(&create, 403, "INSUFFICIENT_ROLE");
    let users = with_token(server, Method::GET, "/_security/user", &token, None).await;
    assert_eq!(users.status, 403, "{}", users.text);
    let key = with_token(
        server,
        Method::POST,
        "/_security/api_key",
        &token,
        Some(json!({"name": "from-a-token"})),
    )
    .await;
    assert_eq!(key.status, 403, "{}", key.text);
    let who = with_token(
        server,
        Method::GET,
        "/_security/_authenticate",
        &token,
        None,
    )
    .await;
    assert_eq!(who.status, 200, "{}", who.text);
    assert_eq!(who.body["roles"], json!([]), "{}", who.text);
}

/// The owner of A, having removed A from its own settings, cannot connect A to B's settings
/// (nor read them); connecting needs the right over the target settings. A stays in charge of
/// its own settings. Once B's side connects A, A's owner manages B's providers as Atlas has
/// it, and B's audit trail shows those changes.
async fn federation_settings_belong_to_their_organization(server: &TestServer) {
    let (a, fs_a) = create_org(server, "org-a").await;
    let (b, fs_b) = create_org(server, "org-b").await;
    let owner_a = owner_token(server, &a).await;
    let removed = bearer(
        server,
        Method::DELETE,
        &config_path(&fs_a, &a),
        &owner_a,
        None,
    )
    .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let takeover = bearer(
        server,
        Method::PATCH,
        &config_path(&fs_b, &a),
        &owner_a,
        Some(json!({})),
    )
    .await;
    assert_error(&takeover, 403, "INSUFFICIENT_ROLE");
    for path in [
        format!("{V2}/federationSettings/{fs_b}"),
        idps_path(&fs_b),
        mappings_path(&fs_b, &b),
        format!("{V2}/federationSettings/{fs_b}/connectedOrgConfigs"),
    ] {
        let a = bearer(server, Method::GET, &path, &owner_a, None).await;
        assert_error(&a, 403, "INSUFFICIENT_ROLE");
    }
    let own = bearer(
        server,
        Method::GET,
        &format!("{V2}/federationSettings/{fs_a}"),
        &owner_a,
        None,
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.text);
    let after = server
        .admin(Method::GET, &config_path(&fs_b, &a), None)
        .await;
    assert_error(&after, 404, "RESOURCE_NOT_FOUND");

    // B's side (here the superuser, owner of both) connects A; then A's owner is an owner of
    // B's settings, and what it does there is in B's trail too.
    let joined = server
        .admin(Method::PATCH, &config_path(&fs_b, &a), Some(json!({})))
        .await;
    assert_eq!(joined.status, 200, "{}", joined.text);
    let created = bearer(
        server,
        Method::POST,
        &idps_path(&fs_b),
        &owner_a,
        Some(workload("made by A")),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let idp = created.body["id"].as_str().unwrap().to_owned();
    for org in [&a, &b] {
        let trail = events(server, org).await;
        let has = |kind: &str, target: &str| {
            trail
                .iter()
                .any(|e| e["eventTypeName"] == kind && e["targetId"] == target)
        };
        assert!(has("IDENTITY_PROVIDER_CREATED", &idp), "{org}: {trail:?}");
        assert!(has("CONNECTED_ORG_CONFIG_UPDATED", &a), "{org}: {trail:?}");
    }
}

/// An Elasticsearch API key stops the moment its owner is disabled (and works again when the
/// owner is enabled again); deleting the owner invalidates its keys for good, so a later user
/// of the same name inherits none.
async fn api_keys_die_with_their_owner(server: &TestServer) {
    es::user_with(server, "keeper", &["manage_own_api_key"]).await;
    let key = es::create_key(server, Who::User("keeper"), "kept").await;
    let works = |status: u16| {
        let key = &key;
        async move {
            let a = es::whoami(server, Who::Key(&key.encoded)).await;
            assert_eq!(a.status, status, "{}", a.text);
        }
    };
    works(200).await;
    let user = "/_security/user/keeper";
    let off = es::admin(server, Method::PUT, user, Some(json!({"enabled": false}))).await;
    assert_eq!(off.status, 200, "{}", off.text);
    works(401).await;
    let on = es::admin(server, Method::PUT, user, Some(json!({"enabled": true}))).await;
    assert_eq!(on.status, 200, "{}", on.text);
    works(200).await;
    let gone = es::admin(server, Method::DELETE, user, None).await;
    assert_eq!(gone.body["found"], true, "{}", gone.text);
    works(401).await;
    let listed = es::get_keys(server, Who::Admin, &format!("?id={}", key.id)).await;
    assert_eq!(
        listed.body["api_keys"][0]["invalidated"], true,
        "{}",
        listed.text
    );
    es::put_user(server, "keeper", &["keeper-role"]).await;
    works(401).await;
}

/// `manage_security` manages users, not the superuser: it cannot grant the `superuser` role,
/// change or delete the admin; it can make a user no more powerful than itself.
async fn no_user_is_made_worth_more_than_its_maker(server: &TestServer) {
    es::user_with(server, "secadmin", &["manage_security"]).await;
    let as_sec = |method: Method, path: &'static str, body: Option<Value>| async move {
        es::es(server, Who::User("secadmin"), method, path, body).await
    };
    let su = as_sec(
        Method::PUT,
        "/_security/user/evil",
        Some(json!({"password": "evil-password", "roles": ["superuser"]})),
    )
    .await;
    es::assert_error(&su, 403, "security_exception");
    let takeover = as_sec(
        Method::PUT,
        "/_security/user/admin",
        Some(json!({"password": "taken-over"})),
    )
    .await;
    es::assert_error(&takeover, 403, "security_exception");
    let delete = as_sec(Method::DELETE, "/_security/user/admin", None).await;
    es::assert_error(&delete, 403, "security_exception");
    let peer = as_sec(
        Method::PUT,
        "/_security/user/peer",
        Some(json!({"password": "peer-password", "roles": ["secadmin-role"]})),
    )
    .await;
    assert_eq!(peer.status, 200, "{}", peer.text);
}

store_tests!(
    no_owner_mints_a_superusers_access_key,
    a_scoped_token_is_scoped,
    federation_settings_belong_to_their_organization,
    api_keys_die_with_their_owner,
    no_user_is_made_worth_more_than_its_maker,
);

/// Two nodes on one PostgreSQL database: an owner disabled on node A stops its API key on
/// node B, which had it in memory, once B applies the change log (how soon it does is
/// `multi_node`'s test).
#[tokio::test]
async fn a_disabled_owners_keys_stop_on_every_node() {
    let Some(a) = TestServer::start(StoreKind::Postgres).await else {
        return;
    };
    let b = a.second_node().await;
    es::user_with(&a, "roamer", &["manage_own_api_key"]).await;
    let key = es::create_key(&a, Who::User("roamer"), "roaming").await;
    assert_eq!(es::whoami(&b, Who::Key(&key.encoded)).await.status, 200);
    let off = es::admin(
        &a,
        Method::PUT,
        "/_security/user/roamer",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.text);
    b.sync_now().await;
    let answer = es::whoami(&b, Who::Key(&key.encoded)).await;
    assert_eq!(
        answer.status, 401,
        "node B still accepts the key of a disabled owner: {}",
        answer.text
    );
}

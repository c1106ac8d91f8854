//! Expiry (spec 20: secrets expire after their hours; tokens after `expires_in`, with 60 s of
//! skew): over HTTP on a server whose clock the test stops and moves, and on the core over a
//! real store with a hand-moved clock.

use crate::atlas_support::V2;
use crate::credentials_support::{bearer, create_sa, introspect, token};
use chrono::DateTime;
use reqwest::Method;
use sigil_core::audit::Actor;
use sigil_core::clock::ManualClock;
use sigil_core::crypto::MasterKey;
use sigil_core::oauth::service_accounts::{SecretDraft, SecretLifetimeRule, ServiceAccountDraft};
use sigil_core::secret::SecretString;
use sigil_core::service::{BootstrapOutcome, CoreConfig};
use sigil_core::{Core, CoreError};
use sigil_store::SqlStore;
use sigil_testkit::{store_tests, TestServer, ADMIN_PASSWORD};
use std::sync::Arc;
use std::time::Duration;

pub(crate) async fn core_at(
    store: SqlStore,
    clock: &ManualClock,
) -> (Core, sigil_core::privilege::OrgOwner) {
    let (master, _) = MasterKey::generate();
    let core = Core::new(
        Arc::new(store),
        Arc::new(clock.clone()),
        master,
        CoreConfig::default(),
        Arc::new(sigil_core::federation::key_sets::NoFetcher),
    );
    core.oauth.ensure_signing_keys().await.expect("keys");
    let BootstrapOutcome::Done { org_id, .. } = core
        .directory
        .bootstrap(Some(SecretString::new("pw")))
        .await
        .expect("bootstrap")
    else {
        panic!("a fresh store bootstraps");
    };
    let admin = core
        .directory
        .authenticate_password("admin", SecretString::new("pw"), &Actor::default())
        .await
        .expect("admin");
    let owner = admin.require_org_owner(org_id).expect("owner");
    (core, owner)
}

fn hours(h: i64) -> Option<serde_json::Value> {
    Some(serde_json::json!(h))
}

async fn expired_secrets_never_authenticate(store: SqlStore) {
    let clock = ManualClock::at(DateTime::from_timestamp(1_723_155_585, 0).unwrap());
    let (core, owner) = core_at(store, &clock).await;
    let actor = Actor::default();
    let draft = ServiceAccountDraft {
        name: Some("robot".into()),
        description: Some("d".into()),
        roles: Some(vec!["ORG_MEMBER".into()]),
        secret_expires_after_hours: hours(8),
    };
    let (account, _, first) = core
        .oauth
        .create_service_account(owner, &actor, draft, SecretLifetimeRule::CloudManager)
        .await
        .expect("create");
    let id = account.client_id.clone();
    let second = |h| SecretDraft {
        secret_expires_after_hours: hours(h),
    };
    let (_, longer) = core
        .oauth
        .create_service_account_secret(owner, &actor, &id, second(9), SecretLifetimeRule::Atlas)
        .await
        .expect("second");
    assert!(matches!(
        core.oauth
            .create_service_account_secret(owner, &actor, &id, second(8), SecretLifetimeRule::Atlas)
            .await,
        Err(CoreError::LimitReached { .. })
    ));
    let token = core
        .oauth
        .issue_client_credentials(&id, &first, &actor)
        .await
        .expect("a live secret gets a token");
    let token = token.access_token.expose().to_owned();

    // One second before the eighth hour: still live.
    clock.advance(8 * 3600 - 1);
    assert!(core
        .oauth
        .authenticate_client(&id, &first, &actor)
        .await
        .is_ok());
    // At the eighth hour: expired, on every path, though the account's cache is warm.
    clock.advance(1);
    for result in [
        core.oauth
            .authenticate_client(&id, &first, &actor)
            .await
            .map(|_| ()),
        core.oauth
            .issue_client_credentials(&id, &first, &actor)
            .await
            .map(|_| ()),
    ] {
        assert!(matches!(result, Err(CoreError::Unauthenticated)));
    }
    assert!(core
        .oauth
        .authenticate_client(&id, &longer, &actor)
        .await
        .is_ok());
    // The expired secret no longer counts against the limit of two.
    core.oauth
        .create_service_account_secret(owner, &actor, &id, second(8), SecretLifetimeRule::Atlas)
        .await
        .expect("room for a new secret");

    // The token issued at the start expired long ago (3600 s + 60 s of skew).
    assert!(core.oauth.verify_access_token(&token).await.is_err());
    assert!(core
        .oauth
        .authenticate_bearer(&token, &actor)
        .await
        .is_err());
    assert!(core
        .oauth
        .introspect_token(&token)
        .await
        .expect("introspect")
        .is_none());
}

async fn tokens_expire_after_an_hour_and_the_skew(store: SqlStore) {
    let clock = ManualClock::at(DateTime::from_timestamp(1_723_155_585, 0).unwrap());
    let (core, owner) = core_at(store, &clock).await;
    let actor = Actor::default();
    let draft = ServiceAccountDraft {
        name: Some("robot".into()),
        description: Some("d".into()),
        roles: Some(vec!["ORG_MEMBER".into()]),
        secret_expires_after_hours: hours(24),
    };
    let (account, _, secret) = core
        .oauth
        .create_service_account(owner, &actor, draft, SecretLifetimeRule::Atlas)
        .await
        .expect("create");
    let issued = core
        .oauth
        .issue_client_credentials(&account.client_id, &secret, &actor)
        .await
        .expect("token");
    assert_eq!(issued.expires_in, 3600);
    let token = issued.access_token.expose().to_owned();
    // Cached once verified; the cache must not outlive the token.
    assert!(core.oauth.authenticate_bearer(&token, &actor).await.is_ok());
    clock.advance(3600 + 59);
    assert!(core.oauth.authenticate_bearer(&token, &actor).await.is_ok());
    clock.advance(1);
    assert!(matches!(
        core.oauth.authenticate_bearer(&token, &actor).await,
        Err(CoreError::Unauthenticated)
    ));
    assert!(core
        .oauth
        .introspect_token(&token)
        .await
        .expect("introspect")
        .is_none());
}

pub(crate) async fn sqlite_store() -> (SqlStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    (
        SqlStore::open_data_dir(dir.path()).await.expect("sqlite"),
        dir,
    )
}

#[tokio::test]
async fn sqlite_expired_secrets_never_authenticate() {
    let (store, _dir) = sqlite_store().await;
    expired_secrets_never_authenticate(store).await;
}

#[tokio::test]
async fn postgres_expired_secrets_never_authenticate() {
    if let Some(store) = sigil_store::testing::fresh_postgres_store().await {
        expired_secrets_never_authenticate(store).await;
    }
}

#[tokio::test]
async fn sqlite_tokens_expire_after_an_hour_and_the_skew() {
    let (store, _dir) = sqlite_store().await;
    tokens_expire_after_an_hour_and_the_skew(store).await;
}

#[tokio::test]
async fn postgres_tokens_expire_after_an_hour_and_the_skew() {
    if let Some(store) = sigil_store::testing::fresh_postgres_store().await {
        tokens_expire_after_an_hour_and_the_skew(store).await;
    }
}

/// Over HTTP: a Sigil access token works until its hour and the 60 s of skew have passed by
/// the server's clock, though its verification is cached, and is refused from that second.
async fn a_token_expires_by_the_servers_clock(server: &TestServer) {
    server.clock().freeze();
    let (org, _) = server.default_org().await;
    let path = format!("{V2}/orgs/{org}");
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let token = token(server, &sa.client_id, &sa.secret).await;
    let get = || bearer(server, Method::GET, &path, &token, None);
    assert_eq!(get().await.status, 200, "fresh");
    server.clock().advance(Duration::from_secs(3600 + 59));
    assert_eq!(get().await.status, 200, "within the skew");
    server.clock().advance(Duration::from_secs(1));
    let refused = get().await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    let i = introspect(server, &token, ("admin", ADMIN_PASSWORD)).await;
    assert_eq!(i.body, serde_json::json!({"active": false}), "{}", i.text);
}

store_tests!(a_token_expires_by_the_servers_clock);

//! The housekeeping task's chores, driven by hand with a moved clock (spec 20): signing keys
//! rotate on schedule and stay published while their tokens live; expired secrets are audited
//! once; revocations are pruned once nothing they cover can be valid.

use crate::expiry::{core_at, sqlite_store};
use chrono::DateTime;
use sigil_core::audit::Actor;
use sigil_core::clock::{Clock, ManualClock};
use sigil_core::oauth::service_accounts::{SecretLifetimeRule, ServiceAccountDraft};
use sigil_core::page::PageRequest;
use sigil_core::revocation::PRUNE_GRACE_SECONDS;
use sigil_core::store::TokenStore;
use sigil_store::SqlStore;

const DAY: i64 = 86_400;

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("header")
        .kid
        .expect("kid")
}

fn published(core: &sigil_core::Core) -> Vec<String> {
    core.oauth.jwks()["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

async fn chores(store: SqlStore) {
    let clock = ManualClock::at(DateTime::from_timestamp(1_723_155_585, 0).unwrap());
    let (core, owner) = core_at(store.clone(), &clock).await;
    let actor = Actor::default();
    let draft = ServiceAccountDraft {
        name: Some("robot".into()),
        description: Some("d".into()),
        roles: Some(vec!["ORG_MEMBER".into()]),
        secret_expires_after_hours: Some(serde_json::json!(8)),
    };
    let (account, _, secret) = core
        .oauth
        .create_service_account(owner, &actor, draft, SecretLifetimeRule::Atlas)
        .await
        .expect("create");
    let first_key = published(&core);
    assert_eq!(first_key.len(), 1);

    // Seven hours in, a token is issued with the first key; an hour later the secret expires.
    clock.advance(7 * 3600);
    let old = core
        .oauth
        .issue_client_credentials(&account.client_id, &secret, &actor)
        .await
        .expect("token");
    let old = old.access_token.expose().to_owned();
    assert_eq!(kid(&old), first_key[0]);
    let token_claims = core.oauth.verify_access_token(&old).await.expect("valid");
    core.oauth
        .revoke_token(&account.client_id, &old, &actor)
        .await
        .expect("revoke");
    assert_eq!(store.list_revocations(clock.now()).await.unwrap().len(), 1);

    // Past the token's expiry and its 60 s of skew.
    clock.advance(3600 + 61);
    core.housekeeping().await.expect("chores");
    core.housekeeping().await.expect("chores, again");
    let events = core
        .directory
        .list_events(owner, true, &PageRequest::default())
        .await
        .expect("events");
    let expired: Vec<_> = events
        .items
        .iter()
        .filter(|e| e.event_type == "SERVICE_ACCOUNT_SECRET_EXPIRED")
        .collect();
    assert_eq!(
        expired.len(),
        1,
        "audited once, however often the task runs"
    );
    let every_row = DateTime::from_timestamp(0, 0).unwrap();
    assert_eq!(
        store.list_revocations(every_row).await.unwrap().len(),
        1,
        "expired, but kept for the other nodes' clocks"
    );
    assert!(token_claims.exp < clock.now().timestamp() + 61);
    clock.advance(PRUNE_GRACE_SECONDS);
    core.housekeeping().await.expect("chores");
    assert_eq!(
        store.list_revocations(every_row).await.unwrap().len(),
        0,
        "the revoked token has expired, and the grace for skewed clocks passed: pruned"
    );

    // The rotation period (30 days by default) passes: a second key signs from now on and the
    // first stays published for a token lifetime after it.
    clock.advance(30 * DAY);
    core.housekeeping().await.expect("rotate");
    let keys = published(&core);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&first_key[0]));
    clock.advance(3600 + 61 + 1);
    core.housekeeping().await.expect("retire");
    let keys = published(&core);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(!keys.contains(&first_key[0]), "the retired key is gone");
}

#[tokio::test]
async fn sqlite_housekeeping_chores() {
    let (store, _dir) = sqlite_store().await;
    chores(store).await;
}

#[tokio::test]
async fn postgres_housekeeping_chores() {
    if let Some(store) = sigil_store::testing::fresh_postgres_store().await {
        chores(store).await;
    }
}

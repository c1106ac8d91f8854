//! Nodes whose clocks disagree, at the core level: two cores on one store, each with its own
//! hand-moved clock minutes apart (both ways round). A revocation written by either reaches
//! the other (the change log is read by sequence number, never by a node's clock), survives
//! the other's housekeeping until the tokens it covers have expired by every clock, and a
//! token issued by a node whose clock runs ahead can be revoked on one whose clock is behind.
//! And a change that cannot be applied is applied again later, with the rest of its batch,
//! while the node refuses credentials meanwhile.

use chrono::DateTime;
use sigil_core::audit::Actor;
use sigil_core::clock::ManualClock;
use sigil_core::crypto::MasterKey;
use sigil_core::oauth::service_accounts::{SecretLifetimeRule, ServiceAccountDraft};
use sigil_core::privilege::OrgOwner;
use sigil_core::secret::SecretString;
use sigil_core::service::{BootstrapOutcome, CoreConfig};
use sigil_core::store::TokenStore;
use sigil_core::{Core, CoreError};
use sigil_store::SqlStore;
use std::sync::Arc;

const MINUTES: i64 = 60;

fn start() -> DateTime<chrono::Utc> {
    DateTime::from_timestamp(1_723_155_585, 0).unwrap()
}

/// A node on `store` with its own clock.
fn node(store: &SqlStore, clock: &ManualClock, master: &MasterKey) -> Core {
    Core::new(
        Arc::new(store.clone()),
        Arc::new(clock.clone()),
        master.clone(),
        CoreConfig::default(),
        Arc::new(sigil_core::federation::key_sets::NoFetcher),
    )
}

/// Bootstraps the store through `core`; the admin's owner capability.
async fn bootstrap(core: &Core) -> OrgOwner {
    core.oauth.ensure_signing_keys().await.expect("keys");
    let BootstrapOutcome::Done { org_id, .. } = core
        .directory
        .bootstrap(Some(SecretString::new("pw")))
        .await
        .expect("bootstrap")
    else {
        panic!("a fresh store bootstraps");
    };
    core.directory
        .authenticate_password("admin", SecretString::new("pw"), &Actor::default())
        .await
        .expect("admin")
        .require_org_owner(org_id)
        .expect("owner")
}

/// A service account with one secret, and a token for it from `issuer`, verified there (so
/// held in its cache).
async fn account_with_token(
    issuer: &Core,
    owner: OrgOwner,
    name: &str,
) -> (String, sigil_core::ids::HexId, String) {
    let actor = Actor::default();
    let draft = ServiceAccountDraft {
        name: Some(name.into()),
        description: Some("d".into()),
        roles: Some(vec!["ORG_MEMBER".into()]),
        secret_expires_after_hours: Some(serde_json::json!(24)),
    };
    let (account, secret, value) = issuer
        .oauth
        .create_service_account(owner, &actor, draft, SecretLifetimeRule::Atlas)
        .await
        .expect("create");
    let token = issuer
        .oauth
        .issue_client_credentials(&account.client_id, &value, &actor)
        .await
        .expect("token")
        .access_token
        .expose()
        .to_owned();
    issuer
        .oauth
        .authenticate_bearer(&token, &actor)
        .await
        .expect("verified where issued");
    (account.client_id, secret.id, token)
}

fn refused(outcome: Result<sigil_core::principal::Principal, CoreError>) -> bool {
    matches!(outcome, Err(CoreError::Unauthenticated))
}

/// Node A (the reader) runs on the right time; node B (the writer) is `offset` seconds off.
async fn revocations_reach_a_node_whose_clock_differs(store: SqlStore, offset: i64) {
    let (master, _) = MasterKey::generate();
    let a_clock = ManualClock::at(start());
    let b_clock = ManualClock::at(start());
    b_clock.advance(offset);
    let a = node(&store, &a_clock, &master);
    let b = node(&store, &b_clock, &master);
    let owner = bootstrap(&a).await;
    for n in [&a, &b] {
        n.sync_changes().await.expect("first read of the log");
    }
    let actor = Actor::default();
    let (first, first_secret, by_secret) = account_with_token(&a, owner, "first").await;
    let (second, _, by_jti) = account_with_token(&a, owner, "second").await;

    // Node B deletes the first account's secret, and revokes the second account's token by
    // RFC 7009: a token issued five minutes in its future when its clock is behind.
    b.oauth
        .delete_service_account_secret(owner, &actor, &first, first_secret)
        .await
        .expect("delete the secret on B");
    b.oauth
        .revoke_token(&second, &by_jti, &actor)
        .await
        .expect("revoke on B");

    // Node A applies both at its next read, though B stamped nothing with A's clock.
    assert!(a.sync_changes().await.expect("read the log") >= 2);
    assert!(a.changes_current());
    assert!(
        refused(a.oauth.authenticate_bearer(&by_secret, &actor).await),
        "a token of the secret B deleted, {offset:+} s off"
    );
    assert!(
        refused(a.oauth.authenticate_bearer(&by_jti, &actor).await),
        "a token B revoked, {offset:+} s off"
    );

    // Near the end of the tokens' life (3600 s, and 60 s of skew, by A's clock) the
    // revocations B dated by its clock must still hold on A, after A's housekeeping and after
    // A restarts (reloading revocations from the store).
    for clock in [&a_clock, &b_clock] {
        clock.advance(3600 + 30);
    }
    a.housekeeping().await.expect("chores on A");
    b.housekeeping().await.expect("chores on B");
    assert!(refused(
        a.oauth.authenticate_bearer(&by_secret, &actor).await
    ));
    assert!(refused(a.oauth.authenticate_bearer(&by_jti, &actor).await));
    let restarted = node(&store, &a_clock, &master);
    restarted.load().await.expect("load");
    restarted.sync_changes().await.expect("read the log");
    for (what, token) in [("by secret", &by_secret), ("by jti", &by_jti)] {
        assert!(
            refused(restarted.oauth.authenticate_bearer(token, &actor).await),
            "after a restart, revoked {what}, {offset:+} s off"
        );
    }
}

/// Node C cannot open the signing keys node A makes (another master key: a misconfigured
/// node). The log's key rotation fails to apply on C: C answers 503 from then on, and the
/// rotation and the revocation after it are both applied again, in order, once they can be.
async fn a_change_that_fails_to_apply_is_retried_with_the_rest(store: SqlStore) {
    let clock = ManualClock::at(start());
    let (master, _) = MasterKey::generate();
    let (other, _) = MasterKey::generate();
    let c = node(&store, &clock, &other);
    assert_eq!(c.sync_changes().await.expect("an empty log"), 0);
    assert!(c.changes_current());

    let a = node(&store, &clock, &master);
    let owner = bootstrap(&a).await;
    let (client_id, _, token) = account_with_token(&a, owner, "robot").await;
    a.oauth
        .revoke_token(&client_id, &token, &Actor::default())
        .await
        .expect("revoke");

    assert!(
        c.sync_changes().await.is_err(),
        "A's key does not open on C"
    );
    assert!(!c.changes_current(), "C knows it is behind: stale at once");
    assert!(
        c.sync_changes().await.is_err(),
        "still failing, still stale"
    );
    assert!(!c.changes_current());

    // The key C cannot open goes; the rotation now applies, and the revocation after it with
    // it: neither was marked applied when the first failed.
    for key in store.list_signing_keys().await.expect("keys") {
        store.delete_signing_key(&key.kid).await.expect("delete");
    }
    assert_eq!(
        c.sync_changes().await.expect("applies now"),
        2,
        "the key rotation and the revocation"
    );
    assert!(c.changes_current());
    assert_eq!(c.sync_changes().await.expect("nothing new"), 0);
}

async fn writer_behind(store: SqlStore) {
    revocations_reach_a_node_whose_clock_differs(store, -5 * MINUTES).await;
}

async fn writer_ahead(store: SqlStore) {
    revocations_reach_a_node_whose_clock_differs(store, 5 * MINUTES).await;
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (store, _dir) = crate::expiry::sqlite_store().await;
                    super::$name(store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(store) = sigil_store::testing::fresh_postgres_store().await {
                        super::$name(store).await;
                    }
                }
            )*
        }
    };
}

on_both_stores!(
    writer_behind,
    writer_ahead,
    a_change_that_fails_to_apply_is_retried_with_the_rest,
);

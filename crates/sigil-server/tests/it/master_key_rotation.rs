//! Rotating the master key (issue 9, "Secret keys at rest"): restarted with the new key and
//! the previous one, the server re-seals every sealed value — users' and API keys' Digest
//! secrets, token-signing keys, access keys' secret keys — so that the new key alone opens
//! them from then on.

use crate::credentials_support::digest;
use crate::iam_access_keys::{admin_ids, create_key, signed, Key, Signing};
use crate::iam_support::*;
use reqwest::Method;
use sigil_core::crypto::MasterKey;
use sigil_core::secret::SecretString;
use sigil_testkit::{StoreKind, TestServer, ADMIN_PASSWORD};

/// Digest as the admin (a sealed HA1), a signed request (a sealed secret key) and a fresh
/// password token (signed with a sealed private key) all work.
async fn every_sealed_value_opens(server: &TestServer, key: &Key, when: &str) {
    let d = digest(
        server,
        Method::GET,
        "/api/atlas/v2/orgs",
        "admin",
        ADMIN_PASSWORD,
        "SHA-256",
        None,
    )
    .await;
    assert_eq!(d.status, 200, "{when}: Digest: {}", d.text);
    let s = signed(server, Method::GET, IDP_V3, key, Signing::default()).await;
    assert_eq!(s.status, 200, "{when}: signed: {}", s.text);
    let token = admin_token(server).await;
    let t = with_token(server, Method::GET, IDP_V3, &token, None).await;
    assert_eq!(t.status, 200, "{when}: a new token: {}", t.text);
}

async fn rotation(kind: StoreKind) {
    let Some(server) = TestServer::start(kind).await else {
        return;
    };
    let token = admin_token(&server).await;
    let (user, _) = admin_ids(&server).await;
    let key = create_key(&server, &token, &user).await;
    every_sealed_value_opens(&server, &key, "before").await;

    let old = std::fs::read_to_string(server.data_dir.join("master.key")).expect("master.key");
    let (_, new) = MasterKey::generate();
    let rotating = {
        let (old, new) = (old.trim().to_owned(), new.clone());
        server
            .restart_with(move |c| {
                c.master_key = Some(SecretString::new(new));
                c.previous_master_key = Some(SecretString::new(old));
            })
            .await
    };
    every_sealed_value_opens(&rotating, &key, "while rotating").await;
    let rotated = rotating
        .restart_with(move |c| c.master_key = Some(SecretString::new(new)))
        .await;
    every_sealed_value_opens(&rotated, &key, "with the new key alone").await;
}

#[tokio::test]
async fn sqlite_a_rotation_reseals_every_secret() {
    rotation(StoreKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_rotation_reseals_every_secret() {
    rotation(StoreKind::Postgres).await;
}

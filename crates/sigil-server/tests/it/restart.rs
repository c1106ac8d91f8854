//! A restart keeps everything, and the first start's bootstrap happens once (spec 00 "First
//! start"): the admin's password is `SIGIL_ADMIN_PASSWORD` or generated, and never changes.

use reqwest::Method;
use serde_json::json;
use sigil_testkit::{Answer, StoreKind, TestServer, ADMIN_PASSWORD};

const ORGS: &str = "/api/atlas/v2/orgs";

async fn as_admin(server: &TestServer, password: &str) -> Answer {
    server
        .request(Method::GET, ORGS, None, Some(("admin", password)))
        .await
}

async fn digest_as_admin(server: &TestServer, password: &str) -> Answer {
    sigil_testkit::digest::send(
        &server.client,
        Method::GET,
        &format!("{}{ORGS}", server.url),
        "admin",
        password,
        "SHA-256",
        None,
    )
    .await
}

fn count(events: &Answer, event_type: &str) -> usize {
    events.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|e| e["eventTypeName"] == event_type)
        .count()
}

async fn a_restart_keeps_the_store_and_the_password(kind: StoreKind) {
    let Some(server) = TestServer::start(kind).await else {
        return;
    };
    let (org, fs) = server.default_org().await;
    let idps = format!("/api/atlas/v2/federationSettings/{fs}/identityProviders");
    let created = server
        .admin(
            Method::POST,
            &idps,
            Some(json!({
                "protocol": "OIDC",
                "idpType": "WORKLOAD",
                "displayName": "survives-restarts",
                "issuerUri": "https://issuer.example.com",
                "audience": "sigil",
                "authorizationType": "GROUP",
            })),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let idp = created.body["id"].as_str().expect("id").to_owned();

    let server = server.restart(None).await;
    assert_eq!(server.generated_admin_password(), None);
    assert_eq!(server.default_org().await, (org.clone(), fs.clone()));
    let orgs = as_admin(&server, ADMIN_PASSWORD).await;
    assert_eq!(
        orgs.body["totalCount"], 1,
        "bootstrapped once: {}",
        orgs.text
    );
    let got = server
        .admin(Method::GET, &format!("{idps}/{idp}"), None)
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["displayName"], "survives-restarts");
    assert_eq!(digest_as_admin(&server, ADMIN_PASSWORD).await.status, 200);

    // A different SIGIL_ADMIN_PASSWORD on a later start changes nothing.
    let server = server.restart(Some("other-admin-password")).await;
    assert_eq!(as_admin(&server, ADMIN_PASSWORD).await.status, 200);
    assert_eq!(digest_as_admin(&server, ADMIN_PASSWORD).await.status, 200);
    assert_eq!(as_admin(&server, "other-admin-password").await.status, 401);
    assert_eq!(
        digest_as_admin(&server, "other-admin-password")
            .await
            .status,
        401
    );
    let events = server
        .admin(Method::GET, &format!("{ORGS}/{org}/events"), None)
        .await;
    assert_eq!(count(&events, "USER_BOOTSTRAPPED"), 1, "{}", events.text);
    assert_eq!(count(&events, "ORG_CREATED"), 1, "{}", events.text);
    assert_eq!(count(&events, "IDENTITY_PROVIDER_CREATED"), 1);
    server.stop().await;
}

async fn a_first_start_without_a_password_generates_one(kind: StoreKind) {
    let Some(server) = TestServer::start_without_admin_password(kind).await else {
        return;
    };
    let password = server
        .generated_admin_password()
        .expect("a generated password");
    assert!(password.len() >= 30, "128 random bits and a prefix");
    assert!(password.starts_with("sigil_pw_"), "scanner-recognizable");
    let orgs = as_admin(&server, &password).await;
    assert_eq!(orgs.status, 200, "{}", orgs.text);
    assert_eq!(orgs.body["results"][0]["name"], "default");
    assert_eq!(digest_as_admin(&server, &password).await.status, 200);
    assert_eq!(as_admin(&server, ADMIN_PASSWORD).await.status, 401);

    // Another first start generates another password.
    let other = TestServer::start_without_admin_password(kind)
        .await
        .expect("started before");
    assert_ne!(other.generated_admin_password(), Some(password.clone()));
    other.stop().await;

    let server = server.restart(None).await;
    assert_eq!(
        server.generated_admin_password(),
        None,
        "generated and shown once only"
    );
    assert_eq!(as_admin(&server, &password).await.status, 200);
    assert_eq!(digest_as_admin(&server, &password).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn sqlite_a_restart_keeps_the_store_and_the_password() {
    a_restart_keeps_the_store_and_the_password(StoreKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_restart_keeps_the_store_and_the_password() {
    a_restart_keeps_the_store_and_the_password(StoreKind::Postgres).await;
}

#[tokio::test]
async fn sqlite_a_first_start_without_a_password_generates_one() {
    a_first_start_without_a_password_generates_one(StoreKind::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_first_start_without_a_password_generates_one() {
    a_first_start_without_a_password_generates_one(StoreKind::Postgres).await;
}

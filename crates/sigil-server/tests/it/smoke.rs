//! The server starts, answers /health, serves its OpenAPI document, and challenges.

use reqwest::Method;
use sigil_testkit::{store_tests, TestServer};

async fn health_and_challenge(server: &TestServer) {
    let health = server.anonymous(Method::GET, "/health", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body, serde_json::json!({"status": "ok"}));
    let orgs = server
        .anonymous(Method::GET, "/api/atlas/v2/orgs", None)
        .await;
    assert_eq!(orgs.status, 401);
    assert_eq!(orgs.body["errorCode"], "NOT_AUTHENTICATED");
    let (org, fs) = server.default_org().await;
    assert_eq!(org.len(), 24);
    assert_eq!(fs.len(), 24);
}

store_tests!(health_and_challenge);

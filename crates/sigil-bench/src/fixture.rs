//! What the scenarios use, created over HTTP before anything is timed: an organization, a
//! programmatic API key (Digest), a service account with a secret and a token, a WORKLOAD
//! identity provider, and an Elasticsearch user with API keys.

use crate::api_keys::EsKeys;
use crate::federation::Federation;
use crate::server::{Server, ADMIN_PASSWORD};
use anyhow::{bail, Context};
use reqwest::{Client, Method, RequestBuilder};
use serde_json::{json, Value};

pub struct Fixture {
    pub org_path: String,
    /// The WORKLOAD identity provider, in its federation settings.
    pub provider_path: String,
    /// The service account.
    pub service_account_path: String,
    pub public_key: String,
    pub private_key: String,
    pub client_id: String,
    pub secret: String,
    pub token: String,
    pub federation: Federation,
    pub es_keys: EsKeys,
    pub iam: crate::signing::Iam,
}

pub async fn json_ok(request: RequestBuilder, what: &str) -> anyhow::Result<Value> {
    let response = request.send().await.with_context(|| what.to_owned())?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{what}: {status} {body}");
    }
    Ok(body)
}

/// A fresh access token of the service account `client_id`.
pub async fn issue_token(
    c: &Client,
    server: &Server,
    client_id: &str,
    secret: &str,
) -> anyhow::Result<String> {
    let token = json_ok(
        c.post(format!("{}/api/oauth/token", server.url))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")]),
        "get a token",
    )
    .await?;
    Ok(token["access_token"]
        .as_str()
        .context("access_token")?
        .to_owned())
}

impl Fixture {
    pub async fn create(server: &Server) -> anyhow::Result<Self> {
        let c = Client::new();
        let admin = |m: Method, path: &str| {
            c.request(m, format!("{}{path}", server.url))
                .basic_auth("admin", Some(ADMIN_PASSWORD))
        };
        let orgs = json_ok(admin(Method::GET, "/api/atlas/v2/orgs"), "list orgs").await?;
        let org = orgs["results"][0]["id"]
            .as_str()
            .context("an org")?
            .to_owned();
        let key = json_ok(
            admin(Method::POST, &format!("/api/atlas/v2/orgs/{org}/apiKeys"))
                .json(&json!({"desc": "bench", "roles": ["ORG_OWNER"]})),
            "create API key",
        )
        .await?;
        let account = json_ok(
            admin(Method::POST, &format!("/api/atlas/v2/orgs/{org}/serviceAccounts")).json(&json!({
                "name": "bench", "description": "bench", "roles": ["ORG_MEMBER"], "secretExpiresAfterHours": 24
            })),
            "create service account",
        )
        .await?;
        let client_id = account["clientId"].as_str().context("clientId")?.to_owned();
        let secret = account["secrets"][0]["secret"]
            .as_str()
            .context("secret")?
            .to_owned();
        let token = issue_token(&c, server, &client_id, &secret).await?;
        let federation = Federation::create(server, &org).await?;
        let provider_path = federation.provider_path.clone();
        let iam = crate::signing::Iam::create(&c, server).await?;
        // Last: it waits until the node has applied its own changes (see `EsKeys::create`).
        let es_keys = EsKeys::create(server).await?;
        Ok(Self {
            iam,
            federation,
            es_keys,
            org_path: format!("/api/atlas/v2/orgs/{org}"),
            provider_path,
            service_account_path: format!("/api/atlas/v2/orgs/{org}/serviceAccounts/{client_id}"),
            public_key: key["publicKey"].as_str().context("publicKey")?.to_owned(),
            private_key: key["privateKey"].as_str().context("privateKey")?.to_owned(),
            client_id,
            secret,
            token,
        })
    }
}

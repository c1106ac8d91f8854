//! The federated scenarios' identity provider: a fake OIDC issuer in this process (discovery
//! and a JWKS on `http://127.0.0.1`), registered as a WORKLOAD provider of the organization
//! with its group mapped to ORG_MEMBER, and the tokens it minted for the next scenario.

use crate::server::{Server, ADMIN_PASSWORD};
use anyhow::{bail, Context};
use reqwest::{Client, Method};
use serde_json::{json, Value};
use sigil_testkit::issuer::FakeIssuer;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

const GROUP: &str = "bench-workloads";
pub const AUDIENCE: &str = "urn:sigil:bench";
/// How many distinct tokens the cache-hit scenario cycles through.
pub const CACHED_TOKENS: usize = 8;

pub struct Federation {
    /// `/api/atlas/v2/federationSettings/{id}/identityProviders/{id}`.
    pub provider_path: String,
    issuer: FakeIssuer,
    tokens: RwLock<Arc<Vec<String>>>,
    next: AtomicUsize,
}

async fn admin(
    c: &Client,
    server: &Server,
    m: Method,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let response = c
        .request(m, format!("{}{path}", server.url))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .json(&body)
        .send()
        .await
        .with_context(|| path.to_owned())?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{path}: {status} {body}");
    }
    Ok(body)
}

impl Federation {
    /// Starts the issuer and registers it with `org` (and its federation settings).
    pub async fn create(server: &Server, org: &str) -> anyhow::Result<Self> {
        let issuer = FakeIssuer::start().await;
        let c = Client::new();
        let v2 = "/api/atlas/v2";
        let fs = admin(
            &c,
            server,
            Method::GET,
            &format!("{v2}/orgs/{org}/federationSettings"),
            Value::Null,
        )
        .await?;
        let fs = fs["id"].as_str().context("federation settings id")?;
        let idp = admin(
            &c,
            server,
            Method::POST,
            &format!("{v2}/federationSettings/{fs}/identityProviders"),
            json!({
                "protocol": "OIDC", "idpType": "WORKLOAD", "displayName": "bench",
                "issuerUri": issuer.issuer(), "audience": AUDIENCE,
                "authorizationType": "GROUP", "groupsClaim": "groups",
            }),
        )
        .await?;
        let idp = idp["id"].as_str().context("identity provider id")?;
        let config = format!("{v2}/federationSettings/{fs}/connectedOrgConfigs/{org}");
        admin(
            &c,
            server,
            Method::PATCH,
            &config,
            json!({"dataAccessIdentityProviderIds": [idp]}),
        )
        .await?;
        admin(
            &c,
            server,
            Method::POST,
            &format!("{config}/roleMappings"),
            json!({"externalGroupName": GROUP, "roleAssignments": [{"orgId": org, "role": "ORG_MEMBER"}]}),
        )
        .await?;
        Ok(Self {
            provider_path: format!("{v2}/federationSettings/{fs}/identityProviders/{idp}"),
            issuer,
            tokens: RwLock::new(Arc::new(vec![])),
            next: AtomicUsize::new(0),
        })
    }

    /// Mints `count` fresh tokens (each valid 10 minutes) for the next scenario, before it is
    /// timed; answers how long minting took.
    pub fn mint(&self, count: usize) -> std::time::Duration {
        let start = Instant::now();
        let tokens: Vec<String> = (0..count)
            .map(|i| {
                let claims = self
                    .issuer
                    .claims(&format!("workload-{i}"), AUDIENCE, &[GROUP]);
                self.issuer.mint(&claims)
            })
            .collect();
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(tokens);
        self.next.store(0, Ordering::Relaxed);
        start.elapsed()
    }

    /// The tokens [`Federation::mint`] minted last.
    pub fn minted(&self) -> Arc<Vec<String>> {
        self.tokens
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `count` tokens for measuring verification in this process, not kept for a scenario.
    pub fn sample(&self, count: usize) -> Vec<String> {
        (0..count)
            .map(|i| {
                let claims = self
                    .issuer
                    .claims(&format!("sample-{i}"), AUDIENCE, &[GROUP]);
                self.issuer.mint(&claims)
            })
            .collect()
    }

    /// The issuer's `iss` and the key set it publishes (JSON).
    pub fn issuer_and_jwks(&self) -> (String, String) {
        (self.issuer.issuer().to_owned(), self.issuer.current_jwks())
    }

    /// The next token: cycling through the minted ones (`reuse`), or each one once (`None`
    /// when they are used up).
    pub fn next_token(&self, reuse: bool) -> Option<String> {
        let tokens = self
            .tokens
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        match reuse {
            true if !tokens.is_empty() => tokens.get(i % tokens.len()).cloned(),
            _ => tokens.get(i).cloned(),
        }
    }
}

//! The IAM face's credentials for the bench: the admin's `X-Auth-Token`, and an access key whose
//! requests are signed `SDK-HMAC-SHA256` the way the Huawei Cloud SDKs sign them (the canonical
//! form is the core's, checked against the SDK's own vectors in sigil-core).

use crate::fixture::json_ok;
use crate::server::{Server, ADMIN_PASSWORD};
use anyhow::Context;
use reqwest::{Client, RequestBuilder};
use serde_json::json;
use sigil_core::iam::signature::{
    canonical_request, sign, string_to_sign, ReceivedRequest, EMPTY_SHA256,
};

pub struct Iam {
    /// The admin's token for `default`.
    pub token: String,
    access: String,
    secret: String,
    /// `host:port`, as the `Host` header carries it.
    host: String,
}

impl Iam {
    pub async fn create(c: &Client, server: &Server) -> anyhow::Result<Self> {
        let login = c
            .post(format!("{}/v3/auth/tokens", server.url))
            .json(&json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": "admin", "password": ADMIN_PASSWORD, "domain": {"name": "default"}}}},
                "scope": {"domain": {"name": "default"}}}}))
            .send()
            .await
            .context("POST /v3/auth/tokens")?;
        let token = login
            .headers()
            .get("x-subject-token")
            .context("X-Subject-Token")?
            .to_str()?
            .to_owned();
        let body: serde_json::Value = login.json().await?;
        let user = body["token"]["user"]["id"].as_str().context("user id")?;
        let key = json_ok(
            c.post(format!("{}/v3.0/OS-CREDENTIAL/credentials", server.url))
                .header("x-auth-token", &token)
                .json(&json!({"credential": {"user_id": user, "description": "bench"}})),
            "create an access key",
        )
        .await?;
        Ok(Self {
            token,
            access: key["credential"]["access"]
                .as_str()
                .context("access")?
                .to_owned(),
            secret: key["credential"]["secret"]
                .as_str()
                .context("secret")?
                .to_owned(),
            host: server.url.trim_start_matches("http://").to_owned(),
        })
    }

    /// `request` (a GET of `path`, no body) signed now.
    pub fn sign(&self, request: RequestBuilder, path: &str) -> RequestBuilder {
        let [(_, date), (_, authorization)] = self.signed_headers(path);
        request
            .header("x-sdk-date", date)
            .header("authorization", authorization)
    }

    /// `X-Sdk-Date` and `Authorization` of a GET of `path` (no body) signed now.
    pub fn signed_headers(&self, path: &str) -> [(String, String); 2] {
        let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let headers = [
            ("host".to_owned(), self.host.clone()),
            ("x-sdk-date".to_owned(), date.clone()),
        ];
        let received = ReceivedRequest {
            method: "GET",
            path,
            query: None,
            headers: &headers,
            body_sha256: EMPTY_SHA256,
            body_is_empty: true,
        };
        let signed = ["host".to_owned(), "x-sdk-date".to_owned()];
        let canonical = canonical_request(&received, &signed).unwrap_or_default();
        let signature = sign(self.secret.as_bytes(), &string_to_sign(&date, &canonical));
        [
            ("X-Sdk-Date".to_owned(), date),
            (
                "Authorization".to_owned(),
                format!(
                    "SDK-HMAC-SHA256 Access={}, SignedHeaders=host;x-sdk-date, Signature={signature}",
                    self.access
                ),
            ),
        ]
    }
}

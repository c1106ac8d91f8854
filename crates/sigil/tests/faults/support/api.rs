//! A client of one node over HTTP: the admin's Basic, Bearer, ApiKey and Digest credentials,
//! OAuth forms, and the audit trail. Every call answers `Err` when the node did not answer
//! (killed, cut off), never panics on it.

use super::node::ADMIN_PASSWORD;
use reqwest::Method;
use serde_json::Value;
pub use sigil_testkit::Answer;
use std::time::Duration;

pub const V2: &str = "/api/atlas/v2";

pub type Reply = Result<Answer, reqwest::Error>;

#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub url: String,
}

impl Api {
    pub fn new(url: &str) -> Self {
        Self::with(url, reqwest::Client::builder())
    }

    /// A client whose requests come from `local` (another loopback address): the failure
    /// limiter counts per address, so clients that must not share a budget use their own.
    pub fn from_address(url: &str, local: std::net::IpAddr) -> Self {
        Self::with(url, reqwest::Client::builder().local_address(local))
    }

    fn with(url: &str, builder: reqwest::ClientBuilder) -> Self {
        Self {
            client: builder
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            url: url.to_owned(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await?;
        Ok(sigil_testkit::answer(response).await)
    }

    fn request(&self, method: Method, path: &str, body: Option<&Value>) -> reqwest::RequestBuilder {
        let r = self.client.request(method, format!("{}{path}", self.url));
        match body {
            Some(b) => r.json(b),
            None => r,
        }
    }

    /// A GET with no credentials.
    pub async fn anonymous(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path, None)).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.basic("admin", ADMIN_PASSWORD, method, path, body)
            .await
    }

    pub async fn basic(
        &self,
        user: &str,
        password: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        self.send(
            self.request(method, path, body.as_ref())
                .basic_auth(user, Some(password)),
        )
        .await
    }

    pub async fn bearer(&self, token: &str, path: &str) -> Reply {
        self.send(self.request(Method::GET, path, None).bearer_auth(token))
            .await
    }

    /// `Authorization: ApiKey <encoded>` (an Elasticsearch API key).
    pub async fn api_key(&self, encoded: &str, path: &str) -> Reply {
        self.send(
            self.request(Method::GET, path, None)
                .header("Authorization", format!("ApiKey {encoded}")),
        )
        .await
    }

    /// A form POST (the OAuth endpoints), with Basic client credentials when given.
    pub async fn form(
        &self,
        path: &str,
        basic: Option<(&str, &str)>,
        fields: &[(&str, &str)],
    ) -> Reply {
        let mut r = self.request(Method::POST, path, None).form(fields);
        if let Some((id, secret)) = basic {
            r = r.basic_auth(id, Some(secret));
        }
        self.send(r).await
    }

    /// A client_credentials grant.
    pub async fn grant(&self, client_id: &str, secret: &str) -> Reply {
        self.form(
            "/api/oauth/token",
            Some((client_id, secret)),
            &[("grant_type", "client_credentials")],
        )
        .await
    }

    /// A request answering a Digest challenge (a programmatic API key).
    pub async fn digest(&self, user: &str, password: &str, path: &str) -> Answer {
        sigil_testkit::digest::send(
            &self.client,
            Method::GET,
            &format!("{}{path}", self.url),
            user,
            password,
            "MD5",
            None,
        )
        .await
    }

    /// The `default` organization's id and its federation settings' id.
    pub async fn default_org(&self) -> (String, String) {
        let orgs = self
            .admin(Method::GET, &format!("{V2}/orgs"), None)
            .await
            .expect("orgs");
        assert_eq!(orgs.status, 200, "{}", orgs.text);
        let org = orgs.body["results"]
            .as_array()
            .and_then(|r| r.iter().find(|o| o["name"] == "default"))
            .expect("the default organization");
        let org_id = org["id"].as_str().expect("id").to_owned();
        let fs = self
            .admin(
                Method::GET,
                &format!("{V2}/orgs/{org_id}/federationSettings"),
                None,
            )
            .await
            .expect("federation settings");
        (org_id, fs.body["id"].as_str().expect("fs id").to_owned())
    }

    /// Every audit event of the organization, newest first.
    pub async fn events(&self, org: &str) -> Vec<Value> {
        let mut all = vec![];
        for page in 1.. {
            let a = self
                .admin(
                    Method::GET,
                    &format!("{V2}/orgs/{org}/events?itemsPerPage=500&pageNum={page}"),
                    None,
                )
                .await
                .expect("events");
            assert_eq!(a.status, 200, "{}", a.text);
            let items = a.body["results"].as_array().cloned().unwrap_or_default();
            let done = items.len() < 500;
            all.extend(items);
            if done {
                break;
            }
        }
        all
    }
}

/// The status of a reply, or 0 when the node did not answer.
pub fn status(reply: &Reply) -> u16 {
    reply.as_ref().map_or(0, |a| a.status.as_u16())
}

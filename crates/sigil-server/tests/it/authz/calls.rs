//! A request of the matrix and how each kind of credential is put on it: Basic, Bearer,
//! `X-Auth-Token`, `ApiKey`, Digest (answering a challenge) and `SDK-HMAC-SHA256` signing.

use crate::iam_access_keys::Key as AccessKey;
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sigil_core::iam::signature::{canonical_request, sign, string_to_sign, ReceivedRequest};
use sigil_testkit::{Answer, TestServer};

/// What a request carries.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    Form(Vec<(String, String)>),
}

impl Body {
    /// The bytes sent and their Content-Type.
    fn encoded(&self) -> (Vec<u8>, Option<&'static str>) {
        match self {
            Body::Empty => (vec![], None),
            Body::Json(v) => (v.to_string().into_bytes(), Some("application/json")),
            Body::Form(pairs) => (
                crate::credentials_support::form(
                    &pairs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                )
                .into_bytes(),
                Some("application/x-www-form-urlencoded"),
            ),
        }
    }
}

/// One request of an operation, its path holding real ids (and its query, if any).
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            body: Body::Empty,
            headers: vec![],
        }
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        self.body = Body::Form(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A principal's credential.
#[derive(Clone)]
pub enum Credential {
    Basic(String, String),
    Bearer(String),
    AuthToken(String),
    ApiKey(String),
    Digest(String, String),
    Signed(std::sync::Arc<AccessKey>),
    None,
}

/// Sends `call` with `credential`.
pub async fn send(server: &TestServer, call: &Call, credential: &Credential) -> Answer {
    let url = format!("{}{}", server.url, call.path);
    let (bytes, content_type) = call.body.encoded();
    let mut r = server.client.request(call.method.clone(), &url);
    for (name, value) in &call.headers {
        r = r.header(*name, value);
    }
    if let Some(ct) = content_type {
        r = r.header("content-type", ct);
    }
    r = match credential {
        Credential::Basic(user, password) => r.basic_auth(user, Some(password)),
        Credential::Bearer(token) => r.header("authorization", format!("Bearer {token}")),
        Credential::AuthToken(token) => r.header("x-auth-token", token),
        Credential::ApiKey(encoded) => r.header("authorization", format!("ApiKey {encoded}")),
        Credential::Digest(user, password) => {
            let auth = digest_authorization(server, &call.method, &call.path, user, password).await;
            r.header("authorization", auth)
        }
        Credential::Signed(key) => {
            for (name, value) in signature_headers(server, call, &bytes, content_type, key) {
                r = r.header(name, value);
            }
            r
        }
        Credential::None => r,
    };
    if !bytes.is_empty() {
        r = r.body(bytes);
    }
    server.send(r).await
}

/// Digest credentials for `method uri`, answering a challenge fetched from the Atlas face
/// (the operation's own first answer may not be a challenge: a public endpoint answers it).
async fn digest_authorization(
    server: &TestServer,
    method: &Method,
    uri: &str,
    user: &str,
    password: &str,
) -> String {
    let challenge = server
        .anonymous(Method::GET, "/api/atlas/v2/orgs", None)
        .await
        .header("www-authenticate")
        .expect("a Digest challenge")
        .to_owned();
    sigil_testkit::digest::authorization(&challenge, method, uri, user, password, "MD5", 1)
}

/// The headers of a request signed with `key` as the Huawei SDK signs it (host, date and,
/// with a body, its content type).
fn signature_headers(
    server: &TestServer,
    call: &Call,
    body: &[u8],
    content_type: Option<&str>,
    key: &AccessKey,
) -> Vec<(String, String)> {
    let host = server.url.trim_start_matches("http://").to_owned();
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut headers = vec![
        ("host".to_owned(), host),
        ("x-sdk-date".to_owned(), date.clone()),
    ];
    if let Some(ct) = content_type {
        headers.push(("content-type".to_owned(), ct.to_owned()));
    }
    for (name, value) in &call.headers {
        headers.push((name.to_ascii_lowercase(), value.clone()));
    }
    headers.sort();
    let names: Vec<String> = headers.iter().map(|(n, _)| n.clone()).collect();
    let (path, query) = call
        .path
        .split_once('?')
        .map_or((call.path.as_str(), None), |(p, q)| (p, Some(q)));
    let hash = hex::encode(Sha256::digest(body));
    let request = ReceivedRequest {
        method: call.method.as_str(),
        path,
        query,
        headers: &headers,
        body_sha256: &hash,
        body_is_empty: body.is_empty(),
    };
    let canonical = canonical_request(&request, &names).expect("canonical request");
    let signature = sign(key.secret.as_bytes(), &string_to_sign(&date, &canonical));
    let authorization = format!(
        "SDK-HMAC-SHA256 Access={}, SignedHeaders={}, Signature={signature}",
        key.access,
        names.join(";")
    );
    vec![
        ("x-sdk-date".to_owned(), date),
        ("authorization".to_owned(), authorization),
    ]
}

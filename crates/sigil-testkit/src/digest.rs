//! A Digest client written from RFC 7616, independent of the server's code, for tests.

use md5::Digest as _;
use reqwest::{Method, RequestBuilder};

/// Parses a `WWW-Authenticate: Digest …` challenge into its parameters.
pub fn parse_challenge(header: &str) -> Vec<(String, String)> {
    let body = header.strip_prefix("Digest ").expect("a Digest challenge");
    body.split(", ")
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}

fn h(algorithm: &str, data: &str) -> String {
    match algorithm {
        "SHA-256" => hex::encode(sha2::Sha256::digest(data.as_bytes())),
        _ => hex::encode(md5::Md5::digest(data.as_bytes())),
    }
}

/// The `Authorization` value answering `challenge` for this request.
#[allow(clippy::too_many_arguments)]
pub fn authorization(
    challenge: &str,
    method: &Method,
    uri: &str,
    user: &str,
    password: &str,
    algorithm: &str,
    nc: u32,
) -> String {
    let params = parse_challenge(challenge);
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (realm, nonce) = (get("realm"), get("nonce"));
    let cnonce = format!("{:016x}", rand::random::<u64>());
    let nc = format!("{nc:08x}");
    let ha1 = h(algorithm, &format!("{user}:{realm}:{password}"));
    let ha2 = h(algorithm, &format!("{method}:{uri}"));
    let response = h(
        algorithm,
        &format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"),
    );
    format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm={algorithm}, qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\""
    )
}

/// Sends `build()` once without credentials, then again answering the challenge.
pub async fn send(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    user: &str,
    password: &str,
    algorithm: &str,
    body: Option<serde_json::Value>,
) -> crate::Answer {
    let build = || {
        let r: RequestBuilder = client.request(method.clone(), url);
        match &body {
            Some(b) => r.json(b),
            None => r,
        }
    };
    let first = build().send().await.expect("send");
    assert_eq!(
        first.status(),
        401,
        "the first Digest request is challenged"
    );
    let challenge = first.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let parsed = reqwest::Url::parse(url).expect("url");
    let uri = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let auth = authorization(&challenge, &method, &uri, user, password, algorithm, 1);
    crate::answer(
        build()
            .header("authorization", auth)
            .send()
            .await
            .expect("send"),
    )
    .await
}

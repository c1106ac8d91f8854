//! Shared helpers of the federated-token tests (spec 10, "Tokens from an identity provider"
//! and "Revoking the JWKS"): a fake issuer registered as an identity provider of a fresh
//! organization, requests from fresh loopback addresses, token exchange.

use crate::atlas_support::*;
use crate::credentials_support::form;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::issuer::FakeIssuer;
use sigil_testkit::{Answer, TestServer};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The group a GROUP provider's role mapping names.
pub const GROUP: &str = "sigil-fed-owners";
/// The `email` a USER provider's role mapping names (its `userClaim` is `email`).
pub const USER_EMAIL: &str = "alice@example.com";
pub const EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// A provider registered and connected to an organization of its own.
pub struct Fed {
    pub org: String,
    pub fs: String,
    pub idp: String,
    pub audience: String,
}

impl Fed {
    pub fn org_path(&self) -> String {
        format!("{V2}/orgs/{}", self.org)
    }

    pub fn idp_path(&self) -> String {
        format!("{}/{}", idps_path(&self.fs), self.idp)
    }

    pub fn jwks_path(&self) -> String {
        format!("{}/jwks", self.idp_path())
    }

    /// Standard claims for `sub` in `groups`, with the provider's audience.
    pub fn claims(&self, issuer: &FakeIssuer, sub: &str, groups: &[&str]) -> Value {
        issuer.claims(sub, &self.audience, groups)
    }
}

/// Creates an organization, an identity provider of `issuer` (`authorization` GROUP: groups
/// claim `groups`, [`GROUP`] mapped to `role`; USER: user claim `email`, [`USER_EMAIL`] mapped
/// to `role`), and connects it: a WORKLOAD provider through `dataAccessIdentityProviderIds`, a
/// WORKFORCE one through `identityProviderId`.
pub async fn setup(
    server: &TestServer,
    issuer: &FakeIssuer,
    authorization: &str,
    idp_type: &str,
    role: &str,
) -> Fed {
    let (org, fs) = create_org(server, &unique_audience("fed-org")).await;
    let audience = unique_audience("sigil-fed");
    let mut body = json!({
        "protocol": "OIDC",
        "idpType": idp_type,
        "displayName": "fake issuer",
        "issuerUri": issuer.issuer(),
        "audience": audience,
        "authorizationType": authorization,
    });
    let name = if authorization == "GROUP" {
        body["groupsClaim"] = json!("groups");
        GROUP
    } else {
        body["userClaim"] = json!("email");
        USER_EMAIL
    };
    if idp_type == "WORKFORCE" {
        body["clientId"] = json!("sigil-console");
    }
    let idp = create_idp(server, &fs, body).await;
    let connect = if idp_type == "WORKFORCE" {
        json!({"identityProviderId": idp})
    } else {
        json!({"dataAccessIdentityProviderIds": [idp]})
    };
    let c = server
        .admin(Method::PATCH, &config_path(&fs, &org), Some(connect))
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let m = server
        .admin(
            Method::POST,
            &mappings_path(&fs, &org),
            Some(mapping(name, &org, role)),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.text);
    Fed {
        org,
        fs,
        idp,
        audience,
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `claims` as an issuer whose clock runs the tolerated skew (60 s) ahead stamps them: the
/// only tokens a JWKS revoke lets through within a minute of it, since a token stamped closer
/// to the revoke may have been minted before it by such an issuer.
/// "Now" is the server's clock, which the test has moved past the cutoff's second
/// ([`sigil_testkit::TestClock::next_second`]).
pub fn stamped_after_cutoff(
    server: &TestServer,
    mut claims: serde_json::Value,
) -> serde_json::Value {
    claims["iat"] = serde_json::json!(server.now().timestamp() + 60);
    claims
}

/// A client whose connections come from an address of 127.0.0.0/8 no other request used, so
/// refused tokens never use up the failure limit of another request's address.
pub fn fresh_client() -> reqwest::Client {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let ip = std::net::IpAddr::from([
        127,
        10 + (n / 250 / 250 % 200) as u8,
        (n / 250 % 250) as u8,
        (n % 250 + 1) as u8,
    ]);
    reqwest::Client::builder()
        .local_address(ip)
        .build()
        .expect("client")
}

/// `method path` with `Authorization: Bearer token`, from a fresh address.
pub async fn bearer_at(server: &TestServer, method: Method, path: &str, token: &str) -> Answer {
    let r = fresh_client()
        .request(method, format!("{}{path}", server.url))
        .header("authorization", format!("Bearer {token}"));
    server.send(r).await
}

/// GET of the provider's organization with `token` as a Bearer.
pub async fn get_org(server: &TestServer, fed: &Fed, token: &str) -> Answer {
    bearer_at(server, Method::GET, &fed.org_path(), token).await
}

/// GET of the federation settings of the provider's organization (ORG_OWNER only).
pub async fn get_fs(server: &TestServer, fed: &Fed, token: &str) -> Answer {
    let path = format!("{}/federationSettings", fed.org_path());
    bearer_at(server, Method::GET, &path, token).await
}

/// POSTs a form to the token endpoint, without client authentication, from a fresh address.
pub async fn token_form(server: &TestServer, pairs: &[(&str, &str)]) -> Answer {
    let r = fresh_client()
        .post(format!("{}/api/oauth/token", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs));
    server.send(r).await
}

/// RFC 8693 token exchange of `subject` (typed as a JWT).
pub async fn exchange(server: &TestServer, subject: &str) -> Answer {
    token_form(
        server,
        &[
            ("grant_type", EXCHANGE_GRANT),
            ("subject_token", subject),
            ("subject_token_type", JWT_TYPE),
        ],
    )
    .await
}

/// Exchanges `subject` and answers the Sigil access token, checking the response's shape.
pub async fn exchanged(server: &TestServer, subject: &str) -> String {
    let a = exchange(server, subject).await;
    assert_eq!(a.status, 200, "token exchange: {}", a.text);
    assert_eq!(a.body["token_type"], "Bearer", "{}", a.text);
    assert_eq!(a.body["issued_token_type"], ACCESS_TOKEN_TYPE, "{}", a.text);
    let expires_in = a.body["expires_in"].as_i64().expect("expires_in");
    assert!((1..=3600).contains(&expires_in), "{}", a.text);
    let token = a.body["access_token"].as_str().expect("access_token");
    assert_ne!(token, subject);
    token.to_owned()
}

/// The provider as the admin reads it.
pub async fn get_idp(server: &TestServer, fed: &Fed) -> Value {
    let a = server.admin(Method::GET, &fed.idp_path(), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

/// The audit events naming `target`, newest first (the admin sees events of no organization).
pub async fn events_of(server: &TestServer, org: &str, target: &str) -> Vec<Value> {
    let a = crate::credentials_support::all_events(server, org).await;
    a.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|e| e["targetId"] == target)
        .cloned()
        .collect()
}

/// A refusal of the Atlas face: 401 `NOT_AUTHENTICATED`.
#[track_caller]
pub fn assert_refused(a: &Answer, what: &str) {
    assert_eq!(a.status, 401, "{what}: {}", a.text);
    assert_eq!(
        a.body["errorCode"], "NOT_AUTHENTICATED",
        "{what}: {}",
        a.text
    );
}

/// Authenticated, without the role: 403 `INSUFFICIENT_ROLE`.
#[track_caller]
pub fn assert_forbidden(a: &Answer) {
    assert_error(a, 403, "INSUFFICIENT_ROLE");
}

/// `claims` with `key` set to `value` (`Null` removes it).
pub fn claim(mut claims: Value, key: &str, value: Value) -> Value {
    let map = claims.as_object_mut().unwrap();
    if value.is_null() {
        map.remove(key);
    } else {
        map.insert(key.to_owned(), value);
    }
    claims
}

/// A token of `fed` for [`GROUP`] with a claim of `n` bytes of padding.
pub fn padded(issuer: &FakeIssuer, fed: &Fed, n: usize) -> String {
    issuer.mint(&claim(
        fed.claims(issuer, "ivy", &[GROUP]),
        "pad",
        json!("a".repeat(n)),
    ))
}

//! A fake OpenID Connect identity provider for federation tests: it serves discovery and a
//! JWKS over real HTTP on `127.0.0.1:0`, and mints JWTs — well-formed ones and the usual
//! attacks (`alg: none`, HS256 keyed with the public key, unknown `kid`, retired keys).
//!
//! The JWKS publishes only the current key: [`FakeIssuer::rotate`] retires the previous key
//! from the JWKS but keeps its private half, so tests can still mint with it.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::task::JoinHandle;

mod keys;
use keys::new_key;

/// How `/jwks` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwksBehaviour {
    /// 200 with the JWKS.
    Normal,
    /// 200 with `{"keys": "nope"}`: JSON, but not a JWKS.
    Malformed,
    /// 500.
    ServerError,
    /// Never answers.
    Hang,
    /// 200 with a valid JWKS padded (an extra `"padding"` member) to just over 2 MiB.
    Oversized,
}

/// The algorithm of a signing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlg {
    Es256,
    Rs256,
}

impl KeyAlg {
    fn algorithm(self) -> Algorithm {
        match self {
            KeyAlg::Es256 => Algorithm::ES256,
            KeyAlg::Rs256 => Algorithm::RS256,
        }
    }

    fn name(self) -> &'static str {
        match self {
            KeyAlg::Es256 => "ES256",
            KeyAlg::Rs256 => "RS256",
        }
    }
}

/// One signing key: its private half, its JWK and its public key as PEM SubjectPublicKeyInfo.
struct Key {
    kid: String,
    alg: KeyAlg,
    encoding: EncodingKey,
    jwk: Value,
    public_pem: String,
}

struct Keys {
    /// Every key ever made, the retired ones included.
    all: Vec<Key>,
    /// Index in `all` of the current key: the only one published.
    current: usize,
    /// How many RSA keys were handed out (rotation cycles through the fixed RSA test keys).
    rsa_used: usize,
}

struct Shared {
    issuer: String,
    keys: Mutex<Keys>,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    behaviour: Mutex<JwksBehaviour>,
    cache_control: Mutex<Option<String>>,
}

pub struct FakeIssuer {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeIssuer {
    /// Serves discovery and JWKS on `http://127.0.0.1:PORT`; starts with one ES256 key.
    pub async fn start() -> Self {
        Self::start_with(KeyAlg::Es256).await
    }

    /// Same with the first key of the given algorithm.
    pub async fn start_with(alg: KeyAlg) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake issuer");
        let issuer = format!("http://{}", listener.local_addr().expect("local addr"));
        let mut rsa_used = 0;
        let first = new_key(alg, &mut rsa_used);
        let shared = Arc::new(Shared {
            issuer,
            keys: Mutex::new(Keys {
                all: vec![first],
                current: 0,
                rsa_used,
            }),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
            behaviour: Mutex::new(JwksBehaviour::Normal),
            cache_control: Mutex::new(Some("max-age=300".to_owned())),
        });
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("fake issuer serves");
        });
        Self { shared, task }
    }

    /// `http://127.0.0.1:PORT`: the `iss` of its tokens; discovery is at
    /// `{issuer}/.well-known/openid-configuration`, whose `jwks_uri` is `{issuer}/jwks`.
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    /// The kid of the current signing key.
    pub fn current_kid(&self) -> String {
        let keys = self.shared.keys.lock().unwrap();
        keys.all[keys.current].kid.clone()
    }

    /// The JWKS it publishes (the current key only), as a JSON string: what the IAM face's
    /// `signing_key` pins.
    pub fn current_jwks(&self) -> String {
        let keys = self.shared.keys.lock().unwrap();
        json!({"keys": [keys.all[keys.current].jwk.clone()]}).to_string()
    }

    /// The current public key as PEM SubjectPublicKeyInfo text (`-----BEGIN PUBLIC KEY-----`,
    /// 64-column base64 lines, LF line ends, a final LF): the HMAC secret of
    /// [`FakeIssuer::mint_hs256_with_public_key`].
    pub fn current_public_key_pem(&self) -> String {
        let keys = self.shared.keys.lock().unwrap();
        keys.all[keys.current].public_pem.clone()
    }

    /// Adds a new key of the current key's algorithm, makes it current and removes the previous
    /// key from the JWKS (its private key is kept for [`FakeIssuer::mint_with_kid`]).
    pub fn rotate(&self) -> String {
        let alg = {
            let keys = self.shared.keys.lock().unwrap();
            keys.all[keys.current].alg
        };
        self.rotate_to(alg)
    }

    /// Like [`FakeIssuer::rotate`], with a new key of `alg`.
    pub fn rotate_to(&self, alg: KeyAlg) -> String {
        let mut keys = self.shared.keys.lock().unwrap();
        let key = new_key(alg, &mut keys.rsa_used);
        let kid = key.kid.clone();
        keys.all.push(key);
        keys.current = keys.all.len() - 1;
        kid
    }

    /// Standard claims: `iss`, `sub`, `aud`, `iat` = `nbf` = now, `exp` = now + 600, a random
    /// `jti`, and `groups`.
    pub fn claims(&self, sub: &str, aud: &str, groups: &[&str]) -> Value {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        json!({
            "iss": self.issuer(),
            "sub": sub,
            "aud": aud,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "jti": format!("{:032x}", rand::random::<u128>()),
            "groups": groups,
        })
    }

    /// Signs `claims` with the current key; header `{alg, kid, typ: "JWT"}`.
    pub fn mint(&self, claims: &Value) -> String {
        self.mint_typed("JWT", claims)
    }

    /// Signs with the key `kid` (current or retired); header `typ` "JWT". Panics on a kid
    /// this issuer never made.
    pub fn mint_with_kid(&self, kid: &str, claims: &Value) -> String {
        let keys = self.shared.keys.lock().unwrap();
        let key = keys
            .all
            .iter()
            .find(|k| k.kid == kid)
            .unwrap_or_else(|| panic!("the fake issuer has no key {kid:?}"));
        sign(key, "JWT", claims)
    }

    /// Signs with the current key, with header `typ` set to `typ` (e.g. "at+jwt").
    pub fn mint_typed(&self, typ: &str, claims: &Value) -> String {
        let keys = self.shared.keys.lock().unwrap();
        sign(&keys.all[keys.current], typ, claims)
    }

    /// An unsigned token: header `{"alg":"none","kid":current}`, an empty signature (`a.b.`).
    pub fn mint_alg_none(&self, claims: &Value) -> String {
        let header = json!({"alg": "none", "kid": self.current_kid()});
        format!("{}.{}.", b64_json(&header), b64_json(claims))
    }

    /// The key-confusion attack: HS256, kid = the current kid, whose HMAC secret is the current
    /// public key as PEM SubjectPublicKeyInfo text — exactly the bytes of
    /// [`FakeIssuer::current_public_key_pem`], final newline included.
    pub fn mint_hs256_with_public_key(&self, claims: &Value) -> String {
        let (kid, pem) = {
            let keys = self.shared.keys.lock().unwrap();
            let key = &keys.all[keys.current];
            (key.kid.clone(), key.public_pem.clone())
        };
        let header = Header {
            typ: Some("JWT".to_owned()),
            kid: Some(kid),
            ..Header::new(Algorithm::HS256)
        };
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(pem.as_bytes())).unwrap()
    }

    /// A token whose header names `kid`, which the issuer never published, signed ES256 by a
    /// throwaway key (whatever the current key's algorithm).
    pub fn mint_unknown_kid(&self, kid: &str, claims: &Value) -> String {
        let mut key = new_key(KeyAlg::Es256, &mut 0);
        key.kid = kid.to_owned();
        sign(&key, "JWT", claims)
    }

    /// How many times `/jwks` was requested.
    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many times `/.well-known/openid-configuration` was requested.
    pub fn discovery_fetches(&self) -> usize {
        self.shared.discovery_fetches.load(Ordering::SeqCst)
    }

    pub fn set_jwks_behaviour(&self, b: JwksBehaviour) {
        *self.shared.behaviour.lock().unwrap() = b;
    }

    /// The `Cache-Control` of the JWKS response (default `max-age=300`; `None`: no header).
    pub fn set_jwks_cache_control(&self, value: Option<&str>) {
        *self.shared.cache_control.lock().unwrap() = value.map(str::to_owned);
    }
}

impl Drop for FakeIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    let issuer = &shared.issuer;
    axum::Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "token_endpoint": format!("{issuer}/token"),
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
    }))
    .into_response()
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let behaviour = *shared.behaviour.lock().unwrap();
    let cache_control = shared.cache_control.lock().unwrap().clone();
    let published = {
        let keys = shared.keys.lock().unwrap();
        json!({"keys": [keys.all[keys.current].jwk.clone()]})
    };
    let (status, body) = match behaviour {
        JwksBehaviour::Normal => (StatusCode::OK, published.to_string()),
        JwksBehaviour::Malformed => (StatusCode::OK, r#"{"keys": "nope"}"#.to_owned()),
        JwksBehaviour::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error": "fake issuer failure"}"#.to_owned(),
        ),
        JwksBehaviour::Hang => std::future::pending().await,
        JwksBehaviour::Oversized => {
            let mut padded = published;
            padded["padding"] = Value::String("a".repeat(2 * 1024 * 1024));
            (StatusCode::OK, padded.to_string())
        }
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(value) = cache_control {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

fn sign(key: &Key, typ: &str, claims: &Value) -> String {
    let header = Header {
        typ: Some(typ.to_owned()),
        kid: Some(key.kid.clone()),
        ..Header::new(key.alg.algorithm())
    };
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{DecodingKey, Validation};
    use std::time::Duration;

    async fn get_json(url: &str) -> (reqwest::StatusCode, Option<String>, String) {
        let response = reqwest::get(url).await.unwrap();
        let status = response.status();
        let cache = response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, cache, response.text().await.unwrap())
    }

    async fn served_jwks(issuer: &FakeIssuer) -> JwkSet {
        let (status, _, body) = get_json(&format!("{}/jwks", issuer.issuer())).await;
        assert_eq!(status, 200);
        serde_json::from_str(&body).unwrap()
    }

    async fn verify(issuer: &FakeIssuer, token: &str, alg: Algorithm) -> Value {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let set = served_jwks(issuer).await;
        let jwk = set
            .find(header.kid.as_deref().unwrap())
            .expect("kid served");
        let mut validation = Validation::new(alg);
        validation.set_audience(&["sigil"]);
        validation.set_issuer(&[issuer.issuer()]);
        let key = DecodingKey::from_jwk(jwk).unwrap();
        jsonwebtoken::decode::<Value>(token, &key, &validation)
            .unwrap()
            .claims
    }

    #[tokio::test]
    async fn discovery_points_at_jwks() {
        let issuer = FakeIssuer::start().await;
        assert!(issuer.issuer().starts_with("http://127.0.0.1:"));
        let url = format!("{}/.well-known/openid-configuration", issuer.issuer());
        let (status, _, body) = get_json(&url).await;
        assert_eq!(status, 200);
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["issuer"], issuer.issuer());
        assert_eq!(doc["jwks_uri"], format!("{}/jwks", issuer.issuer()));
        assert_eq!(doc["token_endpoint"], format!("{}/token", issuer.issuer()));
        assert_eq!(issuer.discovery_fetches(), 1);
        assert_eq!(issuer.jwks_fetches(), 0);
        served_jwks(&issuer).await;
        served_jwks(&issuer).await;
        assert_eq!(issuer.jwks_fetches(), 2);
        assert_eq!(issuer.discovery_fetches(), 1);
    }

    #[tokio::test]
    async fn es256_and_rs256_tokens_verify_against_the_served_jwks() {
        let issuer = FakeIssuer::start().await;
        let claims = issuer.claims("alice", "sigil", &["admins", "devs"]);
        let token = issuer.mint(&claims);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.kid, Some(issuer.current_kid()));
        let got = verify(&issuer, &token, Algorithm::ES256).await;
        assert_eq!(got["sub"], "alice");
        assert_eq!(got["groups"], json!(["admins", "devs"]));

        let rsa = FakeIssuer::start_with(KeyAlg::Rs256).await;
        let token = rsa.mint(&rsa.claims("bob", "sigil", &[]));
        assert_eq!(verify(&rsa, &token, Algorithm::RS256).await["sub"], "bob");
        // The RSA public PEM (the HS256 attack's secret) is the key that verifies.
        let pem = DecodingKey::from_rsa_pem(rsa.current_public_key_pem().as_bytes()).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["sigil"]);
        assert!(jsonwebtoken::decode::<Value>(&token, &pem, &validation).is_ok());
        // The second fixed RSA key, then back to ES256.
        rsa.rotate();
        let token = rsa.mint(&rsa.claims("carol", "sigil", &[]));
        assert_eq!(verify(&rsa, &token, Algorithm::RS256).await["sub"], "carol");
        rsa.rotate_to(KeyAlg::Es256);
        let token = rsa.mint(&rsa.claims("dave", "sigil", &[]));
        assert_eq!(verify(&rsa, &token, Algorithm::ES256).await["sub"], "dave");
    }

    #[tokio::test]
    async fn rotation_removes_the_old_kid_but_it_can_still_mint() {
        let issuer = FakeIssuer::start().await;
        let old = issuer.current_kid();
        let new = issuer.rotate();
        assert_ne!(old, new);
        assert_eq!(issuer.current_kid(), new);
        let set = served_jwks(&issuer).await;
        assert!(set.find(&old).is_none());
        assert!(set.find(&new).is_some());
        let token = issuer.mint_with_kid(&old, &issuer.claims("a", "sigil", &[]));
        assert_eq!(
            jsonwebtoken::decode_header(&token).unwrap().kid,
            Some(old.clone())
        );
    }

    #[tokio::test]
    async fn jwks_behaviours() {
        let issuer = FakeIssuer::start().await;
        let url = format!("{}/jwks", issuer.issuer());
        let (_, cache, _) = get_json(&url).await;
        assert_eq!(cache.as_deref(), Some("max-age=300"));
        issuer.set_jwks_cache_control(None);
        assert_eq!(get_json(&url).await.1, None);

        issuer.set_jwks_behaviour(JwksBehaviour::Malformed);
        let (status, _, body) = get_json(&url).await;
        assert_eq!(status, 200);
        assert!(serde_json::from_str::<JwkSet>(&body).is_err());

        issuer.set_jwks_behaviour(JwksBehaviour::ServerError);
        assert_eq!(get_json(&url).await.0, 500);

        issuer.set_jwks_behaviour(JwksBehaviour::Oversized);
        let (status, _, body) = get_json(&url).await;
        assert_eq!(status, 200);
        assert!(body.len() >= 2 * 1024 * 1024);

        issuer.set_jwks_behaviour(JwksBehaviour::Hang);
        let client = reqwest::Client::new();
        let hung = client
            .get(&url)
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        assert!(hung.unwrap_err().is_timeout());
        assert_eq!(issuer.jwks_fetches(), 6);
    }

    #[tokio::test]
    async fn attack_tokens() {
        let issuer = FakeIssuer::start().await;
        let claims = issuer.claims("mallory", "sigil", &["admins"]);

        let none = issuer.mint_alg_none(&claims);
        let parts: Vec<&str> = none.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(parts[2].is_empty());
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "none", "kid": issuer.current_kid()}));

        let hs = issuer.mint_hs256_with_public_key(&claims);
        let header = jsonwebtoken::decode_header(&hs).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.kid, Some(issuer.current_kid()));
        let pem = issuer.current_public_key_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        // The PEM really is the current public key, and really is the HMAC secret.
        assert!(DecodingKey::from_ec_pem(pem.as_bytes()).is_ok());
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&["sigil"]);
        let secret = DecodingKey::from_secret(pem.as_bytes());
        assert!(jsonwebtoken::decode::<Value>(&hs, &secret, &validation).is_ok());

        let unknown = issuer.mint_unknown_kid("nobody", &claims);
        let header = jsonwebtoken::decode_header(&unknown).unwrap();
        assert_eq!(header.kid.as_deref(), Some("nobody"));
        assert!(served_jwks(&issuer).await.find("nobody").is_none());

        let typed = issuer.mint_typed("at+jwt", &claims);
        let header = jsonwebtoken::decode_header(&typed).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    }
}

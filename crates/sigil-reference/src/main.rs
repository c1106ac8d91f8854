//! `sigil-reference`: the ceiling `sigil-bench` measures Sigil against in the same run.
//!
//! - `GET /health`: a bare axum route answering `{"status":"ok"}`, no middleware: what serving
//!   HTTP on this machine costs before Sigil adds anything.
//! - `POST /token`: the irreducible work of an OAuth 2.0 client_credentials token endpoint, as
//!   Sigil's does it: read the form, check `grant_type`, decode `client_secret_basic`, find the
//!   client in memory, compare the SHA-256 of the secret in constant time, and sign one ES256
//!   JWT with a key parsed once at start (ring's `EcdsaKeyPair`; the JWT's header is encoded
//!   once too). No store, no audit, no rate limiting.
//!
//! Same allocator (jemalloc) and runtime (tokio, multi-threaded) as the `sigil` binary, so
//! the difference between the two is Sigil's own work.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use clap::Parser;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(about = "The reference server sigil-bench compares Sigil with")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8499")]
    listen: std::net::SocketAddr,
    /// The one client the token endpoint knows.
    #[arg(long, default_value = "reference-client")]
    client_id: String,
    /// Its secret (only its SHA-256 is kept).
    #[arg(long, env = "SIGIL_REFERENCE_CLIENT_SECRET")]
    client_secret: String,
}

struct Issuer {
    client_id: String,
    secret_sha256: [u8; 32],
    key: EcdsaKeyPair,
    rng: SystemRandom,
    /// The JWT header, base64url-encoded once.
    header: String,
}

impl Issuer {
    /// `header.claims.signature`, ES256.
    fn sign(&self, claims: &Claims<'_>) -> Option<String> {
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).ok()?);
        let input = format!("{}.{claims}", self.header);
        let signature = self.key.sign(&self.rng, input.as_bytes()).ok()?;
        Some(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: String,
    client_id: &'a str,
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// `Authorization: Basic base64(id:secret)`.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn refused() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(serde_json::json!({"error": "invalid_client"})),
    )
        .into_response()
}

async fn token(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if form.grant_type != "client_credentials" {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    let Some((id, secret)) = basic(&headers) else {
        return refused();
    };
    let hash = Sha256::digest(secret.as_bytes());
    if id != issuer.client_id || !bool::from(hash.as_slice().ct_eq(&issuer.secret_sha256)) {
        return refused();
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = Claims {
        iss: "http://reference",
        sub: &id,
        aud: "http://reference",
        iat: now,
        nbf: now,
        exp: now + 3600,
        jti: URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
        client_id: &id,
    };
    match issuer.sign(&claims) {
        Some(access_token) => Json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: 3600,
        })
        .into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| "cannot generate a P-256 key")?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|_| "cannot parse the P-256 key")?;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","typ":"JWT","kid":"reference"}"#);
    let issuer = Arc::new(Issuer {
        client_id: args.client_id,
        secret_sha256: Sha256::digest(args.client_secret.as_bytes()).into(),
        key,
        rng,
        header,
    });
    let app = Router::new()
        .route("/health", get(health))
        .route("/token", post(token))
        .with_state(issuer);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

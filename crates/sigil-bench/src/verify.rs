//! The raw cost of verifying a WORKLOAD JWT, in this process, single-threaded: what the
//! `federated-fresh` scenario's server CPU time per request is compared with.
//!
//! Two figures, with the crate and key handling the server uses (jsonwebtoken over ring, the
//! key built once from the issuer's JWK): the ES256 signature check alone over the token's
//! signing input, and a whole `jsonwebtoken::decode` (base64, header and claims parsed, the
//! signature, `iss`/`aud` checked) with the server's validation settings.

use crate::federation::{Federation, AUDIENCE};
use anyhow::Context;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// How long each figure is measured for.
const MEASURE: Duration = Duration::from_secs(2);
/// Distinct tokens cycled through (nothing is cached between verifications anyway).
const TOKENS: usize = 1_000;

pub struct VerifyCost {
    /// Microseconds per ES256 signature check.
    pub signature_us: f64,
    /// Microseconds per `jsonwebtoken::decode`.
    pub decode_us: f64,
}

/// Microseconds per call of `op` on the tokens in turn, over [`MEASURE`].
fn per_op(tokens: &[String], mut op: impl FnMut(&str) -> bool) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < MEASURE {
        for token in tokens {
            if !op(token) {
                anyhow::bail!("a sample token did not verify");
            }
        }
        n += tokens.len();
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / n as f64)
}

pub async fn measure(federation: &Federation) -> anyhow::Result<VerifyCost> {
    let tokens = federation.sample(TOKENS);
    let (issuer, jwks) = federation.issuer_and_jwks();
    let set: JwkSet = serde_json::from_str(&jwks)?;
    let key = DecodingKey::from_jwk(set.keys.first().context("a key")?)?;
    tokio::task::spawn_blocking(move || {
        let signature_us = per_op(&tokens, |token| {
            let Some((message, signature)) = token.rsplit_once('.') else {
                return false;
            };
            jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, Algorithm::ES256)
                .unwrap_or(false)
        })?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let decode_us = per_op(&tokens, |token| {
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).is_ok()
        })?;
        Ok(VerifyCost {
            signature_us,
            decode_us,
        })
    })
    .await?
}

pub fn print(cost: &VerifyCost) {
    println!(
        "ES256 in this process, one thread: signature check {:.1} µs/op, whole JWT decode {:.1} µs/op",
        cost.signature_us, cost.decode_us
    );
}

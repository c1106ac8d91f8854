//! Parsing a JSON Web Key Set into the verification keys a token is checked against, and
//! the RFC 7638 thumbprints that pin keys.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// Keys kept from one JWKS, at most.
const MAX_KEYS: usize = 100;

/// One verification key of a set.
pub(crate) struct VerificationKey {
    pub kid: Option<String>,
    /// The `alg` the JWK names, when it names one: a token must then use exactly that.
    pub alg: Option<Algorithm>,
    pub key: DecodingKey,
    /// Its RFC 7638 thumbprint: what a session remembers of the key that vouched for it.
    pub thumbprint: Option<String>,
}

/// The RFC 7638 thumbprint of a JWK (the SHA-256 of its required public members, in order,
/// as compact JSON), hex; `None` for a key type without one here.
pub(crate) fn thumbprint(jwk: &serde_json::Value) -> Option<String> {
    let members: &[&str] = match jwk.get("kty")?.as_str()? {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = serde_json::Map::new();
    for member in members {
        canonical.insert((*member).to_owned(), jwk.get(*member)?.as_str()?.into());
    }
    let text = serde_json::to_string(&canonical).ok()?;
    Some(crate::crypto::sha256_hex(text.as_bytes()))
}

/// The thumbprints of the keys of a JWKS document.
pub(crate) fn thumbprints(doc: &serde_json::Value) -> Vec<String> {
    doc.get("keys")
        .and_then(serde_json::Value::as_array)
        .map(|keys| keys.iter().take(MAX_KEYS).filter_map(thumbprint).collect())
        .unwrap_or_default()
}

/// A parsed key set.
pub(crate) struct LoadedSet {
    pub keys: Vec<VerificationKey>,
}

impl LoadedSet {
    /// The keys that may check a token with this header: the `kid` must match when the token
    /// names one, and the key must be of the algorithm's family (jsonwebtoken refuses a
    /// mismatch too, so an RSA public key can never serve as an HMAC secret).
    pub(crate) fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> impl Iterator<Item = &'a VerificationKey> + 'a {
        self.keys.iter().filter(move |k| {
            kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)) && k.alg.is_none_or(|a| a == alg)
        })
    }

    pub(crate) fn key_ids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|k| k.kid.clone()).collect()
    }
}

fn algorithm_of(alg: KeyAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        // HMAC keys and encryption algorithms never verify a federated token.
        _ => return None,
    })
}

/// Parses a JWKS. Keys Sigil cannot use to verify (symmetric keys, encryption keys, unknown
/// types) are skipped; a document that is not a JWKS, or has no usable key, is an error.
pub(crate) fn parse_jwks(doc: &serde_json::Value) -> Result<LoadedSet, String> {
    let entries = doc
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or("the JWKS has no \"keys\" array")?;
    let mut keys = vec![];
    for entry in entries.iter().take(MAX_KEYS) {
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
            continue;
        };
        if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_))
            || matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature)
        {
            continue;
        }
        let alg = match jwk.common.key_algorithm {
            Some(a) => match algorithm_of(a) {
                Some(alg) => Some(alg),
                None => continue,
            },
            None => None,
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.push(VerificationKey {
            kid: jwk.common.key_id.clone(),
            alg,
            key,
            thumbprint: thumbprint(entry),
        });
    }
    if keys.is_empty() {
        return Err("the JWKS has no usable signing key".into());
    }
    Ok(LoadedSet { keys })
}

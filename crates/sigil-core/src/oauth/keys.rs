//! Sigil's token-signing keys: ES256 (P-256) pairs generated on first start, stored with the
//! private half sealed by the master key, parsed once and kept in memory, rotated on a
//! schedule; a retired key stays published until the last token it signed has expired.

use crate::crypto::MasterKey;
use crate::error::{CoreError, CoreResult};
use crate::oauth::ACCESS_TOKEN_TYPE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::DecodingKey;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Arc, RwLock};

/// A signing key as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSigningKey {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    /// PKCS#8 DER of the private key, sealed with the master key.
    pub private_sealed: String,
    /// The public point's coordinates, base64url.
    pub x: String,
    pub y: String,
}

/// A key ready to sign and verify.
pub struct LoadedKey {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    /// The private key, parsed once. Signing goes through ring directly rather than
    /// `jsonwebtoken::encode`, which parses the PKCS#8 document again (and recomputes the
    /// public point, as costly as the signature itself) on every call.
    signer: EcdsaKeyPair,
    /// The JOSE header of the access tokens this key signs, base64url-encoded once.
    header: String,
    pub decoding: DecodingKey,
    pub x: String,
    pub y: String,
}

impl StoredSigningKey {
    pub fn generate(master: &MasterKey, now: DateTime<Utc>) -> CoreResult<Self> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(CoreError::internal)?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(CoreError::internal)?;
        // An uncompressed P-256 point: 0x04, then 32 bytes of x and 32 of y.
        let point = pair.public_key().as_ref();
        if point.len() != 65 {
            return Err(CoreError::internal("unexpected P-256 public key length"));
        }
        Ok(Self {
            kid: URL_SAFE_NO_PAD.encode(&Sha256::digest(point)[..12]),
            created_at: now,
            private_sealed: master.seal(pkcs8.as_ref())?,
            x: URL_SAFE_NO_PAD.encode(&point[1..33]),
            y: URL_SAFE_NO_PAD.encode(&point[33..]),
        })
    }

    pub fn load(&self, master: &MasterKey) -> CoreResult<LoadedKey> {
        let der = zeroize::Zeroizing::new(master.open(&self.private_sealed)?);
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &SystemRandom::new())
                .map_err(CoreError::internal)?;
        let header = serde_json::json!({"typ": ACCESS_TOKEN_TYPE, "alg": "ES256", "kid": self.kid});
        Ok(LoadedKey {
            kid: self.kid.clone(),
            created_at: self.created_at,
            signer,
            header: URL_SAFE_NO_PAD.encode(header.to_string()),
            decoding: DecodingKey::from_ec_components(&self.x, &self.y)
                .map_err(CoreError::internal)?,
            x: self.x.clone(),
            y: self.y.clone(),
        })
    }
}

impl LoadedKey {
    /// A compact JWS (RFC 7515) of `claims`: ES256 over `header.payload`, the signature as
    /// the fixed-length `r || s` JWS asks for.
    pub fn sign_jwt(&self, claims: &impl Serialize) -> CoreResult<String> {
        let payload = serde_json::to_vec(claims).map_err(CoreError::internal)?;
        let mut jwt = String::with_capacity(self.header.len() + payload.len() * 4 / 3 + 100);
        jwt.push_str(&self.header);
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jwt);
        let signature = self
            .signer
            .sign(&SystemRandom::new(), jwt.as_bytes())
            .map_err(CoreError::internal)?;
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut jwt);
        Ok(jwt)
    }
}

/// The keys in memory, newest first.
#[derive(Default)]
pub struct Keyring {
    keys: RwLock<Vec<Arc<LoadedKey>>>,
}

impl Keyring {
    pub fn replace(&self, mut keys: Vec<Arc<LoadedKey>>) {
        keys.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.kid.cmp(&b.kid))
        });
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
    }

    /// The key new tokens are signed with.
    pub fn active(&self) -> Option<Arc<LoadedKey>> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .first()
            .cloned()
    }

    pub fn find(&self, kid: &str) -> Option<Arc<LoadedKey>> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|k| k.kid == kid)
            .cloned()
    }

    pub fn kids(&self) -> Vec<String> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|k| k.kid.clone())
            .collect()
    }

    /// The public keys as a JWKS (RFC 7517).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|k| serde_json::json!({"kty": "EC", "crv": "P-256", "x": k.x, "y": k.y, "kid": k.kid, "alg": "ES256", "use": "sig"}))
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_seal_their_private_half_and_load_back() {
        let (master, _) = MasterKey::generate();
        let stored = StoredSigningKey::generate(&master, DateTime::default()).expect("generate");
        assert_eq!(stored.x.len(), 43);
        assert!(!stored.private_sealed.contains("PRIVATE"));
        let loaded = stored.load(&master).expect("load");
        assert_eq!(loaded.kid, stored.kid);
        let (other, _) = MasterKey::generate();
        assert!(
            stored.load(&other).is_err(),
            "another master key cannot open it"
        );
    }

    #[test]
    fn signed_jwts_verify_with_the_published_key_and_name_it() {
        let (master, _) = MasterKey::generate();
        let stored = StoredSigningKey::generate(&master, DateTime::default()).expect("generate");
        let key = stored.load(&master).expect("load");
        let claims = serde_json::json!({"sub": "sa", "aud": "x", "exp": 4_000_000_000_i64});
        let jwt = key.sign_jwt(&claims).expect("sign");
        let header = jsonwebtoken::decode_header(&jwt).expect("header");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some(stored.kid.as_str()));
        assert_eq!(header.typ.as_deref(), Some(ACCESS_TOKEN_TYPE));
        let public = DecodingKey::from_ec_components(&stored.x, &stored.y).expect("public key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.set_audience(&["x"]);
        let decoded = jsonwebtoken::decode::<serde_json::Value>(&jwt, &public, &validation)
            .expect("the signature verifies");
        assert_eq!(decoded.claims, claims);
        // Another key's signature does not.
        let other = StoredSigningKey::generate(&master, DateTime::default()).expect("generate");
        let other = DecodingKey::from_ec_components(&other.x, &other.y).expect("public key");
        assert!(jsonwebtoken::decode::<serde_json::Value>(&jwt, &other, &validation).is_err());
    }

    #[test]
    fn the_newest_key_signs_and_all_are_published() {
        let (master, _) = MasterKey::generate();
        let old = StoredSigningKey::generate(
            &master,
            DateTime::from_timestamp(100, 0).unwrap_or_default(),
        )
        .expect("gen");
        let new = StoredSigningKey::generate(
            &master,
            DateTime::from_timestamp(200, 0).unwrap_or_default(),
        )
        .expect("gen");
        let ring = Keyring::default();
        ring.replace(vec![
            Arc::new(old.load(&master).expect("load")),
            Arc::new(new.load(&master).expect("load")),
        ]);
        assert_eq!(ring.active().map(|k| k.kid.clone()), Some(new.kid.clone()));
        assert!(ring.find(&old.kid).is_some());
        let jwks = ring.jwks();
        assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(2));
        assert_eq!(jwks["keys"][0]["alg"], "ES256");
        assert!(jwks["keys"][0].get("d").is_none(), "no private part");
    }
}

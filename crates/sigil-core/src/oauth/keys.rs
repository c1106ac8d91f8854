//! Sigil's token-signing keys: ES256 (P-256) pairs generated on first start, stored with the
//! private half sealed by the master key, parsed once and kept in memory, rotated on a
//! schedule; a retired key stays published until the last token it signed has expired.

use crate::crypto::MasterKey;
use crate::error::{CoreError, CoreResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey};
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
    pub encoding: EncodingKey,
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
        Ok(LoadedKey {
            kid: self.kid.clone(),
            created_at: self.created_at,
            encoding: EncodingKey::from_ec_der(&der),
            decoding: DecodingKey::from_ec_components(&self.x, &self.y)
                .map_err(CoreError::internal)?,
            x: self.x.clone(),
            y: self.y.clone(),
        })
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

//! Hashing, constant-time comparison, and encryption at rest with the master key.

use crate::error::{CoreError, CoreResult};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5::Md5::digest(data))
}

/// Equality whose timing does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The key-encryption key: values that a protocol needs in more than hashed form (Digest's
/// HA1, the secret keys of HMAC request signing, token-signing private keys) are stored sealed
/// with it (AES-256-GCM, a fresh 96-bit nonce per value).
///
/// During a rotation it also holds the previous key: values still sealed with that one open,
/// and [`MasterKey::reseal`] moves them to the current key.
#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
    raw: Zeroizing<[u8; 32]>,
    previous: Option<Box<MasterKey>>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

const SEALED_PREFIX: &str = "v1.";

impl MasterKey {
    pub fn generate() -> (Self, String) {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let text = base64::engine::general_purpose::STANDARD.encode(raw);
        (Self::from_raw(raw), text)
    }

    /// Parses the base64 form of 32 random bytes (`SIGIL_MASTER_KEY`, or the key file).
    pub fn from_base64(text: &str) -> CoreResult<Self> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| CoreError::invalid("master key", "not base64"))?;
        let key: [u8; 32] = raw
            .try_into()
            .map_err(|_| CoreError::invalid("master key", "must be 32 bytes"))?;
        Ok(Self::from_raw(key))
    }

    fn from_raw(raw: [u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(&raw.into()),
            raw: Zeroizing::new(raw),
            previous: None,
        }
    }

    /// This key, opening also what `previous` sealed (a rotation in progress).
    pub fn with_previous(mut self, previous: MasterKey) -> Self {
        self.previous = Some(Box::new(MasterKey {
            previous: None,
            ..previous
        }));
        self
    }

    pub fn is_rotating(&self) -> bool {
        self.previous.is_some()
    }

    /// A value sealed with the previous key, sealed again with this one; `None` when it
    /// already opens with this key.
    pub fn reseal(&self, sealed: &str) -> CoreResult<Option<String>> {
        if self.open_with_this(sealed).is_ok() {
            return Ok(None);
        }
        let plain = Zeroizing::new(self.open(sealed)?);
        self.seal(&plain).map(Some)
    }

    /// A subkey for one purpose (`label`), so no two uses share key material.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(self.raw.as_ref()) else {
            return Sha256::digest([self.raw.as_ref(), label.as_bytes()].concat()).into();
        };
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn seal(&self, plaintext: &[u8]) -> CoreResult<String> {
        Ok(format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(self.seal_raw(plaintext)?)
        ))
    }

    /// The nonce and the ciphertext, unencoded: for sealed values a client carries (the IAM
    /// face's security tokens), which encode them their own way.
    pub fn seal_raw(&self, plaintext: &[u8]) -> CoreResult<Vec<u8>> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(CoreError::internal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`MasterKey::seal_raw`] sealed, with this key or, during a rotation, the
    /// previous one.
    pub fn open_raw(&self, raw: &[u8]) -> CoreResult<Vec<u8>> {
        match (self.open_raw_with_this(raw), &self.previous) {
            (Err(_), Some(previous)) => previous.open_raw_with_this(raw),
            (result, _) => result,
        }
    }

    pub fn open(&self, sealed: &str) -> CoreResult<Vec<u8>> {
        match (self.open_with_this(sealed), &self.previous) {
            (Err(_), Some(previous)) => previous.open_with_this(sealed),
            (result, _) => result,
        }
    }

    fn open_with_this(&self, sealed: &str) -> CoreResult<Vec<u8>> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| CoreError::internal("sealed value has an unknown version"))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(CoreError::internal)?;
        self.open_raw_with_this(&raw)
    }

    fn open_raw_with_this(&self, raw: &[u8]) -> CoreResult<Vec<u8>> {
        if raw.len() < 12 {
            return Err(CoreError::internal("sealed value is truncated"));
        }
        let (nonce, ciphertext) = raw.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| CoreError::internal("sealed value does not open with this master key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let (key, text) = MasterKey::generate();
        let sealed = key.seal(b"ha1").ok().unwrap_or_default();
        assert!(!sealed.contains("ha1"));
        assert_eq!(key.open(&sealed).ok(), Some(b"ha1".to_vec()));
        let again = MasterKey::from_base64(&text).ok();
        assert_eq!(
            again.and_then(|k| k.open(&sealed).ok()),
            Some(b"ha1".to_vec())
        );
        let (other, _) = MasterKey::generate();
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn a_rotation_opens_old_values_and_reseals_them_under_the_new_key() {
        let (old, _) = MasterKey::generate();
        let (new, _) = MasterKey::generate();
        let before = old.seal(b"secret key").ok().unwrap_or_default();
        assert!(new.open(&before).is_err());
        let rotating = new.clone().with_previous(old);
        assert!(rotating.is_rotating());
        assert_eq!(rotating.open(&before).ok(), Some(b"secret key".to_vec()));
        let after = rotating.reseal(&before).ok().flatten().unwrap_or_default();
        assert_eq!(
            new.open(&after).ok(),
            Some(b"secret key".to_vec()),
            "the new key alone opens it"
        );
        assert_eq!(rotating.reseal(&after).ok(), Some(None), "already current");
        let (stranger, _) = MasterKey::generate();
        let foreign = stranger.seal(b"x").ok().unwrap_or_default();
        assert!(
            rotating.reseal(&foreign).is_err(),
            "a value neither key sealed"
        );
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}

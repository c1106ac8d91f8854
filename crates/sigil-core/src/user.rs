//! Local users: Argon2id password hashes, and Digest's HA1 values sealed with the master key.

use crate::crypto::{md5_hex, sha256_hex, MasterKey};
use crate::elasticsearch::SUPERUSER_ROLE;
use crate::error::{CoreError, CoreResult};
use crate::ids::UserId;
use crate::principal::{OrgRoleAssignment, Principal, PrincipalKind, Realm};
use crate::privilege::ClusterPrivilege;
use crate::secret::SecretString;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The realm every Digest challenge names; HA1 values are computed over it, so it is fixed.
pub const DIGEST_REALM: &str = "MMS Public API";

/// A local user as stored. Secrets appear only hashed or sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub realm: String,
    /// Argon2id, PHC string form.
    pub password_hash: String,
    /// `H(username:realm:password)` for Digest with MD5 and SHA-256, sealed with the master key.
    pub digest_ha1: SealedHa1,
    pub superuser: bool,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub enabled: bool,
    pub org_roles: Vec<OrgRoleAssignment>,
    pub created_at: DateTime<Utc>,
    /// Elasticsearch role names (`superuser` is built in).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedHa1 {
    pub md5: String,
    pub sha256: String,
}

/// The two HA1 values Digest verification needs, opened; kept only in memory.
#[derive(Clone)]
pub struct Ha1 {
    pub md5: SecretString,
    pub sha256: SecretString,
}

impl Ha1 {
    pub fn compute(username: &str, password: &SecretString) -> Self {
        let input = format!("{username}:{DIGEST_REALM}:{}", password.expose());
        let ha1 = Self {
            md5: SecretString::new(md5_hex(input.as_bytes())),
            sha256: SecretString::new(sha256_hex(input.as_bytes())),
        };
        drop(SecretString::new(input));
        ha1
    }

    pub fn seal(&self, key: &MasterKey) -> CoreResult<SealedHa1> {
        Ok(SealedHa1 {
            md5: key.seal(self.md5.expose().as_bytes())?,
            sha256: key.seal(self.sha256.expose().as_bytes())?,
        })
    }

    pub fn open(sealed: &SealedHa1, key: &MasterKey) -> CoreResult<Self> {
        let open = |s: &str| -> CoreResult<SecretString> {
            String::from_utf8(key.open(s)?)
                .map(SecretString::new)
                .map_err(CoreError::internal)
        };
        Ok(Self {
            md5: open(&sealed.md5)?,
            sha256: open(&sealed.sha256)?,
        })
    }
}

/// Argon2id with the crate's defaults (the OWASP minimum: 19 MiB, 2 passes). Slow on purpose:
/// call it off the async runtime.
pub fn hash_password(password: &SecretString) -> CoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(CoreError::internal)
}

pub fn verify_password(password: &SecretString, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.expose().as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

impl User {
    /// The user's principal, given the cluster privileges its roles grant.
    pub fn principal(&self, cluster_privileges: Vec<ClusterPrivilege>) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            id: self.id.to_string(),
            name: self.username.clone(),
            realm: Realm {
                name: self.realm.clone(),
                kind: "native".into(),
            },
            superuser: self.superuser || self.roles.iter().any(|r| r == SUPERUSER_ROLE),
            org_roles: self.org_roles.clone(),
            cluster_privileges,
            roles: self.roles.clone(),
            api_key: None,
            scope: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_and_differ() {
        let pw = SecretString::new("correct horse");
        let a = hash_password(&pw).unwrap_or_default();
        let b = hash_password(&pw).unwrap_or_default();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert!(verify_password(&pw, &a));
        assert!(!verify_password(&SecretString::new("wrong"), &a));
        assert!(!verify_password(&pw, "not a hash"));
    }

    #[test]
    fn ha1_matches_rfc_7616_definition() {
        // RFC 7616 §3.9.1: HA1 = H(username ":" realm ":" passwd).
        let ha1 = Ha1::compute("Mufasa", &SecretString::new("Circle of Life"));
        assert_eq!(
            ha1.md5.expose(),
            md5_hex(b"Mufasa:MMS Public API:Circle of Life")
        );
        assert_eq!(
            ha1.sha256.expose(),
            sha256_hex(b"Mufasa:MMS Public API:Circle of Life")
        );
    }
}

//! Service-account secrets (Cloud Manager and the Atlas Admin API): prefixed random values with an offline-checkable
//! checksum, stored as SHA-256, shown once, masked after, expiring after 8 to 8766 hours.

use crate::crypto::sha256_hex;
use crate::error::{CoreError, CoreResult};
use crate::ids::HexId;
use crate::secret::{random_urlsafe, SecretString};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const SECRET_PREFIX: &str = "mdb_sa_sk_";
/// 24 random bytes: 192 bits, 32 url-safe characters.
const RANDOM_BYTES: usize = 24;
const RANDOM_CHARS: usize = 32;
const CHECKSUM_CHARS: usize = 6;
/// At most this many unexpired secrets per service account (add, switch, delete the old).
pub const MAX_LIVE_SECRETS: usize = 2;
pub const MIN_HOURS: i64 = 8;

/// Where a secret is created: the two faces allow different lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretLifetimeRule {
    /// Atlas v2: 8 to 8760 hours.
    Atlas,
    /// Cloud Manager v1.0: 8 to 8766 hours.
    CloudManager,
}

impl SecretLifetimeRule {
    pub fn max_hours(self) -> i64 {
        match self {
            Self::Atlas => 8760,
            Self::CloudManager => 8766,
        }
    }

    /// Parses `secretExpiresAfterHours`: an integer, or a JSON string of digits as in the
    /// Cloud Manager documentation's example (`"3600"`); anything else names the field.
    pub fn parse_hours(self, value: Option<&serde_json::Value>) -> CoreResult<i64> {
        const FIELD: &str = "secretExpiresAfterHours";
        let hours = match value {
            None | Some(serde_json::Value::Null) => return Err(CoreError::missing(FIELD)),
            // JSON has one number type: `48.0` is the integer 48 (JSON Schema says so too).
            Some(serde_json::Value::Number(n)) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() <= 1e9)
                    .map(|f| f as i64)
            }),
            Some(serde_json::Value::String(s))
                if !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse().ok()
            }
            Some(_) => None,
        };
        match hours {
            Some(h) if (MIN_HOURS..=self.max_hours()).contains(&h) => Ok(h),
            _ => Err(CoreError::invalid(
                FIELD,
                format!(
                    "must be an integer from {MIN_HOURS} to {} hours",
                    self.max_hours()
                ),
            )),
        }
    }
}

/// A secret as stored: never the value itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccountSecret {
    pub id: HexId,
    pub client_id: String,
    /// SHA-256 of the secret: a fast hash is safe for 192 random bits.
    pub hash: String,
    /// `mdb_sa_sk_...` and the last four characters.
    pub masked: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set by housekeeping once the secret has expired and the expiry was audited.
    #[serde(default)]
    pub expiry_recorded: bool,
}

impl ServiceAccountSecret {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

fn checksum(random: &str) -> String {
    let digest = Sha256::digest(format!("{SECRET_PREFIX}{random}").as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..4])[..CHECKSUM_CHARS].to_owned()
}

/// Whether `text` has the form and checksum of a secret Sigil minted (what a leak scanner checks).
pub fn is_well_formed(text: &str) -> bool {
    let Some(body) = text.strip_prefix(SECRET_PREFIX) else {
        return false;
    };
    if body.len() != RANDOM_CHARS + CHECKSUM_CHARS || !body.is_ascii() {
        return false;
    }
    let (random, sum) = body.split_at(RANDOM_CHARS);
    checksum(random) == sum
}

pub fn hash_secret(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// Mints a secret for `client_id` living `hours` from `now`: the stored record and the value,
/// which is shown once.
pub fn mint(
    client_id: &str,
    hours: i64,
    now: DateTime<Utc>,
) -> (ServiceAccountSecret, SecretString) {
    let random = random_urlsafe(RANDOM_BYTES);
    let value = SecretString::new(format!("{SECRET_PREFIX}{random}{}", checksum(&random)));
    let last4: String = value
        .expose()
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let record = ServiceAccountSecret {
        id: HexId::random(),
        client_id: client_id.to_owned(),
        hash: hash_secret(value.expose()),
        masked: format!("{SECRET_PREFIX}...{last4}"),
        created_at: now,
        expires_at: now + Duration::hours(hours),
        last_used_at: None,
        expiry_recorded: false,
    };
    (record, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hours_accept_integers_and_digit_strings_within_bounds() {
        let cm = SecretLifetimeRule::CloudManager;
        assert_eq!(cm.parse_hours(Some(&json!(8))).ok(), Some(8));
        assert_eq!(cm.parse_hours(Some(&json!(8766))).ok(), Some(8766));
        assert_eq!(cm.parse_hours(Some(&json!("3600"))).ok(), Some(3600));
        assert_eq!(cm.parse_hours(Some(&json!(48.0))).ok(), Some(48));
        for bad in [
            json!(7),
            json!(8767),
            json!(-1),
            json!(8.5),
            json!(8767.0),
            json!(1e300),
            json!("abc"),
            json!(""),
            json!("-8"),
            json!("8.5"),
            json!(true),
            json!([8]),
        ] {
            assert!(
                matches!(cm.parse_hours(Some(&bad)), Err(CoreError::Invalid { ref field, .. }) if field == "secretExpiresAfterHours"),
                "{bad}"
            );
        }
        assert!(matches!(
            cm.parse_hours(None),
            Err(CoreError::Missing { .. })
        ));
        let atlas = SecretLifetimeRule::Atlas;
        assert!(atlas.parse_hours(Some(&json!(8760))).is_ok());
        assert!(atlas.parse_hours(Some(&json!(8761))).is_err());
    }

    #[test]
    fn minted_secrets_are_prefixed_checksummed_and_masked() {
        let now = DateTime::from_timestamp(1_723_155_585, 0).unwrap_or_default();
        let (record, value) = mint("mdb_sa_id_x", 3600, now);
        assert!(value.expose().starts_with(SECRET_PREFIX));
        assert!(is_well_formed(value.expose()));
        let mut tampered = value.expose().to_owned();
        tampered.replace_range(12..13, if &tampered[12..13] == "A" { "B" } else { "A" });
        assert!(!is_well_formed(&tampered));
        assert!(
            record.masked.starts_with("mdb_sa_sk_...")
                && value.expose().ends_with(&record.masked[13..])
        );
        assert_eq!(record.masked.len(), "mdb_sa_sk_...".len() + 4);
        assert_ne!(record.hash, value.expose());
        assert_eq!(record.hash, hash_secret(value.expose()));
        assert_eq!((record.expires_at - record.created_at).num_hours(), 3600);
        assert!(record.is_live(now) && !record.is_live(record.expires_at));
    }
}

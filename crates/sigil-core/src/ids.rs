//! Identifiers: parse-only newtypes, so a malformed id never reaches the store.

use crate::error::CoreError;
use rand::RngCore;
use std::fmt;

/// A 24-lowercase-hex identifier, the form of every Atlas and Cloud Manager resource id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HexId([u8; 12]);

impl HexId {
    pub fn random() -> Self {
        let mut bytes = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Parses `text` as the value of the field or path parameter `field`.
    pub fn parse(field: &str, text: &str) -> Result<Self, CoreError> {
        let valid =
            text.len() == 24 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let mut bytes = [0u8; 12];
        if !valid || hex::decode_to_slice(text, &mut bytes).is_err() {
            return Err(CoreError::invalid(
                field,
                format!("{text:?} is not a 24-hexadecimal-digit id"),
            ));
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for HexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for HexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexId({self})")
    }
}

impl serde::Serialize for HexId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for HexId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse("id", &text).map_err(serde::de::Error::custom)
    }
}

pub type OrgId = HexId;
pub type FederationSettingsId = HexId;
pub type IdentityProviderId = HexId;
pub type RoleMappingId = HexId;
pub type UserId = HexId;
pub type EventId = HexId;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_24_lowercase_hex_only() {
        let id = HexId::random();
        assert_eq!(HexId::parse("orgId", &id.to_string()).ok(), Some(id));
        for bad in [
            "",
            "abc",
            "66b544825867ba071c85469",
            "66B544825867BA071C85469D",
            "66b544825867ba071c85469g",
            "66b544825867ba071c85469d0",
        ] {
            let err = HexId::parse("orgId", bad).err();
            assert!(
                matches!(err, Some(CoreError::Invalid { ref field, .. }) if field == "orgId"),
                "{bad}"
            );
        }
    }
}

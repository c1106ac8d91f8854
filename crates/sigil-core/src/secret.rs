//! Secret values: random generation, redaction in `Debug`, zeroizing on drop.

use base64::Engine;
use rand::RngCore;
use std::fmt;
use zeroize::Zeroize;

/// A secret string. `Debug` and `Display` print `[REDACTED]`; the value is wiped on drop.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: call only where it is hashed, compared, or shown once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Read from request bodies (passwords); never written back out.
impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// `bytes` random bytes from the OS-seeded CSPRNG, url-safe base64 without padding.
pub fn random_urlsafe(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buf);
    buf.zeroize();
    text
}

/// A password for the first start's admin: 128 random bits, prefixed so a scanner spots it.
pub fn random_password() -> SecretString {
    SecretString::new(format!("sigil_pw_{}", random_urlsafe(16)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = SecretString::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        assert_eq!(format!("{s}"), "[REDACTED]");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            password: SecretString,
        }
        assert!(!format!(
            "{:?}",
            Holder {
                password: s.clone()
            }
        )
        .contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn random_values_have_at_least_128_bits() {
        let a = random_urlsafe(16);
        assert_eq!(a.len(), 22);
        assert_ne!(a, random_urlsafe(16));
        assert!(random_password().expose().starts_with("sigil_pw_"));
    }
}

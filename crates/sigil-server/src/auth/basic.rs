//! `Authorization: Basic` (RFC 7617): base64 of `user:password`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sigil_core::secret::SecretString;

/// Longest Basic credentials accepted: far beyond any real name and password.
const MAX_LEN: usize = 4096;

pub fn decode(credentials: &str) -> Option<(String, SecretString)> {
    if credentials.len() > MAX_LEN {
        return None;
    }
    let raw = STANDARD.decode(credentials.trim()).ok()?;
    let text = SecretString::new(String::from_utf8(raw).ok()?);
    let (user, password) = text.expose().split_once(':')?;
    Some((user.to_owned(), SecretString::new(password)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_user_and_password_with_colons() {
        let (u, p) = decode(&STANDARD.encode("admin:pa:ss")).expect("decode");
        assert_eq!(u, "admin");
        assert_eq!(p.expose(), "pa:ss");
        assert!(decode("!!!").is_none());
        assert!(decode(&STANDARD.encode("nocolon")).is_none());
        assert!(decode(&"A".repeat(5000)).is_none());
    }
}

//! Sending a request with the profile's credential: HTTP
//! Digest (RFC 7616) for API keys and users, and for service accounts a client_credentials
//! token (RFC 6749 §4.4) cached in a 0600 file until shortly before it expires.

use super::profile::{write_private, Credential};
use super::CliError;
use reqwest::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Client, Method, Response, StatusCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// A cached token is fetched again when it has less than this left, so it cannot expire
/// between the check and the server's verification.
pub const REFRESH_MARGIN_SECS: u64 = 60;

/// A path of the Atlas face that answers an anonymous request with a Digest challenge. The
/// OAuth and Elasticsearch faces accept Digest too but challenge with other schemes; the
/// server's nonces are not bound to a path, so one from here answers a request to any face.
const CHALLENGE_PATH: &str = "/api/atlas/v2/orgs";

/// Everything needed to send one request, and to send it again answering a challenge.
pub struct Prepared {
    pub method: Method,
    pub url: url::Url,
    pub accept: String,
    /// The operation's own header parameters given as flags.
    pub headers: Vec<(String, String)>,
    pub body: Option<(&'static str, Vec<u8>)>,
}

/// The client side of a profile: where to send, with which credential, where tokens live.
pub struct Session {
    pub client: Client,
    pub base_url: String,
    pub credential: Credential,
    /// `profile:client_id`, the key of the token cache.
    pub cache_key: String,
    pub cache_path: PathBuf,
    /// The token endpoint's path, from the document (`createToken`).
    pub token_path: String,
}

impl Session {
    pub async fn send(&self, req: &Prepared) -> Result<Response, CliError> {
        match &self.credential {
            Credential::None => self.execute(req, None).await,
            Credential::Digest { user, password } => {
                self.digest(req, user, password.expose()).await
            }
            Credential::ServiceAccount { client_id, secret } => {
                let (token, cached) = self.token(client_id, secret.expose(), false).await?;
                let answer = self.execute(req, Some(format!("Bearer {token}"))).await?;
                // A cached token the server no longer takes (revoked, or the server's keys
                // changed) is replaced once by a fresh one.
                if answer.status() == StatusCode::UNAUTHORIZED && cached {
                    let (token, _) = self.token(client_id, secret.expose(), true).await?;
                    return self.execute(req, Some(format!("Bearer {token}"))).await;
                }
                Ok(answer)
            }
        }
    }

    async fn execute(
        &self,
        req: &Prepared,
        authorization: Option<String>,
    ) -> Result<Response, CliError> {
        let mut builder = self
            .client
            .request(req.method.clone(), req.url.clone())
            .header(reqwest::header::ACCEPT, &req.accept);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some((content_type, bytes)) = &req.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(bytes.clone());
        }
        if let Some(value) = authorization {
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                CliError::Usage("a credential holds characters HTTP headers cannot carry".into())
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.send().await.map_err(|e| self.unreachable(e))
    }

    fn unreachable(&self, e: reqwest::Error) -> CliError {
        let mut cause = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        CliError::Failure(format!(
            "cannot reach {} ({cause}); check base_url (`sigil config set base_url URL` or SIGIL_BASE_URL)",
            self.base_url
        ))
    }

    /// Digest as the Atlas clients do it: the request without credentials first, then again
    /// answering its challenge (once more if the nonce was stale).
    async fn digest(
        &self,
        req: &Prepared,
        user: &str,
        password: &str,
    ) -> Result<Response, CliError> {
        let first = self.execute(req, None).await?;
        if first.status() != StatusCode::UNAUTHORIZED {
            return Ok(first);
        }
        let mut challenge = match digest_challenge(&first) {
            Some(c) => c,
            None => {
                let mut probe = self.base_url.clone();
                probe.push_str(CHALLENGE_PATH);
                let answer = self
                    .client
                    .get(probe)
                    .send()
                    .await
                    .map_err(|e| self.unreachable(e))?;
                match digest_challenge(&answer) {
                    Some(c) => c,
                    None => return Ok(first),
                }
            }
        };
        let mut answer = first;
        for _ in 0..2 {
            let header = authorization(&mut challenge, req, user, password)?;
            answer = self.execute(req, Some(header)).await?;
            match digest_challenge(&answer) {
                Some(next) if answer.status() == StatusCode::UNAUTHORIZED && next.stale => {
                    challenge = next
                }
                _ => break,
            }
        }
        Ok(answer)
    }

    /// A token for the service account: the cached one unless it is about to expire (or
    /// `fresh`), else a new one from the token endpoint. The flag says it came from the cache.
    async fn token(
        &self,
        client_id: &str,
        secret: &str,
        fresh: bool,
    ) -> Result<(String, bool), CliError> {
        let now = unix_now();
        let mut cache = TokenCache::load(&self.cache_path);
        if !fresh {
            if let Some(t) = cache.tokens.get(&self.cache_key) {
                if t.base_url == self.base_url && t.expires_at > now + REFRESH_MARGIN_SECS {
                    return Ok((t.access_token.clone(), true));
                }
            }
        }
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        let answer = self
            .client
            .post(format!("{}{}", self.base_url, self.token_path))
            .basic_auth(client_id, Some(secret))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form.finish())
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = answer.status();
        let bytes = answer.bytes().await.map_err(|e| self.unreachable(e))?;
        if !status.is_success() {
            return Err(CliError::Api {
                status,
                body: bytes.to_vec(),
                hint: Some(format!(
                    "the token endpoint refused the service account {client_id} (client_id and client_secret of this profile)"
                )),
            });
        }
        let granted: Granted = serde_json::from_slice(&bytes).map_err(|e| {
            CliError::Failure(format!(
                "the token endpoint answered something that is not a token: {e}"
            ))
        })?;
        cache.tokens.insert(
            self.cache_key.clone(),
            CachedToken {
                access_token: granted.access_token.clone(),
                expires_at: now + granted.expires_in,
                base_url: self.base_url.clone(),
            },
        );
        // A cache that cannot be written costs a token per call, not the call.
        if let Err(e) = cache.save(&self.cache_path) {
            eprintln!("sigil: warning: {e}");
        }
        Ok((granted.access_token, false))
    }
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    expires_in: u64,
}

/// The token cache file: tokens by `profile:client_id`, each with the server it is for.
#[derive(Default, Serialize, Deserialize)]
pub struct TokenCache {
    pub tokens: BTreeMap<String, CachedToken>,
}

#[derive(Serialize, Deserialize)]
pub struct CachedToken {
    pub access_token: String,
    /// Seconds since the epoch.
    pub expires_at: u64,
    pub base_url: String,
}

impl TokenCache {
    /// The cache, or an empty one when the file is missing or unreadable (it is only a cache).
    fn load(path: &std::path::Path) -> TokenCache {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save(&self, path: &std::path::Path) -> Result<(), CliError> {
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| CliError::Failure(format!("cannot encode the token cache: {e}")))?;
        write_private(path, &bytes)
    }
}

/// The token cache beside the config file: `config.toml` → `config.tokens.json`.
pub fn cache_path(config: &std::path::Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    config.with_file_name(format!("{stem}.tokens.json"))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The Digest challenge among an answer's `WWW-Authenticate` headers.
fn digest_challenge(answer: &Response) -> Option<digest_auth::WwwAuthenticateHeader> {
    answer
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.trim_start().starts_with("Digest"))
        .find_map(|v| digest_auth::parse(v).ok())
}

/// The `Authorization: Digest …` answering `challenge` for this request; the URI is the path
/// and query exactly as sent.
fn authorization(
    challenge: &mut digest_auth::WwwAuthenticateHeader,
    req: &Prepared,
    user: &str,
    password: &str,
) -> Result<String, CliError> {
    let uri = &req.url[url::Position::BeforePath..];
    let context = digest_auth::AuthContext::new_with_method(
        user,
        password,
        uri,
        req.body.as_ref().map(|(_, b)| b.as_slice()),
        digest_auth::HttpMethod::from(req.method.as_str()),
    );
    challenge
        .respond(&context)
        .map(|h| h.to_header_string())
        .map_err(|e| CliError::Failure(format!("cannot answer the server's Digest challenge: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_sits_beside_the_config() {
        assert_eq!(
            cache_path(std::path::Path::new("/home/a/.config/sigil/config.toml")),
            PathBuf::from("/home/a/.config/sigil/config.tokens.json")
        );
    }

    /// The server's challenge, byte for byte, is understood, and the answer follows
    /// RFC 7616 §3.4.1 for MD5 with qop=auth.
    #[test]
    fn the_servers_challenge_is_answered() {
        let mut challenge = digest_auth::parse(
            r#"Digest realm="MMS Public API", domain="", nonce="abc", algorithm=MD5, qop="auth", stale=false"#,
        )
        .unwrap();
        let req = Prepared {
            method: Method::DELETE,
            url: url::Url::parse("http://h:1/api/atlas/v2/x?envelope=true").unwrap(),
            accept: String::new(),
            headers: vec![],
            body: None,
        };
        let header = authorization(&mut challenge, &req, "key", "secret").unwrap();
        assert!(header.starts_with("Digest "), "{header}");
        assert!(
            header.contains(r#"uri="/api/atlas/v2/x?envelope=true""#),
            "{header}"
        );
        assert!(
            header.contains("qop=auth") && header.contains("nc=00000001"),
            "{header}"
        );
        let cnonce = header
            .split("cnonce=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let md5 = |s: String| {
            use md5::Digest as _;
            hex::encode(md5::Md5::digest(s.as_bytes()))
        };
        let ha1 = md5("key:MMS Public API:secret".into());
        let ha2 = md5("DELETE:/api/atlas/v2/x?envelope=true".into());
        let expected = md5(format!("{ha1}:abc:00000001:{cnonce}:auth:{ha2}"));
        assert!(
            header.contains(&format!("response=\"{expected}\"")),
            "{header}"
        );
    }
}

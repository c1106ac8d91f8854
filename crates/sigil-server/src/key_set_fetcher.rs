//! Fetching identity providers' key sets for the core: discovery, then `jwks_uri`, over
//! HTTPS (plain HTTP only with `--allow-insecure-issuers`), with timeouts, a size cap, and no
//! redirect to another host.

use async_trait::async_trait;
use reqwest::redirect::Policy;
use serde_json::Value;
use sigil_core::federation::key_sets::{FetchedKeySet, KeySetFetcher};
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The whole of one request, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents and key sets larger than this are refused.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
const MAX_REDIRECTS: usize = 3;

pub struct HttpKeySetFetcher {
    client: reqwest::Client,
    allow_insecure: bool,
}

impl HttpKeySetFetcher {
    pub fn new(allow_insecure: bool) -> anyhow::Result<Self> {
        // Redirects stay on the host first asked: a key set is trusted for the issuer's
        // host, not for wherever the issuer sends us.
        let redirects = Policy::custom(|attempt| {
            let same_host = attempt
                .previous()
                .first()
                .is_some_and(|first| first.host_str() == attempt.url().host_str());
            if same_host && attempt.previous().len() <= MAX_REDIRECTS {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(redirects)
            .user_agent(concat!("sigil/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            allow_insecure,
        })
    }

    fn check_scheme(&self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
        match parsed.scheme() {
            "https" => Ok(()),
            "http" if self.allow_insecure => Ok(()),
            _ => Err(format!("{url} is not an https:// URL")),
        }
    }

    /// GETs a JSON document of at most [`MAX_DOCUMENT_BYTES`], with its `Cache-Control` max-age.
    async fn get_json(&self, url: &str) -> Result<(Value, Option<Duration>), String> {
        self.check_scheme(url)?;
        let mut response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| describe(url, &e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(format!("{url} redirected to another host"));
        }
        if !status.is_success() {
            return Err(format!("{url} answered {status}"));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(format!("{url} is larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| describe(url, &e))? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("{url} is larger than {MAX_DOCUMENT_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        let doc = serde_json::from_slice(&body).map_err(|e| format!("{url} is not JSON: {e}"))?;
        Ok((doc, max_age))
    }
}

fn describe(url: &str, e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("{url} did not answer in time")
    } else if e.is_connect() {
        format!("cannot connect to {url}")
    } else {
        format!("{url}: {e}")
    }
}

/// The `max-age` of a `Cache-Control` value; `no-store` and `no-cache` count as zero.
fn max_age(value: &str) -> Option<Duration> {
    value.split(',').map(str::trim).find_map(|directive| {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        lower
            .strip_prefix("max-age=")
            .and_then(|n| n.trim_matches('"').parse().ok())
            .map(Duration::from_secs)
    })
}

#[async_trait]
impl KeySetFetcher for HttpKeySetFetcher {
    async fn fetch(&self, issuer: &str) -> Result<FetchedKeySet, String> {
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let (discovery, _) = self.get_json(&discovery_url).await?;
        // OpenID Connect Discovery §4.3: the document must name the issuer it was asked for.
        let named = discovery.get("issuer").and_then(Value::as_str);
        if named.map(|n| n.trim_end_matches('/')) != Some(issuer.trim_end_matches('/')) {
            return Err(format!(
                "the discovery document names the issuer {named:?}, not {issuer}"
            ));
        }
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or("the discovery document has no jwks_uri")?;
        let (jwks, max_age) = self.get_json(jwks_uri).await?;
        Ok(FetchedKeySet { jwks, max_age })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            max_age("public, max-age=300"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=abc"), None);
    }

    #[test]
    fn plain_http_needs_the_insecure_flag() {
        let strict = HttpKeySetFetcher::new(false).ok();
        let lax = HttpKeySetFetcher::new(true).ok();
        assert!(strict.is_some_and(|f| f.check_scheme("http://idp.example").is_err()));
        assert!(lax.is_some_and(|f| f.check_scheme("http://idp.example").is_ok()));
    }
}

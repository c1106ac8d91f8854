//! Fetching identity providers' key sets for the core: discovery, then `jwks_uri`, over
//! HTTPS to public addresses only (plain HTTP and private addresses only with
//! `--allow-insecure-issuers`), with timeouts, a size cap, redirects within one origin, and
//! errors in a small fixed vocabulary.
//!
//! The address rule (`sigil_core::outbound`) is applied where the connection is made: a
//! resolver that drops every non-public address a name resolves to, so a name that resolves
//! to a public address when the issuer is set and to a private one later (DNS rebinding)
//! reaches nothing; literal addresses, which are never resolved, are checked before sending.

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use serde_json::Value;
use sigil_core::federation::key_sets::{FetchedKeySet, KeySetFetcher};
use sigil_core::outbound;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The whole of one request, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents and key sets larger than this are refused.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
const MAX_REDIRECTS: usize = 3;

/// Why a fetch failed, in words an identity provider's owner may read (`keySet.lastError`,
/// the audit trail): never a URL, a host, a port or a lower-level error, which would make the
/// fetcher a scanner of the network Sigil runs in. The details go to the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchFailure {
    NotPublic,
    NotHttps,
    Unreachable,
    TimedOut,
    Status(u16),
    Redirected,
    TooLarge,
    NotJson,
    OtherIssuer,
    NoJwksUri,
}

impl FetchFailure {
    fn reason(self) -> String {
        match self {
            Self::NotPublic => {
                "its host is not a public address (allowed only with --allow-insecure-issuers)"
                    .into()
            }
            Self::NotHttps => {
                "its URL is not https:// (allowed only with --allow-insecure-issuers)".into()
            }
            Self::Unreachable => "the issuer could not be reached".into(),
            Self::TimedOut => "the issuer did not answer in time".into(),
            Self::Status(code) => format!("the issuer answered HTTP {code}"),
            Self::Redirected => "the issuer redirected to another origin".into(),
            Self::TooLarge => format!("it is larger than {} KiB", MAX_DOCUMENT_BYTES / 1024),
            Self::NotJson => "it is not JSON".into(),
            Self::OtherIssuer => "it names another issuer".into(),
            Self::NoJwksUri => "it has no jwks_uri".into(),
        }
    }
}

/// The document a failure is about.
#[derive(Debug, Clone, Copy)]
enum Document {
    Discovery,
    KeySet,
}

fn failed(document: Document, failure: FetchFailure) -> String {
    let what = match document {
        Document::Discovery => "the discovery document",
        Document::KeySet => "the key set",
    };
    format!("{what} could not be fetched: {}", failure.reason())
}

/// A name resolved to non-public addresses only.
#[derive(Debug)]
struct NotPublic;

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the name resolves to no public address")
    }
}

impl std::error::Error for NotPublic {}

/// The system resolver, keeping only public addresses.
struct PublicAddressesOnly;

impl Resolve for PublicAddressesOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> =
                resolved.filter(|a| outbound::is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(NotPublic) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

pub struct HttpKeySetFetcher {
    client: reqwest::Client,
    allow_insecure: bool,
}

impl HttpKeySetFetcher {
    pub fn new(allow_insecure: bool) -> anyhow::Result<Self> {
        // Redirects stay within the origin first asked (scheme, host and port): a document is
        // trusted for where it was asked for, not for wherever that sends us.
        let redirects = Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(redirects)
            // Straight to the issuer: a proxy would resolve names where the rule cannot see.
            .no_proxy()
            .user_agent(concat!("sigil/", env!("CARGO_PKG_VERSION")));
        if !allow_insecure {
            builder = builder.dns_resolver(Arc::new(PublicAddressesOnly));
        }
        Ok(Self {
            client: builder.build()?,
            allow_insecure,
        })
    }

    /// The scheme and literal-address rules, checked before anything is sent.
    fn check_url(&self, url: &str) -> Result<url::Url, FetchFailure> {
        let parsed = url::Url::parse(url).map_err(|_| FetchFailure::NoJwksUri)?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_insecure => {}
            _ => return Err(FetchFailure::NotHttps),
        }
        let host = parsed.host().ok_or(FetchFailure::NotPublic)?;
        if !self.allow_insecure && outbound::is_forbidden_host(&host) {
            return Err(FetchFailure::NotPublic);
        }
        Ok(parsed)
    }

    /// GETs a JSON document of at most [`MAX_DOCUMENT_BYTES`], with its `Cache-Control` max-age.
    async fn get_json(&self, url: &str) -> Result<(Value, Option<Duration>), FetchFailure> {
        let parsed = self.check_url(url)?;
        let mut response = self
            .client
            .get(parsed)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| classify(url, &e))?;
        let status = response.status();
        if status.is_redirection() {
            tracing::warn!(%url, %status, "an identity provider redirected to another origin");
            return Err(FetchFailure::Redirected);
        }
        if !status.is_success() {
            return Err(FetchFailure::Status(status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(FetchFailure::TooLarge);
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(url, &e))? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(FetchFailure::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let doc = serde_json::from_slice(&body).map_err(|_| FetchFailure::NotJson)?;
        Ok((doc, max_age))
    }
}

/// The coarse reason of a transport error; the error itself goes to the log.
fn classify(url: &str, e: &reqwest::Error) -> FetchFailure {
    tracing::warn!(%url, error = %e, "fetching an identity provider's document failed");
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<NotPublic>() {
            return FetchFailure::NotPublic;
        }
        source = s.source();
    }
    if e.is_timeout() {
        FetchFailure::TimedOut
    } else {
        FetchFailure::Unreachable
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
    /// `jwks_uri` may be on another host than the issuer (Google's are): the issuer chooses
    /// its keys whatever host serves them, so a same-host rule would add no trust; it is held
    /// to the same scheme and address rules, checked at connection time.
    async fn fetch(&self, issuer: &str) -> Result<FetchedKeySet, String> {
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = Document::Discovery;
        let (doc, _) = self
            .get_json(&discovery_url)
            .await
            .map_err(|f| failed(discovery, f))?;
        // OpenID Connect Discovery §4.3: the document must name the issuer it was asked for.
        let named = doc.get("issuer").and_then(Value::as_str);
        if named.map(|n| n.trim_end_matches('/')) != Some(issuer.trim_end_matches('/')) {
            return Err(failed(discovery, FetchFailure::OtherIssuer));
        }
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| failed(discovery, FetchFailure::NoJwksUri))?;
        let (jwks, max_age) = self
            .get_json(jwks_uri)
            .await
            .map_err(|f| failed(Document::KeySet, f))?;
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

    fn fetcher(allow_insecure: bool) -> HttpKeySetFetcher {
        HttpKeySetFetcher::new(allow_insecure).expect("client")
    }

    #[test]
    fn plain_http_and_local_literals_need_the_insecure_flag() {
        let (strict, lax) = (fetcher(false), fetcher(true));
        assert_eq!(
            strict.check_url("http://idp.example").err(),
            Some(FetchFailure::NotHttps)
        );
        assert!(lax.check_url("http://idp.example").is_ok());
        for local in [
            "https://127.0.0.1:1",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00:ec2::254]/",
            "https://[::ffff:10.0.0.1]/",
            "https://localhost/",
        ] {
            assert_eq!(
                strict.check_url(local).err(),
                Some(FetchFailure::NotPublic),
                "{local}"
            );
            assert!(lax.check_url(local).is_ok(), "{local}");
        }
    }

    /// A name is checked where the connection is made: `localhost.` is no literal, but every
    /// address it resolves to is a loopback one, so nothing is connected to.
    #[tokio::test]
    async fn names_resolving_to_private_addresses_reach_nothing() {
        let e = fetcher(false)
            .fetch("https://localhost.:1")
            .await
            .err()
            .unwrap_or_default();
        assert_eq!(
            e,
            "the discovery document could not be fetched: its host is not a public address (allowed only with --allow-insecure-issuers)"
        );
        let resolved = PublicAddressesOnly
            .resolve("localhost".parse().expect("a name"))
            .await;
        assert!(resolved.is_err(), "no public address for localhost");
    }

    /// Serves `/.well-known/openid-configuration` with a redirect to `target`.
    async fn redirecting_issuer(target: String) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = axum::Router::new().route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let target = target.clone();
                async move { axum::response::Redirect::temporary(&target) }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    /// A redirect to another port (another origin) is not followed, and what the owner reads
    /// names no host or port.
    #[tokio::test]
    async fn redirects_stay_in_their_origin_and_errors_stay_coarse() {
        let elsewhere = redirecting_issuer("http://127.0.0.1:9/x".into()).await;
        let issuer =
            redirecting_issuer(format!("{elsewhere}/.well-known/openid-configuration")).await;
        let e = fetcher(true).fetch(&issuer).await.err().unwrap_or_default();
        assert_eq!(
            e,
            "the discovery document could not be fetched: the issuer redirected to another origin"
        );
        let refused = fetcher(true)
            .fetch("http://127.0.0.1:9")
            .await
            .err()
            .unwrap_or_default();
        assert_eq!(
            refused,
            "the discovery document could not be fetched: the issuer could not be reached"
        );
        assert!(!refused.contains("127.0.0.1") && !refused.contains(":9"));
    }
}

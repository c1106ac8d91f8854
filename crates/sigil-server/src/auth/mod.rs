//! Resolving a request's credentials to a [`Principal`], for every face alike. The core
//! verifies and audits; this module reads headers, limits failures per address, and leaves
//! to each face only how a refusal looks.

pub mod basic;
pub mod rate_limit;
pub mod signed;

use axum::extract::{ConnectInfo, OriginalUri};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use rate_limit::{Admission, FailureLimiter};
use sigil_core::audit::Actor;
use sigil_core::principal::Principal;
use sigil_core::{Core, CoreError};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// How long an attempt waits for the address's attempts in flight to settle.
const MAX_ADMISSION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
const ADMISSION_POLL: std::time::Duration = std::time::Duration::from_millis(2);

/// Why a request is not authenticated; each face renders it in its own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No credentials at all (the first request of every Digest client).
    Missing,
    /// Credentials that do not verify.
    Invalid,
    /// A Digest nonce that expired: the client should retry with the new one.
    StaleNonce,
    /// Too many failures from this address.
    RateLimited,
    /// The store failed; logged, answered 500.
    Internal,
    /// Too many password verifications are running or queued: 503, retry shortly.
    Busy,
    /// This node has not read the change log within its bound (it cannot know that a
    /// credential was not revoked elsewhere), or the store it would check the credential in
    /// is unavailable: 503.
    Unavailable,
}

/// A verified caller and how the audit trail names it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    pub actor: Actor,
}

pub struct Authenticator {
    core: Arc<Core>,
    limiter: FailureLimiter,
}

/// The address of the client, when the server was started with connection info.
pub fn remote_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

impl Authenticator {
    /// `failure_burst`: failed authentications allowed per address and claimed name before
    /// 429 (see `rate_limit`).
    pub fn new(core: Arc<Core>, failure_burst: u32) -> Self {
        Self {
            core,
            limiter: FailureLimiter::new(failure_burst),
        }
    }

    pub fn digest_challenge(&self, stale: bool) -> String {
        self.core.directory.digest_challenge(stale)
    }

    /// Charges one authentication attempt of a credential that names no one (a token) to the
    /// client's address before it is checked: [`Authenticator::admit_named`] without a name.
    pub async fn admit(&self, parts: &Parts) -> Result<Attempt<'_>, AuthFailure> {
        self.admit_named(parts, None).await
    }

    /// Charges one authentication attempt to the client's address and the name the credential
    /// claims (a username, key id or client id) before it is checked (OAuth client
    /// authentication shares the limit of every other credential). While the attempts are all
    /// in flight it waits for them to settle, up to [`MAX_ADMISSION_WAIT`]; `Err` when failures
    /// have used them up. The attempt is given back when the returned guard drops, unless
    /// [`Attempt::failed`] was called.
    pub async fn admit_named(
        &self,
        parts: &Parts,
        name: Option<&str>,
    ) -> Result<Attempt<'_>, AuthFailure> {
        if !self.core.changes_current() {
            return Err(AuthFailure::Unavailable);
        }
        let name = name.map(str::to_owned);
        let Some(ip) = remote_ip(parts) else {
            return Ok(Attempt {
                limiter: &self.limiter,
                ip: None,
                name,
                failed: false,
            });
        };
        let deadline = tokio::time::Instant::now() + MAX_ADMISSION_WAIT;
        loop {
            match self.limiter.admit(ip, name.as_deref()) {
                Admission::Admitted => {
                    return Ok(Attempt {
                        limiter: &self.limiter,
                        ip: Some(ip),
                        name,
                        failed: false,
                    })
                }
                Admission::Wait if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(ADMISSION_POLL).await;
                }
                Admission::Wait | Admission::Limited => return Err(AuthFailure::RateLimited),
            }
        }
    }

    fn verified_from_memory(
        &self,
        scheme: &str,
        credentials: &str,
        parts: &Parts,
    ) -> Option<Principal> {
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => basic::decode(credentials)
                .and_then(|(user, password)| self.core.directory.cached_password(&user, &password)),
            "bearer" => self.core.oauth.cached_bearer(credentials),
            AUTH_TOKEN => self.core.oauth.cached_auth_token(credentials),
            "apikey" => self.core.elasticsearch.cached_api_key(credentials),
            "digest" => self.core.directory.cached_digest(
                credentials,
                parts.method.as_str(),
                request_uri(parts),
            ),
            _ => None,
        }
    }

    pub async fn authenticate(&self, parts: &Parts) -> Result<Authenticated, AuthFailure> {
        let ip = remote_ip(parts);
        let actor = Actor::anonymous(ip.map(|i| i.to_string()));
        let Some((scheme, credentials)) = authorization(&parts.headers) else {
            return Err(AuthFailure::Missing);
        };
        if !self.core.changes_current() {
            return Err(AuthFailure::Unavailable);
        }
        // A limited client is refused before anything is compared, or a guess that hits the
        // cache would answer 200 where a miss answers 429.
        let name = claimed_name(scheme, credentials);
        if ip.is_some_and(|ip| !self.limiter.allows(ip, name.as_deref())) {
            return Err(AuthFailure::RateLimited);
        }
        // Credentials this node already verified pass from memory without being charged, so a
        // busy client's concurrent requests never throttle it.
        if let Some(principal) = self.verified_from_memory(scheme, credentials, parts) {
            return Ok(Authenticated {
                actor: Actor::new(&principal, actor.remote_address),
                principal,
            });
        }
        // Charged before verifying and given back unless it fails: see `rate_limit`.
        let attempt = self.admit_named(parts, name.as_deref()).await?;
        let result = match scheme.to_ascii_lowercase().as_str() {
            "digest" => {
                let uri = request_uri(parts);
                self.core
                    .directory
                    .authenticate_digest(credentials, parts.method.as_str(), uri, &actor)
                    .await
            }
            "bearer" => {
                self.core
                    .oauth
                    .authenticate_bearer(credentials, &actor)
                    .await
            }
            AUTH_TOKEN => {
                self.core
                    .oauth
                    .authenticate_auth_token(credentials, &actor)
                    .await
            }
            "apikey" => {
                self.core
                    .elasticsearch
                    .authenticate_api_key(credentials, &actor)
                    .await
            }
            signed::SCHEME => signed::authenticate(&self.core, credentials, parts, &actor).await,
            "basic" => match basic::decode(credentials) {
                Some((user, password)) => {
                    self.core
                        .directory
                        .authenticate_password(&user, password, &actor)
                        .await
                }
                None => {
                    self.core
                        .authentication_failed(&actor, None, "malformed Basic credentials")
                        .await;
                    Err(CoreError::Unauthenticated)
                }
            },
            other => {
                self.core
                    .authentication_failed(&actor, None, &format!("unsupported scheme {other:?}"))
                    .await;
                Err(CoreError::Unauthenticated)
            }
        };
        match result {
            Ok(principal) => Ok(Authenticated {
                actor: Actor::new(&principal, actor.remote_address),
                principal,
            }),
            Err(CoreError::StaleNonce) => Err(AuthFailure::StaleNonce),
            Err(CoreError::Busy) => Err(AuthFailure::Busy),
            Err(CoreError::Unauthenticated) => {
                attempt.failed();
                Err(AuthFailure::Invalid)
            }
            Err(CoreError::Unavailable(cause)) => {
                tracing::error!(%cause, "authentication failed: the store is unavailable");
                Err(AuthFailure::Unavailable)
            }
            Err(e) => {
                tracing::error!(error = %e, "authentication failed on a store error");
                Err(AuthFailure::Internal)
            }
        }
    }
}

/// An admitted authentication attempt; dropping it settles it with the limiter.
pub struct Attempt<'a> {
    limiter: &'a FailureLimiter,
    ip: Option<IpAddr>,
    name: Option<String>,
    failed: bool,
}

impl Attempt<'_> {
    /// The credentials did not verify: the attempt keeps its charge.
    pub fn failed(mut self) {
        self.failed = true;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if let Some(ip) = self.ip {
            self.limiter.settle(ip, self.name.as_deref(), self.failed);
        }
    }
}

/// The name a credential claims, which its failures are charged to beside the address: a
/// Basic or Digest username, an API key's id, an access key; `None` for tokens.
fn claimed_name(scheme: &str, credentials: &str) -> Option<String> {
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => basic::decode(credentials).map(|(user, _)| user),
        "digest" => sigil_core::digest::DigestResponse::parse(credentials)
            .ok()
            .map(|r| r.username),
        "apikey" => sigil_core::elasticsearch::api_keys::claimed_api_key_id(credentials),
        signed::SCHEME => {
            sigil_core::iam::signature::SdkAuthorization::parse(credentials).map(|a| a.access)
        }
        _ => None,
    }
}

/// The URI as the client sent it: nested routers see it without their prefix.
fn request_uri(parts: &Parts) -> &str {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0);
    uri.path_and_query().map_or("/", |p| p.as_str())
}

/// The pseudo-scheme of the IAM face's `X-Auth-Token` header.
const AUTH_TOKEN: &str = "x-auth-token";

/// The scheme and credentials of the `Authorization` header, else the `X-Auth-Token` header
/// (the IAM face's, accepted on every face).
fn authorization(headers: &HeaderMap) -> Option<(&str, &str)> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        return Some((scheme, rest.trim()));
    }
    let token = headers.get("x-auth-token")?.to_str().ok()?;
    Some((AUTH_TOKEN, token.trim()))
}

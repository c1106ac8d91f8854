//! Temporary access keys (Huawei Cloud IAM's `POST /v3.0/OS-CREDENTIAL/securitytokens`): an
//! access key id, a secret key and a security token, for a token of a person (an unscoped
//! token of an ID-token login, or a scoped one). Requests are signed `SDK-HMAC-SHA256` with the
//! secret key and carry the security token in `X-Security-Token`, which the signature covers.
//!
//! Nothing is stored: the security token *is* the key, sealed with the master key (AES-256-GCM,
//! like the permanent keys' secret keys at rest) — the access key id, the secret key, the
//! expiry and the claims of the token it came from. So every node verifies it, and at each
//! request the identity is taken as it is now, exactly as for that token: its provider enabled
//! and with the same pinned keys, no JWKS revoke after it, its roles from the role mappings
//! (or the user's roles) of now, the token not revoked. It expires at the latest with that
//! token: a key never outlives the session it came from.

use super::signature::{self, ReceivedRequest, SdkAuthorization};
use crate::audit::{kind, Actor};
use crate::crypto::{constant_time_eq, MasterKey};
use crate::error::{CoreError, CoreResult};
use crate::iam::Iam;
use crate::ids::HexId;
use crate::oauth::{token_key, AccessClaims};
use crate::principal::Principal;
use crate::secret::{random_urlsafe, SecretString};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use zeroize::Zeroizing;

/// `duration_seconds`: 15 minutes to 24 hours, 15 minutes when absent (the vendor's bounds).
pub const MIN_DURATION_SECONDS: i64 = 900;
pub const MAX_DURATION_SECONDS: i64 = 86_400;
pub const DEFAULT_DURATION_SECONDS: i64 = 900;
/// Temporary access key ids start with this (permanent ones with `SGAK`).
pub const ACCESS_PREFIX: &str = "SGTA";
const SECRET_PREFIX: &str = "SGTS";
pub const SECURITY_TOKEN_PREFIX: &str = "SGST";
/// The header that carries the security token, lowercased.
pub const SECURITY_TOKEN_HEADER: &str = "x-security-token";
/// Longer security tokens are refused before anything is decoded: one header's bound. A token
/// whose identity carries so many groups that its key would not fit is refused a key.
pub const MAX_SECURITY_TOKEN_BYTES: usize = 8192;
/// What the sealed document says it is, so no other sealed value passes for one.
const SEALED_TYPE: &str = "sigil.iam.temporary-access-key.v1";

/// What a security token seals.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealed {
    typ: String,
    access: String,
    secret: String,
    exp: i64,
    /// The claims of the token the key came from.
    src: AccessClaims,
}

/// A security token opened.
pub(crate) struct OpenedKey {
    access: String,
    secret: SecretString,
    exp: i64,
    src: AccessClaims,
}

impl std::fmt::Debug for OpenedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedKey")
            .field("access", &self.access)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

/// What verifying a temporary key's signatures needs, from memory.
#[derive(Debug)]
pub(crate) struct TemporaryRecord {
    key: OpenedKey,
    principal: Principal,
}

/// A key this node verified before, or one just opened.
enum Found {
    Cached(Arc<TemporaryRecord>),
    Opened(Box<OpenedKey>),
}

/// A temporary access key just issued: shown once, kept nowhere.
#[derive(Debug)]
pub struct TemporaryAccessKey {
    pub access: String,
    pub secret: SecretString,
    pub security_token: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// `duration_seconds` checked: within the vendor's bounds, the default when absent.
pub fn check_duration(duration_seconds: Option<i64>) -> CoreResult<i64> {
    let seconds = duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS);
    if (MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(CoreError::invalid(
            "auth.identity.token.duration_seconds",
            format!(
                "must be {MIN_DURATION_SECONDS} to {MAX_DURATION_SECONDS} seconds, got {seconds}"
            ),
        ))
    }
}

fn new_access() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{ACCESS_PREFIX}{tail}")
}

/// Opens a security token; `None` for anything the master key did not seal as one.
pub(crate) fn open_security_token(master: &MasterKey, token: &str) -> Option<OpenedKey> {
    if token.len() > MAX_SECURITY_TOKEN_BYTES {
        return None;
    }
    let raw = URL_SAFE_NO_PAD
        .decode(token.strip_prefix(SECURITY_TOKEN_PREFIX)?)
        .ok()?;
    let plain = Zeroizing::new(master.open_raw(&raw).ok()?);
    let sealed: Sealed = serde_json::from_slice(&plain).ok()?;
    (sealed.typ == SEALED_TYPE && sealed.access.starts_with(ACCESS_PREFIX)).then(|| OpenedKey {
        access: sealed.access,
        secret: SecretString::new(sealed.secret),
        exp: sealed.exp,
        src: sealed.src,
    })
}

fn seal_security_token(master: &MasterKey, sealed: &Sealed) -> CoreResult<String> {
    let plain = Zeroizing::new(serde_json::to_vec(sealed).map_err(CoreError::internal)?);
    let raw = master.seal_raw(&plain)?;
    Ok(format!(
        "{SECURITY_TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(raw)
    ))
}

impl Iam {
    /// Issues a temporary access key for `token` (an unscoped token or a scoped token of a
    /// person), valid `duration_seconds` (see [`check_duration`]) or until the token expires
    /// if sooner. The identity must hold a role now: in the token's domain, or anywhere for an
    /// unscoped token.
    pub async fn create_temporary_access_key(
        &self,
        token: &str,
        duration_seconds: Option<i64>,
        actor: &Actor,
    ) -> CoreResult<TemporaryAccessKey> {
        let duration = check_duration(duration_seconds)?;
        let refuse = |who: Option<String>, why: &'static str| async move {
            self.kernel
                .authentication_failed(actor, who.as_deref(), why)
                .await;
            CoreError::Unauthenticated
        };
        let claims = match self.oauth.verify_exchangeable_token(token).await {
            Ok(claims) => claims,
            Err(CoreError::Unauthenticated) => {
                return Err(
                    refuse(None, "the token for a temporary access key did not verify").await,
                )
            }
            Err(e) => return Err(e),
        };
        let who = claims
            .fed
            .as_ref()
            .map_or(claims.sub.clone(), |f| f.user.clone());
        if claims.fed.is_none() && claims.usr.is_none() {
            return Err(refuse(
                Some(who),
                "only a person's token gets a temporary access key",
            )
            .await);
        }
        let Some(principal) = self.temporary_principal(&claims).await? else {
            return Err(refuse(Some(who), "the token's identity holds no role now").await);
        };
        let now = self.kernel.now().timestamp();
        let exp = (now + duration).min(claims.exp);
        if exp <= now {
            return Err(refuse(Some(who), "the token has expired").await);
        }
        let access = new_access();
        let secret = SecretString::new(format!("{SECRET_PREFIX}{}", random_urlsafe(27)));
        let sealed = Sealed {
            typ: SEALED_TYPE.into(),
            access: access.clone(),
            secret: secret.expose().to_owned(),
            exp,
            src: claims,
        };
        let security_token =
            SecretString::new(seal_security_token(&self.kernel.master_key, &sealed)?);
        if security_token.expose().len() > MAX_SECURITY_TOKEN_BYTES {
            return Err(CoreError::invalid(
                "auth.identity.token.id",
                format!(
                    "the token's identity carries too many groups for a security token of at most {MAX_SECURITY_TOKEN_BYTES} bytes"
                ),
            ));
        }
        let org = principal
            .scope
            .or_else(|| principal.orgs().first().copied());
        let mut event = Actor::new(&principal, actor.remote_address.clone()).event(
            kind::IAM_TEMPORARY_ACCESS_KEY_CREATED,
            self.kernel.now(),
            org,
            Some(access.clone()),
        );
        event.detail = Some(format!(
            "a temporary access key until {exp} for the token {}",
            sealed.src.jti
        ));
        self.kernel.store.record_event(&event).await?;
        Ok(TemporaryAccessKey {
            access,
            secret,
            security_token,
            expires_at: DateTime::from_timestamp(exp, 0).unwrap_or_default(),
        })
    }

    /// Who the token a key came from stands for now; `None` when it is gone or holds no role
    /// (in its domain when scoped).
    async fn temporary_principal(&self, src: &AccessClaims) -> CoreResult<Option<Principal>> {
        let Some(verified) = self.oauth.token_principal(src).await? else {
            return Ok(None);
        };
        let principal = verified.principal;
        Ok((principal.superuser || !principal.org_roles.is_empty()).then_some(principal))
    }

    /// A request signed with a temporary access key: the security token (signed) must open,
    /// belong to this access key id and not have expired, the token it came from must not be
    /// revoked, the signature must be the secret key's, and the identity must still hold a
    /// role. `X-Domain-Id`, when sent, is the key's domain, or for a key of an unscoped token
    /// one of the identity's domains, which the request then acts in.
    pub(crate) async fn authenticate_temporary(
        &self,
        auth: &SdkAuthorization,
        date: &str,
        request: &ReceivedRequest<'_>,
        actor: &Actor,
    ) -> CoreResult<Principal> {
        let access = Some(auth.access.clone());
        let refuse = |why: &'static str| {
            let access = access.clone();
            async move {
                self.kernel
                    .authentication_failed(actor, access.as_deref(), why)
                    .await;
                CoreError::Unauthenticated
            }
        };
        let Some(security_token) = request.header(SECURITY_TOKEN_HEADER).map(str::trim) else {
            return Err(refuse("a temporary access key without X-Security-Token").await);
        };
        if !auth
            .signed_headers
            .iter()
            .any(|h| h == SECURITY_TOKEN_HEADER)
        {
            return Err(refuse("X-Security-Token is not signed").await);
        }
        let cache_key = token_key(security_token);
        let epoch = self.kernel.cache_epoch();
        let found = match self.temporary_keys.get(&cache_key) {
            Some(hit) => Found::Cached(hit),
            None => match open_security_token(&self.kernel.master_key, security_token) {
                Some(opened) => Found::Opened(Box::new(opened)),
                None => return Err(refuse("a security token Sigil did not issue").await),
            },
        };
        let key = match &found {
            Found::Cached(hit) => &hit.key,
            Found::Opened(opened) => opened,
        };
        if key.access != auth.access {
            return Err(refuse("the security token is another access key's").await);
        }
        if self.kernel.now().timestamp() >= key.exp {
            return Err(refuse("expired temporary access key").await);
        }
        if self.oauth.is_access_token_revoked(&key.src) {
            return Err(refuse("the token of the temporary access key was revoked").await);
        }
        let Some(canonical) = signature::canonical_request(request, &auth.signed_headers) else {
            return Err(refuse("a signed header is missing or the payload hash is false").await);
        };
        let expected = signature::sign(
            key.secret.expose().as_bytes(),
            &signature::string_to_sign(date, &canonical),
        );
        if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Err(refuse("wrong signature").await);
        }
        let principal = match found {
            Found::Cached(hit) => hit.principal.clone(),
            Found::Opened(opened) => {
                let Some(principal) = self.temporary_principal(&opened.src).await? else {
                    return Err(
                        refuse("the temporary access key's identity holds no role now").await,
                    );
                };
                if self.kernel.cacheable_since(epoch) {
                    let record = TemporaryRecord {
                        key: *opened,
                        principal: principal.clone(),
                    };
                    self.temporary_keys.insert(cache_key, Arc::new(record));
                }
                principal
            }
        };
        match request.header("x-domain-id").map(str::trim) {
            None => Ok(principal),
            Some(domain) => match principal.scope {
                Some(org) if org.to_string() == domain => Ok(principal),
                Some(_) => Err(refuse("X-Domain-Id is not the key's domain").await),
                None => match HexId::parse("x-domain-id", domain) {
                    Ok(org) if principal.is_member(org) => Ok(principal.scoped_to(org)),
                    _ => Err(refuse("X-Domain-Id is not a domain of the key's identity").await),
                },
            },
        }
    }
}

/// The fuzz targets' way in: a fixed master key, a token sealed with it, and the opening.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz_support {
    use super::*;

    fn master() -> MasterKey {
        MasterKey::from_base64("c2lnaWwtZnV6ei1tYXN0ZXIta2V5LTMyLWJ5dGVzISE=")
            .unwrap_or_else(|_| MasterKey::generate().0)
    }

    /// A security token for `access` (which must start with [`ACCESS_PREFIX`]).
    pub fn sealed(access: &str, exp: i64) -> String {
        let src = AccessClaims {
            iss: "https://sigil.example".into(),
            sub: "fuzz".into(),
            aud: "https://sigil.example".into(),
            iat: 0,
            nbf: 0,
            exp,
            jti: "fuzz".into(),
            client_id: "fuzz".into(),
            org_id: String::new(),
            roles: vec![],
            scope: String::new(),
            sid: None,
            fed: None,
            usr: Some("0123456789abcdef01234567".into()),
        };
        let sealed = Sealed {
            typ: SEALED_TYPE.into(),
            access: access.into(),
            secret: "SGTSfuzz".into(),
            exp,
            src,
        };
        seal_security_token(&master(), &sealed).unwrap_or_default()
    }

    /// The access key id and expiry a security token opens to, if it opens.
    pub fn open(token: &str) -> Option<(String, i64)> {
        open_security_token(&master(), token).map(|k| (k.access, k.exp))
    }
}

//! OAuth 2.0 access tokens (RFC 6749 client_credentials, RFC 7009, RFC 7662, RFC 9068):
//! JWTs signed by Sigil, verified from memory, refused at once when revoked.

pub(crate) mod clients;
mod exchange;
mod keys;
mod service;
pub mod service_accounts;

pub use service::OAuth;

pub use exchange::{FederatedSession, Introspection};

pub use keys::{Keyring, LoadedKey, StoredSigningKey};

use crate::audit::{kind, Actor};
use crate::error::{CoreError, CoreResult};
use crate::federation::jwt::{issued_by_cutoff, Peek};
use crate::oauth::service_accounts::ServiceAccount;
use crate::principal::{OrgRoleAssignment, Principal, PrincipalKind, Realm};
use crate::revocation::RevocationKind;
use crate::secret::{random_urlsafe, SecretString};
use chrono::Duration;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Lifetime of an access token (`expires_in`).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const CLOCK_SKEW_SECONDS: i64 = 60;
/// The `typ` of Sigil's access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// What follows the issuer in the `aud` of an IAM unscoped token: no face accepts such a token
/// as a credential (they all want the issuer itself), only the IAM exchanges verify it.
pub const UNSCOPED_AUDIENCE_SUFFIX: &str = "#iam-unscoped";

/// The claims of a Sigil access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub client_id: String,
    pub org_id: String,
    pub roles: Vec<String>,
    pub scope: String,
    /// The secret the token was issued with, so deleting the secret revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// For a token exchanged for a federated JWT: the identity it was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fed: Option<FederatedSession>,
    /// For a token issued for a local user's password (the IAM face): the user's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usr: Option<String>,
}

/// A freshly issued access token.
#[derive(Debug)]
pub struct IssuedToken {
    pub access_token: SecretString,
    pub expires_in: i64,
}

/// A verified token, as the cache keeps it.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedToken {
    pub principal: Principal,
    pub exp: i64,
    /// What a revocation can name it by. Every cache hit is checked against the in-memory
    /// revocations, so a revocation needs to empty no cache: revoking one token no longer
    /// makes every other cached credential (and every password, through Argon2id) verify again.
    pub revocable: Revocable,
}

/// The names a revocation can cover a cached token by.
#[derive(Debug, Clone)]
pub(crate) enum Revocable {
    /// A token Sigil signed: its claims (`jti`, `client_id`, `sid`, `fed`).
    Sigil(Box<AccessClaims>),
    /// A WORKLOAD provider's JWT: the provider's id and the token's `iat`.
    Federated { provider: String, iat: i64 },
}

/// The cache key of a token: its SHA-256, so the cache never holds tokens themselves.
pub(crate) fn token_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

pub(crate) fn service_account_principal(account: &ServiceAccount) -> Principal {
    Principal {
        kind: PrincipalKind::ServiceAccount,
        id: account.client_id.clone(),
        name: account.client_id.clone(),
        realm: Realm {
            name: "service_accounts".into(),
            kind: "service_account".into(),
        },
        superuser: false,
        org_roles: account
            .roles
            .iter()
            .map(|role| OrgRoleAssignment {
                org_id: account.org_id,
                role: *role,
            })
            .collect(),
        cluster_privileges: vec![],
        roles: vec![],
        api_key: None,
        scope: Some(account.org_id),
    }
}

impl OAuth {
    /// RFC 6749 §4.4: a client id and secret for an access token.
    pub async fn issue_client_credentials(
        &self,
        client_id: &str,
        secret: &SecretString,
        actor: &Actor,
    ) -> CoreResult<IssuedToken> {
        let (account, secret_id) = self.authenticate_client(client_id, secret, actor).await?;
        self.sign_access_token(&account, Some(secret_id.to_string()))
    }

    fn sign_access_token(
        &self,
        account: &ServiceAccount,
        sid: Option<String>,
    ) -> CoreResult<IssuedToken> {
        let now = self.kernel.now().timestamp();
        let claims = AccessClaims {
            iss: self.kernel.config.issuer.clone(),
            sub: account.client_id.clone(),
            aud: self.kernel.config.issuer.clone(),
            iat: now,
            nbf: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            jti: random_urlsafe(16),
            client_id: account.client_id.clone(),
            org_id: account.org_id.to_string(),
            roles: account
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            scope: String::new(),
            sid,
            fed: None,
            usr: None,
        };
        self.sign_claims(&claims)
    }

    pub(crate) fn sign_claims(&self, claims: &AccessClaims) -> CoreResult<IssuedToken> {
        let key = self
            .keyring
            .active()
            .ok_or_else(|| CoreError::internal("no signing key loaded"))?;
        Ok(IssuedToken {
            access_token: SecretString::new(key.sign_jwt(claims)?),
            expires_in: claims.exp - claims.iat,
        })
    }

    /// Checks a Sigil access token: signature by a published key, ES256 only, issuer and
    /// audience, times with [`CLOCK_SKEW_SECONDS`], and every revocation that covers it.
    pub async fn verify_access_token(&self, token: &str) -> CoreResult<AccessClaims> {
        let claims = self
            .verify_signed_token(token, &[&self.kernel.config.issuer])
            .await?;
        self.checked_current(claims)
    }

    /// The audience of IAM unscoped tokens.
    pub(crate) fn unscoped_audience(&self) -> String {
        format!("{}{UNSCOPED_AUDIENCE_SUFFIX}", self.kernel.config.issuer)
    }

    /// A token an IAM exchange takes (the token method of `/v3/auth/tokens`, security tokens):
    /// one of Sigil's access tokens or an IAM unscoped token, current and unrevoked.
    pub(crate) async fn verify_exchangeable_token(&self, token: &str) -> CoreResult<AccessClaims> {
        let unscoped = self.unscoped_audience();
        let claims = self
            .verify_signed_token(token, &[&self.kernel.config.issuer, &unscoped])
            .await?;
        self.checked_current(claims)
    }

    fn checked_current(&self, claims: AccessClaims) -> CoreResult<AccessClaims> {
        let now = self.kernel.now().timestamp();
        if claims.exp + CLOCK_SKEW_SECONDS <= now
            || claims.nbf - CLOCK_SKEW_SECONDS > now
            || claims.iat - CLOCK_SKEW_SECONDS > now
        {
            return Err(CoreError::Unauthenticated);
        }
        if self.is_access_token_revoked(&claims) {
            return Err(CoreError::Unauthenticated);
        }
        Ok(claims)
    }

    /// A token Sigil signed (a published key, ES256, issuer and one of `audiences`), whatever
    /// its times and revocations say.
    async fn verify_signed_token(
        &self,
        token: &str,
        audiences: &[&str],
    ) -> CoreResult<AccessClaims> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| CoreError::Unauthenticated)?;
        if header.alg != Algorithm::ES256 {
            return Err(CoreError::Unauthenticated);
        }
        let kid = header.kid.ok_or(CoreError::Unauthenticated)?;
        let key = match self.keyring.find(&kid) {
            Some(k) => k,
            // Another node may have rotated: read the keys once more before refusing.
            None => {
                self.reload_signing_keys().await?;
                self.keyring.find(&kid).ok_or(CoreError::Unauthenticated)?
            }
        };
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&self.kernel.config.issuer]);
        validation.set_audience(audiences);
        // Times are checked below against the core's clock, not the wall clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation)
            .map(|t| t.claims)
            .map_err(|_| CoreError::Unauthenticated)
    }

    pub(crate) fn is_access_token_revoked(&self, claims: &AccessClaims) -> bool {
        let r = &self.kernel.revocations;
        if let Some(fed) = &claims.fed {
            // Every session from a provider whose JWKS was revoked ends with it.
            let cutoff = r.revoked_at(RevocationKind::IdentityProvider, &fed.idp);
            // Sigil stamped `iat` itself; the subject's `iat` is the provider's clock.
            if cutoff.is_some_and(|c| {
                claims.iat <= c.timestamp() || issued_by_cutoff(fed.src_iat, c.timestamp())
            }) {
                return true;
            }
        }
        r.is_revoked(RevocationKind::Token, &claims.jti)
            || r.is_revoked(RevocationKind::ServiceAccount, &claims.client_id)
            || claims
                .sid
                .as_deref()
                .is_some_and(|sid| r.is_revoked(RevocationKind::Secret, sid))
    }

    /// Whether a revocation this node knows covers a token it verified before.
    fn is_cached_token_revoked(&self, revocable: &Revocable) -> bool {
        match revocable {
            Revocable::Sigil(claims) => self.is_access_token_revoked(claims),
            Revocable::Federated { provider, iat } => self
                .kernel
                .revocations
                .revoked_at(RevocationKind::IdentityProvider, provider)
                .is_some_and(|cutoff| issued_by_cutoff(*iat, cutoff.timestamp())),
        }
    }

    /// The principal of a token this node has verified before, that has not expired and that
    /// no revocation covers, from memory only.
    pub fn cached_bearer(&self, token: &str) -> Option<Principal> {
        self.cached_token(&token_key(token))
    }

    fn cached_token(&self, key: &[u8; 32]) -> Option<Principal> {
        self.cached_entry(key).map(|hit| hit.principal.clone())
    }

    /// A verified token from the cache, unexpired and covered by no revocation.
    pub(crate) fn cached_entry(&self, key: &[u8; 32]) -> Option<Arc<VerifiedToken>> {
        let hit = self.token_cache.get(key)?;
        if hit.exp + CLOCK_SKEW_SECONDS <= self.kernel.now().timestamp() {
            return None;
        }
        if self.is_cached_token_revoked(&hit.revocable) {
            self.token_cache.invalidate(key);
            return None;
        }
        Some(hit)
    }

    fn is_own_token(&self, token: &str) -> bool {
        crate::federation::jwt::issuer_of(token).as_deref() == Some(self.issuer())
    }

    /// `X-Auth-Token` seen before: only tokens Sigil signed travel in that header.
    pub fn cached_auth_token(&self, token: &str) -> Option<Principal> {
        self.is_own_token(token)
            .then(|| self.cached_bearer(token))
            .flatten()
    }

    /// `X-Auth-Token` (the IAM face's header, accepted on every face): a token Sigil signed,
    /// never an identity provider's JWT.
    pub async fn authenticate_auth_token(
        &self,
        token: &str,
        actor: &Actor,
    ) -> CoreResult<Principal> {
        if !self.is_own_token(token) {
            self.kernel
                .authentication_failed(actor, None, "X-Auth-Token is not a token Sigil issued")
                .await;
            return Err(CoreError::Unauthenticated);
        }
        self.authenticate_bearer(token, actor).await
    }

    /// `Authorization: Bearer` with a Sigil access token, or a WORKLOAD identity provider's
    /// JWT. A token seen before is a cache hit.
    pub async fn authenticate_bearer(&self, token: &str, actor: &Actor) -> CoreResult<Principal> {
        // One hash and one peek at the payload serve the lookup, the routing and the insert.
        let key = token_key(token);
        if let Some(principal) = self.cached_token(&key) {
            return Ok(principal);
        }
        let epoch = self.kernel.cache_epoch();
        let peek = Peek::of(token).ok();
        let own = peek.as_ref().and_then(Peek::issuer) == Some(self.issuer());
        let outcome = match &peek {
            _ if own => match self.verify_access_token(token).await {
                Ok(claims) => self.token_principal(&claims).await,
                Err(e) => Err(e),
            },
            Some(peek) => self
                .federation
                .authenticate_federated_bearer(token, peek)
                .await
                .map(Some),
            None => Err(CoreError::Unauthenticated),
        };
        let verified = match outcome {
            Ok(v) => v,
            Err(CoreError::Unauthenticated) => None,
            Err(e) => return Err(e),
        };
        match verified {
            Some(v) => {
                let principal = v.principal.clone();
                if self.kernel.cacheable_since(epoch) {
                    self.token_cache.insert(key, Arc::new(v));
                }
                Ok(principal)
            }
            None => {
                self.kernel
                    .authentication_failed(actor, None, "bearer token did not verify")
                    .await;
                Err(CoreError::Unauthenticated)
            }
        }
    }

    /// RFC 7009: revokes a token issued to `client_id`. Unknown, malformed and already revoked
    /// tokens are accepted silently, as §2.2 asks; another client's token is refused.
    pub async fn revoke_token(
        &self,
        client_id: &str,
        token: &str,
        actor: &Actor,
    ) -> CoreResult<()> {
        // Times are not checked: a token issued by a node whose clock runs ahead (not yet valid
        // here) is valid there, and one that expired by this clock may not have by another's,
        // so the revocation is written all the same (it expires with the token).
        let Ok(claims) = self
            .verify_signed_token(token, &[&self.kernel.config.issuer])
            .await
        else {
            return Ok(());
        };
        if self.is_access_token_revoked(&claims) {
            return Ok(());
        }
        if claims.client_id != client_id {
            return Err(CoreError::Forbidden {
                needs: crate::privilege::Privilege::Superuser,
            });
        }
        let revocation = crate::revocation::Revocation {
            kind: RevocationKind::Token,
            key: claims.jti.clone(),
            revoked_at: self.kernel.now(),
            expires_at: chrono::DateTime::from_timestamp(claims.exp + CLOCK_SKEW_SECONDS, 0)
                .unwrap_or_else(|| self.kernel.now()),
        };
        let org = crate::ids::HexId::parse("org_id", &claims.org_id).ok();
        let event = actor.event(
            kind::TOKEN_REVOKED,
            self.kernel.now(),
            org,
            Some(claims.jti.clone()),
        );
        self.kernel
            .store
            .insert_revocation(&revocation, &event)
            .await?;
        self.kernel.revoked(&revocation);
        Ok(())
    }

    /// Who a verified Sigil token stands for: its service account with the account's current
    /// roles, its federated identity with the current role mappings, or its local user with
    /// the user's current roles; limited to the organization the token is scoped to. `None`
    /// when that account, provider or user is gone (or disabled).
    pub(crate) async fn token_principal(
        &self,
        claims: &AccessClaims,
    ) -> CoreResult<Option<VerifiedToken>> {
        let principal = match (&claims.fed, &claims.usr) {
            (Some(fed), _) => self.session_principal(fed).await?,
            (None, Some(user)) => self.user_session_principal(user).await?,
            (None, None) => self
                .client_record(&claims.client_id)
                .await?
                .map(|record| service_account_principal(&record.account)),
        };
        let scope = crate::ids::HexId::parse("org_id", &claims.org_id).ok();
        Ok(principal.map(|principal| {
            let principal = match scope {
                Some(org) => principal.scoped_to(org),
                None => principal,
            };
            VerifiedToken {
                principal,
                exp: claims.exp,
                revocable: Revocable::Sigil(Box::new(claims.clone())),
            }
        }))
    }

    async fn user_session_principal(&self, user_id: &str) -> CoreResult<Option<Principal>> {
        let Ok(id) = crate::ids::HexId::parse("usr", user_id) else {
            return Ok(None);
        };
        match self.kernel.store.get_user(id).await? {
            Some(user) if user.enabled => Ok(Some(self.elasticsearch.user_principal(&user).await?)),
            _ => Ok(None),
        }
    }

    /// The public signing keys (`/.well-known/jwks.json`).
    pub fn jwks(&self) -> serde_json::Value {
        self.keyring.jwks()
    }

    pub fn issuer(&self) -> &str {
        &self.kernel.config.issuer
    }

    pub(crate) async fn reload_signing_keys(&self) -> CoreResult<()> {
        let stored = self.kernel.store.list_signing_keys().await?;
        let mut loaded = vec![];
        for key in &stored {
            loaded.push(Arc::new(key.load(&self.kernel.master_key)?));
        }
        self.keyring.replace(loaded);
        Ok(())
    }

    /// Makes sure a current signing key exists (rotating when the newest is older than the
    /// configured period) and retires keys no live token can have been signed with.
    pub async fn ensure_signing_keys(&self) -> CoreResult<()> {
        let now = self.kernel.now();
        let mut stored = self.kernel.store.list_signing_keys().await?;
        stored.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        let due = stored.first().is_none_or(|newest| {
            now - newest.created_at >= self.kernel.config.signing_key_rotation
        });
        if due {
            let key = StoredSigningKey::generate(&self.kernel.master_key, now)?;
            self.kernel.store.insert_signing_key(&key).await?;
            self.kernel
                .store
                .record_event(&Actor::default().event(
                    kind::SIGNING_KEY_ROTATED,
                    now,
                    None,
                    Some(key.kid.clone()),
                ))
                .await?;
            stored.insert(0, key);
        }
        // A key replaced more than a token lifetime ago signed nothing still valid.
        let grace = Duration::seconds(ACCESS_TOKEN_SECONDS + CLOCK_SKEW_SECONDS);
        for pair in stored.windows(2) {
            let (successor, old) = (&pair[0], &pair[1]);
            if now - successor.created_at > grace {
                self.kernel.store.delete_signing_key(&old.kid).await?;
            }
        }
        self.reload_signing_keys().await
    }
}

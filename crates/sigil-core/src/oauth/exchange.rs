//! RFC 8693 token exchange: a federated JWT for a Sigil access token, the "session" of a
//! federated identity, which ends when its provider's JWKS is revoked; and RFC 7662
//! introspection of both kinds of token.

use super::{token_key, AccessClaims, IssuedToken, Revocable, ACCESS_TOKEN_SECONDS};
use crate::audit::{kind, Actor};
use crate::error::{CoreError, CoreResult};
use crate::federation::jwt::{issued_by_cutoff, FederatedIdentity};
use crate::ids::{HexId, OrgId};
use crate::oauth::OAuth;
use crate::principal::Principal;
use crate::secret::random_urlsafe;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a Sigil token exchanged for a federated JWT remembers of it, so that its roles follow
/// the role mappings and a JWKS revoke of its provider ends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedSession {
    /// The identity provider's id.
    pub idp: String,
    /// Its federation settings' id.
    pub fs: String,
    /// The value of the provider's user claim.
    pub user: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The `iat` of the subject token.
    pub src_iat: i64,
    /// For a provider whose key set is pinned (the IAM face's `signing_key`): the RFC 7638
    /// thumbprint of the key that verified the subject token. Once `signing_key` no longer
    /// holds that key the session ends: whoever removed it took back what it vouched for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// Whether a session's key is still in its provider's pinned key set (or the set is not pinned).
fn key_still_pinned(
    session: &FederatedSession,
    provider: &crate::federation::IdentityProvider,
) -> bool {
    match (&session.key, &provider.pinned_jwks) {
        (Some(key), Some(pinned)) => crate::federation::key_sets::thumbprints(pinned).contains(key),
        // A session from a pinned key whose provider is no longer pinned: not that key.
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// RFC 7662's answer for an active token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    pub sub: String,
    pub client_id: String,
    pub iss: String,
    pub aud: serde_json::Value,
    pub exp: i64,
    pub iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    pub scope: String,
    /// The identity provider a federated JWT, or the token it was exchanged for, came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider_id: Option<String>,
}

impl OAuth {
    /// Exchanges an identity provider's JWT for a Sigil access token. Its lifetime ends with
    /// the subject token's, or after [`ACCESS_TOKEN_SECONDS`] if sooner.
    pub async fn exchange_token(
        &self,
        subject_token: &str,
        actor: &Actor,
    ) -> CoreResult<IssuedToken> {
        let identity = match self.federation.verify_federated_jwt(subject_token).await {
            Ok(identity) => identity,
            Err(CoreError::Unauthenticated) => {
                self.kernel
                    .authentication_failed(actor, None, "subject token did not verify")
                    .await;
                return Err(CoreError::Unauthenticated);
            }
            Err(e) => return Err(e),
        };
        let provider = &identity.provider;
        let claims = self.federated_claims(&identity, None);
        let issued = self.sign_claims(&claims)?;
        let mut event = Actor::new(&identity.principal, actor.remote_address.clone()).event(
            kind::FEDERATED_TOKEN_EXCHANGED,
            self.kernel.now(),
            identity.principal.orgs().first().copied(),
            Some(claims.jti.clone()),
        );
        event.detail = Some(format!("identity provider {}", provider.id));
        self.kernel.store.record_event(&event).await?;
        Ok(issued)
    }

    /// The claims of a Sigil token for a verified federated identity: it lives as long as the
    /// subject token, at most [`ACCESS_TOKEN_SECONDS`]; `scope` limits it to one organization.
    pub(crate) fn federated_claims(
        &self,
        identity: &FederatedIdentity,
        scope: Option<OrgId>,
    ) -> AccessClaims {
        let provider = &identity.provider;
        let now = self.kernel.now().timestamp();
        let mut roles: Vec<String> = identity
            .principal
            .org_roles
            .iter()
            .filter(|a| scope.is_none_or(|org| a.org_id == org))
            .map(|a| a.role.as_str().to_owned())
            .collect();
        roles.dedup();
        AccessClaims {
            iss: self.kernel.config.issuer.clone(),
            sub: identity.user.clone(),
            aud: self.kernel.config.issuer.clone(),
            iat: now,
            nbf: now,
            exp: (now + ACCESS_TOKEN_SECONDS).min(identity.exp),
            jti: random_urlsafe(16),
            client_id: identity
                .client_id
                .clone()
                .or_else(|| provider.audience.clone())
                .unwrap_or_default(),
            org_id: scope.map(|o| o.to_string()).unwrap_or_default(),
            roles,
            scope: String::new(),
            sid: None,
            fed: Some(FederatedSession {
                idp: provider.id.to_string(),
                fs: provider.federation_settings_id.to_string(),
                user: identity.user.clone(),
                groups: identity.groups.clone(),
                src_iat: identity.iat,
                key: provider.pinned_jwks.as_ref().and(identity.key.clone()),
            }),
            usr: None,
        }
    }

    /// The principal of an exchanged token: refused once its provider is gone.
    pub(crate) async fn session_principal(
        &self,
        session: &FederatedSession,
    ) -> CoreResult<Option<Principal>> {
        let (Ok(fs), Ok(idp)) = (
            HexId::parse("fs", &session.fs),
            HexId::parse("idp", &session.idp),
        ) else {
            return Ok(None);
        };
        let Some(provider) = self.kernel.store.get_identity_provider(fs, idp).await? else {
            return Ok(None);
        };
        if !provider.enabled {
            return Ok(None);
        }
        if !key_still_pinned(session, &provider) {
            return Ok(None);
        }
        if self
            .federation
            .provider_cutoff(&provider)
            .is_some_and(|cutoff| issued_by_cutoff(session.src_iat, cutoff))
        {
            return Ok(None);
        }
        self.federation
            .federated_principal(&provider, &session.user, &session.groups)
            .await
            .map(Some)
    }

    /// The claims of a Sigil token that verifies, is current and whose principal still exists:
    /// from the verified-token cache (the one Bearer authentication fills), or verified now
    /// and cached.
    async fn verified_own_token(&self, token: &str) -> CoreResult<Option<AccessClaims>> {
        let key = token_key(token);
        if let Some(hit) = self.cached_entry(&key) {
            if let Revocable::Sigil(claims) = &hit.revocable {
                return Ok(Some((**claims).clone()));
            }
        }
        let epoch = self.kernel.cache_epoch();
        let claims = match self.verify_access_token(token).await {
            Ok(claims) => claims,
            Err(CoreError::Unauthenticated) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(verified) = self.token_principal(&claims).await? else {
            return Ok(None);
        };
        if self.kernel.cacheable_since(epoch) {
            self.token_cache.insert(key, Arc::new(verified));
        }
        Ok(Some(claims))
    }

    /// RFC 7662: what an active token says, Sigil's own or a federated JWT; `None` otherwise.
    pub async fn introspect_token(&self, token: &str) -> CoreResult<Option<Introspection>> {
        let ours = crate::federation::jwt::issuer_of(token).as_deref() == Some(self.issuer());
        if !ours {
            return match self.federation.verify_federated_jwt(token).await {
                Ok(i) => Ok(Some(Introspection {
                    sub: i.subject.clone().unwrap_or_else(|| i.user.clone()),
                    client_id: i
                        .client_id
                        .clone()
                        .or_else(|| i.provider.audience.clone())
                        .unwrap_or_default(),
                    iss: i.provider.issuer_uri.clone().unwrap_or_default(),
                    aud: serde_json::json!(i.audience),
                    exp: i.exp,
                    iat: i.iat,
                    nbf: i.nbf,
                    jti: i.jti.clone(),
                    scope: i.scope.clone().unwrap_or_default(),
                    identity_provider_id: Some(i.provider.id.to_string()),
                })),
                Err(CoreError::Unauthenticated) => Ok(None),
                Err(e) => Err(e),
            };
        }
        let Some(claims) = self.verified_own_token(token).await? else {
            return Ok(None);
        };
        Ok(Some(Introspection {
            sub: claims.sub,
            client_id: claims.client_id,
            iss: claims.iss,
            aud: serde_json::Value::String(claims.aud),
            exp: claims.exp,
            iat: claims.iat,
            nbf: Some(claims.nbf),
            jti: Some(claims.jti),
            scope: claims.scope,
            identity_provider_id: claims.fed.map(|f| f.idp),
        }))
    }
}

//! Tokens of the IAM face: `POST /v3/auth/tokens` (a local user's password, or a token
//! exchanged for one scoped to a domain) and `POST /v3.0/OS-AUTH/id-token/tokens` (an ID token
//! of a named provider). Scoped ones are Sigil access tokens scoped to the domain, so every face
//! accepts them (as `X-Auth-Token` or Bearer), their roles follow the user or the role mappings
//! live, and every revocation reaches them. An ID-token login without a scope answers an
//! *unscoped* token: signed for another audience, so no face takes it as a credential; it is
//! good only for the token method and for temporary access keys.

use super::DomainRef;
use crate::audit::{kind, Actor};
use crate::directory::org::Organization;
use crate::error::{CoreError, CoreResult};
use crate::iam::Iam;
use crate::ids::IdentityProviderId;
use crate::oauth::{AccessClaims, ACCESS_TOKEN_SECONDS, CLOCK_SKEW_SECONDS};
use crate::principal::Principal;
use crate::privilege::OrgRole;
use crate::secret::{random_urlsafe, SecretString};
use chrono::{DateTime, Utc};

/// The `client_id` of tokens issued for a password: no OAuth client asked for them.
pub const PASSWORD_TOKEN_CLIENT: &str = "sigil-iam";

/// The password method's identity and scope.
#[derive(Debug)]
pub struct PasswordLogin {
    pub username: String,
    pub password: SecretString,
    /// The domain the user names itself in (`user.domain`): it must hold a role there.
    pub user_domain: DomainRef,
    /// The domain the token is for (`scope.domain`).
    pub scope: DomainRef,
}

/// How a federated token's user came in.
#[derive(Debug, Clone)]
pub struct TokenFederation {
    pub provider_id: IdentityProviderId,
    pub provider_name: String,
    pub groups: Vec<String>,
}

/// An issued IAM token and what the face says about it.
#[derive(Debug)]
pub struct IamToken {
    pub token: SecretString,
    /// `password`, `mapped` or `token`.
    pub method: &'static str,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_id: String,
    pub user_name: String,
    /// The domain the token is scoped to; `None` for an unscoped token.
    pub domain: Option<Organization>,
    pub roles: Vec<OrgRole>,
    pub federation: Option<TokenFederation>,
}

fn domain_roles(principal: &Principal, domain: &Organization) -> Vec<OrgRole> {
    let mut roles: Vec<OrgRole> = principal
        .org_roles
        .iter()
        .filter(|a| a.org_id == domain.id)
        .map(|a| a.role)
        .collect();
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    roles
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

impl Iam {
    /// A refused login: audited, and always the same 401 whatever was wrong.
    async fn refuse_login(&self, actor: &Actor, who: Option<&str>, why: &str) -> CoreError {
        self.kernel.authentication_failed(actor, who, why).await;
        CoreError::Unauthenticated
    }

    /// The domain of a login; an unknown one is a refused login, not a 404.
    async fn login_domain(
        &self,
        domain: &DomainRef,
        actor: &Actor,
        who: &str,
    ) -> CoreResult<Organization> {
        match self.domain(domain).await {
            Ok(d) => Ok(d),
            Err(CoreError::NotFound { .. }) => {
                Err(self.refuse_login(actor, Some(who), "unknown domain").await)
            }
            Err(e) => Err(e),
        }
    }

    /// The password method: the user must hold a role in both domains (the superuser does).
    pub async fn password_token(
        &self,
        login: PasswordLogin,
        actor: &Actor,
    ) -> CoreResult<IamToken> {
        let principal = self
            .directory
            .authenticate_password(&login.username, login.password, actor)
            .await?;
        let user_domain = self
            .login_domain(&login.user_domain, actor, &login.username)
            .await?;
        let domain = self
            .login_domain(&login.scope, actor, &login.username)
            .await?;
        if !principal.is_member(user_domain.id) || !principal.is_member(domain.id) {
            let why = "the user holds no role in that domain";
            return Err(self.refuse_login(actor, Some(&login.username), why).await);
        }
        let roles = domain_roles(&principal.clone().scoped_to(domain.id), &domain);
        let now = self.kernel.now().timestamp();
        let claims = AccessClaims {
            iss: self.kernel.config.issuer.clone(),
            sub: principal.id.clone(),
            aud: self.kernel.config.issuer.clone(),
            iat: now,
            nbf: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            jti: random_urlsafe(16),
            client_id: PASSWORD_TOKEN_CLIENT.into(),
            org_id: domain.id.to_string(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            scope: String::new(),
            sid: None,
            fed: None,
            usr: Some(principal.id.clone()),
        };
        let issued = self.oauth.sign_claims(&claims)?;
        Ok(IamToken {
            token: issued.access_token,
            method: "password",
            issued_at: at(claims.iat),
            expires_at: at(claims.exp),
            user_id: principal.id,
            user_name: principal.name,
            domain: Some(domain),
            roles,
            federation: None,
        })
    }

    /// An ID token of the provider named `idp_name`, checked against that provider alone
    /// (issuer, audience, its pinned keys, times, the JWKS cutoff, enabled). With a `scope`,
    /// the provider is the one of that name in the domain's federation and the user needs a
    /// role in the domain through its role mappings; without, the provider is the one the
    /// token's issuer and audience name (it must bear that name), the user needs a role in
    /// some organization, and the token is unscoped.
    pub async fn id_token_login(
        &self,
        idp_name: &str,
        id_token: &str,
        scope: Option<&DomainRef>,
        actor: &Actor,
    ) -> CoreResult<IamToken> {
        let domain = match scope {
            Some(scope) => Some(self.login_domain(scope, actor, idp_name).await?),
            None => None,
        };
        let provider = match (super::check_provider_name(idp_name), &domain) {
            (Err(_), _) => None,
            (Ok(()), Some(domain)) => {
                self.kernel
                    .store
                    .get_identity_provider_by_name(domain.federation_settings_id, idp_name)
                    .await?
            }
            (Ok(()), None) => self
                .federation
                .provider_named_by(id_token)
                .await?
                .filter(|p| p.iam_name() == idp_name)
                .map(|p| p.as_ref().clone()),
        };
        let Some(provider) = provider else {
            let why = "unknown identity provider";
            return Err(self.refuse_login(actor, Some(idp_name), why).await);
        };
        let provider_name = provider.iam_name();
        let identity = match self
            .federation
            .verify_provider_jwt(provider, id_token)
            .await
        {
            Ok(identity) => identity,
            Err(CoreError::Unauthenticated) => {
                let why = "the ID token did not verify";
                return Err(self.refuse_login(actor, Some(idp_name), why).await);
            }
            Err(e) => return Err(e),
        };
        let roles = match &domain {
            Some(domain) => domain_roles(&identity.principal, domain),
            None => {
                let mut all: Vec<OrgRole> = identity
                    .principal
                    .org_roles
                    .iter()
                    .map(|a| a.role)
                    .collect();
                all.sort_by_key(|r| r.as_str());
                all.dedup();
                all
            }
        };
        if roles.is_empty() {
            let why = "no role mapping matched the ID token";
            return Err(self.refuse_login(actor, Some(&identity.user), why).await);
        }
        let mut claims = self
            .oauth
            .federated_claims(&identity, domain.as_ref().map(|d| d.id));
        // An unscoped token names no role: it acts nowhere until it is exchanged.
        let roles = if domain.is_some() { roles } else { vec![] };
        if domain.is_none() {
            claims.aud = self.oauth.unscoped_audience();
            claims.roles.clear();
        }
        let issued = self.oauth.sign_claims(&claims)?;
        let event_org = domain
            .as_ref()
            .map(|d| d.id)
            .or_else(|| identity.principal.orgs().first().copied());
        let mut event = Actor::new(&identity.principal, actor.remote_address.clone()).event(
            kind::FEDERATED_TOKEN_EXCHANGED,
            self.kernel.now(),
            event_org,
            Some(claims.jti.clone()),
        );
        event.detail = Some(format!(
            "{} ID-token login through identity provider {provider_name} ({})",
            if domain.is_some() {
                "scoped"
            } else {
                "unscoped"
            },
            identity.provider.id
        ));
        self.kernel.store.record_event(&event).await?;
        Ok(IamToken {
            token: issued.access_token,
            method: "mapped",
            issued_at: at(claims.iat),
            expires_at: at(claims.exp),
            user_id: identity.principal.id.clone(),
            user_name: identity.user.clone(),
            domain,
            roles,
            federation: Some(TokenFederation {
                provider_id: identity.provider.id,
                provider_name,
                groups: identity.groups,
            }),
        })
    }

    /// The token method of `POST /v3/auth/tokens`: a token of a person (an unscoped token, or
    /// a scoped one of a federated identity or a local user) for one scoped to `scope`, where
    /// the identity must hold a role as it is now (a scoped token holds roles only in its own
    /// domain). The new token expires with the one it came from: an exchange never extends a
    /// session.
    pub async fn token_login(
        &self,
        token: &str,
        scope: &DomainRef,
        actor: &Actor,
    ) -> CoreResult<IamToken> {
        let claims = match self.oauth.verify_exchangeable_token(token).await {
            Ok(claims) => claims,
            Err(CoreError::Unauthenticated) => {
                let why = "the token to exchange did not verify";
                return Err(self.refuse_login(actor, None, why).await);
            }
            Err(e) => return Err(e),
        };
        let who = claims
            .fed
            .as_ref()
            .map_or(claims.sub.clone(), |f| f.user.clone());
        if claims.fed.is_none() && claims.usr.is_none() {
            let why = "only a person's token is exchanged";
            return Err(self.refuse_login(actor, Some(&who), why).await);
        }
        let domain = self.login_domain(scope, actor, &who).await?;
        let Some(verified) = self.oauth.token_principal(&claims).await? else {
            let why = "the token's identity, provider or user is gone or disabled";
            return Err(self.refuse_login(actor, Some(&who), why).await);
        };
        let principal = verified.principal;
        let roles = domain_roles(&principal.clone().scoped_to(domain.id), &domain);
        if !principal.is_member(domain.id) || roles.is_empty() {
            let why = "the token's identity holds no role in that domain";
            return Err(self.refuse_login(actor, Some(&who), why).await);
        }
        let now = self.kernel.now().timestamp();
        let exchanged = AccessClaims {
            aud: self.kernel.config.issuer.clone(),
            iat: now,
            nbf: now,
            exp: claims.exp.min(now + ACCESS_TOKEN_SECONDS),
            jti: random_urlsafe(16),
            org_id: domain.id.to_string(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            ..claims.clone()
        };
        if exchanged.exp + CLOCK_SKEW_SECONDS <= now {
            return Err(self.refuse_login(actor, Some(&who), "expired token").await);
        }
        let issued = self.oauth.sign_claims(&exchanged)?;
        let federation = match &claims.fed {
            Some(fed) => {
                let provider_id = crate::ids::HexId::parse("idp", &fed.idp)
                    .map_err(|_| CoreError::internal("a session names no provider"))?;
                let mut event = Actor::new(&principal, actor.remote_address.clone()).event(
                    kind::FEDERATED_TOKEN_EXCHANGED,
                    self.kernel.now(),
                    Some(domain.id),
                    Some(exchanged.jti.clone()),
                );
                event.detail = Some(format!(
                    "token method: a session of identity provider {} scoped to domain {}",
                    fed.idp, domain.name
                ));
                self.kernel.store.record_event(&event).await?;
                let provider_name = self
                    .kernel
                    .store
                    .get_identity_provider(
                        crate::ids::HexId::parse("fs", &fed.fs)
                            .map_err(|_| CoreError::internal("a session names no federation"))?,
                        provider_id,
                    )
                    .await?
                    .map_or_else(|| fed.idp.clone(), |p| p.iam_name());
                Some(TokenFederation {
                    provider_id,
                    provider_name,
                    groups: fed.groups.clone(),
                })
            }
            None => None,
        };
        Ok(IamToken {
            token: issued.access_token,
            method: "token",
            issued_at: at(exchanged.iat),
            expires_at: at(exchanged.exp),
            user_id: principal.id,
            user_name: principal.name,
            domain: Some(domain),
            roles,
            federation,
        })
    }
}

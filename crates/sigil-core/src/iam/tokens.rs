//! Tokens of the IAM face: `POST /v3/auth/tokens` (a local user's password, scoped to a domain)
//! and `POST /v3.0/OS-AUTH/id-token/tokens` (an ID token of a named provider). Both are Sigil
//! access tokens scoped to the domain, so every face accepts them (as `X-Auth-Token` or
//! Bearer), their roles follow the user or the role mappings live, and every revocation
//! reaches them.

use super::DomainRef;
use crate::audit::{kind, Actor};
use crate::directory::org::Organization;
use crate::error::{CoreError, CoreResult};
use crate::iam::Iam;
use crate::ids::IdentityProviderId;
use crate::oauth::{AccessClaims, ACCESS_TOKEN_SECONDS};
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
    /// `password` or `mapped`.
    pub method: &'static str,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_id: String,
    pub user_name: String,
    pub domain: Organization,
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
            domain,
            roles,
            federation: None,
        })
    }

    /// An ID token of the provider named `idp_name` in the domain's federation, checked
    /// against that provider alone (issuer, audience, its pinned keys, times, the JWKS
    /// cutoff, enabled). The user needs a role in the domain through its role mappings.
    pub async fn id_token_login(
        &self,
        idp_name: &str,
        id_token: &str,
        scope: &DomainRef,
        actor: &Actor,
    ) -> CoreResult<IamToken> {
        let domain = self.login_domain(scope, actor, idp_name).await?;
        let provider = match super::check_provider_name(idp_name) {
            Ok(()) => {
                self.kernel
                    .store
                    .get_identity_provider_by_name(domain.federation_settings_id, idp_name)
                    .await?
            }
            Err(_) => None,
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
        let roles = domain_roles(&identity.principal, &domain);
        if roles.is_empty() {
            let why = "no role mapping of the domain matched the ID token";
            return Err(self.refuse_login(actor, Some(&identity.user), why).await);
        }
        let claims = self.oauth.federated_claims(&identity, Some(domain.id));
        let issued = self.oauth.sign_claims(&claims)?;
        let mut event = Actor::new(&identity.principal, actor.remote_address.clone()).event(
            kind::FEDERATED_TOKEN_EXCHANGED,
            self.kernel.now(),
            Some(domain.id),
            Some(claims.jti.clone()),
        );
        event.detail = Some(format!(
            "ID-token login through identity provider {provider_name} ({})",
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
}

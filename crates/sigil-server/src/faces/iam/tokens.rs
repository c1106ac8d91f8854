//! `POST /v3/auth/tokens` (a password, or a token exchanged; a domain scope) and
//! `POST /v3.0/OS-AUTH/id-token/tokens` (an ID token of the provider named by `X-Idp-Id`; scoped
//! to a domain, or unscoped without `scope`): the token goes in `X-Subject-Token`.

use super::error::{Flat, IamError, IamErrors, Keystone, KeystoneErrors, Style};
use super::extract::{header, IamJson};
use crate::auth::remote_ip;
use crate::state::AppState;
use axum::extract::FromRequest;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sigil_core::audit::Actor;
use sigil_core::iam::{DomainRef, IamToken, PasswordLogin};
use sigil_core::secret::SecretString;
use utoipa::ToSchema;

/// `{"name": …}` or `{"id": …}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DomainBody {
    pub name: Option<String>,
    pub id: Option<String>,
}

impl DomainBody {
    fn domain<S: Style>(self, field: &str) -> Result<DomainRef, IamError<S>> {
        match (self.name, self.id) {
            (Some(name), _) => Ok(DomainRef::Name(name)),
            (None, Some(id)) => Ok(DomainRef::Id(id)),
            (None, None) => Err(IamError::invalid(format!("{field}.name is required."))),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Scope {
    pub domain: Option<DomainBody>,
    /// Refused: Sigil scopes tokens to domains.
    #[schema(value_type = Option<Object>, read_only)]
    pub project: Option<serde::de::IgnoredAny>,
}

impl Scope {
    fn domain<S: Style>(scope: Option<Self>) -> Result<DomainRef, IamError<S>> {
        let scope = scope.ok_or_else(|| IamError::invalid("auth.scope.domain is required."))?;
        if scope.project.is_some() {
            return Err(IamError::invalid(
                "Invalid auth.scope.project: Sigil scopes tokens to a domain; send auth.scope.domain.",
            ));
        }
        scope
            .domain
            .ok_or_else(|| IamError::invalid("auth.scope.domain is required."))?
            .domain("auth.scope.domain")
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordUser {
    pub name: Option<String>,
    #[schema(value_type = String, format = Password)]
    pub password: Option<SecretString>,
    pub domain: Option<DomainBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordMethod {
    pub user: PasswordUser,
}

/// The token method: the token to exchange.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenMethod {
    /// An unscoped token of an ID-token login, or a scoped token of a person.
    #[schema(value_type = String)]
    pub id: Option<SecretString>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Identity {
    /// `["password"]`, or `["token"]` to exchange a token for one scoped to `scope`.
    pub methods: Vec<String>,
    pub password: Option<PasswordMethod>,
    pub token: Option<TokenMethod>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordAuth {
    pub identity: Identity,
    pub scope: Option<Scope>,
}

/// The body of `POST /v3/auth/tokens`: the password method, or the token method
/// (`{"methods": ["token"], "token": {"id": "<token>"}}`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "…", "domain": {"name": "default"}}}}, "scope": {"domain": {"name": "default"}}}}))]
pub struct PasswordTokenRequest {
    pub auth: PasswordAuth,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IdToken {
    /// The ID token (a JWT) the identity provider issued.
    #[schema(value_type = String)]
    pub id: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IdTokenAuth {
    pub id_token: IdToken,
    /// Without it, the token is unscoped: good only for the token method of
    /// `POST /v3/auth/tokens` and for `POST /v3.0/OS-CREDENTIAL/securitytokens`.
    pub scope: Option<Scope>,
}

/// The body of `POST /v3.0/OS-AUTH/id-token/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"auth": {"id_token": {"id": "eyJhbGciOi…"}, "scope": {"domain": {"name": "default"}}}}))]
pub struct IdTokenRequest {
    pub auth: IdTokenAuth,
}

fn issued(token: IamToken) -> Response {
    let domain = token
        .domain
        .as_ref()
        .map(|d| json!({"id": d.id.to_string(), "name": d.name}));
    let mut user = json!({
        "id": token.user_id,
        "name": token.user_name,
    });
    if let Some(domain) = &domain {
        user["domain"] = domain.clone();
    }
    if let Some(f) = &token.federation {
        user["OS-FEDERATION"] = json!({
            "identity_provider": {"id": f.provider_name},
            "protocol": {"id": "oidc"},
            "groups": f.groups.iter().map(|g| json!({"id": g, "name": g})).collect::<Vec<Value>>(),
        });
    }
    let mut body = json!({"token": {
        "methods": [token.method],
        "issued_at": super::time(&token.issued_at),
        "expires_at": super::time(&token.expires_at),
        "user": user,
    }});
    // An unscoped token has no domain, roles or catalog (Keystone's unscoped token).
    if let Some(domain) = domain {
        body["token"]["domain"] = domain;
        body["token"]["roles"] = token
            .roles
            .iter()
            .map(|r| json!({"id": r.as_str(), "name": r.as_str()}))
            .collect();
        body["token"]["catalog"] = json!([]);
    }
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(token.token.expose()) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}

/// The login's answer; a refused login keeps its charge with the failure limiter.
fn settle<S: Style>(
    attempt: crate::auth::Attempt<'_>,
    outcome: sigil_core::CoreResult<IamToken>,
) -> Result<Response, IamError<S>> {
    match outcome {
        Ok(token) => Ok(issued(token)),
        Err(e) => {
            if matches!(e, sigil_core::CoreError::Unauthenticated) {
                attempt.failed();
            }
            Err(e.into())
        }
    }
}

pub(super) fn actor(request: &axum::http::request::Parts) -> Actor {
    Actor::anonymous(remote_ip(request).map(|i| i.to_string()))
}

/// Issues a token scoped to a domain for a local user's password (`"methods": ["password"]`),
/// or for another token (`"methods": ["token"]`: an unscoped token of an ID-token login, or a
/// person's scoped token), which the new one never outlives.
#[utoipa::path(post, path = "/v3/auth/tokens", tag = "iam", operation_id = "keystoneCreateUserTokenByPassword",
    security(()),
    request_body = PasswordTokenRequest,
    responses((status = 201, description = "Issued; the token is in X-Subject-Token (1 hour at most)", body = Object,
        headers(("X-Subject-Token" = String, description = "The token, for X-Auth-Token"))),
        KeystoneErrors),
    extensions(("x-aliases" = json!(["keystoneCreateScopedToken"]))))]
pub async fn password_token(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, IamError<Keystone>> {
    let (parts, body) = request.into_parts();
    let IamJson(body, _) = IamJson::<PasswordTokenRequest, Keystone>::from_request(
        Request::from_parts(parts.clone(), body),
        &(),
    )
    .await?;
    let identity = body.auth.identity;
    if identity.methods == ["token"] {
        let token = identity
            .token
            .and_then(|t| t.id)
            .ok_or_else(|| IamError::invalid("auth.identity.token.id is required."))?;
        let scope = Scope::domain(body.auth.scope)?;
        let attempt = state
            .auth
            .admit(&parts)
            .await
            .map_err(IamError::from_auth)?;
        let issued = state
            .core
            .iam
            .token_login(token.expose(), &scope, &actor(&parts))
            .await;
        return settle(attempt, issued);
    }
    if identity.methods != ["password"] {
        return Err(IamError::invalid(
            "Invalid auth.identity.methods: Sigil issues tokens here for [\"password\"] or [\"token\"] (ID tokens: POST /v3.0/OS-AUTH/id-token/tokens).",
        ));
    }
    let user = identity
        .password
        .ok_or_else(|| IamError::invalid("auth.identity.password is required."))?
        .user;
    let login = PasswordLogin {
        username: user
            .name
            .ok_or_else(|| IamError::invalid("auth.identity.password.user.name is required."))?,
        password: user.password.ok_or_else(|| {
            IamError::invalid("auth.identity.password.user.password is required.")
        })?,
        user_domain: user
            .domain
            .ok_or_else(|| IamError::invalid("auth.identity.password.user.domain is required."))?
            .domain("auth.identity.password.user.domain")?,
        scope: Scope::domain(body.auth.scope)?,
    };
    let attempt = state
        .auth
        .admit_named(&parts, Some(&login.username))
        .await
        .map_err(IamError::from_auth)?;
    let token = state.core.iam.password_token(login, &actor(&parts)).await;
    settle(attempt, token)
}

/// Issues a token for an ID token of the identity provider named in `X-Idp-Id`: scoped to
/// `auth.scope.domain`, or, without `scope`, unscoped (good only to be exchanged).
#[utoipa::path(post, path = "/v3.0/OS-AUTH/id-token/tokens", tag = "iam", operation_id = "createTokenWithIdToken",
    security(()),
    params(("X-Idp-Id" = String, Header, description = "The identity provider's name (1–64 letters, digits, '-', '_')")),
    request_body = IdTokenRequest,
    responses((status = 201, description = "Issued (methods [\"mapped\"]); the token is in X-Subject-Token (unscoped without `scope`)", body = Object,
        headers(("X-Subject-Token" = String, description = "The token, for X-Auth-Token"))),
        IamErrors))]
pub async fn id_token(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, IamError<Flat>> {
    let (parts, body) = request.into_parts();
    let idp = header(&parts.headers, "x-idp-id")
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| IamError::invalid("The header X-Idp-Id is required."))?;
    let IamJson(body, _) = IamJson::<IdTokenRequest, Flat>::from_request(
        Request::from_parts(parts.clone(), body),
        &(),
    )
    .await?;
    let scope = match body.auth.scope {
        Some(scope) => Some(Scope::domain(Some(scope))?),
        None => None,
    };
    let attempt = state
        .auth
        .admit(&parts)
        .await
        .map_err(IamError::from_auth)?;
    let token = state
        .core
        .iam
        .id_token_login(
            &idp,
            body.auth.id_token.id.expose(),
            scope.as_ref(),
            &actor(&parts),
        )
        .await;
    settle(attempt, token)
}

//! `POST /v3.0/OS-CREDENTIAL/securitytokens` (Huawei Cloud IAM's
//! `CreateTemporaryAccessKeyByToken`): a temporary access key, its secret key and its security
//! token, for a token given in the body or in `X-Auth-Token`. The rules live in the core
//! (`sigil_core::iam::temporary`).

use super::error::{Flat, IamError, IamErrors};
use super::extract::{header, IamJson};
use super::tokens::actor;
use crate::state::AppState;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sigil_core::secret::SecretString;
use sigil_core::CoreError;
use utoipa::ToSchema;

/// The body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": "eyJhbGciOi…", "duration_seconds": 3600}}}}))]
pub struct SecurityTokenRequest {
    pub auth: SecurityTokenAuth,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityTokenAuth {
    pub identity: SecurityTokenIdentity,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityTokenIdentity {
    /// `["token"]`.
    pub methods: Vec<String>,
    pub token: Option<SecurityTokenToken>,
    /// Refused (400): Sigil does not narrow a temporary access key with a policy; the key acts
    /// with the roles of the token's identity, as they are at each request. Not in the
    /// document: no request that carries it is accepted.
    #[schema(ignore)]
    pub policy: Option<serde::de::IgnoredAny>,
    /// Refused, like `policy`.
    #[schema(ignore)]
    pub policy_ids: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityTokenToken {
    /// The token: an unscoped token of an ID-token login, or a person's scoped token.
    /// Without it, the one in `X-Auth-Token`.
    #[schema(value_type = Option<String>)]
    pub id: Option<SecretString>,
    /// 900 to 86400 (default 900); the key never outlives the token.
    #[schema(minimum = 900, maximum = 86400)]
    pub duration_seconds: Option<i64>,
}

fn policy_refused(field: &str) -> IamError<Flat> {
    IamError::invalid(format!(
        "Invalid auth.identity.{field}: Sigil does not narrow temporary access keys with policies; \
         the key acts with the roles of the token's identity. Send the request without {field}."
    ))
}

/// Issues a temporary access key and its security token for a token (an unscoped token of an
/// ID-token login, or a person's scoped token). Requests signed with it carry the security
/// token in `X-Security-Token`, among the signed headers; they act with the identity's roles
/// as they are at each request, and are refused once the identity's provider is disabled, its
/// JWKS revoked or its `signing_key` changed, once its roles are gone, and when the key
/// expires (`expires_at`: at most `duration_seconds` ahead, never after the token). A `policy`
/// or `policy_ids` is refused with 400 naming it: Sigil does not narrow temporary keys.
#[utoipa::path(post, path = "/v3.0/OS-CREDENTIAL/securitytokens", tag = "iam",
    operation_id = "createTemporaryAccessKeyByToken",
    security((), ("authToken" = [])),
    params(("X-Auth-Token" = Option<String>, Header, description = "The token, when the body does not carry it")),
    request_body = SecurityTokenRequest,
    responses((status = 201, description = "Issued; `secret` and `securitytoken` are shown this once", body = Object,
        example = json!({"credential": {"access": "SGTA0123456789ABCDEF", "secret": "SGTS…", "securitytoken": "SGST…", "expires_at": "2026-11-26T05:15:00.000000Z"}})),
        IamErrors))]
pub async fn create_temporary_access_key_by_token(
    State(state): State<AppState>,
    request: Request,
) -> Result<(StatusCode, Json<Value>), IamError<Flat>> {
    let (parts, body) = request.into_parts();
    let IamJson(body, _) = IamJson::<SecurityTokenRequest, Flat>::from_request(
        Request::from_parts(parts.clone(), body),
        &(),
    )
    .await?;
    let identity = body.auth.identity;
    if identity.methods != ["token"] {
        return Err(IamError::invalid(
            "Invalid auth.identity.methods: Sigil issues temporary access keys for [\"token\"].",
        ));
    }
    if identity.policy.is_some() {
        return Err(policy_refused("policy"));
    }
    if identity.policy_ids.is_some() {
        return Err(policy_refused("policy_ids"));
    }
    let (id, duration) = match identity.token {
        Some(t) => (t.id, t.duration_seconds),
        None => (None, None),
    };
    let token = match id {
        Some(id) => id,
        None => header(&parts.headers, "x-auth-token")
            .filter(|t| !t.is_empty())
            .map(SecretString::new)
            // No token at all is no credential: 401, as Keystone answers.
            .ok_or_else(|| {
                IamError::new(
                    StatusCode::UNAUTHORIZED,
                    super::error::code::UNAUTHENTICATED,
                    "auth.identity.token.id (or the header X-Auth-Token) is required.",
                )
            })?,
    };
    sigil_core::iam::temporary::check_duration(duration)?;
    let attempt = state
        .auth
        .admit(&parts)
        .await
        .map_err(IamError::from_auth)?;
    match state
        .core
        .iam
        .create_temporary_access_key(token.expose(), duration, &actor(&parts))
        .await
    {
        Ok(key) => Ok((
            StatusCode::CREATED,
            Json(json!({"credential": {
                "access": key.access,
                "secret": key.secret.expose(),
                "securitytoken": key.security_token.expose(),
                "expires_at": super::time(&key.expires_at),
            }})),
        )),
        Err(e) => {
            if matches!(e, CoreError::Unauthenticated) {
                attempt.failed();
            }
            Err(e.into())
        }
    }
}

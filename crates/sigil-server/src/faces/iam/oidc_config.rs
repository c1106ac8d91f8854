//! A provider's OpenID Connect configuration: POST creates it, PUT changes the
//! fields it carries, GET reads it. The rules and their effect live in the core.

use super::error::{Flat, IamError, IamErrors};
use super::extract::{IamCaller, IamJson};
use super::providers::provider_name;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sigil_core::iam::{OidcConfigDraft, OidcConfigView};
use utoipa::ToSchema;

/// `{"openid_connect_config": {…}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"openid_connect_config": {"access_mode": "program", "idp_url": "https://accounts.example.com", "client_id": "client_id_example", "signing_key": "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"use\":\"sig\",\"n\":\"<2048-bit modulus>\",\"kid\":\"kid_example\",\"alg\":\"RS256\"}]}"}}))]
pub struct OidcConfigBody {
    pub openid_connect_config: OidcConfigDraft,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OidcConfigAnswer {
    pub openid_connect_config: OidcConfigView,
}

fn answer(view: OidcConfigView) -> Json<OidcConfigAnswer> {
    Json(OidcConfigAnswer {
        openid_connect_config: view,
    })
}

/// Creates the provider's OpenID Connect configuration; its `signing_key` is pinned at once.
#[utoipa::path(post, path = "/v3.0/OS-FEDERATION/identity-providers/{idp_id}/openid-connect-config",
    tag = "iam", operation_id = "createOpenIdConnectConfig",
    params(("idp_id" = String, Path, description = "The provider's name")),
    request_body = OidcConfigBody,
    responses((status = 201, description = "Created; the signing keys are pinned at once", body = OidcConfigAnswer), IamErrors))]
pub async fn create(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    caller: IamCaller<Flat>,
    IamJson(body, _): IamJson<OidcConfigBody, Flat>,
) -> Result<(StatusCode, Json<OidcConfigAnswer>), IamError<Flat>> {
    let name = provider_name(idp_id)?;
    let admin = state.core.authz.domain_admin(&caller.0.principal).await?;
    let view = state
        .core
        .iam
        .create_oidc_config(&admin, &caller.0.actor, &name, body.openid_connect_config)
        .await?;
    Ok((StatusCode::CREATED, answer(view)))
}

/// Changes the fields the body carries, as Huawei Cloud IAM does. A new `signing_key` replaces the pinned
/// keys from the next request on, on every node.
#[utoipa::path(put, path = "/v3.0/OS-FEDERATION/identity-providers/{idp_id}/openid-connect-config",
    tag = "iam", operation_id = "updateOpenIdConnectConfig",
    params(("idp_id" = String, Path, description = "The provider's name")),
    request_body = OidcConfigBody,
    responses((status = 200, description = "Updated", body = OidcConfigAnswer), IamErrors))]
pub async fn update(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    caller: IamCaller<Flat>,
    IamJson(body, _): IamJson<OidcConfigBody, Flat>,
) -> Result<Json<OidcConfigAnswer>, IamError<Flat>> {
    let name = provider_name(idp_id)?;
    let admin = state.core.authz.domain_admin(&caller.0.principal).await?;
    let view = state
        .core
        .iam
        .update_oidc_config(&admin, &caller.0.actor, &name, body.openid_connect_config)
        .await?;
    Ok(answer(view))
}

/// Reads the provider's OpenID Connect configuration (`program`: the console fields are null).
#[utoipa::path(get, path = "/v3.0/OS-FEDERATION/identity-providers/{idp_id}/openid-connect-config",
    tag = "iam", operation_id = "showOpenIdConnectConfig",
    params(("idp_id" = String, Path, description = "The provider's name")),
    responses((status = 200, description = "The configuration", body = OidcConfigAnswer), IamErrors))]
pub async fn show(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    caller: IamCaller<Flat>,
) -> Result<Json<OidcConfigAnswer>, IamError<Flat>> {
    let name = provider_name(idp_id)?;
    let admin = state.core.authz.domain_admin(&caller.0.principal).await?;
    Ok(answer(state.core.iam.get_oidc_config(&admin, &name).await?))
}

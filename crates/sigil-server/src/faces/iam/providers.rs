//! Identity providers on the IAM face: created at `/v3.0/OS-FEDERATION/identity-providers/{id}`,
//! read, changed and deleted at Keystone's `/v3/OS-FEDERATION/identity_providers[/{id}]`.

use super::error::{Flat, IamError, IamErrors, Keystone, KeystoneErrors, Style};
use super::extract::{IamCaller, IamJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sigil_core::federation::IdentityProvider;
use sigil_core::iam::{check_provider_name, IamProviderDraft};
use utoipa::ToSchema;

/// `{"identity_provider": {…}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderBody {
    pub identity_provider: IamProviderDraft,
}

/// A provider as the IAM face shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderView {
    /// Its name on this face (its 24-hex id when it was created on the Atlas face).
    pub id: String,
    #[schema(example = "virtual_user_sso")]
    pub sso_type: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub remote_ids: Vec<String>,
    #[schema(value_type = Object)]
    pub links: Value,
}

impl ProviderView {
    pub fn of(idp: &IdentityProvider, public_url: &str) -> Self {
        let id = idp.iam_name();
        let own = format!("{public_url}/v3/OS-FEDERATION/identity_providers/{id}");
        Self {
            sso_type: idp.sso_type().as_str().into(),
            description: idp.description.clone(),
            enabled: idp.enabled,
            remote_ids: vec![],
            links: json!({"self": own, "protocols": format!("{own}/protocols")}),
            id,
        }
    }
}

/// The `{idp_id}` path parameter, checked before anything else (400, naming it).
pub fn provider_name<S: Style>(name: String) -> Result<String, IamError<S>> {
    check_provider_name(&name)?;
    Ok(name)
}

fn wrapped(idp: &IdentityProvider, state: &AppState) -> Json<Value> {
    Json(json!({"identity_provider": ProviderView::of(idp, &state.public_url)}))
}

/// Creates an identity provider named `idp_id` in the federation of the token's domain.
#[utoipa::path(post, path = "/v3.0/OS-FEDERATION/identity-providers/{idp_id}", tag = "iam",
    operation_id = "createOpenIdConnectIdentityProvider",
    params(("idp_id" = String, Path, description = "The provider's name: 1–64 letters, digits, '-', '_'")),
    request_body = ProviderBody,
    responses((status = 201, description = "Created", body = Object), IamErrors))]
pub async fn create(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    caller: IamCaller<Flat>,
    IamJson(body, _): IamJson<ProviderBody, Flat>,
) -> Result<(StatusCode, Json<Value>), IamError<Flat>> {
    let name = provider_name(idp_id)?;
    let admin = state.core.authz.domain_admin(&caller.0.principal).await?;
    let idp = state
        .core
        .iam
        .create_provider(&admin, &caller.0.actor, &name, body.identity_provider)
        .await?;
    Ok((StatusCode::CREATED, wrapped(&idp, &state)))
}

/// Lists the identity providers of the token's domain's federation (Atlas ones by id).
#[utoipa::path(get, path = "/v3/OS-FEDERATION/identity_providers", tag = "iam",
    operation_id = "keystoneListIdentityProviders",
    responses((status = 200, description = "The providers", body = Object), KeystoneErrors))]
pub async fn list(
    State(state): State<AppState>,
    caller: IamCaller<Keystone>,
) -> Result<Json<Value>, IamError<Keystone>> {
    let admin = state.core.authz.domain_admin(&caller.0.principal).await?;
    let providers: Vec<ProviderView> = state
        .core
        .iam
        .providers(&admin)
        .await?
        .iter()
        .map(|i| ProviderView::of(i, &state.public_url))
        .collect();
    Ok(Json(json!({
        "identity_providers": providers,
        "links": {
            "self": format!("{}/v3/OS-FEDERATION/identity_providers", state.public_url),
            "previous": null,
            "next": null,
        },
    })))
}

/// Reads one identity provider of the token's domain's federation.
#[utoipa::path(get, path = "/v3/OS-FEDERATION/identity_providers/{idp_id}", tag = "iam",
    operation_id = "keystoneShowIdentityProvider",
    params(("idp_id" = String, Path, description = "The provider's name")),
    responses((status = 200, description = "The provider", body = Object), KeystoneErrors))]
pub async fn show(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    caller: IamCaller<Keystone>,
) -> Result<Json<Value>, IamError<Keystone>> {
    let name = provider_name(idp_id)?;
    let admin = state.core.authz.domain_admin(&caller.0.principal).await?;
    let idp = state.core.iam.provider(&admin, &name).await?;
    Ok(wrapped(&idp, &state))
}

/// Changes `description`, `enabled` (a disabled provider refuses logins at once) or `sso_type`.
#[utoipa::path(patch, path = "/v3/OS-FEDERATION/identity_providers/{idp_id}", tag = "iam",
    operation_id = "keystoneUpdateIdentityProvider",
    params(("idp_id" = String, Path, description = "The provider's name")),
    request_body = ProviderBody,
    responses((status = 200, description = "Updated", body = Object), KeystoneErrors))]
pub async fn update(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    caller: IamCaller<Keystone>,
    IamJson(body, _): IamJson<ProviderBody, Keystone>,
) -> Result<Json<Value>, IamError<Keystone>> {
    let name = provider_name(idp_id)?;
    let admin = state.core.authz.domain_admin(&caller.0.principal).await?;
    let idp = state
        .core
        .iam
        .update_provider(&admin, &caller.0.actor, &name, body.identity_provider)
        .await?;
    Ok(wrapped(&idp, &state))
}

/// Deletes the provider (and its configuration); its tokens and sessions stop working.
#[utoipa::path(delete, path = "/v3/OS-FEDERATION/identity_providers/{idp_id}", tag = "iam",
    operation_id = "keystoneDeleteIdentityProvider",
    params(("idp_id" = String, Path, description = "The provider's name")),
    responses((status = 204, description = "Deleted"), KeystoneErrors))]
pub async fn delete(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    caller: IamCaller<Keystone>,
) -> Result<StatusCode, IamError<Keystone>> {
    let name = provider_name(idp_id)?;
    let admin = state.core.authz.domain_admin(&caller.0.principal).await?;
    state
        .core
        .iam
        .delete_provider(&admin, &caller.0.actor, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

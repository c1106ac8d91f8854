//! OIDC identity providers of federation settings.

use super::views::IdentityProviderView;
use crate::mongodb::conventions::{paginated, CommonParams, PageParams, Paginated};
use crate::mongodb::error::{AtlasError, AtlasErrors};
use crate::mongodb::extract::{AtlasJson, AtlasPath, AtlasQuery, Caller};
use crate::mongodb::link_base;
use crate::mongodb::path_params::{FederationSettingsPath, IdentityProviderPath};
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use sigil_core::federation::{FederationOwner, IdentityProviderDraft, IdentityProviderFilter};
use sigil_core::ids::FederationSettingsId;
use utoipa::IntoParams;

async fn owner(
    state: &AppState,
    caller: &Caller,
    federation_settings_id: FederationSettingsId,
) -> Result<FederationOwner, AtlasError> {
    Ok(state
        .core
        .authz
        .federation_owner(&caller.0.principal, federation_settings_id)
        .await?)
}

/// The filters of listIdentityProviders.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct IdentityProviderQuery {
    /// `OIDC` (the only protocol Sigil supports; `SAML` is refused).
    #[param(default = "OIDC", pattern = "^OIDC$")]
    protocol: Option<String>,
    /// Comma-separated `WORKFORCE`, `WORKLOAD`.
    #[param(pattern = "^(WORKFORCE|WORKLOAD)(,(WORKFORCE|WORKLOAD))*$")]
    idp_type: Option<String>,
}

/// Lists the identity providers. ORG_OWNER of a connected organization only.
#[utoipa::path(get, path = "/federationSettings/{federationSettingsId}/identityProviders",
    tag = "federatedAuthentication", operation_id = "listIdentityProviders",
    params(FederationSettingsPath,
        IdentityProviderQuery, PageParams, CommonParams),
    responses((status = 200, body = Paginated<IdentityProviderView>), AtlasErrors))]
pub async fn list_identity_providers(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<FederationSettingsPath>,
    AtlasQuery(page): AtlasQuery<PageParams>,
    AtlasQuery(filter): AtlasQuery<IdentityProviderQuery>,
    uri: OriginalUri,
) -> Result<Json<Paginated<IdentityProviderView>>, AtlasError> {
    let request = page.request()?;
    let filter =
        IdentityProviderFilter::parse(filter.protocol.as_deref(), filter.idp_type.as_deref())?;
    let all = state
        .core
        .federation
        .list_identity_providers(
            owner(&state, &caller, path.federation_settings_id).await?,
            &filter,
        )
        .await?;
    Ok(Json(paginated(
        request.slice(&all),
        &request,
        &link_base(&state, &uri),
        uri.query(),
        IdentityProviderView::from,
    )))
}

/// Creates an OIDC identity provider. Answers 200, as Atlas does.
#[utoipa::path(post, path = "/federationSettings/{federationSettingsId}/identityProviders",
    tag = "federatedAuthentication", operation_id = "createIdentityProvider",
    params(FederationSettingsPath, CommonParams),
    request_body = IdentityProviderDraft,
    responses((status = 200, body = IdentityProviderView), AtlasErrors))]
pub async fn create_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<FederationSettingsPath>,
    AtlasJson(draft): AtlasJson<IdentityProviderDraft>,
) -> Result<Json<IdentityProviderView>, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id).await?;
    Ok(Json(
        state
            .core
            .federation
            .create_identity_provider(owner, &caller.0.actor, draft)
            .await?
            .into(),
    ))
}

/// Returns one identity provider.
#[utoipa::path(get, path = "/federationSettings/{federationSettingsId}/identityProviders/{identityProviderId}",
    tag = "federatedAuthentication", operation_id = "getIdentityProvider",
    params(IdentityProviderPath, CommonParams),
    responses((status = 200, body = IdentityProviderView), AtlasErrors))]
pub async fn get_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<IdentityProviderPath>,
) -> Result<Json<IdentityProviderView>, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id).await?;
    Ok(Json(
        state
            .core
            .federation
            .get_identity_provider(owner, path.identity_provider_id)
            .await?
            .into(),
    ))
}

/// Updates the fields the body carries; the others keep their value.
#[utoipa::path(patch, path = "/federationSettings/{federationSettingsId}/identityProviders/{identityProviderId}",
    tag = "federatedAuthentication", operation_id = "updateIdentityProvider",
    params(IdentityProviderPath, CommonParams),
    request_body = IdentityProviderDraft,
    responses((status = 200, body = IdentityProviderView), AtlasErrors))]
pub async fn update_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<IdentityProviderPath>,
    AtlasJson(draft): AtlasJson<IdentityProviderDraft>,
) -> Result<Json<IdentityProviderView>, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id).await?;
    let id = path.identity_provider_id;
    Ok(Json(
        state
            .core
            .federation
            .update_identity_provider(owner, &caller.0.actor, id, draft)
            .await?
            .into(),
    ))
}

/// Deletes an identity provider; connected organizations stop referring to it.
#[utoipa::path(delete, path = "/federationSettings/{federationSettingsId}/identityProviders/{identityProviderId}",
    tag = "federatedAuthentication", operation_id = "deleteIdentityProvider",
    params(IdentityProviderPath, CommonParams),
    responses((status = 204, description = "Deleted"), AtlasErrors))]
pub async fn delete_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<IdentityProviderPath>,
) -> Result<StatusCode, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id).await?;
    state
        .core
        .federation
        .delete_identity_provider(owner, &caller.0.actor, path.identity_provider_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes the provider's JWKS (as the Atlas Admin API does): every token it signed at or before this second is
/// refused, every Sigil token exchanged for one of its tokens is revoked, and its key set is
/// refetched at once. 204 even when the refetch fails (the failure is in `keySet` and the
/// audit trail); the revocation holds either way, on every node.
#[utoipa::path(delete, path = "/federationSettings/{federationSettingsId}/identityProviders/{identityProviderId}/jwks",
    tag = "federatedAuthentication", operation_id = "revokeJwksFromIdentityProvider",
    params(IdentityProviderPath, CommonParams),
    responses((status = 204, description = "Revoked"), AtlasErrors),
    // The vendor's earlier and newest names; `sigil api` takes all three.
    extensions(("x-aliases" = json!(["revokeFederationSettingIdentityProviderJwks", "revokeIdentityProviderJwks"]))))]
pub async fn revoke_jwks(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<IdentityProviderPath>,
) -> Result<StatusCode, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id).await?;
    state
        .core
        .federation
        .revoke_jwks(owner, &caller.0.actor, path.identity_provider_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
